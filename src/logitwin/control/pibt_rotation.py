"""Rotation-aware lifelong PIBT for the LoRR action model (forward, turn, wait).

Each step runs PIBT over cells (see :mod:`logitwin.control.mapf`) with a cost that counts
the turns needed to face a neighbour, then turns the chosen cells into actions: a robot
facing its chosen cell moves forward; one that is not turns toward it and stays. A robot
that stays pins its cell, so whoever planned to enter that cell waits too (and so on down
the chain). Plans are therefore free of vertex and edge conflicts by construction.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from logitwin.site.grid import Grid

__all__ = ["RotationDistances", "RotationPIBT"]

# Quarter turns needed to go from orientation o to direction d.
_TURNS = [[(d - o) % 4 if (d - o) % 4 != 3 else 1 for d in range(4)] for o in range(4)]
# The turn action that brings orientation o closer to direction d.
_TURN_ACTION = [
    ["W" if d == o else ("C" if (d - o) % 4 == 3 else "R") for d in range(4)] for o in range(4)
]
_STAY_COST = 4.0  # waiting makes no progress; tuned on RANDOM-01/02 (1.0-8.0 tried)
_UNREACHABLE = 1 << 30
_OCCUPIED = 0.0  # extra cost of an occupied neighbour (0.5 tried: no better)


class RotationDistances:
    """Exact distances over (cell, orientation) states, counting turns, to a goal cell.

    ``table(goal)[cell * 4 + o]`` is the fewest actions (forward moves and quarter turns)
    from ``cell`` facing ``o`` to stand on ``goal`` in any orientation. A backward BFS over
    ``4 x cells`` states, cached per goal (LRU when ``max_cached`` is set).
    """

    def __init__(self, grid: Grid, max_cached: int | None = None) -> None:
        self.grid = grid
        self.max_cached = max_cached
        w = grid.width
        # pred_f[c * 4 + o]: the cell from which a forward move facing o lands on c.
        self._pred_f = [-1] * (grid.size * 4)
        for c in range(grid.size):
            if not grid.is_free(c):
                continue
            r, col = divmod(c, w)
            for o, (dr, dc) in enumerate(((0, 1), (1, 0), (0, -1), (-1, 0))):
                rr, cc = r - dr, col - dc
                if 0 <= rr < grid.height and 0 <= cc < w and grid.free[rr, cc]:
                    self._pred_f[c * 4 + o] = rr * w + cc
        self._cache: dict[int, list[int]] = {}

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
        dist = [_UNREACHABLE] * (self.grid.size * 4)
        pred_f = self._pred_f
        frontier = [goal * 4 + o for o in range(4)]
        for s in frontier:
            dist[s] = 0
        k = 0
        while frontier:
            k += 1
            nxt = []
            for s in frontier:
                c4 = s - (s & 3)
                o = s & 3
                # Predecessors: turning into o (from o-1 via R, from o+1 via C) ...
                for p in (c4 + ((o + 3) & 3), c4 + ((o + 1) & 3)):
                    if dist[p] == _UNREACHABLE:
                        dist[p] = k
                        nxt.append(p)
                # ... or stepping forward into this cell while facing o.
                pc = pred_f[s]
                if pc >= 0:
                    p = pc * 4 + o
                    if dist[p] == _UNREACHABLE:
                        dist[p] = k
                        nxt.append(p)
            frontier = nxt
        return dist


class RotationPIBT:
    """Plans one step of LoRR actions for every robot.

    Args:
        grid: the map.
        n_agents: fleet size.
        rng: source of tie-breaking priorities.
        state_tables: distance tables are over (cell, orientation) states
            (:class:`RotationDistances`, exact turn costs) instead of cells (BFS; turns
            counted for the next step only).
    """

    def __init__(
        self, grid: Grid, n_agents: int, rng: np.random.Generator, state_tables: bool = False
    ) -> None:
        self.grid = grid
        self.n_agents = n_agents
        self.state_tables = state_tables
        w = grid.width
        # Per cell: (neighbour, direction) pairs in E, S, W, N order.
        self._nbd: list[list[tuple[int, int]]] = []
        for c in range(grid.size):
            out = []
            if grid.is_free(c):
                r, col = divmod(c, w)
                for d, (dr, dc) in enumerate(((0, 1), (1, 0), (0, -1), (-1, 0))):
                    rr, cc = r + dr, col + dc
                    if 0 <= rr < grid.height and 0 <= cc < w and grid.free[rr, cc]:
                        out.append((rr * w + cc, d))
            self._nbd.append(out)
        self._tie = (rng.random(n_agents) * 0.5).tolist()
        self._prio = list(self._tie)
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n_agents + 1000))

    def step(
        self,
        pos: Sequence[int],
        ori: Sequence[int],
        dists: Sequence[Sequence[int] | np.ndarray | None],
    ) -> list[str]:
        """Return each robot's action for this step.

        Args:
            pos: cell of each robot (distinct).
            ori: orientation of each robot (0 E, 1 S, 2 W, 3 N).
            dists: distance table to each robot's goal (``None``: no goal).
        """
        n = self.n_agents
        self._pos, self._ori, self._dists = pos, ori, dists
        self._occ_now = occ_now = {c: i for i, c in enumerate(pos)}
        if len(occ_now) != n:
            raise ValueError("two robots share a cell; positions must be distinct")
        self._next = nxt = [-1] * n
        self._occ_next: dict[int, int] = {}
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
        return self._actions()

    def _pibt(self, i: int) -> bool:
        cur = self._pos[i]
        turns = _TURNS[self._ori[i]]
        d = self._dists[i]
        occ_now = self._occ_now
        nbd = self._nbd[cur]
        # A cell someone stands on costs a little extra: they may not get out of the way.
        if d is not None and self.state_tables:
            o = self._ori[i]
            cands = [
                (turns[dr] + 1 + d[c * 4 + dr] + _OCCUPIED * (c in occ_now), turns[dr], c)
                for c, dr in nbd
            ]
            cands.append((d[cur * 4 + o] + _STAY_COST, 0, cur))
        elif d is not None:
            cands = [(turns[dr] + d[c] + _OCCUPIED * (c in occ_now), turns[dr], c) for c, dr in nbd]
            cands.append((d[cur] + _STAY_COST, 0, cur))
        else:  # pushed with no goal: prefer free cells it already faces
            cands = [((c in occ_now) * 4 + turns[dr], turns[dr], c) for c, dr in nbd]
            cands.append((3.5, 0, cur))
        cands.sort()  # ties: fewer turns first
        occ_next = self._occ_next
        nxt = self._next
        for _, _, c in cands:
            if c in occ_next:
                continue
            k = occ_now.get(c)
            if k is not None and nxt[k] == cur:
                continue  # would swap with k
            occ_next[c] = i
            nxt[i] = c
            if k is None or k == i:
                return True
            if nxt[k] < 0 and not self._pibt(k):
                continue
            return True
        occ_next[cur] = i
        nxt[i] = cur
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
                        best = min(self._nbd[a], key=lambda cd: (d[cd[0]], t[cd[1]]))
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
        # A robot that stays keeps its cell: whoever planned to enter it waits too.
        while still:
            k = still.pop()
            j = enter.pop(pos[k], None)
            if j is not None:
                actions[j] = "W"
                still.append(j)
        return actions
