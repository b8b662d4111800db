"""Dock scheduling on OR-Tools CP-SAT, and re-planning when a truck is late.

The model, per truck ``t`` not yet started and per door ``d`` that takes it:

* one start variable ``s_t`` in slot units, ``s_t >= earliest_t`` (arrival, or now when
  re-planning) and ``s_t + service_t <= horizon``;
* an optional fixed-size interval ``[s_t, s_t + service_t)`` on ``d``, present iff
  ``x_td``; ``sum_d x_td == 1``;
* ``NoOverlap`` per door over those intervals and the trucks already at it;
* ``late_t >= s_t + service_t - due_t``, ``late_t >= 0``;
* minimise ``sum w_t (s_t - arrive_t) + lambda * sum w_t late_t`` (integer seconds).

The search is hinted with the best of FCFS, a weighted-shortest-service list schedule and
the caller's warm start; the result is the better of the solver's answer and that hint, so
CP-SAT never returns a schedule worse than FCFS.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from logitwin.control.docks import (
    Assignment,
    DockProblem,
    DockSchedule,
    TruckVisit,
    _ceil_to,
    _fcfs,
    _Frame,
)

__all__ = ["CpSatParams", "Replan", "cpsat", "resolve"]


@dataclass(frozen=True, slots=True)
class CpSatParams:
    """CP-SAT settings.

    Attributes:
        time_limit_s: wall-clock limit (s), in (0, 3600].
        seed: the solver's random seed, >= 0.
        workers: search threads, 1 to 64; 1 (the default) is deterministic for a given
            ``deterministic_limit``.
        deterministic_limit: optional limit in CP-SAT's deterministic time units, > 0; with
            one worker it makes the answer independent of the machine's load.
    """

    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 1
    deterministic_limit: float | None = None
    window: int = 24
    passes: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s <= 3600:
            raise ValueError(f"time_limit_s={self.time_limit_s}; use a value in (0, 3600]")
        if self.seed < 0:
            raise ValueError(f"seed={self.seed}; use a seed >= 0")
        if not 1 <= self.workers <= 64:
            raise ValueError(f"workers={self.workers}; use 1..64")
        if self.deterministic_limit is not None and not self.deterministic_limit > 0:
            raise ValueError(f"deterministic_limit={self.deterministic_limit}; use a value > 0")
        if not 2 <= self.window <= 500:
            raise ValueError(f"window={self.window}; use 2..500 trucks")
        if not 1 <= self.passes <= 1000:
            raise ValueError(f"passes={self.passes}; use 1..1000")


def _rate(t: TruckVisit, now: int, lam: int) -> float:
    """What a truck loses per second of service if it waits a second more at ``now``."""
    late = now + t.service_s > t.due_s
    return t.weight * (1 + lam * late) / t.service_s


def _wspt(problem: DockProblem, frame: _Frame) -> list[Assignment]:
    """A greedy warm start without deliberate idling: whenever a door frees, it serves the
    waiting truck that loses most per second of service (weight, times 1 + lambda once
    it would finish late)."""
    slot, lam = problem.slot_s, problem.lateness_weight
    free = [0] * len(problem.doors)
    door_of = {door.id: d for d, door in enumerate(problem.doors)}
    for a in frame.fixed.values():
        free[door_of[a.door]] = max(free[door_of[a.door]], a.end_s)
    out = dict(frame.fixed)
    todo = {i for i in range(len(problem.trucks)) if i not in frame.fixed}
    while todo:
        now, d = min(
            (_ceil_to(max(free[d], frame.earliest[i]), slot), d)
            for i in todo
            for d in problem.compatible[i]
        )

        ready = [i for i in todo if d in problem.compatible[i] and frame.earliest[i] <= now]
        pick = min(ready, key=lambda i: (-_rate(problem.trucks[i], now, lam), i))
        t = problem.trucks[pick]
        free[d] = now + t.service_s
        out[pick] = Assignment(t.id, problem.doors[d].id, now, now + t.service_s)
        todo.remove(pick)
    return [out[i] for i in range(len(problem.trucks))]


def _shift(problem: DockProblem, frame: _Frame, plan: DockSchedule) -> list[Assignment]:
    """``plan`` made feasible for ``frame``: each door keeps its order of trucks, each truck
    starts at its earliest or when the one before it leaves, whichever is later."""
    by_truck = {a.truck: a for a in plan.assignments}
    free = {door.id: 0 for door in problem.doors}
    for a in frame.fixed.values():
        free[a.door] = max(free[a.door], a.end_s)
    out = dict(frame.fixed)
    todo = [i for i in range(len(problem.trucks)) if i not in frame.fixed]
    for i in sorted(todo, key=lambda i: (by_truck[problem.trucks[i].id].start_s, i)):
        t = problem.trucks[i]
        door = by_truck[t.id].door
        start = _ceil_to(max(free[door], frame.earliest[i]), problem.slot_s)
        free[door] = start + t.service_s
        out[i] = Assignment(t.id, door, start, start + t.service_s)
    return [out[i] for i in range(len(problem.trucks))]


def _own(problem: DockProblem, plan: DockSchedule, who: str) -> None:
    if [a.truck for a in plan.assignments] != [t.id for t in problem.trucks]:
        raise ValueError(f"{who}: the schedule does not list the problem's trucks; pass its own")
    doors = {door.id: door for door in problem.doors}
    for t, a in zip(problem.trucks, plan.assignments, strict=True):
        if a.door not in doors or not doors[a.door].takes(t):
            raise ValueError(f"{who}: truck {t.id!r} is on door {a.door!r}, which cannot take it")


def _sub(
    problem: DockProblem,
    earliest: tuple[int, ...],
    plan: list[Assignment],
    free: list[int],
    params: CpSatParams,
    limit_s: float,
) -> tuple[list[Assignment] | None, bool]:
    """CP-SAT over the trucks in ``free``; every other truck keeps its place in ``plan``,
    which is also the hint. Returns the new plan (``None`` if none found) and optimality."""
    from ortools.sat.python import cp_model

    slot, door_of = problem.slot_s, {door.id: d for d, door in enumerate(problem.doors)}
    m = cp_model.CpModel()
    on_door: list[list[cp_model.IntervalVar]] = [[] for _ in problem.doors]
    moving = set(free)
    first = min(earliest[i] for i in free)
    for i, a in enumerate(plan):
        if i not in moving and a.end_s > first:
            size = a.end_s - a.start_s
            on_door[door_of[a.door]].append(m.new_fixed_size_interval_var(a.start_s, size, ""))
    starts: dict[int, cp_model.IntVar] = {}
    uses: dict[tuple[int, int], cp_model.IntVar] = {}
    cost: list[cp_model.LinearExprT] = []
    for i in free:
        t = problem.trucks[i]
        lo, hi = earliest[i] // slot, (problem.horizon_s - t.service_s) // slot
        if lo > hi:  # cannot fit at all; the caller keeps its plan
            return None, False
        k = starts[i] = m.new_int_var(lo, hi, f"start_{i}")
        for d in problem.compatible[i]:
            x = uses[i, d] = m.new_bool_var(f"use_{i}_{d}")
            on_door[d].append(m.new_optional_fixed_size_interval_var(k * slot, t.service_s, x, ""))
        m.add_exactly_one(uses[i, d] for d in problem.compatible[i])
        cost.append(t.weight * slot * k)
        worst_late = hi * slot + t.service_s - t.due_s
        if worst_late > 0 and problem.lateness_weight > 0:
            late = m.new_int_var(0, worst_late, f"late_{i}")
            m.add(late >= k * slot + t.service_s - t.due_s)
            cost.append(problem.lateness_weight * t.weight * late)
        m.add_hint(k, plan[i].start_s // slot)
        for d in problem.compatible[i]:
            m.add_hint(uses[i, d], door_of[plan[i].door] == d)
    for ivs in on_door:
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    m.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(limit_s, 0.01)
    solver.parameters.random_seed = params.seed
    solver.parameters.num_workers = params.workers
    if params.deterministic_limit is not None:
        solver.parameters.max_deterministic_time = params.deterministic_limit
    code = solver.solve(m)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    out = list(plan)
    for i, k in starts.items():
        t, start = problem.trucks[i], solver.value(k) * slot
        d = next(d for d in problem.compatible[i] if solver.boolean_value(uses[i, d]))
        out[i] = Assignment(t.id, problem.doors[d].id, start, start + t.service_s)
    return out, code == cp_model.OPTIMAL


def _better(a: DockSchedule, b: DockSchedule) -> bool:
    return (not a.feasible, a.objective) < (not b.feasible, b.objective)


def _solve(
    problem: DockProblem, frame: _Frame, params: CpSatParams, warm: DockSchedule | None
) -> DockSchedule:
    began = time.perf_counter()
    deadline = began + params.time_limit_s
    hints = [
        DockSchedule.build(problem, _fcfs(problem, frame), "cpsat", "hint"),
        DockSchedule.build(problem, _wspt(problem, frame), "cpsat", "hint"),
    ]
    if warm is not None:
        hints.append(DockSchedule.build(problem, _shift(problem, frame, warm), "cpsat", "hint"))
    best = min(hints, key=lambda h: (not h.feasible, h.objective))
    free = [i for i in range(len(problem.trucks)) if i not in frame.fixed]
    if not free:
        return replace(best, status="optimal", solve_s=time.perf_counter() - began)
    plan, status = list(best.assignments), "hint"
    if len(free) <= params.window:
        found, optimal = _sub(problem, frame.earliest, plan, free, params, params.time_limit_s)
        if found is not None:
            candidate = DockSchedule.build(problem, found, "cpsat", "feasible")
            if _better(candidate, best):
                best, plan, status = candidate, found, "feasible"
            status = "optimal" if optimal else status
        return replace(best, status=status, solve_s=time.perf_counter() - began)
    # Large neighbourhood search: re-solve windows of trucks consecutive in the current
    # plan's start order, every other truck fixed, sliding by half a window. Small windows
    # converge fast; when a pass gains nothing the window grows, up to `params.window`.
    size = min(8, params.window)
    for _ in range(params.passes):
        gained = False
        order = sorted(free, key=lambda i: (plan[i].start_s, i))
        step = max(1, size // 2)
        for lo in range(0, max(1, len(order) - step), step):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            window = order[lo : lo + size]
            found, _ = _sub(problem, frame.earliest, plan, window, params, min(left, 1.0))
            if found is None:
                continue
            candidate = DockSchedule.build(problem, found, "cpsat", "feasible")
            if _better(candidate, best):
                best, plan, status, gained = candidate, found, "feasible", True
        if time.perf_counter() >= deadline:
            break
        if not gained:
            if size >= params.window:
                break
            size = min(params.window, size * 3 // 2)
    return replace(best, status=status, solve_s=time.perf_counter() - began)


def cpsat(
    problem: DockProblem,
    params: CpSatParams | None = None,
    *,
    warm_start: DockSchedule | None = None,
) -> DockSchedule:
    """Schedule every truck with CP-SAT (see the module docstring for the model).

    Args:
        problem: doors, trucks, horizon.
        params: time limit, seed, threads (default :class:`CpSatParams`).
        warm_start: an extra hint, e.g. the previous plan; FCFS is always a hint.

    Returns:
        The schedule; its objective is never above FCFS's. ``status`` is ``"optimal"``,
        ``"feasible"`` (time limit), or ``"hint"`` when the solver found nothing better.
    """
    if warm_start is not None:
        _own(problem, warm_start, "cpsat warm_start")
    return _solve(problem, _Frame.at(problem), params or CpSatParams(), warm_start)


@dataclass(frozen=True, slots=True)
class Replan:
    """The outcome of :func:`resolve`.

    Attributes:
        problem: the problem with the new arrival times (use it for the next re-plan).
        schedule: the new schedule, every truck included.
        fixed: trucks that had started by ``now_s`` and kept their door and start.
        changed: trucks whose door or start changed: the ones to tell.
    """

    problem: DockProblem
    schedule: DockSchedule
    fixed: tuple[str, ...]
    changed: tuple[str, ...]


def resolve(
    problem: DockProblem,
    schedule: DockSchedule,
    now_s: int,
    updates: Mapping[str, int],
    params: CpSatParams | None = None,
) -> Replan:
    """Re-plan at ``now_s`` after trucks announce new arrival times.

    Trucks that started before ``now_s`` keep their door and start; every other truck is
    re-planned to start at or after both ``now_s`` and its (new) arrival. The old plan is
    a hint, so a late truck only moves the trucks it has to.

    Args:
        problem: the problem ``schedule`` solves.
        schedule: the current plan.
        now_s: the time of the re-plan (s).
        updates: truck id -> new ``arrive_s`` (s) for the late (or early) trucks.
        params: CP-SAT settings.

    Raises:
        ValueError: an unknown truck, a truck that already started, or a time that is not
            whole seconds.
    """
    if isinstance(now_s, bool) or not isinstance(now_s, int) or now_s < 0:
        raise ValueError(f"resolve: now_s={now_s!r}; use whole seconds >= 0")
    _own(problem, schedule, "resolve")
    for tid, arrive in updates.items():
        i = problem.index(tid)
        if schedule.assignments[i].start_s < now_s:
            raise ValueError(
                f"resolve: truck {tid!r} started at {schedule.assignments[i].start_s} s, before "
                f"now_s={now_s}; it cannot arrive again. Drop it from updates"
            )
        if isinstance(arrive, bool) or not isinstance(arrive, int):
            raise ValueError(f"resolve: truck {tid!r}: arrive_s={arrive!r}; pass whole seconds")
    trucks = tuple(
        replace(t, arrive_s=updates[t.id]) if t.id in updates else t for t in problem.trucks
    )
    new = replace(problem, trucks=trucks)
    fixed = {i: a for i, a in enumerate(schedule.assignments) if a.start_s < now_s}
    out = _solve(new, _Frame.at(new, now_s, fixed), params or CpSatParams(), schedule)
    changed = tuple(
        b.truck
        for a, b in zip(schedule.assignments, out.assignments, strict=True)
        if (a.door, a.start_s) != (b.door, b.start_s)
    )
    return Replan(new, out, tuple(a.truck for a in fixed.values()), changed)
