"""Lifelong multi-agent path finding: one PIBT step for a whole fleet, with or without turns.

PIBT (Okumura et al., 2022) plans one step at a time: robots are visited in priority order;
each takes the free neighbour cheapest toward its goal, and a robot standing in the way
inherits the priority and moves aside first (or the requester tries its next choice).
Priorities rise every step a robot is away from its goal and drop back when it arrives.

With ``rotation`` (the LoRR action model: forward, turn, wait) a neighbour also costs the
turns needed to face it, and chosen cells become actions: a robot facing its chosen cell
moves forward; one that is not turns toward it and stays. A robot that stays keeps its
cell, so whoever planned to enter that cell waits too (and so on down the chain). Either
way plans are free of vertex and edge conflicts by construction.

The planner is pure: cell ids, distance tables and numbers in, moves out. The twin's
traffic controller (without turns) and the LoRR runner (with) share it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from numba import njit

from logitwin.control.planner import FleetView
from logitwin.site.distance import UNREACHABLE
from logitwin.site.grid import Grid

__all__ = ["PIBT", "RotationDistances", "forward_predecessors", "state_distances"]

# Quarter turns needed to go from orientation o to direction d.
_TURNS = [[(d - o) % 4 if (d - o) % 4 != 3 else 1 for d in range(4)] for o in range(4)]
# The turn action that brings orientation o closer to direction d.
_TURN_ACTION = [
    ["W" if d == o else ("C" if (d - o) % 4 == 3 else "R") for d in range(4)] for o in range(4)
]
_STAY_COST = 4.0  # with turns: waiting makes no progress; tuned on RANDOM-01/02 (1.0-8.0)
_STAY_COST_NO_TURNS = 0.5  # without turns a neighbour is never as close as the cell itself
# Without rotation there are no turns to count; the slot then breaks ties between equally
# good neighbours in an order that rotates with the step and the robot (no bias that could
# lock two robots into the same dance).
_NO_TURNS = [[((d - k) & 3) * 0.001 for d in range(4)] for k in range(4)]


def forward_predecessors(grid: Grid) -> np.ndarray:
    """``pred[c * 4 + o]``: the cell from which a forward move facing ``o`` lands on ``c``,
    i.e. ``c``'s neighbour in the opposite direction (-1: none)."""
    table = grid.neighbor_table
    return np.ascontiguousarray(table[:, [2, 3, 0, 1]].reshape(-1), dtype=np.int64)


@njit(cache=True)
def state_distances(goal, pred_f, enter, out):  # type: ignore[no-untyped-def]
    """Backward Dijkstra over (cell, orientation) states from ``goal``: ``out[s]`` (int32,
    ``4 x cells``) is the cheapest way from state ``s`` to stand on the goal facing any
    way. A quarter turn costs 1, a forward move 1 plus ``enter[s]`` of the state ``s`` it
    ends in (the cell entered and the way it faces); ``pred_f`` is
    :func:`forward_predecessors`."""
    out[:] = UNREACHABLE
    heap = [(0, goal * 4)]
    for o in range(4):
        out[goal * 4 + o] = 0
        if o:
            heapq.heappush(heap, (0, goal * 4 + o))
    while heap:
        d, s = heapq.heappop(heap)
        if d > out[s]:
            continue
        c4, o = s - (s & 3), s & 3
        # Turning into o: from o - 1 (clockwise) or o + 1 (counter-clockwise).
        for p in (c4 + ((o + 3) & 3), c4 + ((o + 1) & 3)):
            if d + 1 < out[p]:
                out[p] = d + 1
                heapq.heappush(heap, (d + 1, p))
        # Stepping forward into this cell while facing o.
        pc = pred_f[s]
        if pc >= 0:
            p = pc * 4 + o
            nd = d + 1 + enter[s]
            if nd < out[p]:
                out[p] = nd
                heapq.heappush(heap, (nd, p))


def extra_entry_costs(grid: Grid, move_cost: np.ndarray | None) -> np.ndarray:
    """``move_cost`` (``(size, 4)``, leaving a cell in direction E, S, W, N) less 1, as
    :func:`state_distances` reads it: per state entered (zeros without move costs)."""
    enter = np.zeros(4 * grid.size, dtype=np.int64)
    if move_cost is None:
        return enter
    if move_cost.shape != (grid.size, 4):
        raise ValueError(f"move_cost must have shape ({grid.size}, 4), got {move_cost.shape}")
    pred = forward_predecessors(grid)
    has = pred >= 0
    o = np.arange(4 * grid.size) % 4
    enter[has] = move_cost[pred[has], o[has]].astype(np.int64) - 1
    return enter


