"""The League of Robot Runners 2026 rules: plans adopted periodically, executed tick by tick
by an executor, with random delays and robots with a footprint.

The loop (start kit 3.x semantics, ticks counted, not timed):

- Tick 0: the first plan is computed (its own budget) and adopted. Then, every planning
  interval (``planCommTimeLimit / actionMoveTimeLimit`` ticks, 10 by default), the plan
  computed since the last adoption is adopted and the next one is launched. A planner
  that takes longer than the interval is *late*: the ticks go on with what is staged,
  and its plan is adopted once it is done (``ceil(time / tick)`` ticks after launch);
  each late call counts as an entry timeout.
- A plan is each robot's next actions (``F``, ``R``, ``C``, ``W``), computed from the
  executor's *predicted* states: where robots will be once everything staged before has
  been executed. Adoption applies the plan's task schedule (validated as the start kit
  does) and hands the plan to the executor, which stages its actions.
- Every tick, the executor says for each robot whether to go on with its staged action or
  to wait; then the delays of the tick are drawn (a delayed robot waits); then the
  action model executes the requests (:mod:`logitwin.mapf.footprint`: a request that would
  collide becomes a wait and an error); then each robot that reached its task's next
  errand advances the task, and finished tasks are replaced in the pool.

The executor (:mod:`logitwin.mapf.staging`) is a temporal plan graph over cells: each cell
keeps the robots that will enter it in plan order (plan by plan, step by step); a robot
starts a forward move only when it is first in line for the cell ahead, i.e. once every
robot planned there before it has left. Plans without rotations (robots following each
other round a cycle in one step) therefore execute without collision or deadlock whatever
the delays. A robot larger than a cell holds the block of cells its square lies in and
waits to head the line of every cell its move leads into (:mod:`logitwin.mapf.blocks`).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from logitwin.errors import LogitwinError
from logitwin.mapf.delays import DelayGenerator
from logitwin.mapf.footprint import ACTION_CODES, ActionModel, FleetState
from logitwin.mapf.paths import encode_path
from logitwin.mapf.staging import StagingExecutor
from logitwin.site.io import LorrProblem

__all__ = [
    "Adoption",
    "Plan2026",
    "Planner2026",
    "PlannerView",
    "StagingExecutor",
    "TaskBoard",
    "Timing",
    "run_2026",
]

F, R, C, W, NA = 0, 1, 2, 3, 4
_DX = (1, 0, -1, 0)
_DY = (0, 1, 0, -1)
_ORIENT = "ESWN"


@dataclass(frozen=True)
class Timing:
    """The start kit's timing options (milliseconds), with its defaults.

    Args:
        tick_ms: ``--actionMoveTimeLimit``: one execution tick, the executor's budget.
        plan_interval_ms: ``--planCommTimeLimit``: the planner's budget per call and the
            time between adoptions.
        initial_plan_ms: ``--initialPlanTimeLimit``: the first call's budget.
        executor_plan_ms: ``--executorProcessPlanTimeLimit``: staging a new plan.
        preprocess_ms: ``--preprocessTimeLimit``: the planner's precomputation; a run
            whose planner takes longer stops.
        segment: ticks per segment of the output's path strings.
    """

    tick_ms: float = 100.0
    plan_interval_ms: float = 1000.0
    initial_plan_ms: float = 1000.0
    executor_plan_ms: float = 100.0
    preprocess_ms: float = 30000.0
    segment: int = 100

    def __post_init__(self) -> None:
        names = ("tick_ms", "plan_interval_ms", "initial_plan_ms", "executor_plan_ms",
                 "preprocess_ms")  # fmt: skip
        for name in names:
            v = getattr(self, name)
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number of milliseconds > 0, got {v}")
        if self.plan_interval_ms < self.tick_ms:
            raise ValueError(
                f"plan_interval_ms ({self.plan_interval_ms}) must be at least one tick "
                f"({self.tick_ms} ms)"
            )
        if self.segment < 1:
            raise ValueError(f"segment must be >= 1 tick, got {self.segment}")

    @property
    def interval_ticks(self) -> int:
        """Ticks between two adoptions when the planner is on time."""
        return max(1, int(self.plan_interval_ms // self.tick_ms))


# --- tasks -----------------------------------------------------------------------------------
class TaskBoard:
    """The task pool, assignments and progress (as in the 2024 rules).

    The pool holds ``int(numTasksReveal * teamSize)`` open tasks; tasks are made from the
    problem's task lines in turn (ids 0, 1, 2, ...). A robot's task is set only when a
    plan is adopted; it *opens* the task by reaching its first errand, and from then on it
    cannot be given another. Errands are done in order, one per tick at most.
    """

    def __init__(self, templates: Sequence[tuple[int, ...]], team: int, reveal: float) -> None:
        self._templates = list(templates)
        self.pool_size = max(1, int(reveal * team))
        self.errands: list[tuple[int, ...]] = []
        self.released: list[int] = []
        self.done_at: dict[int, int] = {}
        self.next_errand: dict[int, int] = {}  # open task -> index of its next errand
        self.holder: dict[int, int] = {}  # task -> robot it is assigned to
        self.task_of = [-1] * team
        self.finished = 0
        self.events: list[list[int]] = []
        self.actual_schedule: list[list[str]] = [[] for _ in range(team)]
        self.planner_schedule: list[list[str]] = [[] for _ in range(team)]
        self._last_proposed: list[int | None] = [None] * team
        self.errors: list[list[Any]] = []

    def reveal(self, t: int) -> None:
        """Fill the pool up to its size with new tasks released at tick ``t``."""
        while len(self.next_errand) < self.pool_size:
            tid = len(self.errands)
            self.errands.append(self._templates[tid % len(self._templates)])
            self.released.append(t)
            self.next_errand[tid] = 0

    def opened(self, robot: int) -> bool:
        """Whether the robot has reached its task's first errand."""
        tid = self.task_of[robot]
        return tid >= 0 and self.next_errand.get(tid, 0) > 0

    def goal(self, robot: int) -> int | None:
        """The robot's next errand cell, if it has a task."""
        tid = self.task_of[robot]
        return None if tid < 0 else self.errands[tid][self.next_errand[tid]]

    def assign(self, proposal: Sequence[int], t: int) -> None:
        """Apply a plan's schedule (robot -> task id or -1), refusing what breaks the rules
        with an entry in ``errors``, as the start kit validates it."""
        team = len(self.task_of)
        final = list(self.task_of)
        claimed: dict[int, int] = {}
        for r in range(team):
            want = proposal[r]
            if want != self._last_proposed[r]:
                self.planner_schedule[r].append(f"{t}:{want}")
                self._last_proposed[r] = want
            current = self.task_of[r]
            if self.opened(r):
                if want != current:
                    self._error(want, r, -1, t, "schedule agent to another task who is already "
                                "opened a task")  # fmt: skip
                continue  # keeps its opened task
            if want < 0:
                final[r] = -1
                continue
            if want not in self.next_errand:
                self._error(want, r, -1, t, "task already finished or not revealed")
                final[r] = -1
                continue
            other = self.holder.get(want)
            if other is not None and other != r and self.next_errand[want] > 0:
                self._error(want, r, other, t, "task is already opened by other agent")
                final[r] = -1
                continue
            if want in claimed:
                self._error(want, r, claimed[want], t, "task is already assigned by the second "
                            "agent at the same time")  # fmt: skip
                final[r] = -1
                continue
            claimed[want] = r
            final[r] = want
        for r in range(team):
            if final[r] != self.task_of[r]:
                old = self.task_of[r]
                if old >= 0 and self.holder.get(old) == r:
                    del self.holder[old]
                self.task_of[r] = final[r]
                self.actual_schedule[r].append(f"{t}:{final[r]}")
        for r in range(team):
            if final[r] >= 0:
                self.holder[final[r]] = r

    def _error(self, task: int, a: int, b: int, t: int, why: str) -> None:
        self.errors.append([task, a, b, t + 1, why])

    def check(self, locs: Sequence[int], t: int) -> list[tuple[int, int]]:
        """Advance every robot standing on its task's next errand; return the (robot, task)
        pairs finished at tick ``t`` (events are stamped ``t``)."""
        freed = []
        for r, tid in enumerate(self.task_of):
            if tid < 0:
                continue
            k = self.next_errand[tid]
            if locs[r] != self.errands[tid][k]:
                continue
            k += 1
            self.events.append([t, r, tid, k])
            if k == len(self.errands[tid]):
                del self.next_errand[tid]
                self.holder.pop(tid, None)
                self.task_of[r] = -1
                self.done_at[tid] = t
                self.finished += 1
                freed.append((r, tid))
            else:
                self.next_errand[tid] = k
        return freed


