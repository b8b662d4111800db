"""Pure decision algorithms over site data and numbers: MAPF, allocation, slotting."""

from logitwin.control.allocation import NearestRobotAllocator, RobotAllocator
from logitwin.control.inventory import spread_skus
from logitwin.control.mapf import PIBTPlanner
from logitwin.control.slotting import NearestFreeSlotting, SlottingPolicy
from logitwin.control.validator import Conflict, find_conflicts

__all__ = [
    "Conflict",
    "NearestFreeSlotting",
    "NearestRobotAllocator",
    "PIBTPlanner",
    "RobotAllocator",
    "SlottingPolicy",
    "find_conflicts",
    "spread_skus",
]
