"""Enhanced PIBT (EPIBT): priority inheritance over multi-action operations, with turns.

Plain PIBT looks one step ahead. With the LoRR action model a robot that must turn
before it can move gains nothing toward its goal in that step, so PIBT under-rates turns
and stalls chains behind turning robots. EPIBT (Yukhnevich and Andreychuk, AAAI 2026;
the LoRR 2024 winner) lets every robot choose among *operations*: short sequences of
``depth`` actions such as ``RWF`` or ``FFF``, each reserving the cells (and the edges it
crosses) at every one of its steps. Robots choose in priority order; an operation that
collides with exactly one other robot's reservation takes it over, and that robot must
choose again around it (priority inheritance, with backtracking), as in PIBT.

Every step starts from the operations chosen the step before, shifted by one action
(``RWF`` -> ``WFW``): a valid plan for the whole fleet from the start, so a robot whose
search fails keeps following its earlier plan, and a turn begun toward a cell is
finished rather than undone. After the first pass, whatever time the step has left runs
rounds in random order that keep a robot's new choice when the fleet's weighted progress
does not fall, and now and then when it does (simulated annealing, as the LoRR 2024
winner did). Robots are weighted by urgency: the fewer steps a robot's whole task still
needs, the higher its priority and weight.

Plans are free of vertex and swap conflicts by construction: every reservation of every
operation is checked against everyone else's.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
import time
from collections.abc import Sequence

import numpy as np

from logitwin.site.grid import Grid

__all__ = ["EPIBT", "operations"]

_ACCEPTED, _FAILED, _REJECTED = 0, 1, 2
_NO_GOAL = float("inf")
# One operation from one state: its reservation keys (cells and edges, see _paths) and
# the states it passes through.
_OpPath = tuple[tuple[int, ...], tuple[int, ...]]


def _useful(op: str) -> bool:
    """Operations that waste no turns: none ends on a turn, none turns one way and then
    back, none turns three times the same way, all before moving on."""
    tail = op.rstrip("W")
    if tail and tail[-1] in "RC":
        return False
    for seg in op.split("F"):
        turns = seg.replace("W", "")
        if ("R" in turns and "C" in turns) or "RRR" in turns or "CCC" in turns:
            return False
    return True


def operations(depth: int) -> list[str]:
    """The operation set of ``depth`` actions, ``W * depth`` first.

    Useful sequences (:func:`_useful`) sorted so that waiting and turning come before
    moving forward, early forward moves last; of sequences that pass through the same
    cells and end in the same orientation only the first is kept (they reserve the same).
    """
    if depth < 1:
        raise ValueError(f"operation depth must be >= 1, got {depth}")

    def weight(op: str) -> int:
        return sum((depth - d) * (10 if a == "F" else -1) for d, a in enumerate(op))

    pool = sorted(
        ("".join(p) for p in itertools.product("FRCW", repeat=depth) if _useful("".join(p))),
        key=weight,
    )
    wait = "W" * depth
    pool.remove(wait)
    out = [wait]
    seen = set()
    for op in [wait, *pool]:
        # Trace relative to a robot at (0, 0) facing east.
        r = c = o = 0
        trace = []
        for a in op:
            if a == "F":
                r, c = r + (0, 1, 0, -1)[o], c + (1, 0, -1, 0)[o]
            elif a == "R":
                o = (o + 1) & 3
            elif a == "C":
                o = (o + 3) & 3
            trace.append((r, c))
        key = (o, tuple(trace))
        if key not in seen:
            seen.add(key)
            if op != wait:
                out.append(op)
    return out


class EPIBT:
    """Plans one step for every robot of a fleet with multi-action operations.

    Args:
        grid: the map.
        n_agents: fleet size (fixed for the planner's life).
        rng: orders the refinement rounds.
        depth: actions per operation.
        revisit: how often one robot may be re-planned within one pass.
        temperature: simulated annealing in the refinement rounds: a change that lowers
            the fleet's weighted progress by a share ``x`` is kept with probability
            ``exp(-x / T)``, ``T`` starting here and shrinking by 0.1% per robot tried
            (0: never); the step then keeps the better of the first pass and the end.
        skip_push: in the refinement rounds, the chance that a robot passes over an
            operation that would push another, so rounds differ.
    """

    def __init__(
        self,
        grid: Grid,
        n_agents: int,
        rng: np.random.Generator,
        depth: int = 3,
        revisit: int = 10,
        temperature: float = 0.001,
        skip_push: float = 0.2,
    ) -> None:
        if n_agents < 0:
            raise ValueError(f"n_agents must be >= 0, got {n_agents}")
        if revisit < 1:
            raise ValueError(f"revisit must be >= 1, got {revisit}")
        if temperature < 0 or not 0 <= skip_push < 1:
            raise ValueError(
                f"temperature must be >= 0 and skip_push in [0, 1), got {temperature}, {skip_push}"
            )
        self.grid = grid
        self.n_agents = n_agents
        self.rng = rng
        self.depth = depth
        self.revisit = revisit
        self.temperature = temperature
        self.skip_push = skip_push
        self.ops = operations(depth)
        index = {op: k for k, op in enumerate(self.ops)}
        self._next_op = [index[op[1:] + "W"] for op in self.ops]
        self._nb = grid.neighbor_table.tolist()
        self._by_state: dict[int, list[_OpPath | None]] = {}
        self.desire = [0] * n_agents  # operation index per robot, carried between steps
        self.stats = {"steps": 0, "rounds": 0}
        self._rand = random.Random(int(rng.integers(1 << 62)))
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n_agents + 1000))

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * self.n_agents + 1000))

    def reset(self) -> None:
        """Forget the carried operations (the fleet did not act as planned)."""
        self.desire = [0] * self.n_agents

    # --- operations from one state -------------------------------------------------------
    def _paths(self, s: int) -> list[_OpPath | None]:
        """Per operation from state ``s`` (``cell * 4 + o``): its reservation keys and the
        states it passes through (``None``: blocked).

        Keys index one flat table of ``3 * size`` slots per depth: a cell's slot, then
        two per cell for the edges to its east and south neighbours (a move west or
        north uses the edge of the cell it enters), so a swap meets the same slot.
        """
        got = self._by_state.get(s)
        if got is not None:
            return got
        size, nb = self.grid.size, self._nb
        stride = 3 * size
        got = []
        for op in self.ops:
            c, o = s >> 2, s & 3
            keys, states = [], []
            for d, a in enumerate(op):
                base = d * stride
                if a == "F":
                    c2 = nb[c][o]
                    if c2 < 0:
                        break
                    keys.append(base + size + 2 * min(c, c2) + (o & 1))
                    c = c2
                elif a == "R":
                    o = (o + 1) & 3
                elif a == "C":
                    o = (o + 3) & 3
                keys.append(base + c)
                states.append(c * 4 + o)
            else:
                got.append((tuple(keys), tuple(states)))
                continue
            got.append(None)
        self._by_state[s] = got
        return got

    # --- one step ------------------------------------------------------------------------
    def plan_actions(
        self,
        pos: Sequence[int],
        ori: Sequence[int],
        tables: Sequence[Sequence[int] | None],
        goals: Sequence[int],
        urgency: Sequence[float],
        deadline: float,
        refine_until: float | None = None,
    ) -> list[str]:
        """Each robot's action (``F``, ``R``, ``C`` or ``W``) for this step.

        Args:
            pos: cell of each robot (distinct).
            ori: orientation of each robot (0 E, 1 S, 2 W, 3 N).
            tables: state distance table to each robot's goal
                (:class:`logitwin.control.pibt.RotationDistances`; ``None``: no goal).
            goals: goal cell of each robot (-1: none).
            urgency: steps each robot's task still needs (lower goes first; robots
                without a goal go last whatever it says).
            deadline: ``time.perf_counter()`` value at which the first pass stops
                (robots not reached keep their carried operations).
            refine_until: run refinement rounds until then (``None``: none).
        """
        n = self.n_agents
        if not (len(pos) == len(ori) == len(tables) == len(goals) == len(urgency) == n):
            raise ValueError(f"expected {n} positions, orientations, tables, goals, urgencies")
        if len(set(pos)) != n:
            raise ValueError("two robots share a cell; positions must be distinct")
        self.stats["steps"] += 1
        nops = len(self.ops)
        depth = self.depth
        paths = []
        for i in range(n):
            p = self._paths(pos[i] * 4 + ori[i])
            if p[self.desire[i]] is None:
                self.desire[i] = 0
            paths.append(p)
        # Preference of each operation per robot (lower is better): the step it reaches
        # its goal, else depth + the distance left; ties go to later (more forward) ones.
        sd: list[list[float]] = []
        prefs: list[list[int]] = []
        for i in range(n):
            p = paths[i]
            table, goal = tables[i], goals[i]
            row = [_NO_GOAL] * nops
            for k in range(nops):
                pk = p[k]
                if pk is None:
                    continue
                if table is None or goal < 0:
                    row[k] = k
                    continue
                states = pk[1]
                dist = -1
                for d in range(depth):
                    if states[d] >> 2 == goal:
                        dist = d
                        break
                if dist < 0:
                    dist = depth + table[states[-1]]
                row[k] = dist * nops - k
            sd.append(row)
            prefs.append(
                sorted((k for k in range(1, nops) if p[k] is not None), key=row.__getitem__)
            )
        # Urgency order and weights: the most urgent robot weighs 1, robots without a
        # goal nothing.
        prio = [
            urgency[i] if goals[i] >= 0 and tables[i] is not None else _NO_GOAL for i in range(n)
        ]
        order = sorted(range(n), key=prio.__getitem__)
        power = [0.0] * n
        for rank, i in enumerate(order):
            if prio[i] != _NO_GOAL:
                w = (n + 1 - rank) / (n + 1)
                power[i] = w * w
        self._sd, self._prefs, self._prio, self._power = sd, prefs, prio, power
        self._pathsk = paths
        if not self._carry():
            # The carried plans collide (the fleet did not move as planned and nobody
            # called reset): start from waiting, which cannot.
            self.desire = [0] * n
            self._carry()
        self._visited = [0] * n
        self._visits = [0] * n
        self._chain = [0] * n
        self._round = 0
        self._deadline = deadline
        self._calls = 0
        # First pass: PIBT order, pushing only less urgent robots. Robots without a goal
        # only move when pushed.
        movers = [i for i in order if prio[i] != _NO_GOAL]
        self._round += 1
        for i in movers:
            if time.perf_counter() >= deadline:
                break
            if self._visited[i] != self._round:
                self._root = prio[i]
                self._remove(i)
                if self._build(i, False) != _ACCEPTED:
                    self._add(i)
        if refine_until is not None:
            self._deadline = deadline = min(deadline, refine_until)
            rng = self.rng
            best, best_score = list(self.desire), self._score
            self._temp = self.temperature
            desire, top = self.desire, [p[0] if p else 0 for p in prefs]
            while movers and time.perf_counter() < deadline:
                self.stats["rounds"] += 1
                self._round += 1
                for j in rng.permutation(movers).tolist():
                    if time.perf_counter() >= deadline:
                        break
                    # A robot on its first choice would only take it again.
                    if desire[j] != top[j] and self._visited[j] != self._round:
                        self._old_score = self._score
                        self._remove(j)
                        if self._build(j, True) != _ACCEPTED:
                            self._add(j)
                        self._temp *= 0.999
            if self._score < best_score:
                self.desire = best
        actions = [self.ops[k][0] for k in self.desire]
        self.desire = [self._next_op[k] for k in self.desire]
        return actions

    # --- reservations --------------------------------------------------------------------
    def _carry(self) -> bool:
        """Reserve every robot's carried operation; ``False`` if two collide."""
        self._res = slots = [-1] * (3 * self.grid.size * self.depth)
        self._score = 0.0
        for i in range(self.n_agents):
            pk = self._pathsk[i][self.desire[i]]
            assert pk is not None
            if any(slots[key] >= 0 for key in pk[0]):
                return False
            self._add(i)
        return True

    def _add(self, i: int) -> None:
        k = self.desire[i]
        pk = self._pathsk[i][k]
        assert pk is not None
        res = self._res
        for key in pk[0]:
            res[key] = i
        sd = self._sd[i]
        self._score += self._power[i] * (sd[0] - sd[k])

    def _remove(self, i: int) -> None:
        k = self.desire[i]
        pk = self._pathsk[i][k]
        assert pk is not None
        res = self._res
        for key in pk[0]:
            res[key] = -1
        sd = self._sd[i]
        self._score -= self._power[i] * (sd[0] - sd[k])

    def _hot(self) -> bool:
        """Simulated annealing: accept a worse fleet plan now and then."""
        if self._temp <= 0:
            return False
        worse = (self._old_score - self._score) / max(abs(self._old_score), 1e-9)
        return self._rand.random() < math.exp(-worse / self._temp)

    def _build(self, i: int, lns: bool) -> int:
        """Give robot ``i`` (its reservations removed) a new operation, pushing one robot
        at a time out of the way; on failure everything is as it was."""
        self._calls += 1
        if not self._calls & 3 and time.perf_counter() >= self._deadline:
            return _REJECTED
        rnd = self._round
        visited, visits, chain = self._visited, self._visits, self._chain
        if visited[i] != rnd:
            visits[i] = 0
        visits[i] += 1
        visited[i] = rnd
        chain[i] = rnd
        old = self.desire[i]
        paths = self._pathsk[i]
        slots = self._res
        for k in self._prefs[i]:
            pk = paths[k]
            assert pk is not None
            # The one robot whose reservations the operation meets (-1: none, -2: more).
            j = -1
            for key in pk[0]:
                r = slots[key]
                if r >= 0 and r != j:
                    if j >= 0:
                        j = -2
                        break
                    j = r
            if j == -1:
                self.desire[i] = k
                self._add(i)
                if lns and self._score < self._old_score - 1e-9 and not self._hot():
                    self._remove(i)
                    self.desire[i] = old
                    return _REJECTED
                return _ACCEPTED
            if j < 0:
                continue
            if lns and self._rand.random() < self.skip_push:
                continue
            if (
                chain[j] == rnd
                or (visited[j] == rnd and visits[j] >= self.revisit)
                or (not lns and self._prio[j] <= self._root)
            ):
                continue
            self._remove(j)
            self.desire[i] = k
            self._add(i)
            res = self._build(j, lns)
            if res == _ACCEPTED:
                return res
            self._remove(i)
            self._add(j)
            self.desire[i] = old
            if res == _REJECTED:
                return res
        self.desire[i] = old
        chain[i] = 0
        return _FAILED
