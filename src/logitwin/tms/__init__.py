"""Transport management: delivery routes (VRP) and drivers' hours of service."""

from logitwin.tms.check import CheckReport, Violation, check_solution
from logitwin.tms.co2e import DIESEL_EN16258, EmissionFactor, Emissions, allocate_by_tkm
from logitwin.tms.customers import Customer, Network, Shipment, draw_shipment
from logitwin.tms.driving import HosClock
from logitwin.tms.hos import EU561, FMCSA, Activity, HosPlan, HosRules, check_hos, place_breaks
from logitwin.tms.routes import (
    Order,
    PlannedRoute,
    RoutePlan,
    RouteProblem,
    TruckType,
    solve_routes,
)
from logitwin.tms.solomon import InstanceError, VrptwData, read_solomon, read_solution
from logitwin.tms.vrp import DEFAULT_BACKEND, OrtoolsParams, Solution, solve

__all__ = [
    "DEFAULT_BACKEND",
    "DIESEL_EN16258",
    "EU561",
    "FMCSA",
    "Activity",
    "CheckReport",
    "Customer",
    "EmissionFactor",
    "Emissions",
    "HosClock",
    "HosPlan",
    "HosRules",
    "InstanceError",
    "Network",
    "Order",
    "OrtoolsParams",
    "PlannedRoute",
    "RoutePlan",
    "RouteProblem",
    "Shipment",
    "Solution",
    "TruckType",
    "Violation",
    "VrptwData",
    "allocate_by_tkm",
    "check_hos",
    "check_solution",
    "draw_shipment",
    "place_breaks",
    "read_solomon",
    "read_solution",
    "solve",
    "solve_routes",
]
