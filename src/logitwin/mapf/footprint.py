"""The League of Robot Runners 2026 action model: actions take ticks, robots have a footprint.

A robot's state is its cell, its orientation (0 E, 1 S, 2 W, 3 N), a counter and the
action in progress. Forward (``F``) and the quarter turns (``R`` clockwise, ``C``
counter-clockwise) each take ``K`` executed ticks (the problem's ``agentCounter``); the
cell or the orientation changes at the end of the ``K``-th. A wait (``W``) on a robot with
an action in progress pauses it (its counter is frozen); any other action requested then
continues the action in progress.

Each robot is a square of side ``agentSize`` whose top-left corner is at its real
position: its cell's (column, row), plus ``count / K`` of a cell in the direction it
faces while it drives forward. Within a tick it moves in a straight line. Two robots
collide if their squares overlap, touching aside, at some moment of the tick; a robot
collides with the map if its square leaves the map or overlaps a blocked cell.

:meth:`ActionModel.step` decides which requested actions are executed: robots are
resolved in id order; a request that would collide with what is decided becomes a wait
and is recorded as an error (the tick goes on). A robot whose request runs into another
robot standing still first resolves that robot (a push chain, iterative), and a chain
that closes on itself is refused. So executed motion never collides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logitwin.site.grid import Grid

__all__ = ["ACTION_CODES", "ActionModel", "FleetState", "collide", "motion"]

F, R, C, W, NA = 0, 1, 2, 3, 4
#: Letters of the actions, by code (``T``: no action: an executor that ran out of time).
ACTION_CODES = "FRCWT"
_DX = (1, 0, -1, 0)
_DY = (0, 1, 0, -1)
_EPS = 1e-6

# A motion in one tick: (x0, y0, x1, y1) of the footprint's top-left corner.
Motion = tuple[float, float, float, float]


@dataclass
class FleetState:
    """Every robot's cell, orientation, counter and action in progress (``NA`` = 4: none)."""

    loc: list[int]
    ori: list[int]
    count: list[int]
    cur: list[int]

    @classmethod
    def start(cls, cells: Sequence[int], orientations: Sequence[int] | None = None) -> FleetState:
        n = len(cells)
        return cls(list(cells), list(orientations or [0] * n), [0] * n, [NA] * n)

    def copy(self) -> FleetState:
        return FleetState(list(self.loc), list(self.ori), list(self.count), list(self.cur))


def result(
    loc: int, ori: int, count: int, cur: int, a: int, k: int, width: int
) -> tuple[int, int, int, int]:
    """The state after one tick of action ``a`` (see the module docstring)."""
    if count > 0 and cur != NA:
        if a == W:
            return loc, ori, count, cur  # paused
        a = cur
    if a in (W, NA):
        return loc, ori, count, cur
    count += 1
    if count < k:
        return loc, ori, count, a
    if a == F:
        return loc + _DX[ori] + _DY[ori] * width, ori, 0, NA
    return loc, (ori + (1 if a == R else 3)) % 4, 0, NA


def position(loc: int, ori: int, count: int, cur: int, k: int, width: int) -> tuple[float, float]:
    """The footprint's top-left corner (x = column, y = row)."""
    y, x = divmod(loc, width)
    if cur == F and count:
        f = count / k
        return x + _DX[ori] * f, y + _DY[ori] * f
    return float(x), float(y)


def motion(
    before: tuple[int, int, int, int], after: tuple[int, int, int, int], k: int, width: int
) -> Motion:
    """The straight-line motion from one state to the next."""
    x0, y0 = position(*before, k, width)
    if after[0] != before[0]:  # a forward move completed: the corner ends on the new cell
        row, col = divmod(after[0], width)
        return x0, y0, float(col), float(row)
    x1, y1 = position(*after, k, width)
    return x0, y0, x1, y1


def _axis(d0: float, dv: float, lo: float, hi: float) -> tuple[float, float] | None:
    """The part of [0, 1] where an offset ``d0 + dv * t`` lies strictly inside (lo, hi),
    kept away from the ends by a small tolerance."""
    if -_EPS < dv < _EPS:
        return (0.0, 1.0) if lo + _EPS < d0 < hi - _EPS else None
    t0, t1 = (lo - d0) / dv, (hi - d0) / dv
    if t0 > t1:
        t0, t1 = t1, t0
    pad = _EPS / abs(dv)
    a, b = max(0.0, t0 + pad), min(1.0, t1 - pad)
    return (a, b) if a <= b else None


def collide(a: Motion, b: Motion, size: float, size_b: float | None = None) -> bool:
    """Whether a square of side ``size`` moving as ``a`` and one of side ``size_b``
    (default the same) moving as ``b`` overlap (touching is not overlapping) at some
    moment of the tick."""
    sb = size if size_b is None else size_b
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    if (
        min(ax0, ax1) >= max(bx0, bx1) + sb
        or min(bx0, bx1) >= max(ax0, ax1) + size
        or min(ay0, ay1) >= max(by0, by1) + sb
        or min(by0, by1) >= max(ay0, ay1) + size
    ):
        return False
    # Square a overlaps b on an axis while their offset a - b lies in (-size, size_b).
    ix = _axis(ax0 - bx0, (ax1 - ax0) - (bx1 - bx0), -size, sb)
    if ix is None:
        return False
    iy = _axis(ay0 - by0, (ay1 - ay0) - (by1 - by0), -size, sb)
    if iy is None:
        return False
    return max(ix[0], iy[0]) <= min(ix[1], iy[1])


