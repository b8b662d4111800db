"""Turn-aware distances that route around standing robots, refreshed as the fleet moves.

Static distance tables send every robot down the same shortest corridors, through
robots parked or queueing there. :class:`CongestionDistances` keeps one table per goal
over (cell, orientation) states where entering a cell that a robot stands on costs
``penalty`` more than a free one (the "dynamic heuristic" of the LoRR 2024 winner,
Yukhnevich and Andreychuk). Robots move, so tables go stale: each step the planner
calls :meth:`CongestionDistances.update` with where the robots stand and the goals in
use; tables for new goals are built at once, then the stalest are rebuilt until the
given time.

Tables are int32 numpy arrays indexed ``cell * 4 + orientation`` (``UNREACHABLE`` where
the goal cannot be reached), the same indexing as
:class:`logitwin.control.pibt.RotationDistances`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from logitwin.control.pibt import (
    _warm_up,
    extra_entry_costs,
    forward_predecessors,
    state_distances,
)
from logitwin.site.distance import UNREACHABLE
from logitwin.site.grid import Grid

__all__ = ["UNREACHABLE", "CongestionDistances"]


class CongestionDistances:
    """Distance tables to goals that charge ``penalty`` for entering an occupied cell.

    Args:
        grid: the map.
        penalty: extra cost of entering a cell a robot stood on at the last update.
        max_cached: tables kept at most (least recently used dropped; ``None``: all).
    """

    def __init__(
        self,
        grid: Grid,
        penalty: int,
        max_cached: int | None = None,
        move_cost: np.ndarray | None = None,
    ) -> None:
        if penalty < 0:
            raise ValueError(f"penalty must be >= 0, got {penalty}")
        self.grid = grid
        self.penalty = penalty
        self.max_cached = max_cached
        self._pred_f = forward_predecessors(grid)
        self._base = extra_entry_costs(grid, move_cost)
        self._enter = self._base.copy()
        self._tables: dict[int, np.ndarray] = {}
        self._built: dict[int, int] = {}  # goal -> update count at its last build
        self._updates = 0
        self.stats = {"built": 0}
        _warm_up()

    def update(self, occupied: Sequence[int], goals: Sequence[int], until: float) -> None:
        """Take the robots' cells as the congestion; build tables for goals without one,
        then rebuild the stalest of ``goals`` while ``time.perf_counter() < until``."""
        self._updates += 1
        enter = self._enter
        enter[:] = self._base
        cells = np.asarray(occupied, dtype=np.int64)
        for o in range(4):
            enter[cells * 4 + o] += self.penalty
        wanted = sorted({g for g in goals if g >= 0}, key=lambda g: self._built.get(g, -1))
        for g in wanted:
            if g in self._tables and time.perf_counter() >= until:
                break
            self._build(g)

    def _build(self, goal: int) -> None:
        if not self.grid.is_free(goal):
            raise ValueError(f"goal {self.grid.describe(goal)} is blocked")
        out = self._tables.pop(goal, None)
        if out is None:
            if self.max_cached is not None and len(self._tables) >= self.max_cached:
                old = next(iter(self._tables))
                out = self._tables.pop(old)
                del self._built[old]
            else:
                out = np.empty(4 * self.grid.size, dtype=np.int32)
        state_distances(goal, self._pred_f, self._enter, out)
        self._tables[goal] = out  # most recently built last
        self._built[goal] = self._updates
        self.stats["built"] += 1

    def table(self, goal: int) -> np.ndarray:
        """The table to ``goal`` as of its last build (built now if it has none)."""
        got = self._tables.get(goal)
        if got is None:
            self._build(goal)
            got = self._tables[goal]
        return got
