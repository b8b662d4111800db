"""A League of Robot Runners (LoRR) simulator: the competition's rules around our planner.

Rules as in the LoRR start kits: robots start facing east and act with ``F``/``R``/``C``/
``W``; if any action is invalid (obstacle, leaving the map, vertex or edge conflict) or the
planner overruns its per-step budget, every robot waits that step. 2024 problems reveal
``numTasksReveal x teamSize`` tasks and let the runner's scheduler assign them; 2023
problems assign tasks by the file's strategy. The result is LoRR's output JSON.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logitwin.control.assignment import greedy_assign
from logitwin.control.congestion import CongestionDistances
from logitwin.control.epibt import EPIBT
from logitwin.control.lns import RefinedPIBT, WindowedLNS
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.control.planner import FleetPlanner, FleetView
from logitwin.errors import SiteError
from logitwin.mapf.actions import ORIENT_NAMES, check_step
from logitwin.site.distance import DistanceOracle
from logitwin.site.guidance import GuidedDistances, lane_costs
from logitwin.site.io import LorrProblem

__all__ = [
    "CONGESTION_MIN_FILL",
    "CONGESTION_PER_FILL",
    "CONGESTION_TABLE_S",
    "DENSE_FILL",
    "EPIBT_ACTIVE_DENSITY",
    "EPIBT_DEPTHS",
    "EPIBT_FILL",
    "EPIBT_REFINE_S",
    "REFINE_S",
    "REFINE_SHARE",
    "STATE_TABLE_MAX_FREE",
    "LorrRunner",
    "Task",
    "horizon_for",
]

STATE_TABLE_MAX_FREE = 5000
# Robots on tasks at most on this share of the free cells; the rest park. Tuned on the
# random 32x32 instances: RANDOM-03 (49% of cells hold a robot) 711 -> 863 tasks,
# RANDOM-04 (85%) 641 -> 914; 0.2-0.6 tried. With LNS at 500 ms, RANDOM-03 at 0.25 and 0.4
# fell behind 0.3 (1,069 against 1,185 tasks by step 700; 351 against 409 by step 200).
ACTIVE_DENSITY = 0.3
# Windowed LNS refines PIBT's rollout for REFINE_S seconds a step, never past this share
# of the step budget. 500 ms against 100 ms: RANDOM-02 1,106 / 1,083 / 1,067 (two seeds,
# the benchmark) against 939-1,016 tasks, RANDOM-03 1,324 / 1,200 against 1,115-1,177;
# RANDOM-01 (660-665 / 659) and RANDOM-04 (963-1,009 / 964-1,033) hold; 800 ms gave
# RANDOM-02 no more (1,066). Near-full maps skip it (below).
REFINE_S = 0.5
REFINE_SHARE = 0.8
# Near-full maps (robots on more than DENSE_FILL of the free cells) are a sliding puzzle:
# a 10-step window finds no room to re-plan into, and LNS only costs PIBT its time. They
# run PIBT alone with more robots working. RANDOM-05 (98% full), 2000 steps: 933 tasks
# with LNS at 0.3; PIBT alone 1101 at 0.5, 1137 at 0.6, 1123-1150 at 0.7 (4 seeds), 1140
# at 0.8, 948 with every robot working; at 0.7 with 500 ms of LNS, 93 tasks by step 300
# against 165 for PIBT alone. RANDOM-04 (85%) keeps LNS: 994 against 951.
DENSE_FILL = 0.9
DENSE_ACTIVE_DENSITY = 0.7
# Maps with state tables and robots on more than EPIBT_FILL of the free cells plan with
# EPIBT (multi-action operations) and its refinement rounds for EPIBT_REFINE_S a step;
# sparser ones with PIBT and the windowed LNS. Tasks, EPIBT against PIBT + LNS (500 ms):
# RANDOM-01 (12% fill) 641 (depth 5, 200 ms) / 660-665; RANDOM-02 (24%) 1,132 (depth
# 5, 200 ms) / 1,067-1,106. Depth 3, 200 ms: RANDOM-03 (49%) 1,685 / 1,200-1,324,
# RANDOM-04 (85%) 1,775 / 963-1,009, RANDOM-05 (98%) 2,156 / 1,160.
EPIBT_FILL = 0.2
# Longer operations see further but cost more per round: RANDOM-03 at 200 ms finished
# 1,690 / 1,797 / 1,873 / 1,773 tasks with depth 3 / 4 / 5 / 6; RANDOM-04 at 500 ms
# 1,790 / 1,765 with 3 / 5 and 1,967 with 4 (annealing); RANDOM-05 at 500 ms had 468
# tasks by step 500 with depth 5 and 828 with 3 (pure Python). Compiled, with congestion
# distances, RANDOM-05 by step 500: 903 / 960 / 788 at depth 3 / 4 / 5, but over the
# whole run depth 4 fell behind: 2,341 against 2,478 tasks. Robots on up to 60% of the
# free cells: depth 5; up to DENSE_FILL: 4; above: 3.
EPIBT_DEPTHS = ((0.6, 5), (DENSE_FILL, 4), (1.0, 3))
# Rounds settle within 50 ms on RANDOM-03 (depth 3: 1,692 / 1,685 tasks at 50 / 200 ms),
# not on the fuller maps: RANDOM-05 1,863 / 2,156 / 2,351 at 50 / 200 / 500 ms,
# RANDOM-04 1,775 / 1,790 at 200 / 500 ms; RANDOM-03 at depth 5 (annealing) 1,900 /
# 1,947 at 200 / 500 ms.
EPIBT_REFINE_S = 0.5
# EPIBT steers by distances that charge for entering a cell a robot stands on
# (CongestionDistances): CONGESTION_PER_FILL times the fleet's share of the free cells,
# as the LoRR 2024 winner did, on maps fuller than CONGESTION_MIN_FILL but not near-full.
# Stale tables are rebuilt for up to CONGESTION_TABLE_S a step, the stalest first. They
# pay with more robots working (EPIBT_ACTIVE_DENSITY); on the sparser RANDOM-02 (24%,
# every robot working either way) they cost tasks: 1,109 against 1,160 without; on the
# near-full RANDOM-05 2,478 against 2,507 and 2,554 without (whole runs).
CONGESTION_PER_FILL = 28
CONGESTION_MIN_FILL = 0.4
CONGESTION_TABLE_S = 0.05
# With EPIBT steering around robots more of them can work at once. Tasks by step 400:
# RANDOM-03 (49% fill) 1,050 at 0.3 (either distances); every robot working 1,159 with
# congestion distances, 1,074 without; 0.45: 1,146. RANDOM-04 (85%) 1,030 at 0.3 (1,020
# without congestion distances), 1,093 at 0.45, 1,062 at 0.5, 1,029 at 0.6, 927 with
# every robot. RANDOM-05 (98%, near-full) keeps DENSE_ACTIVE_DENSITY: 903 / 884 by step
# 500 at 0.7 / 0.5 (874 at 0.7 without congestion distances).
EPIBT_ACTIVE_DENSITY = 0.45
# Share of the step budget that computing new guided distance tables may take.
GUIDED_TABLE_SHARE = 0.3
# Station queues (2024 scheduler): a task's first errand costs QUEUE_WAIT steps more per
# robot already heading there, and takes at most FIRST_CAP of them; tasks at a full one
# wait. On WAREHOUSE every task starts at one of 352 stations and greedy's nearest picks
# piled up to 40 robots on some while the median had 5; those queues spilled into the
# one-way lanes and the jams spread. First 1,200 steps: 16,218 tasks uncapped, 17,356
# with 3 and 14 (the last 100 steps 964 -> 1,433); caps of 8 starved the stations, 20
# capped too little. Once every row and column was one-way, a lower cap paid over whole
# runs: 5,000 steps, WAREHOUSE 80,934 / 78,761 with caps 10 / 14 (20 was 2.6% behind 14
# at step 2,700), SORTATION 88,487 / 86,196.
QUEUE_WAIT = 3.0
FIRST_CAP = 10
REMATCH_MAX_ROBOTS = 1000  # re-match unopened tasks every step up to this fleet size
SCHEDULE_BATCH = 400  # free robots matched per step above REMATCH_MAX_ROBOTS


@dataclass
class Task:
    """A revealed task: errand cells to visit in order."""

    id: int
    errands: tuple[int, ...]
    revealed: int
    length: float
    next: int = 0  # index of the next errand; > 0 means the task is open
    agent: int = -1


@dataclass
class LorrRunner:
    """Runs one LoRR problem with the rotation-aware PIBT planner and greedy scheduler.

    Args:
        problem: the loaded problem.
        step_budget_s: planning time per step (s); an overrun makes every robot wait.
        seed: seed of the planner's tie-breaking.
        max_cached_maps: distance maps kept in memory (LRU).
        active_density: at most this share of the free cells holds a robot on a task
            (2024); the others park (1.0: every robot works). ``None``:
            ``DENSE_ACTIVE_DENSITY`` on near-full maps, else ``EPIBT_ACTIVE_DENSITY``
            with EPIBT and ``ACTIVE_DENSITY`` with PIBT.
        refine_s: seconds of windowed LNS per step after PIBT's rollout, never past
            ``REFINE_SHARE`` of the step budget (0: PIBT alone). ``None``: ``REFINE_S``,
            or 0 on near-full maps (robots on more than ``DENSE_FILL`` of the free
            cells). Maps with more than ``STATE_TABLE_MAX_FREE`` free cells use PIBT
            alone.
        window: steps the LNS plans ahead; neighbourhood: robots it re-plans together.
        yield_after: a robot on a task that has not moved forward for this many steps
            drops its goal for one step, so others push it aside (0: never). Small maps
            only: on WAREHOUSE it cost tasks (36,812 against 41,872 without).
        guidance: on maps with more than ``STATE_TABLE_MAX_FREE`` free cells, and on
            near-full ones, every row and column is one-way
            (:func:`logitwin.site.guidance.lane_costs`).
        lane_penalty: cost of a wrong-way move there. ``None``: 4 on large maps (tasks
            in 5,000 steps at 3 / 4 / 5 / 10: WAREHOUSE 72,565 / 78,761 / 78,768 /
            79,325; SORTATION 86,607 / 85,562 / 82,207 / behind 5 at step 1,600), 3 on
            near-full ones (RANDOM-05, 2,000 steps, at 3 / 4 / 8: 2,858 / 2,813 /
            2,745).
        planner: "pibt" or "epibt" (``None``: chosen by the map and fleet, see
            ``EPIBT_FILL``).
        congestion_penalty: with EPIBT, robots steer by distances that charge this much
            for entering a cell another robot stands on
            (:class:`logitwin.control.congestion.CongestionDistances`; 0: plain turn-aware
            distances). ``None``: ``CONGESTION_PER_FILL`` times the share of free cells
            holding a robot (at least 1) where that share is above
            ``CONGESTION_MIN_FILL`` and the map is not near-full, else 0.
    """

    problem: LorrProblem
    step_budget_s: float = 1.0
    seed: int = 0
    max_cached_maps: int | None = 20_000
    active_density: float | None = None
    refine_s: float | None = None
    window: int = 10
    neighbourhood: int = 3
    yield_after: int = 10
    guidance: bool = True
    lane_penalty: int | None = None
    planner: str | None = None
    congestion_penalty: int | None = None
    # --- state, filled by run() ---
    cells: list[int] = field(default_factory=list)
    orients: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        p = self.problem
        if p.version == 2023 and p.assignment_strategy not in (
            "roundrobin",
            "roundrobin_fixed",
            "greedy",
        ):
            raise SiteError(
                f"{p.path}: taskAssignmentStrategy {p.assignment_strategy!r} is not "
                "supported; allowed: roundrobin, roundrobin_fixed, greedy"
            )
        if self.step_budget_s <= 0:
            raise ValueError(f"step budget must be > 0 s, got {self.step_budget_s}")
        self.grid = p.grid
        self.n = p.team_size
        n_free = len(self.grid.free_cells)
        self.near_full = self.n > DENSE_FILL * n_free
        # Exact turn-aware distance tables where the map is small enough to afford them.
        self.state_tables = n_free <= STATE_TABLE_MAX_FREE
        if self.planner is None:
            dense = self.n > EPIBT_FILL * n_free
            self.planner = "epibt" if self.state_tables and dense else "pibt"
        if self.planner not in ("pibt", "epibt"):
            raise ValueError(f"planner must be 'pibt' or 'epibt', got {self.planner!r}")
        if self.planner == "epibt" and not self.state_tables:
            raise ValueError(
                f"planner 'epibt' needs state distance tables: at most "
                f"{STATE_TABLE_MAX_FREE} free cells, the map has {n_free}"
            )
        if self.refine_s is None:
            if self.planner == "epibt":
                self.refine_s = EPIBT_REFINE_S
            else:
                self.refine_s = 0.0 if self.near_full else REFINE_S
        if self.refine_s < 0:
            raise ValueError(f"refine_s must be >= 0 s, got {self.refine_s}")
        if self.active_density is None:
            if self.near_full:
                self.active_density = DENSE_ACTIVE_DENSITY
            elif self.planner == "epibt":
                self.active_density = EPIBT_ACTIVE_DENSITY
            else:
                self.active_density = ACTIVE_DENSITY
        if not 0 < self.active_density <= 1:
            raise ValueError(f"active_density must be in (0, 1], got {self.active_density}")
        self.max_active = max(1, min(self.n, int(self.active_density * n_free)))
        self.oracle = DistanceOracle(self.grid, max_cached=self.max_cached_maps)
        # Traffic rules (one-way rows and columns as move costs) on large maps and on
        # near-full small ones. Large maps get cell tables that respect them
        # (GuidedDistances) and PIBT the same move costs; small maps turn-aware tables
        # that charge them. RANDOM-05 (98% full), 2,000 steps: 2,858 / 2,813 / 2,745
        # tasks with a wrong-way move costing 3 / 4 / 8 against 2,502-2,575 without (five
        # runs, 50-80% of the free cells working, with and without yielding). On the less
        # full RANDOM-03 (49%, 800 steps) 2,186 against 2,178, RANDOM-04 (85%, 1,000)
        # 2,215 against 2,278 (at 4): off there.
        lanes_on = self.guidance and (not self.state_tables or self.near_full)
        if self.lane_penalty is None:
            self.lane_penalty = 4 if not self.state_tables else 3
        self.lanes = lane_costs(self.grid, self.lane_penalty) if lanes_on else None
        state_lanes = self.lanes if self.state_tables else None
        self.rot = RotationDistances(self.grid, self.max_cached_maps, state_lanes)
        self.guided = (
            GuidedDistances(self.grid, self.lanes, max_cached=self.max_cached_maps)
            if self.lanes is not None and not self.state_tables
            else None
        )
        self.pibt = PIBT(
            self.grid,
            self.n,
            np.random.default_rng(self.seed),
            state_tables=self.state_tables,
            move_cost=None if self.state_tables else self.lanes,
        )
        depth = next(d for fill, d in EPIBT_DEPTHS if self.n <= fill * n_free or fill >= 1)
        rng_epibt = np.random.default_rng(self.seed + 2)
        self.epibt = (
            EPIBT(self.grid, self.n, rng_epibt, depth=depth, refine_s=self.refine_s)
            if self.planner == "epibt"
            else None
        )
        if self.congestion_penalty is None:
            fill = self.n / n_free
            on = fill > CONGESTION_MIN_FILL and not self.near_full
            self.congestion_penalty = max(1, round(CONGESTION_PER_FILL * fill)) if on else 0
        if self.congestion_penalty < 0:
            raise ValueError(f"congestion_penalty must be >= 0, got {self.congestion_penalty}")
        self.congestion = (
            CongestionDistances(
                self.grid, self.congestion_penalty, self.max_cached_maps, state_lanes
            )
            if self.epibt is not None and self.congestion_penalty
            else None
        )
        self.lns = WindowedLNS(
            self.grid, self.window, np.random.default_rng(self.seed + 1), self.neighbourhood
        )
        # The runner plans only through the FleetPlanner protocol.
        self.fleet_planner: FleetPlanner
        if self.epibt is not None:
            self.fleet_planner = self.epibt
        elif self.refine_s and self.state_tables:
            self.fleet_planner = RefinedPIBT(self.pibt, self.lns, self.refine_s)
        else:
            self.fleet_planner = self.pibt
        self._followed = True  # the fleet executed the last step as planned
        self.since_move = [0] * self.n
        self.cells = [int(c) for c in p.starts]
        self.orients = [0] * self.n
        self.t = 0
        self.tasks: dict[int, Task] = {}  # ongoing (revealed, not finished)
        self.all_tasks: list[Task] = []
        self.assignment = [-1] * self.n  # task id per robot
        self.queues: list[list[int]] = [[] for _ in range(self.n)]  # 2023: revealed per robot
        self.next_task_id = 0
        self.rr_next = list(range(self.n))  # 2023 roundrobin: next task index per robot
        self.finished = 0
        self.costs = [0] * self.n
        # One string of n action letters per step: millions of per-robot list entries
        # made Python's cyclic GC pause for ~1 s at 10,000 robots.
        self.actual: list[str] = []
        self.planned: list[str] = []
        self.planner_times: list[float] = []
        self.errors: list[list[Any]] = []
        self.events: list[list[int]] = []
        self.actual_schedule: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        self.overruns = 0

    # --- tasks ---------------------------------------------------------------------------
    def _length(self, errands: tuple[int, ...]) -> float:
        total = 0.0
        for a, b in itertools.pairwise(errands):
            total += int(self.oracle.dist_map(a)[b])
        return total

    def _new_task(self, index: int, tid: int) -> Task:
        errands = self.problem.tasks[index % len(self.problem.tasks)]
        task = Task(tid, errands, self.t, self._length(errands) if len(errands) > 1 else 0.0)
        self.tasks[tid] = task
        self.all_tasks.append(task)
        return task

    def _reveal(self) -> None:
        p = self.problem
        if p.version == 2024:
            target = math.ceil(p.num_tasks_reveal * self.n)  # LoRR: num_tasks_reveal * agents
            while len(self.tasks) < target:
                self._new_task(self.next_task_id, self.next_task_id)
                self.next_task_id += 1
            return
        per_agent = max(1, round(p.num_tasks_reveal))
        n_tasks = len(p.tasks)
        for k in range(self.n):
            q = self.queues[k]
            while len(q) < per_agent:
                if p.assignment_strategy == "greedy":
                    idx = self.next_task_id
                    tid = idx
                    self.next_task_id += 1
                else:
                    idx = self.rr_next[k]
                    if p.assignment_strategy == "roundrobin_fixed" and idx >= n_tasks:
                        break  # a fixed list ends
                    self.rr_next[k] += self.n
                    tid = idx
                task = self._new_task(idx, tid)
                task.agent = k
                q.append(tid)
            self.assignment[k] = q[0] if q else -1

    def _schedule(self) -> None:
        """2024: match robots to open tasks by estimated travel (greedy matching).

        With re-matching on, robots that have not reached their task's first errand yet
        are matched again every step together with the free ones, so a task goes to
        whichever robot can now reach it first.
        """
        if self.problem.version != 2024:
            return
        rematch = self.n <= REMATCH_MAX_ROBOTS
        robots = [
            k
            for k in range(self.n)
            if self.assignment[k] < 0 or (rematch and self.tasks[self.assignment[k]].next == 0)
        ]
        if not rematch:
            # Large fleets: at most SCHEDULE_BATCH free robots per step, so that the
            # start, when every robot is free, does not blow the step budget.
            robots = robots[:SCHEDULE_BATCH]
        if not rematch and self.max_active < self.n:
            # Admission control: match only as many free robots as may start a task;
            # scoring the rest against every open task would eat the step budget.
            busy = sum(1 for tid in self.assignment if tid >= 0)
            robots = robots[: max(0, self.max_active - busy)]
        if not robots:
            return
        held = {}
        for k in robots:
            tid = self.assignment[k]
            if tid >= 0:
                self.tasks[tid].agent = -1
                held[k] = tid
        open_tasks = [t for t in self.tasks.values() if t.agent < 0]
        # The queue at each cell: robots (not being re-matched) heading there next.
        load: dict[int, int] = {}
        for k, tid in enumerate(self.assignment):
            if tid >= 0 and k not in held:
                t = self.tasks[tid]
                c = t.errands[t.next]
                load[c] = load.get(c, 0) + 1
        firsts = [t.errands[0] for t in open_tasks]
        pairs = greedy_assign(
            [self.cells[k] for k in robots],
            firsts,
            [t.length + QUEUE_WAIT * load.get(t.errands[0], 0) for t in open_tasks],
            self.oracle.dist_map,
            capacity={c: FIRST_CAP - load.get(c, 0) for c in firsts},
        )
        for k in robots:
            self.assignment[k] = -1
        if self.max_active < self.n:
            # Dense fleets: keep only max_active robots on tasks, the cheapest pairs.
            busy = sum(1 for tid in self.assignment if tid >= 0)
            pairs = pairs[: max(0, self.max_active - busy)]
        for a, ti in pairs:
            k, task = robots[a], open_tasks[ti]
            task.agent = k
            self.assignment[k] = task.id
            if held.get(k) != task.id:
                self.actual_schedule[k].append((self.t, task.id))

    def _check_finished(self) -> None:
        for k in range(self.n):
            tid = self.assignment[k]
            if tid < 0:
                continue
            task = self.tasks[tid]
            if self.cells[k] != task.errands[task.next]:
                continue
            task.next += 1
            self.events.append([self.t, k, tid, task.next])
            if task.next == len(task.errands):
                del self.tasks[tid]
                self.finished += 1
                self.assignment[k] = -1
                if self.problem.version == 2023:
                    self.queues[k].pop(0)

    # --- the loop ------------------------------------------------------------------------
    def step(self) -> None:
        """Schedule, plan, validate and execute one timestep."""
        t0 = time.perf_counter()
        self._schedule()
        goals = [
            self.tasks[tid].errands[self.tasks[tid].next] if tid >= 0 else -1
            for tid in self.assignment
        ]
        if self.yield_after and self.state_tables:
            # A robot that has not moved forward for yield_after steps drops its goal
            # for one step: others push it aside instead of queueing behind it.
            for k in range(self.n):
                if goals[k] >= 0 and self.since_move[k] >= self.yield_after:
                    goals[k] = -1
                    self.since_move[k] = 0
        # Large maps: index the numpy maps directly; turning 70k-cell maps into lists
        # would cost more than the planner's lookups save.
        dists: list[Any]
        if self.state_tables:
            dists = [self.rot.table(g) if g >= 0 else None for g in goals]
        elif self.guided is not None:
            dists = self._guided_tables(goals, t0)
        else:
            dists = [self.oracle.dist_map(g) if g >= 0 else None for g in goals]
        deadline = t0 + REFINE_SHARE * self.step_budget_s
        if self.epibt is not None:
            view = self._epibt_view(goals, dists, deadline)
        else:
            view = FleetView(self.cells, self.orients, dists, goals, followed=self._followed)
        actions = self.fleet_planner.plan(view, deadline)
        elapsed = time.perf_counter() - t0
        self.planner_times.append(elapsed)
        for k, g in enumerate(goals):
            if g >= 0:
                self.costs[k] += 1
        overrun = elapsed > self.step_budget_s
        if overrun:
            self.overruns += 1
            planned = ["T"] * self.n
            actions = ["W"] * self.n
        else:
            planned = actions
        cells, orients, errors = check_step(self.grid, self.cells, self.orients, actions, self.t)
        self._followed = not (overrun or errors)
        if errors:
            for e in errors:
                self.errors.append([e.robot1, e.robot2, self.t, e.description])
            actions = ["W"] * self.n
            cells, orients = list(self.cells), list(self.orients)
        since = self.since_move
        for k, a in enumerate(actions):
            since[k] = 0 if a == "F" else since[k] + 1
        self.actual.append("".join(actions))
        self.planned.append("".join(planned))
        self.cells, self.orients = cells, orients
        self.t += 1
        self._check_finished()
        self._reveal()

    def _epibt_view(self, goals: list[int], dists: list[Any], deadline: float) -> FleetView:
        """EPIBT's view: robots whose task needs fewest steps in all go first, and the
        tables charge for congestion where that is on."""
        urgency = [0.0] * self.n
        for k, g in enumerate(goals):
            if g < 0:
                continue
            t = self.tasks[self.assignment[k]]
            here = float(dists[k][self.cells[k] * 4 + self.orients[k]])
            urgency[k] = here + self._length(t.errands[t.next :])
        tables: list[Any] = dists
        if self.congestion is not None:
            limit = min(deadline, time.perf_counter() + CONGESTION_TABLE_S)
            self.congestion.update(self.cells, goals, limit)
            tables = [self.congestion.table(g) if g >= 0 else None for g in goals]
        return FleetView(self.cells, self.orients, tables, goals, urgency, None, self._followed)

    def _guided_tables(self, goals: list[int], t0: float) -> list[Any]:
        """Guided tables; a goal whose table would not fit this step's share of the budget
        uses its plain BFS table until a later step has time to compute it."""
        guided = self.guided
        assert guided is not None
        limit = t0 + GUIDED_TABLE_SHARE * self.step_budget_s
        out: list[Any] = []
        for g in goals:
            if g < 0:
                out.append(None)
            elif g in guided or time.perf_counter() < limit:
                out.append(guided.dist_map(g))
            else:
                out.append(self.oracle.dist_map(g))
        return out

    def run(self, steps: int) -> dict[str, Any]:
        """Simulate ``steps`` timesteps and return LoRR's output JSON as a dict."""
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        if self.t == 0:
            self._reveal()
        for _ in range(steps):
            self.step()
        return self.result()

    def result(self) -> dict[str, Any]:
        """LoRR's output JSON (2024 layout) for the steps run so far."""
        w = self.grid.width
        starts = [[int(c) // w, int(c) % w, ORIENT_NAMES[0]] for c in self.problem.starts]

        def schedule(entries: list[tuple[int, int]]) -> str:
            return ",".join(f"{t}:{tid}" for t, tid in entries)

        return {
            "actionModel": "MAPF_T",
            "AllValid": "Yes" if not self.errors else "No",
            "teamSize": self.n,
            "start": starts,
            "numTaskFinished": self.finished,
            "sumOfCost": sum(self.costs),
            "makespan": max(self.costs, default=0),
            "actualPaths": _per_robot(self.actual, self.n),
            "plannerPaths": _per_robot(self.planned, self.n),
            "plannerTimes": self.planner_times,
            "errors": self.errors,
            "actualSchedule": [schedule(s) for s in self.actual_schedule],
            "plannerSchedule": [schedule(s) for s in self.actual_schedule],
            "scheduleErrors": [],
            "events": self.events,
            "tasks": [
                [t.id, t.revealed, [v for c in t.errands for v in (c // w, c % w)]]
                for t in self.all_tasks
            ],
        }


def _per_robot(steps: list[str], n: int) -> list[str]:
    """Per-step action strings → one comma-separated action string per robot."""
    if not steps:
        return [""] * n
    grid = np.frombuffer("".join(steps).encode("ascii"), dtype=np.uint8).reshape(len(steps), n)
    return [",".join(row.tobytes().decode("ascii")) for row in grid.T.copy()]


def horizon_for(problem: LorrProblem) -> int | None:
    """The competition horizon of ``problem`` from a ``simulation_time.json`` beside it.

    The file is looked for in the problem's folder and the two above it; keys are
    instance names (``RANDOM-01``; 2023 files drop the ``MR23-`` prefix: ``I-03``).
    """
    import json

    names = {problem.name, problem.name.removeprefix("MR23-")}
    folder = problem.path.resolve().parent
    for candidate in (folder, folder.parent, folder.parent.parent):
        f = candidate / "simulation_time.json"
        if f.is_file():
            try:
                table = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            for name in names:
                if isinstance(table.get(name), int):
                    return int(table[name])
    return None
