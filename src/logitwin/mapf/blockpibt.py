"""One PIBT step for robots larger than a cell: each robot holds a block of cells.

The robots plan on the map of anchors (:meth:`logitwin.mapf.blocks.Blocks.anchors`: cells
where a whole block fits), and two robots conflict when their blocks share a cell. As in
PIBT (:class:`logitwin.control.pibt.PIBT`), robots are visited in priority order and take
their cheapest anchor whose block nobody has taken for the next step; every robot standing
in that block inherits the priority and moves aside first (there may be several). A
robot up the push chain is never pushed (no cycle), and a candidate fails if a pushed
robot has to stay.

Then a check makes the step executable by the block executor
(:class:`logitwin.mapf.rules2026.StagingExecutor`) whatever the delays: a robot that
has to turn to face its anchor stays; a robot whose next block takes cells of one that
stays, stays too; and robots whose moves wait on each other in a cycle (each taking
cells the next gives up in the same step) stay, until none is left. Each moving robot
then waits only on robots that leave its cells in the same step, and those on none in
a cycle: an order in which the step executes exists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from logitwin.mapf.blocks import Blocks
from logitwin.site.grid import Grid

__all__ = ["BlockPIBT"]

_DIR_OF = {(1, 0): 0, (0, 1): 1, (-1, 0): 2, (0, -1): 3}  # (dx, dy) -> E S W N
# Quarter turns from orientation o to face direction d (a half turn is two).
_TURNS = [[(d - o) % 4 if (d - o) % 4 != 3 else 1 for d in range(4)] for o in range(4)]
_STAY_COST = 4.0  # as PIBT's with turns: waiting makes no progress
_MAX_DEPTH = 200  # longest push chain (a bound on the recursion)


class BlockPIBT:
    """Plans one step for a fleet of robots spanning ``blocks.m`` cells each.

    Args:
        anchors: the map of anchors (:meth:`Blocks.anchors`).
        blocks: the robots' blocks.
        n_agents: fleet size.
        rng: tie-breaking priorities.
        state_tables: distance tables are over (cell, orientation) states, else cells.
        move_cost: cost of leaving each cell in each direction, shape ``(size, 4)``
            (cell tables only; traffic rules).
    """

    def __init__(
        self,
        anchors: Grid,
        blocks: Blocks,
        n_agents: int,
        rng: np.random.Generator,
        state_tables: bool = False,
        move_cost: np.ndarray | None = None,
    ) -> None:
        if n_agents < 0:
            raise ValueError(f"n_agents must be >= 0, got {n_agents}")
        self.grid, self.blocks, self.n_agents = anchors, blocks, n_agents
        self.state_tables = state_tables
        self._nbd: list[list[tuple[int, int]]] = [
            [(c, d) for d, c in enumerate(row) if c >= 0] for row in anchors.neighbor_table.tolist()
        ]
        self._extra: list[list[int]] | None = None
        if move_cost is not None:
            if state_tables:
                raise ValueError("move_cost works with cell distance tables, not state_tables")
            self._extra = (np.asarray(move_cost) - 1).tolist()
        self._tie = (rng.random(n_agents) * 0.5).tolist()
        self._prio = list(self._tie)

    def plan_actions(
        self,
        pos: Sequence[int],
        ori: Sequence[int],
        dists: Sequence[Sequence[int] | np.ndarray | None],
        pinned: Sequence[bool] | None = None,
    ) -> list[str]:
        """Each robot's action (``F``, ``R``, ``C`` or ``W``) for this step.

        Args:
            pos: each robot's anchor cell.
            ori: each robot's orientation (0 E, 1 S, 2 W, 3 N).
            dists: distance table to each robot's goal (``None``: no goal).
            pinned: robots that must not move this step (they may turn in place).
        """
        n = self.n_agents
        if len(pos) != n or len(ori) != n or len(dists) != n:
            raise ValueError(f"expected {n} positions, orientations and distance tables")
        block = self.blocks.block
        self._pos, self._ori, self._dists = pos, ori, dists
        self._occ_now: dict[int, int] = {}
        for i in range(n):
            for c in block(pos[i]):
                self._occ_now.setdefault(c, i)
        self._occ_next: dict[int, int] = {}
        self._next = nxt = [-1] * n
        for i in range(n):
            if pinned is not None and pinned[i]:
                self._reserve(i, pos[i])
        scale = 4 if self.state_tables else 1
        prio = self._prio
        movers = []
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
        self._chain: set[int] = set()
        self._turn: dict[int, int] = {}  # robots that stay and turn: the way to face
        for i in movers:
            if nxt[i] < 0:
                self._push(i, 0)
        return self._actions()

    def _reserve(self, i: int, c: int) -> None:
        self._next[i] = c
        for x in self.blocks.block(c):
            self._occ_next[x] = i

    def _candidates(self, i: int) -> list[tuple[float, int, int]]:
        """Robot ``i``'s anchors to try, best first: (cost, turns, anchor)."""
        cur, o = self._pos[i], self._ori[i]
        turns = _TURNS[o]
        d = self._dists[i]
        nbd = self._nbd[cur]
        cands: list[tuple[float, int, int]]
        if d is not None and self.state_tables:
            cands = [(turns[dr] + 1 + d[c * 4 + dr], turns[dr], c) for c, dr in nbd]
            cands.append((d[cur * 4 + o] + _STAY_COST, 0, cur))
        elif d is not None and self._extra is not None:
            extra = self._extra[cur]
            cands = [(turns[dr] + extra[dr] + d[c], turns[dr], c) for c, dr in nbd]
            cands.append((d[cur] + _STAY_COST, 0, cur))
        elif d is not None:
            cands = [(turns[dr] + d[c], turns[dr], c) for c, dr in nbd]
            cands.append((d[cur] + _STAY_COST, 0, cur))
        else:  # pushed with no goal: prefer free anchors it already faces
            occ, block = self._occ_now, self.blocks.block
            cands = []
            for c, dr in nbd:
                taken = any(occ.get(x, i) != i for x in block(c))
                cands.append((taken * 4 + turns[dr], turns[dr], c))
            cands.append((3.5, 0, cur))
        cands.sort()
        return cands

    def _push(self, i: int, depth: int) -> bool:
        """Find robot ``i`` its best anchor, pushing the robots standing in its block;
        ``False`` if it has to stay where it is."""
        occ_now, occ_next, nxt, block = self._occ_now, self._occ_next, self._next, self.blocks.block
        chain = self._chain
        chain.add(i)
        mine = set(block(self._pos[i]))
        for _, _, c in self._candidates(i):
            cells = block(c)
            if any(occ_next.get(x, i) != i for x in cells):
                continue  # taken for the next step
            blockers = {occ_now[x] for x in cells if x in occ_now} - {i}
            if blockers & chain:
                continue  # would close a cycle up the push chain
            if any(nxt[k] >= 0 and not mine.isdisjoint(block(nxt[k])) for k in blockers):
                continue  # k moves into i's cells: the two would wait on each other
            self._reserve(i, c)
            ok = True
            for k in sorted(blockers):
                if nxt[k] < 0 and (depth >= _MAX_DEPTH or not self._push(k, depth + 1)):
                    ok = False
                    break
            # A pushed robot that has to stay takes its cells back from i's reservation.
            if ok and all(occ_next.get(x) == i for x in cells):
                chain.discard(i)
                return c != self._pos[i]
            for x in cells:
                if occ_next.get(x) == i:
                    del occ_next[x]
            nxt[i] = -1
        self._reserve(i, self._pos[i])  # stay; a pusher up the chain sees its cells taken
        chain.discard(i)
        return False

    def _way(self, a: int, b: int) -> int:
        """The direction from anchor ``a`` to its neighbour ``b``."""
        (r0, c0), (r1, c1) = divmod(a, self.grid.width), divmod(b, self.grid.width)
        return _DIR_OF[(c1 - c0, r1 - r0)]

    def _best_way(self, i: int) -> int | None:
        """The direction of robot ``i``'s cheapest neighbour anchor (``None``: at its
        goal, or boxed in)."""
        a, o, d = self._pos[i], self._ori[i], self._dists[i]
        nbd = self._nbd[a]
        if d is None or not nbd:
            return None
        t = _TURNS[o]
        if self.state_tables:
            if d[a * 4 + o] == 0:
                return None
            return min(nbd, key=lambda cd: (t[cd[1]] + d[cd[0] * 4 + cd[1]], cd[1]))[1]
        if d[a] == 0:
            return None
        ex = self._extra[a] if self._extra is not None else (0, 0, 0, 0)
        return min(nbd, key=lambda cd: (d[cd[0]] + ex[cd[1]], t[cd[1]]))[1]

    def _actions(self) -> list[str]:
        """The step's actions, with the check of the module docstring."""
        n, pos, ori = self.n_agents, self._pos, self._ori
        block = self.blocks.block
        want = [c if c >= 0 else p for c, p in zip(self._next, pos, strict=True)]
        actions = ["W"] * n
        moving = [False] * n
        for i in range(n):
            if want[i] == pos[i]:
                best = self._turn.get(i)
                if best is None:
                    best = self._best_way(i)
                if best is not None and best != ori[i]:
                    # Turn toward the best way on while waiting: free progress.
                    actions[i] = "C" if (best - ori[i]) % 4 == 3 else "R"
                continue
            way = self._way(pos[i], want[i])
            if way == ori[i]:
                moving[i] = True
                actions[i] = "F"
            else:  # turn toward it and stay
                actions[i] = "C" if (way - ori[i]) % 4 == 3 else "R"
        while True:
            # Cells each robot holds now, and each mover's next block.
            now: dict[int, int] = {}
            for i in range(n):
                for x in block(pos[i]):
                    now.setdefault(x, i)
            nxt: dict[int, int] = {}
            stay = set()
            for i in range(n):
                if not moving[i]:
                    continue
                for x in block(want[i]):
                    j = nxt.setdefault(x, i)
                    if j != i:  # two movers take one cell: neither goes
                        stay |= {i, j}
            waits: list[list[int]] = [[] for _ in range(n)]  # i waits for j to leave
            for i in range(n):
                if not moving[i]:
                    continue
                for x in block(want[i]):
                    j = now.get(x, i)
                    if j == i:
                        continue
                    if moving[j]:
                        waits[i].append(j)
                    else:
                        stay.add(i)
            stay |= _on_cycles(waits, moving)
            if not stay:
                return actions
            for i in stay:
                moving[i] = False
                actions[i] = "W"


def _on_cycles(waits: list[list[int]], moving: list[bool]) -> set[int]:
    """Robots on a cycle of the wait-for graph among movers (iterative DFS)."""
    n = len(waits)
    colour = [0] * n  # 0 new, 1 on the stack, 2 done
    out: set[int] = set()
    for root in range(n):
        if not moving[root] or colour[root]:
            continue
        stack = [(root, 0)]
        colour[root] = 1
        path = [root]
        while stack:
            i, q = stack[-1]
            if q < len(waits[i]):
                stack[-1] = (i, q + 1)
                j = waits[i][q]
                if not moving[j]:
                    continue
                if colour[j] == 1:
                    out.update(path[path.index(j) :])
                elif colour[j] == 0:
                    colour[j] = 1
                    stack.append((j, 0))
                    path.append(j)
            else:
                colour[i] = 2
                stack.pop()
                path.pop()
    return out
