"""The fleet planner contract: one step of actions for a whole fleet of turning robots.

Every planner a LoRR runner drives (:class:`~logitwin.control.pibt.PIBT`,
:class:`~logitwin.control.epibt.EPIBT`, :class:`~logitwin.control.lns.RefinedPIBT`)
implements :class:`FleetPlanner`: given what the fleet looks like now
(:class:`FleetView`) and a deadline, return each robot's action. Planners are judged by
rules they do not share (``logitwin.mapf.actions.check_step``): ``control`` never imports
``mapf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["DistanceTable", "FleetPlanner", "FleetView"]

DistanceTable = Sequence[int] | np.ndarray
"""Distances to one robot's goal: per (cell, orientation) state, index ``cell * 4 + o``
(:class:`~logitwin.control.pibt.RotationDistances`), or per cell, as the planner was
made for."""


@dataclass(frozen=True, slots=True)
class FleetView:
    """What a planner sees of the fleet at one step; every sequence has one entry per robot.

    Args:
        cells: cell of each robot (distinct).
        orients: orientation of each robot (0 E, 1 S, 2 W, 3 N).
        tables: distance table to each robot's goal (``None``: no goal).
        goals: goal cell of each robot (-1: none; robots without a table have none).
        urgency: steps each robot's task still needs, lower first (planners that order
            robots by it read it; ``None``: all equal). PIBT keeps its own priorities.
        pinned: robots that must stay on their cell this step (a planner may turn them
            in place: PIBT does, EPIBT makes them wait); others avoid their cells
            (``None``: none).
        followed: the fleet executed the actions the planner returned last step. After
            an overrun or a refused step (everyone waited) it is ``False``, and planners
            that carry plans between steps drop them.
    """

    cells: Sequence[int]
    orients: Sequence[int]
    tables: Sequence[DistanceTable | None]
    goals: Sequence[int]
    urgency: Sequence[float] | None = None
    pinned: Sequence[bool] | None = None
    followed: bool = True

    def __post_init__(self) -> None:
        n = len(self.cells)
        for name in ("orients", "tables", "goals", "urgency", "pinned"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"FleetView.{name} has {len(value)} entries for {n} robots")

    @property
    def any_pinned(self) -> bool:
        """Some robot must stay on its cell this step."""
        return self.pinned is not None and any(self.pinned)


@runtime_checkable
class FleetPlanner(Protocol):
    """Plans one step for every robot of a fleet of fixed size, in the ``MAPF_T`` action
    model (``F`` forward, ``R``/``C`` turn clockwise / counter-clockwise, ``W`` wait).

    The actions must be free of vertex and edge conflicts and stay on free cells, and
    pinned robots keep their cells. A planner is seeded when it is made; with deadlines it
    never reaches and work caps set where it has them (EPIBT's ``refine_rounds``, the
    LNS's ``refine_tries``) a step depends on its inputs and the seed alone.
    """

    def plan(self, view: FleetView, deadline: float) -> list[str]:
        """Each robot's action for this step.

        Args:
            view: the fleet now.
            deadline: ``time.perf_counter()`` value by which to return. Anytime parts
                (refinement) stop there; a one-pass planner (PIBT) may finish after it,
                and the caller times the step.
        """
        ...
