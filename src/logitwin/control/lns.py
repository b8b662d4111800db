"""Anytime refinement of a fleet's next steps: windowed large neighbourhood search (LNS).

PIBT decides one step at a time and never looks back; in the rotation model that wastes
steps on turns and on chains that stall behind a turning robot. Whatever the step budget
leaves after PIBT goes here (WPPL, Jiang et al. 2024): the fleet's plans for the next
``window`` steps, over (cell, orientation) states, are improved by repeatedly taking a
few robots out, re-planning them one by one with space-time A* around everyone else's
plans, and keeping the result when the total cost does not rise. Only the first step is
executed, and the next step starts again from a fresh PIBT rollout: carrying the refined
plan over (shifted by a step) let the window's myopia settle into plans where robots
facing each other both wait, and RANDOM-03 then gridlocked.

A robot's cost over the window is the step at which it first stands on its goal, or
``window + H(last state)`` if it does not get there (``H``: its exact turn-aware distance
table), plus one per move or turn after arriving. Robots without a goal pay only for
moving, so they take part but move only to make way. Neighbourhoods: a robot whose cost
exceeds its distance, with the robots holding cells on its unobstructed path.

Plans are conflict-free by construction (vertex and swap conflicts are reserved; a robot
may follow another into the cell it leaves, as the LoRR rules allow) and every change is
checked against the reservations of all other robots.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Sequence

import numpy as np

from logitwin.control.pibt import PIBT
from logitwin.control.planner import DistanceTable, FleetView
from logitwin.site.grid import Grid

__all__ = ["RefinedPIBT", "WindowedLNS", "plan_actions_of", "plan_cost"]


def plan_cost(path: Sequence[int], goal: int, table: DistanceTable | None) -> int:
    """A robot's cost over the window: the step it first stands on its goal (or window +
    its remaining distance if it does not), plus one per move or turn after that (a
    robot without a goal pays only for moving, so it moves only to make way)."""
    arrived = -1
    if goal < 0 or table is None:
        arrived = 0
    else:
        for t, s in enumerate(path):
            if s >> 2 == goal:
                arrived = t
                break
    if arrived < 0:
        return len(path) - 1 + int(table[path[-1]])  # type: ignore[index]
    return arrived + sum(1 for a, b in itertools.pairwise(path[arrived:]) if a != b)


def plan_actions_of(paths: Sequence[Sequence[int]]) -> list[str]:
    """The first step of each state plan as a LoRR action (``F``, ``R``, ``C``, ``W``)."""
    out = []
    for p in paths:
        a, b = p[0], p[1]
        if a >> 2 != b >> 2:
            out.append("F")
        elif a == b:
            out.append("W")
        else:
            out.append("R" if (b & 3) == ((a + 1) & 3) else "C")
    return out


class WindowedLNS:
    """Improves windowed state plans of a whole fleet within a deadline.

    Args:
        grid: the map.
        window: steps planned ahead (plans hold ``window + 1`` states, the first the
            current one).
        rng: picks neighbourhoods and re-planning orders.
        neighbourhood: robots re-planned together.
    """

    def __init__(
        self, grid: Grid, window: int, rng: np.random.Generator, neighbourhood: int = 6
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        if neighbourhood < 1:
            raise ValueError(f"neighbourhood must be >= 1, got {neighbourhood}")
        self.grid = grid
        self.window = window
        self.rng = rng
        self.neighbourhood = neighbourhood
        # fwd[s]: state after a forward move from state s = cell * 4 + o (-1: blocked).
        table = grid.neighbor_table.tolist()
        self._fwd = [
            (-1 if table[s >> 2][s & 3] < 0 else table[s >> 2][s & 3] * 4 + (s & 3))
            for s in range(grid.size * 4)
        ]
        self.stats = {"calls": 0, "tries": 0, "improved": 0, "gain": 0}

    def rollout(
        self,
        planner: PIBT,
        cells: Sequence[int],
        orients: Sequence[int],
        actions: Sequence[str],
        tables: Sequence[DistanceTable | None],
        deadline: float,
    ) -> list[list[int]] | None:
        """The fleet's state plans for the window: ``actions`` (PIBT's step from
        ``cells``/``orients``), then PIBT again from each state reached. ``planner``'s
        priorities are left as they were; ``None`` if the deadline passes first."""
        fwd = self._fwd
        saved = planner.save()
        paths = [[c * 4 + o] for c, o in zip(cells, orients, strict=True)]
        step = list(actions)
        for k in range(self.window):
            nxt = []
            for p, a in zip(paths, step, strict=True):
                s = p[-1]
                if a == "F":
                    s = fwd[s]
                elif a == "R":
                    s = s - (s & 3) + ((s + 1) & 3)
                elif a == "C":
                    s = s - (s & 3) + ((s + 3) & 3)
                p.append(s)
                nxt.append(s)
            if k == self.window - 1:
                break
            if time.perf_counter() > deadline:
                planner.restore(saved)
                return None
            step = planner.plan_actions([s >> 2 for s in nxt], [s & 3 for s in nxt], tables)
        planner.restore(saved)
        return paths

    # --- the search ----------------------------------------------------------------------
    def refine(
        self,
        paths: list[list[int]],
        goals: Sequence[int],
        tables: Sequence[DistanceTable | None],
        deadline: float,
        max_tries: int | None = None,
    ) -> list[list[int]]:
        """Improve ``paths`` (one list of ``window + 1`` states per robot, conflict-free)
        until ``deadline`` (a ``time.perf_counter()`` value) or after ``max_tries``
        neighbourhoods (``None``: the clock alone); returns the improved plans."""
        n = len(paths)
        h = self.window
        size = self.grid.size
        self.stats["calls"] += 1
        vres: dict[int, int] = {}
        eres: dict[int, int] = {}
        for i, p in enumerate(paths):
            self._reserve(i, p, vres, eres, size)
        costs = [plan_cost(paths[i], goals[i], tables[i]) for i in range(n)]
        ideal = [0] * n
        for i, d in enumerate(tables):
            if goals[i] >= 0 and d is not None:
                ideal[i] = min(h, int(d[paths[i][0]]))
        delayed = [i for i in range(n) if costs[i] > ideal[i]]
        if not delayed:
            return paths
        rng = self.rng
        tries = 0
        while time.perf_counter() < deadline and (max_tries is None or tries < max_tries):
            tries += 1
            seed = delayed[int(rng.integers(len(delayed)))]
            group = self._group(seed, paths, goals, tables, vres, size)
            self.stats["tries"] += 1
            old = [paths[i] for i in group]
            old_cost = sum(costs[i] for i in group)
            for i in group:
                self._release(i, paths[i], vres, eres, size)
            order = list(group)
            rng.shuffle(order)
            new: dict[int, list[int]] = {}
            total = 0
            ok = True
            for i in order:
                found = self._astar(paths[i][0], goals[i], tables[i], vres, eres, size)
                if found is None:
                    ok = False
                    break
                new[i] = found
                self._reserve(i, found, vres, eres, size)
                total += plan_cost(found, goals[i], tables[i])
                if total > old_cost:
                    ok = False
                    break
            if ok:
                if total < old_cost:
                    self.stats["improved"] += 1
                    self.stats["gain"] += old_cost - total
                for i in group:
                    paths[i] = new[i]
                    costs[i] = plan_cost(new[i], goals[i], tables[i])
                delayed = [i for i in range(n) if costs[i] > ideal[i]]
                if not delayed:
                    break
            else:
                for i, p in new.items():
                    self._release(i, p, vres, eres, size)
                for i, p in zip(group, old, strict=True):
                    paths[i] = p
                    self._reserve(i, p, vres, eres, size)
        return paths

    def _group(
        self,
        seed: int,
        paths: list[list[int]],
        goals: Sequence[int],
        tables: Sequence[DistanceTable | None],
        vres: dict[int, int],
        size: int,
    ) -> list[int]:
        """The seed and robots in the way of its unobstructed path (then its neighbours)."""
        group = [seed]
        want = self.neighbourhood
        table = tables[seed]
        s = paths[seed][0]
        fwd = self._fwd
        h = self.window
        if table is not None:
            # Follow the seed's distance table greedily for the window; whoever holds one
            # of those cells at some step is in the way.
            cells = [s >> 2]
            for _ in range(h):
                if s >> 2 == goals[seed]:
                    break
                c4 = s - (s & 3)
                opts = [c4 + ((s + 1) & 3), c4 + ((s + 3) & 3)]
                if fwd[s] >= 0:
                    opts.append(fwd[s])
                s = min(opts, key=table.__getitem__)
                cells.append(s >> 2)
            for c in cells:
                for t in range(h + 1):
                    k = vres.get(t * size + c)
                    if k is not None and k not in group:
                        group.append(k)
                        if len(group) >= want:
                            return group
        # Fill up with robots near the seed now.
        start = paths[seed][0] >> 2
        seen = {start}
        frontier = [start]
        nbs = self.grid.neighbor_table
        while frontier and len(group) < want:
            nxt = []
            for c in frontier:
                for v in nbs[c].tolist():
                    if v >= 0 and v not in seen:
                        seen.add(v)
                        nxt.append(v)
                        k = vres.get(v)  # t = 0
                        if k is not None and k not in group:
                            group.append(k)
            frontier = nxt
            if len(seen) > 64:
                break
        return group[:want]

    def _astar(
        self,
        start: int,
        goal: int,
        table: DistanceTable | None,
        vres: dict[int, int],
        eres: dict[int, int],
        size: int,
    ) -> list[int] | None:
        """Cheapest state path of ``window`` steps from ``start`` around the reservations."""
        h = self.window
        fwd = self._fwd
        if goal < 0 or table is None:
            goal = -1
        arrived0 = 1 if (start >> 2) == goal or goal < 0 else 0
        h0 = 0 if arrived0 else int(table[start])  # type: ignore[index]
        # Node key: (t * 4 * size + s) * 2 + arrived. g counts steps before arrival.
        s4 = 4 * size
        k0 = start * 2 + arrived0
        parent: dict[int, int] = {k0: -1}
        best: dict[int, int] = {k0: 0}
        heap = [(h0, 0, 0, k0)]  # (f, -t, tie, key): deeper first on ties
        tie = 0
        while heap:
            _, nt, _, key = heapq.heappop(heap)
            t = -nt
            if t == h:
                path = []
                while key >= 0:
                    path.append((key >> 1) % s4)
                    key = parent[key]
                path.reverse()
                return path
            arrived = key & 1
            s = (key >> 1) % s4
            g = best[key]
            c = s >> 2
            c4 = s - (s & 3)
            t1 = t + 1
            base = t1 * s4
            for s2 in (s, fwd[s], c4 + ((s + 1) & 3), c4 + ((s + 3) & 3)):
                if s2 < 0:
                    continue
                g2 = g + 1 if not arrived or s2 != s else g
                c2 = s2 >> 2
                if (t1 * size + c2) in vres:
                    continue
                if c2 != c and ((t * size + c2) * size + c) in eres:
                    continue  # swap
                a2 = 1 if arrived or c2 == goal else 0
                k2 = (base + s2) * 2 + a2
                old = best.get(k2)
                if old is not None and old <= g2:
                    continue
                best[k2] = g2
                parent[k2] = key
                f2 = g2 if a2 else g2 + int(table[s2])  # type: ignore[index]
                tie += 1
                heapq.heappush(heap, (f2, -t1, tie, k2))
        return None

    @staticmethod
    def _reserve(
        i: int, path: list[int], vres: dict[int, int], eres: dict[int, int], size: int
    ) -> None:
        prev = -1
        for t, s in enumerate(path):
            c = s >> 2
            vres[t * size + c] = i
            if t and c != prev:
                eres[((t - 1) * size + prev) * size + c] = i
            prev = c

    @staticmethod
    def _release(
        i: int, path: list[int], vres: dict[int, int], eres: dict[int, int], size: int
    ) -> None:
        prev = -1
        for t, s in enumerate(path):
            c = s >> 2
            if vres.get(t * size + c) == i:
                del vres[t * size + c]
            if t and c != prev:
                eres.pop(((t - 1) * size + prev) * size + c, None)
            prev = c


class RefinedPIBT:
    """PIBT's step, refined by windowed LNS: a :class:`~logitwin.control.planner.FleetPlanner`.

    PIBT plans the step; a rollout of ``lns.window`` PIBT steps from it is then improved by
    :meth:`WindowedLNS.refine` for ``refine_s`` and the refined first step is returned.
    PIBT's own actions stand when the rollout alone would pass the deadline, and when a
    robot is pinned (the window would re-plan it).

    Args:
        pibt: the planner (rotation, state distance tables: the LNS reads them).
        lns: the refinement.
        refine_s: seconds of refinement per step after the rollout, never past the
            deadline (0: PIBT alone).
        refine_tries: stop the refinement after this many neighbourhoods (``None``: the
            clock alone); with deadlines never reached a step then depends on its inputs
            and the planners' seeds alone.
    """

    def __init__(
        self,
        pibt: PIBT,
        lns: WindowedLNS,
        refine_s: float,
        refine_tries: int | None = None,
    ) -> None:
        if not pibt.rotation or not pibt.state_tables:
            raise ValueError("RefinedPIBT needs a PIBT made with rotation and state_tables")
        if refine_s < 0:
            raise ValueError(f"refine_s must be >= 0 s, got {refine_s}")
        if refine_tries is not None and refine_tries < 0:
            raise ValueError(f"refine_tries must be >= 0, got {refine_tries}")
        self.pibt = pibt
        self.lns = lns
        self.refine_s = refine_s
        self.refine_tries = refine_tries

    def plan(self, view: FleetView, deadline: float) -> list[str]:
        """Each robot's action for this step (see the class)."""
        actions = self.pibt.plan(view, deadline)
        if not self.refine_s or view.any_pinned:
            return actions
        tables = view.tables
        paths = self.lns.rollout(self.pibt, view.cells, view.orients, actions, tables, deadline)
        if paths is None:
            return actions
        until = min(deadline, time.perf_counter() + self.refine_s)
        paths = self.lns.refine(paths, view.goals, tables, until, self.refine_tries)
        return plan_actions_of(paths)