def _warm_up() -> None:
    """Compile :func:`state_distances` (or load it from numba's cache) before a planning
    step needs it."""
    state_distances(
        0, np.full(4, -1, dtype=np.int64), np.zeros(4, dtype=np.int64), np.empty(4, np.int32)
    )


class RotationDistances:
    """Exact distances over (cell, orientation) states, counting turns, to a goal cell.

    ``table(goal)[cell * 4 + o]`` is the fewest actions (forward moves and quarter turns)
    from ``cell`` facing ``o`` to stand on ``goal`` in any orientation; with ``move_cost``
    (``(size, 4)``, leaving a cell E, S, W, N; traffic rules) a forward move costs that
    instead of 1. A backward search over ``4 x cells`` states (:func:`state_distances`),
    cached per goal (LRU when ``max_cached`` is set).
    """

    def __init__(
        self, grid: Grid, max_cached: int | None = None, move_cost: np.ndarray | None = None
    ) -> None:
        self.grid = grid
        self.max_cached = max_cached
        self._pred_f = forward_predecessors(grid)
        self._enter = extra_entry_costs(grid, move_cost)
        self._cache: dict[int, list[int]] = {}
        _warm_up()

    def __contains__(self, goal: object) -> bool:
        """Whether the table to ``goal`` is cached."""
        return goal in self._cache

    def table(self, goal: int) -> list[int]:
        """The state distance table to ``goal`` (``UNREACHABLE`` where there is no path)."""
        cached = self._cache.pop(goal, None)
        if cached is None:
            cached = self._bfs(goal)
            if self.max_cached is not None and len(self._cache) >= self.max_cached:
                self._cache.pop(next(iter(self._cache)))
        self._cache[goal] = cached  # most recently used last
        return cached

    def _bfs(self, goal: int) -> list[int]:
        if not self.grid.is_free(goal):
            raise ValueError(f"goal {self.grid.describe(goal)} is blocked")
        out = np.empty(4 * self.grid.size, dtype=np.int32)
        state_distances(goal, self._pred_f, self._enter, out)
        return out.tolist()


