"""Plan execution for robots that do not move as planned: a temporal plan graph.

A plan says where every robot is at each step; real robots (and the twin's floor with
delays) are late, stop and go at their own speed. Executing a plan step by step on the
clock would let a robot drive into a cell whose planned occupant is still there. The
temporal plan graph (Hönig et al. 2019, "Persistent and robust execution of MAPF schedules
in warehouses") keeps only what makes the plan safe: the order in which robots pass each
cell. Each cell has a queue of visits, its current holder first, then the planned visits
in planned-time order; a robot may start entering a cell only when its visit is at the
front, that is, when every robot planned there before it has left. Timing is free: a
robot that is late only makes those that come after it, cell by cell, wait.

Safety holds for any delays: a cell has one holder at a time (a robot moving holds both
cells until its move is done), so no two robots share a cell or swap. Progress holds if
the staged plan is conflict-free and has no *rotation* (robots that follow each other
round a cycle in the same step, each entering the cell the next one leaves): such a
cycle waits on itself. :func:`break_rotations` removes them from a one-step plan.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

__all__ = ["TemporalPlanGraph", "break_rotations"]


def break_rotations(pos: Sequence[int], nxt: Sequence[int]) -> list[int]:
    """``nxt`` with every robot that would rotate made to wait, and every robot that
    would enter the cell of a robot made to wait, in turn.

    Args:
        pos: each robot's cell now (distinct).
        nxt: each robot's cell one step later (a conflict-free plan: distinct, no swaps).

    Returns:
        A conflict-free plan with no cycle of robots each entering the cell the next
        leaves; robots that follow one another along an open chain keep moving.
    """
    n = len(pos)
    if len(nxt) != n:
        raise ValueError(f"expected {n} next cells, got {len(nxt)}")
    out = list(nxt)
    holder = {c: i for i, c in enumerate(pos)}
    # Robot i follows leader[i]: it enters the cell that robot is leaving.
    leader = [-1] * n
    for i in range(n):
        if out[i] != pos[i]:
            j = holder.get(out[i], -1)
            if j >= 0 and j != i:
                leader[i] = j
    # Each robot follows at most one other, so the "follows" relation is a functional
    # graph; its cycles are the rotations. Mark each walk; a walk that meets itself closed
    # a cycle.
    state = [0] * n  # 0 unseen, 1 on the current walk, 2 done
    stop: list[int] = []
    for s in range(n):
        walk = []
        i = s
        while i >= 0 and state[i] == 0:
            state[i] = 1
            walk.append(i)
            i = leader[i]
        if i >= 0 and state[i] == 1:  # the walk came back to robot i: a cycle from i
            k = walk.index(i)
            stop.extend(walk[k:])
        for w in walk:
            state[w] = 2
    # A stopped robot keeps its cell, so whoever was to enter it stops too, and so on.
    follower = {j: i for i, j in enumerate(leader) if j >= 0}
    while stop:
        i = stop.pop()
        if out[i] == pos[i]:
            continue
        out[i] = pos[i]
        f = follower.get(i)
        if f is not None:
            stop.append(f)
    return out


class TemporalPlanGraph:
    """Releases each robot's planned moves so that robots pass every cell in the order
    the plan gave, whatever their delays.

    Use: :meth:`stage` the plan of every robot that is to move (the cells it is to
    enter, from the cell its move in progress ends in); :meth:`ready` tells whether a
    robot may start its next move; :meth:`start` when it does; :meth:`done` when the
    move is complete (it has left its old cell). Stage again whenever the planner
    replans: the unexecuted part of every plan is replaced.

    Args:
        cells: each robot's cell now (distinct).
    """

    def __init__(self, cells: Sequence[int]) -> None:
        if len(set(cells)) != len(cells):
            raise ValueError("two robots start on the same cell")
        n = len(cells)
        self._at = list(cells)  # the cell each robot last arrived in (it holds it)
        self._to = [-1] * n  # the cell a robot is moving into (-1: not moving)
        self._plan: list[deque[int]] = [deque() for _ in range(n)]  # cells still to enter
        # Per cell: its holder (if any) first, then the robots planned into it, in order.
        self._queue: dict[int, deque[int]] = {c: deque([i]) for i, c in enumerate(cells)}
        self._staged: list[int] = []  # cells that hold planned visits
        self._planned: list[int] = []  # robots with a plan staged

    @property
    def n_robots(self) -> int:
        """Robots in the graph."""
        return len(self._at)

    def committed(self, robot: int) -> int:
        """The cell the robot is in once its move in progress (if any) is done."""
        to = self._to[robot]
        return to if to >= 0 else self._at[robot]

    def moving(self, robot: int) -> bool:
        """Whether the robot has started a move that is not done yet."""
        return self._to[robot] >= 0

    def holds(self, robot: int) -> tuple[int, ...]:
        """The cells the robot occupies now: one, or two while it moves."""
        to = self._to[robot]
        return (self._at[robot],) if to < 0 else (self._at[robot], to)

    def planned(self, robot: int) -> tuple[int, ...]:
        """The cells the robot is still to enter, in order."""
        return tuple(self._plan[robot])

    def stage(self, plans: Mapping[int, Sequence[int]]) -> None:
        """Replace every robot's unexecuted plan.

        Args:
            plans: robot → its cells at planned steps 1, 2, ... after the cell it is
                committed to (:meth:`committed`); repeated cells are waits. A robot not
                in the mapping stays where it is committed. Together the plans must be
                conflict-free and free of rotations (see the module docstring); each
                step is a move to an adjacent cell or a wait (the planner's contract,
                not checked here).
        """
        n = len(self._at)
        queue, at, to = self._queue, self._at, self._to
        # Drop the visits staged before; only holders (at most one, at the front) stay.
        for c in self._staged:
            q = queue.get(c)
            while q and at[q[-1]] != c and to[q[-1]] != c:
                q.pop()
            if q is not None and not q:
                del queue[c]
        for i in self._planned:
            self._plan[i].clear()
        visits: list[tuple[int, int, int]] = []  # (planned step, robot, cell entered)
        for i, plan in plans.items():
            if not 0 <= i < n:
                raise ValueError(f"plan for robot {i}; there are {n} robots")
            cells = self._plan[i]
            cells.clear()
            last = to[i] if to[i] >= 0 else at[i]
            for step, c in enumerate(plan, 1):
                if c != last:
                    cells.append(c)
                    visits.append((step, i, c))
                    last = c
        visits.sort()
        for _, i, c in visits:
            q = queue.get(c)
            if q is None:
                queue[c] = deque((i,))
            else:
                q.append(i)
        self._staged = [c for _, _, c in visits]
        self._planned = [i for i, p in plans.items() if p]

    def ready(self, robot: int) -> int | None:
        """The cell the robot may start moving into now, or ``None``: it is moving, has
        no plan left, or a robot planned into that cell before it has not left yet."""
        if self._to[robot] >= 0 or not self._plan[robot]:
            return None
        c = self._plan[robot][0]
        q = self._queue.get(c)
        return c if q and q[0] == robot else None

    def start(self, robot: int) -> int:
        """The robot starts its next move (it must be :meth:`ready`); returns the cell."""
        c = self.ready(robot)
        if c is None:
            raise ValueError(f"robot {robot} may not start a move now")
        self._plan[robot].popleft()
        self._to[robot] = c
        return c

    def done(self, robot: int) -> int:
        """The robot's move is complete: it has left its old cell, which the next robot
        planned there may now enter. Returns the cell it left."""
        to = self._to[robot]
        if to < 0:
            raise ValueError(f"robot {robot} is not moving")
        old = self._at[robot]
        q = self._queue[old]
        if not q or q[0] != robot:
            raise ValueError(f"robot {robot} does not hold cell {old}")
        q.popleft()
        if not q:
            del self._queue[old]
        self._at[robot] = to
        self._to[robot] = -1
        return old

    def abort(self, robot: int) -> int:
        """The robot's move never happened (it is observed still in its old cell): it
        gives up the cell it was to enter, which the next robot planned there may now
        enter. Returns that cell."""
        to = self._to[robot]
        if to < 0:
            raise ValueError(f"robot {robot} is not moving")
        q = self._queue[to]
        if not q or q[0] != robot:
            raise ValueError(f"robot {robot} does not hold cell {to}")
        q.popleft()
        if not q:
            del self._queue[to]
        self._to[robot] = -1
        return to

    def next_in(self, cell: int) -> int | None:
        """The robot whose turn it is at ``cell`` (its holder, or the next to enter it)."""
        q = self._queue.get(cell)
        return q[0] if q else None

    def clear(self, robot: int) -> None:
        """Drop the robot's unexecuted plan (it stopped); it keeps holding its cells. Its
        later visits stay queued until the next :meth:`stage`, so robots planned after it
        keep waiting for it, as they must."""
        self._plan[robot].clear()
