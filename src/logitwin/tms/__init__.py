"""Transport management: delivery routes (VRP) and drivers' hours of service."""

from logitwin.tms.check import CheckReport, Violation, check_solution
from logitwin.tms.solomon import InstanceError, VrptwData, read_solomon, read_solution
from logitwin.tms.vrp import DEFAULT_BACKEND, OrtoolsParams, Solution, solve

__all__ = [
    "DEFAULT_BACKEND",
    "CheckReport",
    "InstanceError",
    "OrtoolsParams",
    "Solution",
    "Violation",
    "VrptwData",
    "check_solution",
    "read_solomon",
    "read_solution",
    "solve",
]
