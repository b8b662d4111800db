"""Pure decision algorithms over site data and numbers: MAPF, dispatch, slotting."""

from logitwin.control.assignment import greedy_assign
from logitwin.control.dispatch import (
    AssignmentDispatch,
    DispatchDecision,
    DispatchPolicy,
    FifoDispatch,
    NearestIdleDispatch,
)
from logitwin.control.epibt import EPIBT
from logitwin.control.inventory import spread_skus
from logitwin.control.lns import RefinedPIBT, WindowedLNS
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.control.planner import DistanceTable, FleetPlanner, FleetView
from logitwin.control.policies import check_policy, make_policy, parse_spec
from logitwin.control.slotting import (
    ClassBasedSlotting,
    NearestFreeSlotting,
    RandomSlotting,
    SiteView,
    SlottingDecision,
    SlottingPolicy,
)
from logitwin.control.validator import Conflict, find_conflicts

__all__ = [
    "EPIBT",
    "PIBT",
    "AssignmentDispatch",
    "ClassBasedSlotting",
    "Conflict",
    "DispatchDecision",
    "DispatchPolicy",
    "DistanceTable",
    "FifoDispatch",
    "FleetPlanner",
    "FleetView",
    "NearestFreeSlotting",
    "NearestIdleDispatch",
    "RandomSlotting",
    "RefinedPIBT",
    "RotationDistances",
    "SiteView",
    "SlottingDecision",
    "SlottingPolicy",
    "WindowedLNS",
    "check_policy",
    "find_conflicts",
    "greedy_assign",
    "make_policy",
    "parse_spec",
    "spread_skus",
]
