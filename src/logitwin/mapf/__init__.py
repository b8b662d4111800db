"""The League of Robot Runners (LoRR) harness: the competition's rules, its simulator
around our planners, and an independent checker of its result files.

Layering: ``mapf`` may import ``control``, ``site`` and ``errors``; those never import
``mapf``, so a planner cannot lean on the rules that judge it.
"""

from logitwin.mapf.actions import (
    ACTIONS,
    DIRS,
    ORIENT_NAMES,
    ActionError,
    apply_action,
    check_step,
)
from logitwin.mapf.params import RunnerParams
from logitwin.mapf.runner import LorrRunner, Task, horizon_for
from logitwin.mapf.validate import ValidationReport, validate_result

__all__ = [
    "ACTIONS",
    "DIRS",
    "ORIENT_NAMES",
    "ActionError",
    "LorrRunner",
    "RunnerParams",
    "Task",
    "ValidationReport",
    "apply_action",
    "check_step",
    "horizon_for",
    "validate_result",
]
