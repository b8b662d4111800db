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

The executor here is a temporal plan graph over cells: each cell keeps the robots that
will enter it in plan order (plan by plan, step by step); a robot starts a forward move
only when it is first in line for the cell ahead, i.e. once every robot planned there
before it has left. Plans without rotations (robots following each other round a cycle
in one step) therefore execute without collision or deadlock whatever the delays. A robot
larger than a cell holds the block of cells its square lies in and waits to head the
line of every cell its move leads into (:mod:`logitwin.mapf.blocks`).
"""

from __future__ import annotations

import gc
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from logitwin.errors import LogitwinError
from logitwin.mapf.blocks import Blocks, cells_across
from logitwin.mapf.delays import DelayGenerator
from logitwin.mapf.footprint import ACTION_CODES, ActionModel, FleetState
from logitwin.mapf.paths import encode_path
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


# --- executor --------------------------------------------------------------------------------
class StagingExecutor:
    """Stages adopted plans and releases them tick by tick in plan order per cell.

    Each cell has a line of the robots that will hold it. A robot holds the cells its
    square lies in (:class:`~logitwin.mapf.blocks.Blocks`: one cell for ``size <= 1``,
    a block of ``ceil(size)``-by-``ceil(size)`` cells above); a forward move takes the
    cells it leads into when it starts and gives up those it trails when it ends.

    Args:
        starts: each robot's cell.
        width: the map's width (cells).
        k: ticks per action (``agentCounter``).
        size: the footprint's side (``agentSize``).
        height: the map's height (cells; needed only for ``size > 1``, where a block
            is cut at the map's edge).
    """

    def __init__(
        self,
        starts: Sequence[int],
        width: int,
        k: int = 1,
        size: float = 1.0,
        height: int | None = None,
    ) -> None:
        n = len(starts)
        self._width = width
        self.k = k
        m = cells_across(size)
        if m > 1 and height is None:
            raise ValueError(f"agentSize {size} > 1 needs the map's height")
        self._blocks = Blocks(width, height or 1, m)  # a height is read only for m > 1
        # Ticks of motion between two robots' corners at which the one behind may move on:
        # the footprint's side plus one tick (K ticks a cell), and a cell plus one tick
        # for smaller robots: the one behind must not arrive before the one ahead has
        # left (it would leave the cell's line out of its turn after it).
        self._clear = max(math.ceil(size * k - 1e-9), k) + 1
        self.staged: list[deque[tuple[int, int]]] = [deque() for _ in range(n)]
        self._line: dict[int, deque[int]] = {}
        for i, a in enumerate(starts):
            for c in self._blocks.block(a):
                self._line.setdefault(c, deque()).append(i)
        self.pred_loc = list(starts)
        self.pred_ori = [0] * n

    def stage(
        self, actions: Sequence[Sequence[int]], state: FleetState | None = None, window: int = 0
    ) -> None:
        """Append a plan (each robot's action codes, step by step, from its predicted
        state): its moves join each cell's line in step order, after earlier plans'.

        With ``state`` (the robots' actual states) and a ``window``, what is staged is
        then cut to what a dry run from ``state`` executes in ``window`` actions (a robot
        waits in it while it is not first in line for the cell ahead), and the lines are
        rebuilt in the dry run's order: a robot held up does not keep far-off cells
        booked, and the next plan starts where robots can really be.
        """
        self._append(actions)
        if state is not None and window > 0:
            self._dry_run(state, window)

    def _append(self, actions: Sequence[Sequence[int]]) -> None:
        steps = max((len(a) for a in actions), default=0)
        staged, lines, lead = self.staged, self._line, self._blocks.lead
        loc, ori, width = self.pred_loc, self.pred_ori, self._width
        single = self._blocks.m == 1
        step_of = [(_DX[o] + _DY[o] * width) for o in range(4)]
        # Per step, the robots that move or turn in it (waits are not staged).
        busy: list[list[int]] = [[] for _ in range(steps)]
        for i, acts in enumerate(actions):
            for s, a in enumerate(acts):
                if a != W:
                    busy[s].append(i)
        for s in range(steps):
            for i in busy[s]:
                a = actions[i][s]
                if a == F:
                    here = loc[i]
                    cell = here + step_of[ori[i]]
                    staged[i].append((F, cell))
                    for c in (cell,) if single else lead(here, cell):
                        q = lines.get(c)
                        if q is None:
                            lines[c] = deque((i,))
                        else:
                            q.append(i)
                    loc[i] = cell
                elif a in (R, C):
                    staged[i].append((a, -1))
                    ori[i] = (ori[i] + (1 if a == R else 3)) & 3

    def _dry_run(self, state: FleetState, window: int) -> None:
        n = len(self.staged)
        lines = {c: deque(q) for c, q in self._line.items()}
        loc, ori = list(state.loc), list(state.ori)
        done = [0] * n  # staged actions each robot executes in the dry run
        blocks = self._blocks
        # (robot, cells it takes) moves in the order they happen
        order: list[tuple[int, tuple[int, ...]]] = []

        single = blocks.m == 1

        def go(i: int) -> int:
            """Robot ``i``'s next staged action if it can run: -1 if it ran, else the
            robot it waits for (heading the line of a cell it leads into)."""
            a, cell = self.staged[i][done[i]]
            if a == F and single:  # (the general case below, without its calls)
                line = lines.get(cell)
                if not line:
                    return n
                if line[0] != i:
                    return line[0]
                lines[loc[i]].popleft()
                loc[i] = cell
                order.append((i, (cell,)))
            elif a == F:
                lead = blocks.lead(loc[i], cell)
                for c in lead:
                    line = lines.get(c)
                    if not line:
                        return n  # nobody's turn there: it waits the whole step
                    if line[0] != i:
                        return line[0]
                for c in blocks.trail(loc[i], cell):
                    lines[c].popleft()
                loc[i] = cell
                order.append((i, lead))
            else:
                ori[i] = (ori[i] + (1 if a == R else 3)) % 4
            done[i] += 1
            return -1

        # Actions in progress are committed: they complete first (a robot in a train
        # once the one ahead of it has).
        busy = [i for i in range(n) if state.count[i] > 0 and state.cur[i] != NA]
        while busy:
            waiting = [i for i in busy if go(i) >= 0]
            if len(waiting) == len(busy):
                raise ValueError(f"robots {waiting[:5]} are moving out of their turn")
            busy = waiting
        staged = self.staged
        for _ in range(window):
            # One action each per step; a robot held up by one ahead that moves in the same
            # step goes right after it (trains), else it tries again next step. A cell's
            # line fixes who enters it in which order, so the order robots are tried in
            # does not change the outcome.
            todo = deque(i for i in range(n) if done[i] < len(staged[i]))
            waiters: dict[int, list[int]] = {}
            while todo:
                i = todo.popleft()
                k = go(i)
                if k < 0:
                    woken = waiters.pop(i, None)
                    if woken:
                        todo.extend(woken)
                else:
                    waiters.setdefault(k, []).append(i)
        # Rebuild: each cell's holder (where the robot is, or the cell its move in
        # progress enters), then the kept moves in dry-run order.
        rebuilt: dict[int, deque[int]] = {}
        for i in range(n):
            for c in blocks.block(state.loc[i]):
                rebuilt.setdefault(c, deque()).append(i)
        started = set()
        for i in range(n):
            q = self.staged[i]
            while len(q) > done[i]:
                q.pop()
            if state.cur[i] == F and state.count[i] > 0 and q and q[0][0] == F:
                for c in blocks.lead(state.loc[i], q[0][1]):  # holds the cells it enters
                    rebuilt.setdefault(c, deque()).append(i)
                started.add(i)
        for i, lead in order:
            if i in started:
                started.discard(i)  # its move in progress: it holds those cells already
                continue
            for c in lead:
                rebuilt.setdefault(c, deque()).append(i)
        self._line = rebuilt
        self.pred_loc, self.pred_ori = loc, ori

    def commands(self, state: FleetState) -> list[int]:
        """Each robot's request this tick: its staged action, or a wait.

        A robot moves into a cell when it is first in that cell's line, or, in a straight
        train, when the robot ahead of it in the line is driving out of the cell the same
        way and is far enough ahead that it may stop dead this tick (a delay) without the
        two squares overlapping: ``max(size, 1) + 1/K`` cells between their corners. A robot
        larger than a cell starts a move only when it is first in line for every cell
        it leads into (no trains).
        """
        if self._blocks.m > 1:
            return self._block_commands(state)
        out = []
        for i, q in enumerate(self.staged):
            if not q:
                out.append(W)
                continue
            a, cell = q[0]
            if a != F:
                out.append(a)  # turns do not move the square
                continue
            line = self._line.get(cell)
            if not line:
                out.append(W)
                continue
            j = line[0]
            train = len(line) > 1 and line[1] == i and state.loc[j] == cell
            if j == i or (train and self._ahead(state, j, i)):
                out.append(F)
            else:
                out.append(W)  # paused or held back until the robot ahead is far enough
        return out

    def _block_commands(self, state: FleetState) -> list[int]:
        out = []
        lines, blocks = self._line, self._blocks
        for i, q in enumerate(self.staged):
            if not q:
                out.append(W)
                continue
            a, cell = q[0]
            if a != F:
                out.append(a)
                continue
            ok = True
            for c in blocks.lead(state.loc[i], cell):
                line = lines.get(c)
                if not line or line[0] != i:
                    ok = False
                    break
            out.append(F if ok else W)
        return out

    def _ahead(self, state: FleetState, j: int, i: int) -> bool:
        """Whether robot ``i`` may drive on behind robot ``j``, which stands in the cell
        ``i`` enters: ``j`` drives straight out of it the way ``i`` goes, and stays far
        enough ahead even if it stops this tick."""
        if state.cur[j] != F or state.ori[j] != state.ori[i]:
            return False
        o = state.ori[i]
        k = self.k
        # Progress along the direction of travel, in ticks of motion (K per cell).
        rj, cj = divmod(state.loc[j], self._width)
        ri, ci = divmod(state.loc[i], self._width)
        along = (cj - ci) * _DX[o] + (rj - ri) * _DY[o]
        if (cj - ci) * _DY[o] != 0 or (rj - ri) * _DX[o] != 0:
            return False  # not on the same line
        gap = along * k + state.count[j] - (state.count[i] if state.cur[i] == F else 0)
        return gap >= self._clear

    def executed(self, before: FleetState, after: FleetState) -> None:
        """Take off each robot's staged action once it is complete; a robot that left
        cells leaves their lines."""
        for i, q in enumerate(self.staged):
            if after.loc[i] != before.loc[i]:
                for c in self._blocks.trail(before.loc[i], after.loc[i]):
                    line = self._line[c]
                    if line[0] != i:
                        raise ValueError(f"robot {i} left cell {c} out of its turn")
                    line.popleft()
                    if not line:
                        del self._line[c]
                q.popleft()
            elif after.ori[i] != before.ori[i]:
                q.popleft()

    def cells(self, robot: int) -> list[int]:
        """The cells the robot is still to enter with its staged moves, in order."""
        return [c for a, c in self.staged[robot] if a == F]

    def backlog(self, robot: int) -> int:
        """Actions staged and not yet complete."""
        return len(self.staged[robot])


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
    """A planner's answer: each robot's actions (codes ``F R C W`` = 0..3) and the task
    each robot should have (-1: none)."""

    actions: list[list[int]]
    schedule: list[int]


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
        state.loc, width, problem.agent_counter, problem.agent_size, grid.height
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
        late_ticks = math.ceil(wall * 1000.0 / timing.tick_ms)
        return plan, late_ticks, wall

    # Actions staged per robot at most: what fits in a planning interval and then some,
    # so that robots rarely run dry before the next plan (the start kit keeps one more
    # than fits).
    window = timing.interval_ticks // problem.agent_counter + 3

    def adopt(plan: Plan2026, t: int) -> None:
        nonlocal executor_timeouts
        board.assign(plan.schedule, t)
        t0 = clock()
        executor.stage(plan.actions, state, window)
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
