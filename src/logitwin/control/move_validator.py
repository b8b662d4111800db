"""Independent validator of *executed* robot moves in continuous time.

Executed paths are not synchronous steps: with delays and per-robot speeds, each move
has its own start and end. A robot occupies a cell from the moment it starts entering
it until the moment it has completely left it, so while it moves it occupies both
cells. Conflicts reported:

* ``"obstacle"``: a move into a blocked or out-of-range cell.
* ``"jump"``: a move between cells that are not 4-adjacent, or one that does not start
  where the robot is.
* ``"overlap"``: a robot starts a move before its previous move ended.
* ``"occupied"``: two robots occupy one cell at once for a positive time (one leaving as
  the other enters, at the same instant, is allowed). This covers vertex, swap and
  following conflicts.

Like :mod:`logitwin.control.validator`, it shares no code with any planner or executor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from logitwin.site.grid import Grid

__all__ = ["ExecutedMove", "MoveConflict", "find_move_conflicts"]


@dataclass(frozen=True, slots=True)
class ExecutedMove:
    """One executed move: the robot, the cell it entered, when it started and ended (s)."""

    robot: int
    cell: int
    start: float
    end: float


@dataclass(frozen=True)
class MoveConflict:
    """One violation in executed moves.

    Attributes:
        kind: ``"obstacle"``, ``"jump"``, ``"overlap"`` or ``"occupied"``.
        time: when it happens (s).
        robots: robots involved, ascending.
        cells: the cell concerned, or ``(from, to)`` for a jump.
    """

    kind: str
    time: float
    robots: tuple[int, ...]
    cells: tuple[int, ...]

    def __str__(self) -> str:
        who = ", ".join(str(r) for r in self.robots)
        return f"{self.kind} at t={self.time:g} s: robots {who}, cells {self.cells}"


def find_move_conflicts(
    grid: Grid, starts: Sequence[int], moves: Iterable[ExecutedMove]
) -> list[MoveConflict]:
    """Every conflict in a fleet's executed moves.

    Args:
        grid: the floor.
        starts: each robot's cell at time 0 (robots are numbered by position here).
        moves: every executed move, in any order.

    Returns:
        The conflicts sorted by time, kind and robots; empty when the moves are valid.
    """
    free = grid.free.reshape(-1)
    width = grid.width
    per_robot: dict[int, list[ExecutedMove]] = defaultdict(list)
    out: list[MoveConflict] = []
    for m in moves:
        if not 0 <= m.robot < len(starts):
            raise ValueError(f"move of robot {m.robot}; there are {len(starts)} robots")
        if not m.start <= m.end:
            raise ValueError(f"move of robot {m.robot} ends ({m.end}) before it starts")
        per_robot[m.robot].append(m)
    # Per cell: intervals (enter, leave, robot) during which a robot occupies it.
    spans: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    for r, here in enumerate(starts):
        if not 0 <= here < grid.size or not free[here]:
            out.append(MoveConflict("obstacle", 0.0, (r,), (here,)))
        entered = -math.inf
        last_end = -math.inf
        for m in sorted(per_robot.get(r, ()), key=lambda m: (m.start, m.end)):
            if m.start < last_end:
                out.append(MoveConflict("overlap", m.start, (r,), (m.cell,)))
            if not 0 <= m.cell < grid.size or not free[m.cell]:
                out.append(MoveConflict("obstacle", m.start, (r,), (m.cell,)))
            else:
                dr, dc = divmod(m.cell, width)
                hr, hc = divmod(here, width)
                if abs(dr - hr) + abs(dc - hc) != 1:
                    out.append(MoveConflict("jump", m.start, (r,), (here, m.cell)))
            spans[here].append((entered, m.end, r))  # it leaves `here` when the move ends
            here, entered, last_end = m.cell, m.start, m.end
        spans[here].append((entered, math.inf, r))
    for cell, intervals in spans.items():
        intervals.sort()
        latest_end, latest_robot = -math.inf, -1
        for enter, leave, r in intervals:
            if enter < latest_end and r != latest_robot:
                t = enter if math.isfinite(enter) else 0.0
                pair = (min(r, latest_robot), max(r, latest_robot))
                out.append(MoveConflict("occupied", t, pair, (cell,)))
            if leave > latest_end:
                latest_end, latest_robot = leave, r
    kinds = {"obstacle": 0, "jump": 1, "overlap": 2, "occupied": 3}
    out.sort(key=lambda c: (c.time, kinds[c.kind], c.robots, c.cells))
    return out