class PIBT:
    """Plans one collision-free step for every robot of a fleet.

    Args:
        grid: the map.
        n_agents: fleet size (fixed for the planner's life).
        rng: source of tie-breaking priorities.
        rotation: robots have an orientation and must turn to face a cell before moving
            into it (use :meth:`plan_actions`); without, use :meth:`plan_cells`.
        state_tables: with rotation, distance tables are over (cell, orientation) states
            (:class:`RotationDistances`, exact turn costs) instead of cells (BFS; turns
            counted for the next step only).
        move_cost: cost of leaving each cell in each direction, shape ``(size, 4)``
            (traffic rules, :func:`logitwin.site.guidance.lane_costs`); the distance
            tables must then be the matching weighted ones.
        cycles: robots may follow each other round a cycle in one step, each entering
            the cell the next leaves. Robots on a synchronous clock can; robots that are
            late at random cannot (the cycle waits on itself under a plan-order
            executor), so a twin with an executor plans without: a pushed robot never
            takes the cell of a robot up its own push chain.
        straight: a robot may enter a cell another leaves in the same step only if both
            go the same way (rotation only). Robots whose moves take several ticks cannot
            turn a corner behind one another: the one behind must wait until the other
            has left, and a plan that says so is the plan the executor will run.
    """

    def __init__(
        self,
        grid: Grid,
        n_agents: int,
        rng: np.random.Generator,
        rotation: bool = True,
        state_tables: bool = False,
        move_cost: np.ndarray | None = None,
        cycles: bool = True,
        straight: bool = False,
    ) -> None:
        if n_agents < 0:
            raise ValueError(f"n_agents must be >= 0, got {n_agents}")
        if state_tables and not rotation:
            raise ValueError("state_tables needs rotation=True")
        self.grid = grid
        self.n_agents = n_agents
        self.rotation = rotation
        self.state_tables = state_tables
        self.cycles = cycles
        self.straight = straight
        self._stay = _STAY_COST if rotation else _STAY_COST_NO_TURNS
        # Per cell: (neighbour, direction) pairs in E, S, W, N order.
        self._nbd: list[list[tuple[int, int]]] = [
            [(c, d) for d, c in enumerate(row) if c >= 0] for row in grid.neighbor_table.tolist()
        ]
        # Extra cost of leaving a cell in each direction (traffic rules; cell tables only).
        self._extra: list[list[int]] | None = None
        if move_cost is not None:
            if state_tables:
                raise ValueError("move_cost works with cell distance tables, not state_tables")
            if move_cost.shape != (grid.size, 4):
                raise ValueError(f"move_cost must have shape ({grid.size}, 4)")
            self._extra = (np.asarray(move_cost) - 1).tolist()
        self._steps = 0
        self._tie = (rng.random(n_agents) * 0.5).tolist()
        self._prio = list(self._tie)

    def save(self) -> tuple[list[float], int]:
        """The priorities and step count: a look-ahead restores them when it is done."""
        return list(self._prio), self._steps

    def restore(self, saved: tuple[list[float], int]) -> None:
        """Go back to what :meth:`save` returned."""
        self._prio, self._steps = list(saved[0]), saved[1]

    def plan_actions(
        self,
        pos: Sequence[int],
        ori: Sequence[int],
        dists: Sequence[Sequence[int] | np.ndarray | None],
        pinned: Sequence[bool] | None = None,
    ) -> list[str]:
        """Each robot's action (``F``, ``R``, ``C`` or ``W``) for this step (rotation).

        Args:
            pos: cell of each robot (distinct).
            ori: orientation of each robot (0 E, 1 S, 2 W, 3 N).
            dists: distance table to each robot's goal (``None``: no goal); state tables
                when the planner was made with ``state_tables``.
            pinned: robots that must not move this step (they may turn in place);
                others avoid their cells.
        """
        if not self.rotation:
            raise ValueError("plan_actions needs a planner made with rotation=True")
        self._plan(pos, ori, dists, pinned)
        return self._actions()

    def plan(self, view: FleetView, deadline: float) -> list[str]:
        """:class:`~logitwin.control.planner.FleetPlanner`: :meth:`plan_actions` on the
        view's cells, orientations, tables and pinned robots. One pass that does not stop
        at ``deadline``; ``goals`` and ``urgency`` are not read (the tables say where each
        robot goes, and PIBT keeps its own priorities)."""
        return self.plan_actions(view.cells, view.orients, view.tables, view.pinned)

    def plan_cells(
        self,
        pos: Sequence[int],
        dists: Sequence[Sequence[int] | np.ndarray | None],
        pinned: Sequence[bool] | None = None,
    ) -> list[int]:
        """Each robot's next cell (no rotation): no two share a cell, none swap.

        Args:
            pos: cell of each robot (distinct).
            dists: distance table (by cell) to each robot's goal (``None``: no goal; the
                robot stays unless another needs its cell).
            pinned: robots that must not move this step; others avoid their cells.
        """
        if self.rotation:
            raise ValueError("plan_cells needs a planner made with rotation=False")
        self._plan(pos, [0] * len(pos), dists, pinned)
        return [c if c >= 0 else p for c, p in zip(self._next, pos, strict=True)]

    def _plan(
        self,
        pos: Sequence[int],
        ori: Sequence[int],
        dists: Sequence[Sequence[int] | np.ndarray | None],
        pinned: Sequence[bool] | None,
    ) -> None:
        n = self.n_agents
        if len(pos) != n or len(dists) != n or len(ori) != n:
            raise ValueError(f"expected {n} positions, orientations and distance tables")
        self._steps += 1
        self._pos, self._ori, self._dists = pos, ori, dists
        self._occ_now = occ_now = {c: i for i, c in enumerate(pos)}
        if len(occ_now) != n:
            raise ValueError("two robots share a cell; positions must be distinct")
        self._next = nxt = [-1] * n
        self._occ_next: dict[int, int] = {}
        if pinned is not None:
            for i in range(n):
                if pinned[i]:
                    nxt[i] = pos[i]
                    self._occ_next[pos[i]] = i
        prio = self._prio
        movers = []
        scale = 4 if self.state_tables else 1
        for i in range(n):
            d = dists[i]
            if d is None:
                continue
            if d[pos[i] * scale] == 0:
                prio[i] = self._tie[i]
            else:
                prio[i] += 1.0
                movers.append(i)
        movers.sort(key=prio.__getitem__, reverse=True)
        for i in movers:
            if nxt[i] < 0:
                self._pibt(i)

    def _candidates(self, i: int) -> list[tuple[float, float, int]]:
        """Robot ``i``'s cells to try, best first: (cost, turns, cell), ties to fewer turns
        (then the lower cell id)."""
        cur = self._pos[i]
        turns = _TURNS[self._ori[i]] if self.rotation else _NO_TURNS[(self._steps + i) & 3]
        d = self._dists[i]
        nbd = self._nbd[cur]
        cands: list[tuple[float, float, int]]
        if d is not None and self.state_tables:
            o = self._ori[i]
            cands = [(turns[dr] + 1 + d[c * 4 + dr], turns[dr], c) for c, dr in nbd]
            cands.append((d[cur * 4 + o] + self._stay, 0, cur))
        elif d is not None and self._extra is not None:
            extra = self._extra[cur]
            cands = [(turns[dr] + extra[dr] + d[c], turns[dr], c) for c, dr in nbd]
            cands.append((d[cur] + self._stay, 0, cur))
        elif d is not None:
            cands = [(turns[dr] + d[c], turns[dr], c) for c, dr in nbd]
            cands.append((d[cur] + self._stay, 0, cur))
        else:  # pushed with no goal: prefer free cells it already faces
            occ_now = self._occ_now
            cands = [((c in occ_now) * 4 + turns[dr], turns[dr], c) for c, dr in nbd]
            cands.append((3.5, 0, cur))
        cands.sort()
        return cands

    def _pibt(self, root: int) -> bool:
        """Priority inheritance from ``root``: each robot takes its best cell that nobody
        has taken; a robot standing there without a plan inherits the priority and
        searches first, and if it cannot move away the requester tries its next cell.
        ``False`` if ``root`` had to stay.

        The push chain is an explicit stack (one frame per robot being pushed: robot,
        cell, candidates, next candidate), so a chain through thousands of robots needs
        no deep Python recursion. A success anywhere ends the whole chain (every robot
        on the stack keeps the cell it asked for); a failure pops the frame and its
        pusher tries its next candidate.
        """
        occ_now, occ_next, nxt, pos = self._occ_now, self._occ_next, self._next, self._pos
        stack: list[tuple[int, int, list[tuple[float, float, int]]]] = [
            (root, pos[root], self._candidates(root))
        ]
        tried = [0]  # per frame: candidates tried so far
        chain = None if self.cycles else {root}  # robots on the stack
        while True:
            i, cur, cands = stack[-1]
            q = tried[-1]
            pushed = False
            while q < len(cands):
                c = cands[q][2]
                q += 1
                if c in occ_next:
                    continue
                k = occ_now.get(c)
                if k is not None and nxt[k] == cur:
                    continue  # would swap with k
                if chain is not None and k is not None and k != i and k in chain:
                    continue  # would close a cycle up the push chain
                occ_next[c] = i
                nxt[i] = c
                if k is None or k == i or nxt[k] >= 0:
                    return True
                tried[-1] = q
                stack.append((k, pos[k], self._candidates(k)))
                tried.append(0)
                if chain is not None:
                    chain.add(k)
                pushed = True
                break
            if pushed:
                continue
            # Nowhere to go: stay, and the pusher (if any) tries its next candidate.
            occ_next[cur] = i
            nxt[i] = cur
            stack.pop()
            tried.pop()
            if chain is not None:
                chain.discard(i)
            if not stack:
                return False

    def _actions(self) -> list[str]:
        pos, ori, nxt, dists = self._pos, self._ori, self._next, self._dists
        n = self.n_agents
        width = self.grid.width
        actions = ["W"] * n
        enter: dict[int, int] = {}
        still: list[int] = []
        state = self.state_tables
        for i in range(n):
            a, b = pos[i], nxt[i]
            if b < 0 or b == a:
                still.append(i)
                d = dists[i]
                if d is not None and d[a * 4 if state else a] > 0:
                    # Turn toward the best way on while waiting: free progress.
                    t = _TURNS[ori[i]]
                    if state:
                        best = min(self._nbd[a], key=lambda cd: t[cd[1]] + d[cd[0] * 4 + cd[1]])
                    else:
                        ex = self._extra[a] if self._extra is not None else (0, 0, 0, 0)
                        best = min(self._nbd[a], key=lambda cd: (d[cd[0]] + ex[cd[1]], t[cd[1]]))
                    actions[i] = _TURN_ACTION[ori[i]][best[1]]
                continue
            diff = b - a
            dr = 0 if diff == 1 else 1 if diff == width else 2 if diff == -1 else 3
            if dr == ori[i]:
                actions[i] = "F"
                enter[b] = i
            else:
                actions[i] = _TURN_ACTION[ori[i]][dr]
                still.append(i)
        if self.straight:
            # A robot may follow one out of a cell only straight behind it.
            occ_now = self._occ_now
            for b, behind in list(enter.items()):
                ahead = occ_now.get(b)
                if ahead is not None and actions[ahead] == "F" and ori[ahead] != ori[behind]:
                    del enter[b]
                    actions[behind] = "W"
                    still.append(behind)
        # A robot that stays keeps its cell: whoever planned to enter it waits too.
        while still:
            k = still.pop()
            j = enter.pop(pos[k], None)
            if j is not None:
                actions[j] = "W"
                still.append(j)
        return actions