# --- the planner's seam ------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannerView:
    """What a planner sees when it is called: the executor's predicted states, the tasks,
    and which robots still have a long backlog staged (plan them no moves)."""

    loc: list[int]
    ori: list[int]
    backlog: list[int]
    staged_cells: list[list[int]]  # cells each robot is in or still to pass through
    task_of: list[int]
    opened: list[bool]
    open_tasks: dict[int, int]  # task id -> index of its next errand
    errands: list[tuple[int, ...]]
    holder: dict[int, int]  # task -> robot
    tick: int


@dataclass
class Plan2026:
    """A planner's answer: each robot's actions (codes ``F R C W`` = 0..3), the task
    each robot should have (-1: none), and how many actions the executor keeps staged
    per robot once it has staged the plan (``keep``; ``None``: the interval's actions
    plus three)."""

    actions: list[list[int]]
    schedule: list[int]
    keep: int | None = None


class Planner2026(Protocol):
    """Plans the fleet's next actions under the 2026 rules."""

    def preprocess(self, budget_s: float) -> None:
        """Precompute before the first tick (the start kit's preprocessing time)."""
        ...

    def plan(self, view: PlannerView, budget_s: float) -> Plan2026:
        """Actions for every robot from its predicted state, within ``budget_s`` seconds."""
        ...


