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
winner did). Robots are ordered by urgency: the fewer steps a robot's whole task still
needs, the higher its priority and (by ``weight_power``) its weight.

Plans are free of vertex and swap conflicts by construction: every reservation of every
operation is checked against everyone else's.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from logitwin.control import _epibt_kernel as K
from logitwin.control.planner import DistanceTable, FleetView
from logitwin.site.grid import Grid

__all__ = ["EPIBT", "operations"]

# Work (robots tried and operations built) per compiled call before the clock is read
# again: about a millisecond's worth, adapted as the step runs.
_FIRST_CHUNK = 256
_CHUNK_S = 0.001
_compiled = False


def _compile() -> None:
    """Compile (or load from numba's cache) every kernel with the types a step uses, so
    that no planning step pays for it."""
    global _compiled
    _compiled = True
    grid = Grid.from_strings(["..."])
    planner = EPIBT(grid, 2, np.random.default_rng(0))
    table = [0] * (4 * grid.size)
    args = ([0, 2], [0, 2], [table, None], [1, -1], [1.0, 0.0])
    planner.plan_actions(*args, time.perf_counter() + 60)  # the first pass's kernels
    now = time.perf_counter()
    planner.plan_actions(*args, now + 60, now + 0.05)  # and the refinement's


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

    The search runs in compiled kernels (:mod:`logitwin.control._epibt_kernel`) over
    numpy arrays held here; this class prepares them each step and reads the clock
    between kernel calls.

    Args:
        grid: the map.
        n_agents: fleet size (fixed for the planner's life).
        rng: seeds the refinement rounds' order and choices: each step draws the seed of
            the planner's own random stream from it (numba's global generator is left
            alone).
        depth: actions per operation.
        revisit: how often one robot may be re-planned within one pass.
        temperature: simulated annealing in the refinement rounds: a change that lowers
            the fleet's weighted progress by a share ``x`` is kept with probability
            ``exp(-x / T)``, ``T`` starting here and shrinking by 0.1% per robot tried
            (0: never); the step then keeps the better of the first pass and the end.
        skip_push: in the refinement rounds, the chance that a robot passes over an
            operation that would push another, so rounds differ.
        refine_s: :meth:`plan` runs refinement rounds for this long (s) after the first
            pass, never past its deadline (0: none).
        refine_rounds: :meth:`plan` stops the refinement after this many rounds
            (``None``: the clock alone; see :meth:`plan_actions`).
        straight: a robot may enter a cell another leaves in the same action only
            straight behind it (each move also reserves the way into the cell it
            enters and every other way out of the cell it leaves). Under an executor
            with multi-tick moves, a robot behind one turning a corner waits anyway.
        weight_power: the refinement rounds weigh each robot's progress by
            ``((n + 1 - rank) / (n + 1)) ** weight_power``, rank 0 the most urgent
            (0: every robot with a goal alike, the fleet's total progress).
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
        refine_s: float = 0.0,
        refine_rounds: int | None = None,
        straight: bool = False,
        weight_power: float = 2.0,
    ) -> None:
        if n_agents < 0:
            raise ValueError(f"n_agents must be >= 0, got {n_agents}")
        if revisit < 1:
            raise ValueError(f"revisit must be >= 1, got {revisit}")
        if temperature < 0 or not 0 <= skip_push < 1:
            raise ValueError(
                f"temperature must be >= 0 and skip_push in [0, 1), got {temperature}, {skip_push}"
            )
        if refine_s < 0:
            raise ValueError(f"refine_s must be >= 0 s, got {refine_s}")
        if not weight_power >= 0:
            raise ValueError(f"weight_power must be >= 0, got {weight_power}")
        if refine_rounds is not None and refine_rounds < 0:
            raise ValueError(f"refine_rounds must be >= 0, got {refine_rounds}")
        self.grid = grid
        self.n_agents = n = n_agents
        self.rng = rng
        self.depth = depth
        self.revisit = revisit
        self.temperature = temperature
        self.skip_push = skip_push
        self.refine_s = refine_s
        self.refine_rounds = refine_rounds
        self.ops = operations(depth)
        index = {op: k for k, op in enumerate(self.ops)}
        nops = len(self.ops)
        self._next_op = np.array([index[op[1:] + "W"] for op in self.ops], dtype=np.int64)
        self._code = np.array([["FRCW".index(a) for a in op] for op in self.ops], dtype=np.int64)
        self._nb = np.ascontiguousarray(grid.neighbor_table, dtype=np.int64)
        # operation index per robot, carried between steps
        self.desire = np.zeros(n, dtype=np.int64)
        self.straight = straight
        self.weight_power = weight_power
        self._keys = np.zeros((n, nops, (6 if straight else 2) * depth), dtype=np.int64)
        self._nkeys = np.zeros((n, nops), dtype=np.int64)
        self._ends = np.zeros((n, nops), dtype=np.int64)
        self._goal_at = np.zeros((n, nops), dtype=np.int64)
        self._sd = np.zeros((n, nops), dtype=np.float64)
        self._prefs = np.zeros((n, nops), dtype=np.int64)
        self._npref = np.zeros(n, dtype=np.int64)
        self._res = np.full((7 if straight else 3) * grid.size * depth, -1, dtype=np.int64)
        self._marks = np.zeros((3, n), dtype=np.int64)  # visited round, visits, chain
        self._st = np.zeros(4, dtype=np.int64)  # round, work, rounds run, rounds allowed
        self._fs = np.zeros(4, dtype=np.float64)  # score, old score, temperature, root
        self._opts = np.array([revisit, skip_push], dtype=np.float64)
        self._rs = np.zeros(1, dtype=np.uint64)  # the kernels' random stream (SplitMix64)
        self._chunk = _FIRST_CHUNK
        self.stats = {"steps": 0, "rounds": 0}
        if not _compiled:
            _compile()

    def reset(self) -> None:
        """Forget the carried operations (the fleet did not act as planned)."""
        self.desire[:] = 0

    def _timed(self, kernel: Any, *args: Any) -> int:
        """``kernel(work_limit, *args)`` for one chunk of work; the next chunk is the work
        this call did per second, times _CHUNK_S (at most twofold up or down a call). By
        the work done, not the chunk: a kernel that ends early (its pass is over) took
        little time for little work, not for a whole chunk."""
        before = int(self._st[1])
        t = time.perf_counter()
        out = int(kernel(self._st[1] + self._chunk, *args))
        dt = time.perf_counter() - t
        done = int(self._st[1]) - before
        target = done * _CHUNK_S / dt if dt > 0 else 2.0 * self._chunk
        scale = min(max(target / self._chunk, 0.5), 2.0)
        self._chunk = int(min(max(self._chunk * scale, 16), 1 << 20))
        return out

    # --- one step ------------------------------------------------------------------------
    def plan(self, view: FleetView, deadline: float) -> list[str]:
        """:class:`~logitwin.control.planner.FleetPlanner`: :meth:`plan_actions` with the
        first pass until ``deadline`` and refinement for ``refine_s`` (at most
        ``refine_rounds`` rounds), not past it. The carried operations are dropped first
        when the fleet did not follow the last step (``view.followed``)."""
        if not view.followed:
            self.reset()
        until = min(deadline, time.perf_counter() + self.refine_s) if self.refine_s else None
        urgency = view.urgency if view.urgency is not None else [0.0] * len(view.cells)
        return self.plan_actions(
            view.cells,
            view.orients,
            view.tables,
            view.goals,
            urgency,
            deadline,
            until,
            self.refine_rounds,
            view.pinned,
        )

    def plan_actions(
        self,
        pos: Sequence[int],
        ori: Sequence[int],
        tables: Sequence[DistanceTable | None],
        goals: Sequence[int],
        urgency: Sequence[float],
        deadline: float,
        refine_until: float | None = None,
        refine_rounds: int | None = None,
        pinned: Sequence[bool] | None = None,
    ) -> list[str]:
        """Each robot's action (``F``, ``R``, ``C`` or ``W``) for this step.

        Args:
            pos: cell of each robot (distinct).
            ori: orientation of each robot (0 E, 1 S, 2 W, 3 N).
            tables: state distance table to each robot's goal, a list or a numpy array
                (:class:`logitwin.control.pibt.RotationDistances`,
                :class:`logitwin.control.congestion.CongestionDistances`; ``None``: no
                goal).
            goals: goal cell of each robot (-1: none).
            urgency: steps each robot's task still needs (lower goes first; robots
                without a goal go last whatever it says).
            deadline: ``time.perf_counter()`` value at which the first pass stops
                (robots not reached keep their carried operations).
            refine_until: run refinement rounds until then (``None``: none).
            refine_rounds: stop the refinement after this many rounds even if time is
                left (``None``: the clock alone). With deadlines that are never reached
                a step is then a function of its inputs and ``rng``'s state alone.
            pinned: robots that must not move this step (they wait and cannot be
                pushed; others avoid their cells).
        """
        n = self.n_agents
        if not (len(pos) == len(ori) == len(tables) == len(goals) == len(urgency) == n):
            raise ValueError(f"expected {n} positions, orientations, tables, goals, urgencies")
        if len(set(pos)) != n:
            raise ValueError("two robots share a cell; positions must be distinct")
        if refine_rounds is not None and refine_rounds < 0:
            raise ValueError(f"refine_rounds must be >= 0, got {refine_rounds}")
        if pinned is not None and len(pinned) != n:
            raise ValueError(f"expected {n} pinned flags, got {len(pinned)}")
        self.stats["steps"] += 1
        if n == 0:
            return []
        # A fresh seed a step: the step's random choices do not depend on how much
        # earlier steps, cut by the clock, drew.
        self._rs[0] = self.rng.integers(1 << 63)
        nops, depth = len(self.ops), self.depth
        has_table = np.array(
            [t is not None and g >= 0 for t, g in zip(tables, goals, strict=True)], dtype=np.bool_
        )
        goal_arr = np.where(has_table, np.asarray(goals, dtype=np.int64), -1)
        K.expand(
            self._nb,
            self.grid.size,
            self._code,
            np.asarray(pos, dtype=np.int64),
            np.asarray(ori, dtype=np.int64),
            goal_arr,
            self.desire,
            self._keys,
            self._nkeys,
            self._ends,
            self._goal_at,
            self.straight,
        )
        if pinned is not None:
            # Only waiting is left to a pinned robot: with no other operation it cannot
            # be pushed, and waiting reserves its cell at every depth.
            held = np.flatnonzero(np.asarray(pinned, dtype=np.bool_))
            self._nkeys[held, 1:] = -1
            self.desire[held] = 0
        # The distance left from each operation's end, read from the robot's table.
        far = np.full((n, nops), depth, dtype=np.float64)
        ends = self._ends
        for i in np.flatnonzero(has_table).tolist():
            table = tables[i]
            assert table is not None
            if isinstance(table, np.ndarray):
                far[i] += table[ends[i]]
            else:
                far[i] += [table[s] for s in ends[i].tolist()]
        K.prefer(far, has_table, self._goal_at, self._nkeys, self._sd, self._prefs, self._npref)
        # Urgency order and weights: the most urgent robot weighs 1, robots without a
        # goal nothing.
        prio = np.where(has_table, np.asarray(urgency, dtype=np.float64), np.inf)
        order = np.argsort(prio, kind="stable")
        rank = np.empty(n, dtype=np.float64)
        rank[order] = np.arange(n)
        power = np.where(has_table, ((n + 1 - rank) / (n + 1)) ** self.weight_power, 0.0)
        kw = (self._keys, self._nkeys, self._prefs, self._npref, self.desire, self._res)
        kw2 = (self._sd, power, prio, self._marks, self._st, self._fs, self._opts, self._rs)
        if not K.carry(self._keys, self._nkeys, self.desire, self._res, self._sd, power, self._fs):
            # The carried plans collide (the fleet did not move as planned and nobody
            # called reset): start from waiting, which cannot.
            self.desire[:] = 0
            K.carry(self._keys, self._nkeys, self.desire, self._res, self._sd, power, self._fs)
        self._marks[:] = 0
        st = self._st
        st[0] = 1
        st[1] = 0
        # First pass: PIBT order, pushing only less urgent robots. Robots without a goal
        # only move when pushed.
        movers = order[: int(has_table.sum())]
        q = 0
        while q < len(movers) and time.perf_counter() < deadline:
            q = self._timed(K.first_pass, movers, q, *kw, *kw2)
        if refine_until is not None:
            deadline = min(deadline, refine_until)
            best, best_score = self.desire.copy(), self._fs[0]
            self._fs[2] = self.temperature
            top = np.where(self._npref > 0, self._prefs[:, 0], 0)
            perm = movers.copy()
            q = len(perm)  # the first call starts a round
            st[2] = 0
            st[3] = refine_rounds if refine_rounds is not None else np.iinfo(np.int64).max
            while (
                len(movers) and time.perf_counter() < deadline and (q < len(perm) or st[2] < st[3])
            ):
                q = self._timed(K.refine, movers, perm, q, top, *kw, *kw2)
            self.stats["rounds"] += int(st[2])
            if self._fs[0] < best_score:
                self.desire[:] = best
        actions = [self.ops[k][0] for k in self.desire.tolist()]
        self.desire[:] = self._next_op[self.desire]
        return actions
