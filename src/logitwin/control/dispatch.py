"""Dispatch: which idle robot fetches a pod for a station.

Every dispatch decision is a :class:`DispatchDecision` handed to a
:class:`DispatchPolicy`; heuristics and learned policies meet the same Protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from logitwin.control.assignment import greedy_assign
from logitwin.control.slotting import SiteView

__all__ = [
    "AssignmentDispatch",
    "DispatchAnswer",
    "DispatchDecision",
    "DispatchPolicy",
    "FifoDispatch",
    "NearestIdleDispatch",
    "split_answer",
]


@dataclass(frozen=True, slots=True)
class DispatchDecision:
    """Which idle robot should bring ``pod`` (at ``pod_cell``) to the station at
    ``station``?

    Args:
        time: when (s).
        pod: the pod.
        pod_cell: where it is stored.
        station: the station's pick cell.
        lines: order lines the trip serves.
        idle: the idle robots, ascending: (robot, cell, idle since (s)); the answer is
            one of the robots.
        others: other tasks waiting to be dispatched now: (pod cell, station cell).
        alternatives: tasks the robot may serve instead of this one: (pod, pod cell,
            station cell, lines); a policy that takes alternative ``j`` answers
            ``(robot, j + 1)`` (see :data:`DispatchAnswer`). Heuristics ignore them.
    """

    time: float
    pod: int
    pod_cell: int
    station: int
    lines: int
    idle: tuple[tuple[int, int, float], ...]
    others: tuple[tuple[int, int], ...] = ()
    alternatives: tuple[tuple[int, int, int, int], ...] = ()


# A robot for this task, or (robot, task): task 0 is this task, task j >= 1 the
# decision's alternative j - 1 (the robot serves that task instead; this one waits).
DispatchAnswer = int | tuple[int, int]


def split_answer(answer: DispatchAnswer, decision: DispatchDecision) -> tuple[int, int]:
    """``(robot, task)`` of a dispatch answer, checked against ``decision``'s options.

    Raises:
        ValueError: the robot is not idle or the task is not one of the decision's.
    """
    robot, task = (answer, 0) if isinstance(answer, int) else (int(answer[0]), int(answer[1]))
    if all(r != robot for r, _, _ in decision.idle):
        raise ValueError(f"dispatch policy chose robot {robot}, which is not idle")
    if not 0 <= task <= len(decision.alternatives):
        raise ValueError(
            f"dispatch policy chose task {task}; this decision has tasks 0.."
            f"{len(decision.alternatives)} (0: pod {decision.pod}'s, j: alternative j - 1)"
        )
    return robot, task


class DispatchPolicy(Protocol):
    """Chooses the robot for a task (and may give it one of the alternatives instead)."""

    def choose(self, decision: DispatchDecision) -> DispatchAnswer:
        """One robot of ``decision.idle``, or ``(robot, task)``."""
        ...


def _check(decision: DispatchDecision) -> None:
    if not decision.idle:
        raise ValueError(f"no idle robot for pod {decision.pod}")


class NearestIdleDispatch:
    """The idle robot with the shortest travel to the pod; ties to the lower id."""

    def __init__(self, site: SiteView, rng: np.random.Generator | None = None) -> None:
        self._dist_from = site.dist_from

    def choose(self, decision: DispatchDecision) -> int:
        """The nearest idle robot."""
        _check(decision)
        d = self._dist_from(decision.pod_cell)
        return min(decision.idle, key=lambda r: (d[r[1]], r[0]))[0]


class FifoDispatch:
    """The robot idle the longest; ties to the lower id."""

    def __init__(self, site: SiteView, rng: np.random.Generator | None = None) -> None:
        pass

    def choose(self, decision: DispatchDecision) -> int:
        """The longest-idle robot."""
        _check(decision)
        return min(decision.idle, key=lambda r: (r[2], r[0]))[0]


class AssignmentDispatch:
    """Travel-time assignment over every task waiting now
    (:func:`~logitwin.control.assignment.greedy_assign`): robots and tasks are matched
    cheapest pair first (travel to the pod plus the pod's trip to its station), and this
    task gets the robot it is matched with (the nearest, if it is matched to none)."""

    def __init__(self, site: SiteView, rng: np.random.Generator | None = None) -> None:
        self._dist_from = site.dist_from

    def choose(self, decision: DispatchDecision) -> int:
        """The robot this task gets in the matching."""
        _check(decision)
        tasks = [(decision.pod_cell, decision.station), *decision.others]
        first = [p for p, _ in tasks]
        length = [float(self._dist_from(p)[s]) for p, s in tasks]
        cells = [c for _, c, _ in decision.idle]
        pairs = greedy_assign(cells, first, length, lambda c: np.asarray(self._dist_from(c)))
        for agent, task in pairs:
            if task == 0:
                return decision.idle[agent][0]
        d = self._dist_from(decision.pod_cell)
        return min(decision.idle, key=lambda r: (d[r[1]], r[0]))[0]
