"""Pure decision algorithms over site data and numbers: MAPF, allocation, slotting."""

from logitwin.control.allocation import NearestRobotAllocator, RobotAllocator
from logitwin.control.assignment import greedy_assign
from logitwin.control.epibt import EPIBT
from logitwin.control.inventory import spread_skus
from logitwin.control.lns import RefinedPIBT, WindowedLNS
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.control.planner import DistanceTable, FleetPlanner, FleetView
from logitwin.control.slotting import NearestFreeSlotting, SlottingPolicy
from logitwin.control.validator import Conflict, find_conflicts

__all__ = [
    "EPIBT",
    "PIBT",
    "Conflict",
    "DistanceTable",
    "FleetPlanner",
    "FleetView",
    "NearestFreeSlotting",
    "NearestRobotAllocator",
    "RefinedPIBT",
    "RobotAllocator",
    "RotationDistances",
    "SlottingPolicy",
    "WindowedLNS",
    "find_conflicts",
    "greedy_assign",
    "spread_skus",
]