@dataclass
class Adoption:
    """One planner call: when it was launched, when adopted, how long it took (s)."""

    launched: int
    adopted: int
    wall_s: float


@dataclass
class Result2026:
    """A finished 2026 run: the output JSON and how the run went."""

    output: dict[str, Any]
    adoptions: list[Adoption] = field(default_factory=list)
    executor_timeouts: int = 0
    wall_s: float = 0.0


Clock = Callable[[], float]


def run_2026(
    problem: LorrProblem,
    planner: Planner2026,
    ticks: int,
    timing: Timing | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Result2026:
    """Simulate ``ticks`` execution ticks of a 2026 problem with ``planner`` and the
    staging executor; return the start kit's output (all fields)."""
    if problem.version != 2026 or problem.delay is None:
        raise ValueError(f"{problem.name} is a {problem.version} problem, not a 2026 one")
    if ticks < 0:
        raise ValueError(f"ticks must be >= 0, got {ticks}")
    try:
        return _run(problem, planner, ticks, timing or Timing(), clock)
    finally:
        gc.unfreeze()  # back to the collector


def _run(
    problem: LorrProblem, planner: Planner2026, ticks: int, timing: Timing, clock: Clock
) -> Result2026:
    t_start = clock()
    t0 = clock()
    planner.preprocess(timing.preprocess_ms / 1000.0)
    gc.freeze()
    if (clock() - t0) * 1000.0 > timing.preprocess_ms:
        raise LogitwinError(
            f"preprocessing took {clock() - t0:.1f} s, more than the "
            f"{timing.preprocess_ms / 1000:g} s allowed (--preprocess-ms)"
        )
    n = problem.team_size
    grid = problem.grid
    width = grid.width
    model = ActionModel(grid, problem.agent_counter, problem.agent_size)
    state = FleetState.start(problem.starts.tolist())
    assert problem.delay is not None  # run_2026 checked
    delays = DelayGenerator(problem.delay, n)
    board = TaskBoard(problem.tasks, n, problem.num_tasks_reveal)
    board.reveal(0)
    executor = StagingExecutor(
        state.loc, width, grid.height, problem.agent_counter, problem.agent_size
    )
    planned: list[list[str]] = [[] for _ in range(n)]  # requested letters, per robot
    actual: list[list[str]] = [[] for _ in range(n)]  # executed letters
    snapshots: list[list[tuple[int, int, int, int]]] = [[] for _ in range(n)]
    errors: list[list[Any]] = []
    adoptions: list[Adoption] = []
    executor_timeouts = 0
    tick_s = timing.tick_ms / 1000.0

    def launch(t: int, budget_ms: float) -> tuple[Plan2026, int, float]:
        view = PlannerView(
            loc=list(executor.pred_loc),
            ori=list(executor.pred_ori),
            backlog=[executor.backlog(i) for i in range(n)],
            staged_cells=[[state.loc[i], *executor.cells(i)] for i in range(n)],
            task_of=list(board.task_of),
            opened=[board.opened(i) for i in range(n)],
            open_tasks=dict(board.next_errand),
            errands=board.errands,
            holder=dict(board.holder),
            tick=t,
        )
        t0 = clock()
        plan = planner.plan(view, budget_ms / 1000.0)
        wall = clock() - t0
        # What the planner keeps (distance tables: millions of list items) goes to the
        # permanent generation, where the cyclic collector no longer scans it: a full
        # collection over it took 300 ms, often inside the executor's 100 ms tick.
        gc.freeze()
        if len(plan.actions) != n or len(plan.schedule) != n:
            raise ValueError(f"the planner answered for {len(plan.actions)} of {n} robots")
        if plan.keep is not None and plan.keep < 1:
            raise ValueError(f"the planner asked to keep {plan.keep} actions staged, not >= 1")
        late_ticks = math.ceil(wall * 1000.0 / timing.tick_ms)
        return plan, late_ticks, wall

    # Actions staged per robot at most, unless the plan says: what fits in a planning
    # interval and then some, so that robots rarely run dry before the next plan (the
    # start kit keeps one more than fits).
    window = timing.interval_ticks // problem.agent_counter + 3

    def adopt(plan: Plan2026, t: int) -> None:
        nonlocal executor_timeouts
        board.assign(plan.schedule, t)
        t0 = clock()
        executor.stage(plan.actions, state, plan.keep or window)
        if (clock() - t0) * 1000.0 > timing.executor_plan_ms:
            executor_timeouts += 1  # staging took longer than --executorProcessPlanTimeLimit

    def snapshot(t: int) -> None:
        """Each robot's state at the start of a path segment."""
        if t % timing.segment == 0:
            for i in range(n):
                row, col = divmod(state.loc[i], width)
                snapshots[i].append((row, col, state.ori[i], state.count[i]))

    # Tick 0: the first plan, with its own budget. Late, it costs ticks in which every
    # robot waits. (The start kit draws no delay and records nothing for them; here they
    # are recorded ticks like any other, so that every recorded tick has its delay draw.)
    plan, late, wall = launch(0, timing.initial_plan_ms)
    adoptions.append(Adoption(0, 0, wall))
    t = 0
    for _ in range(min(ticks, max(0, late - int(timing.initial_plan_ms // timing.tick_ms)))):
        snapshot(t)
        delays.next_tick()
        for i in range(n):
            planned[i].append("W")
            actual[i].append("W")
        t += 1
    adopt(plan, t)
    pending, pending_at = None, t
    while t < ticks:
        if pending is None or t >= pending_at:
            if pending is not None:
                adopt(pending, t)
                adoptions[-1].adopted = t
            plan, late, wall = launch(t, timing.plan_interval_ms)
            adoptions.append(Adoption(t, -1, wall))
            pending, pending_at = plan, t + max(timing.interval_ticks, late)
        snapshot(t)
        t0 = clock()
        requested = executor.commands(state)
        if clock() - t0 > tick_s:
            executor_timeouts += 1
        delayed = delays.next_tick()
        for i in range(n):
            if delayed[i]:
                requested[i] = W
        after, done, errs = model.step(state, requested, t)
        errors.extend([list(e) for e in errs])
        for i in range(n):
            planned[i].append(ACTION_CODES[requested[i]])
            actual[i].append(ACTION_CODES[done[i]])
        executor.executed(state, after)
        state = after
        t += 1
        for r, tid in board.check(state.loc, t):
            # As the start kit does: a finished task is not re-proposed by a plan in flight.
            if pending is not None and pending.schedule[r] == tid:
                pending.schedule[r] = -1
        board.reveal(t)
    out = _output(problem, ticks, timing, board, delays, planned, actual, snapshots, errors)
    out["numEntryTimeouts"] = sum(
        1 for a in adoptions[1:] if a.wall_s * 1000.0 > timing.plan_interval_ms
    ) + (adoptions[0].wall_s * 1000.0 > timing.initial_plan_ms)
    out["numExecutorTimeouts"] = executor_timeouts
    out["plannerTimes"] = [round(a.wall_s, 6) for a in adoptions]
    return Result2026(out, adoptions, executor_timeouts, clock() - t_start)


def _output(
    problem: LorrProblem,
    ticks: int,
    timing: Timing,
    board: TaskBoard,
    delays: DelayGenerator,
    planned: list[list[str]],
    actual: list[list[str]],
    snapshots: list[list[tuple[int, int, int, int]]],
    errors: list[list[Any]],
) -> dict[str, Any]:
    """The result JSON, keys in the start kit's order, at its fullest output level."""
    width = problem.grid.width
    n = problem.team_size
    seg = timing.segment
    for i in range(n):  # a segment per `seg` ticks, even past the last recorded tick
        while len(snapshots[i]) < max(1, -(-ticks // seg)):
            snapshots[i].append(snapshots[i][-1])
    tasks = []
    for tid, errands in enumerate(board.errands):
        flat: list[int] = []
        for c in errands:
            flat += divmod(c, width)
        tasks.append([tid, board.released[tid], flat])
    return {
        "actionModel": "MAPF_T",
        "version": "2026 LoRR",
        "teamSize": n,
        "numTaskFinished": board.finished,
        "makespan": ticks,
        "numPlannerErrors": len(errors),
        "numScheduleErrors": len(board.errors),
        "numEntryTimeouts": 0,
        "agentMaxCounter": problem.agent_counter,
        "outputSegmentSize": seg,
        "delayIntervals": [[list(iv) for iv in ivs] for ivs in delays.intervals],
        "start": [[*divmod(int(c), width), "E"] for c in problem.starts],
        "actualPaths": [encode_path("".join(actual[i]), snapshots[i], seg) for i in range(n)],
        "events": board.events,
        "tasks": tasks,
        "plannerPaths": [encode_path("".join(planned[i]), snapshots[i], seg) for i in range(n)],
        "plannerTimes": [],
        "errors": errors,
        "actualSchedule": [",".join(s) for s in board.actual_schedule],
        "plannerSchedule": [",".join(s) for s in board.planner_schedule],
        "scheduleErrors": board.errors,
    }