class ActionModel:
    """Executes one tick of requested actions for a fleet on a grid.

    Args:
        grid: the map.
        k: ticks per forward move or quarter turn (``agentCounter``).
        size: the footprint's side (``agentSize``, cells).
    """

    def __init__(self, grid: Grid, k: int, size: float) -> None:
        if k < 1:
            raise ValueError(f"agentCounter must be >= 1, got {k}")
        if not size > 0:
            raise ValueError(f"agentSize must be > 0, got {size}")
        self.grid = grid
        self.k = k
        self.size = size
        self._free = grid.free.reshape(-1).tolist()
        self._reach = int(size) + 2  # cells around a robot in which another can touch it

    def _valid(self, m: Motion) -> bool:
        """Inside the map and clear of blocked cells all along the motion."""
        s, g = self.size, self.grid
        x_lo, x_hi = min(m[0], m[2]), max(m[0], m[2]) + s
        y_lo, y_hi = min(m[1], m[3]), max(m[1], m[3]) + s
        if x_lo < -_EPS or y_lo < -_EPS or x_hi > g.width + _EPS or y_hi > g.height + _EPS:
            return False
        for row in range(int(y_lo + _EPS), min(g.height, int(y_hi - _EPS) + 1)):
            for col in range(int(x_lo + _EPS), min(g.width, int(x_hi - _EPS) + 1)):
                if not self._free[row * g.width + col]:
                    cell = (float(col), float(row), float(col), float(row))
                    if collide(m, cell, s, 1.0):
                        return False
        return True

    def step(
        self, state: FleetState, requested: Sequence[int], t: int
    ) -> tuple[FleetState, list[int], list[tuple[int, int, int, str]]]:
        """Execute one tick.

        Args:
            state: every robot's state before the tick (not changed).
            requested: each robot's requested action code (``F R C W T`` = 0..4; ``T``,
                no action, is a wait).
            t: the tick's number, for error entries.

        Returns:
            The states after the tick, the executed action codes (a refused request is a
            wait) and error entries ``(robot, other robot or -1, t + 1, reason)``.
        """
        n = len(state.loc)
        k, width, size = self.k, self.grid.width, self.size
        req = [W if a == NA else a for a in requested]
        before = list(zip(state.loc, state.ori, state.count, state.cur, strict=True))
        req_after = [result(*before[i], req[i], k, width) for i in range(n)]
        wait_after = [result(*before[i], W, k, width) for i in range(n)]
        req_m = [motion(before[i], req_after[i], k, width) for i in range(n)]
        wait_m = [motion(before[i], wait_after[i], k, width) for i in range(n)]
        # Robots by cell, to find who can touch whom within a tick.
        near: dict[int, list[int]] = {}
        for i in range(n):
            near.setdefault(state.loc[i], []).append(i)
        reach, height = self._reach, self.grid.height

        def neighbours(i: int) -> list[int]:
            row, col = divmod(state.loc[i], width)
            out: list[int] = []
            for r in range(max(0, row - reach), min(height, row + reach + 1)):
                for c in range(max(0, col - reach), min(width, col + reach + 1)):
                    out.extend(near.get(r * width + c, ()))
            return out

        # A robot whose request does not move its square (a wait, a pause, a turn) is
        # granted at once; only motions are checked.
        decided: list[Motion | None] = [None if req_m[i] != wait_m[i] else wait_m[i]
                                        for i in range(n)]  # fmt: skip
        refused: dict[int, tuple[int, str]] = {}
        visiting = [False] * n
        for root in range(n):
            if decided[root] is not None:
                continue
            # Robots being resolved: (robot, candidates, next candidate); a robot standing
            # where another wants to go is resolved first (a push chain, without recursion).
            stack: list[tuple[int, list[int], int]] = [(root, neighbours(root), 0)]
            visiting[root] = True
            while stack:
                i, cands, q = stack[-1]
                fail: tuple[int, str] | None = None
                if q == 0 and not self._valid(req_m[i]):
                    fail = (-1, "requested motion is invalid (boundary or hard obstacle)")
                pushed = False
                while fail is None and q < len(cands):
                    j = cands[q]
                    q += 1
                    dj = decided[j]
                    if j == i:
                        continue
                    if dj is not None:
                        if collide(req_m[i], dj, size):
                            fail = (j, f"requested motion conflicts with resolved agent {j}")
                    elif collide(req_m[i], wait_m[j], size):
                        if visiting[j]:
                            fail = (j, f"robots wait for each other in a cycle through {j}")
                        else:  # j is in the way: resolve it, then look at it again
                            stack[-1] = (i, cands, q - 1)
                            stack.append((j, neighbours(j), 0))
                            visiting[j] = True
                            pushed = True
                            break
                if pushed:
                    continue
                stack.pop()
                visiting[i] = False
                if fail is None:
                    decided[i] = req_m[i]
                else:
                    decided[i] = wait_m[i]
                    refused[i] = fail
        executed: list[int] = []
        errors: list[tuple[int, int, int, str]] = []
        after = FleetState([0] * n, [0] * n, [0] * n, [0] * n)
        for i in range(n):
            if i in refused:
                other, why = refused[i]
                errors.append(
                    (i, other, t + 1, f"Agent waits instead of {ACTION_CODES[requested[i]]}: {why}")
                )
                a, s1 = W, wait_after[i]
            else:
                a, s1 = req[i], req_after[i]
            executed.append(a)
            after.loc[i], after.ori[i], after.count[i], after.cur[i] = s1
        return after, executed, errors
