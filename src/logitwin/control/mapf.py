"""Lifelong multi-agent path finding: one PIBT step for a whole fleet on a 4-connected grid.

PIBT (Okumura et al., 2022) plans one step at a time: agents are visited in priority order;
each takes the free neighbour closest to its goal, and an agent standing in the way inherits
the priority and moves aside first (or the requester tries its next choice). Priorities
rise every step an agent is away from its goal and drop back when it arrives, so every
agent reaches its goal on graphs where every pair of adjacent cells lies on a cycle.

The planner is pure: it sees cell ids, neighbour lists and per-agent distance tables, never
actors or clocks, so the twin's traffic controller and offline benchmarks share it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

__all__ = ["PIBTPlanner"]


class PIBTPlanner:
    """Plans collision-free next cells for a fleet, one step per call.

    Args:
        neighbors: for each cell id, the free 4-connected neighbour cells.
        n_agents: fleet size (fixed for the planner's life).
        rng: source of the initial tie-breaking priorities.
    """

    def __init__(
        self, neighbors: Sequence[Sequence[int]], n_agents: int, rng: np.random.Generator
    ) -> None:
        if n_agents < 0:
            raise ValueError(f"n_agents must be >= 0, got {n_agents}")
        self._nbrs = [list(n) for n in neighbors]
        self.n_agents = n_agents
        self._tie = (rng.random(n_agents) * 0.5).tolist()
        self._prio = list(self._tie)
        self._step = 0
        # Priority inheritance recurses at most once per agent.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n_agents + 1000))

    def step(
        self,
        pos: Sequence[int],
        dists: Sequence[Sequence[int] | None],
        pinned: Sequence[bool] | None = None,
    ) -> list[int]:
        """Return every agent's next cell.

        Args:
            pos: current cell of each agent (all distinct).
            dists: for each agent, its goal's distance table indexed by cell (``None``: no
                goal; the agent stays unless another agent needs its cell).
            pinned: agents that must not move this step (e.g. at a pick station); others
                treat their cells as blocked.

        Returns:
            The next cell of each agent; no two share a cell and no two swap.
        """
        n = self.n_agents
        if len(pos) != n or len(dists) != n:
            raise ValueError(f"expected {n} positions and distance tables, got {len(pos)}")
        self._step += 1
        self._pos = pos
        self._dists = dists
        self._occ_now = occ_now = {c: i for i, c in enumerate(pos)}
        if len(occ_now) != n:
            raise ValueError("two agents share a cell; positions must be distinct")
        self._next = nxt = [-1] * n
        self._occ_next: dict[int, int] = {}
        occ_next = self._occ_next
        if pinned is not None:
            for i in range(n):
                if pinned[i]:
                    nxt[i] = pos[i]
                    occ_next[pos[i]] = i
        prio = self._prio
        movers = []
        for i in range(n):
            d = dists[i]
            if d is None:
                continue
            if d[pos[i]] == 0:
                prio[i] = self._tie[i]
            else:
                prio[i] += 1.0
                movers.append(i)
        movers.sort(key=prio.__getitem__, reverse=True)
        for i in movers:
            if nxt[i] < 0:
                self._pibt(i)
        for i in range(n):
            if nxt[i] < 0:
                nxt[i] = pos[i]
        return nxt

    def _pibt(self, i: int) -> bool:
        cur = self._pos[i]
        nbrs = self._nbrs[cur]
        k0 = (self._step + i) % len(nbrs) if nbrs else 0
        cands = nbrs[k0:] + nbrs[:k0]
        cands.append(cur)
        d = self._dists[i]
        occ_now = self._occ_now
        if d is not None:
            cands.sort(key=d.__getitem__)
        else:  # pushed with no goal of its own: prefer cells nobody stands on
            cands.sort(key=occ_now.__contains__)
        occ_next = self._occ_next
        nxt = self._next
        for c in cands:
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
