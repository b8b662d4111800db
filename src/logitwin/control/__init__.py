"""Pure decision algorithms over site data and numbers: MAPF, allocation, slotting."""

from logitwin.control.allocation import NearestRobotAllocator, RobotAllocator
from logitwin.control.assignment import greedy_assign
from logitwin.control.inventory import spread_skus
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.control.slotting import NearestFreeSlotting, SlottingPolicy
from logitwin.control.validator import Conflict, find_conflicts

__all__ = [
    "PIBT",
    "Conflict",
    "NearestFreeSlotting",
    "NearestRobotAllocator",
    "RobotAllocator",
    "RotationDistances",
    "SlottingPolicy",
    "find_conflicts",
    "greedy_assign",
    "spread_skus",
]
