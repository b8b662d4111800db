"""Transport management: delivery routes (VRP) and drivers' hours of service."""

from logitwin.tms.check import CheckReport, Violation, check_solution
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
    "EU561",
    "FMCSA",
    "Activity",
    "CheckReport",
    "HosPlan",
    "HosRules",
    "InstanceError",
    "Order",
    "OrtoolsParams",
    "PlannedRoute",
    "RoutePlan",
    "RouteProblem",
    "Solution",
    "TruckType",
    "Violation",
    "VrptwData",
    "check_hos",
    "check_solution",
    "place_breaks",
    "read_solomon",
    "read_solution",
    "solve",
    "solve_routes",
]
