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
from logitwin.mapf.params import RunnerParams
from logitwin.site.distance import DistanceOracle
from logitwin.site.guidance import GuidedDistances, lane_costs
from logitwin.site.io import LorrProblem

__all__ = ["LorrRunner", "Task", "horizon_for"]


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
            ``params.dense_active_density`` on near-full maps, else
            ``params.epibt_active_density`` with EPIBT and ``params.active_density`` with
            PIBT.
        refine_s: seconds of refinement per step (EPIBT's rounds, or windowed LNS after
            PIBT's rollout), never past ``params.refine_share`` of the step budget (0:
            none). ``None``: ``params.epibt_refine_s`` with EPIBT, else
            ``params.refine_s``, or 0 on near-full maps (robots on more than
            ``params.dense_fill`` of the free cells). Maps with more than
            ``params.state_table_max_free`` free cells use PIBT alone.
        window: steps the LNS plans ahead; neighbourhood: robots it re-plans together.
        yield_after: a robot on a task that has not moved forward for this many steps
            drops its goal for one step, so others push it aside (0: never). Small maps
            only (it cost tasks on WAREHOUSE).
        guidance: on maps with more than ``params.state_table_max_free`` free cells, and on
            near-full ones, every row and column is one-way
            (:func:`logitwin.site.guidance.lane_costs`).
        lane_penalty: cost of a wrong-way move there. ``None``:
            ``params.lane_penalty_large`` on large maps, ``params.lane_penalty_near_full``
            on near-full ones (figures in docs/architecture.md).
        planner: "pibt" or "epibt" (``None``: chosen by the map and fleet, see
            ``params.epibt_fill``).
        congestion_penalty: with EPIBT, robots steer by distances that charge this much
            for entering a cell another robot stands on
            (:class:`logitwin.control.congestion.CongestionDistances`; 0: plain turn-aware
            distances). ``None``: ``params.congestion_per_fill`` times the share of free
            cells holding a robot (at least 1) where that share is above
            ``params.congestion_min_fill`` and the map is not near-full, else 0.
        params: the tuning the ``None`` choices above are made by
            (:class:`~logitwin.mapf.params.RunnerParams`; the default is the tuned one).
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
    params: RunnerParams = field(default_factory=RunnerParams)
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
        prm = self.params
        self.near_full = self.n > prm.dense_fill * n_free
        # Exact turn-aware distance tables where the map is small enough to afford them.
        self.state_tables = n_free <= prm.state_table_max_free
        if self.planner is None:
            dense = self.n > prm.epibt_fill * n_free
            self.planner = "epibt" if self.state_tables and dense else "pibt"
        if self.planner not in ("pibt", "epibt"):
            raise ValueError(f"planner must be 'pibt' or 'epibt', got {self.planner!r}")
        if self.planner == "epibt" and not self.state_tables:
            raise ValueError(
                f"planner 'epibt' needs state distance tables: at most "
                f"{prm.state_table_max_free} free cells, the map has {n_free}"
            )
        if self.refine_s is None:
            if self.planner == "epibt":
                self.refine_s = prm.epibt_refine_s
            else:
                self.refine_s = 0.0 if self.near_full else prm.refine_s
        if self.refine_s < 0:
            raise ValueError(f"refine_s must be >= 0 s, got {self.refine_s}")
        if self.active_density is None:
            if self.near_full:
                self.active_density = prm.dense_active_density
            elif self.planner == "epibt":
                self.active_density = prm.epibt_active_density
            else:
                self.active_density = prm.active_density
        if not 0 < self.active_density <= 1:
            raise ValueError(f"active_density must be in (0, 1], got {self.active_density}")
        self.max_active = max(1, min(self.n, int(self.active_density * n_free)))
        self.oracle = DistanceOracle(self.grid, max_cached=self.max_cached_maps)
        # Traffic rules (one-way rows and columns as move costs) on large maps and on
        # near-full small ones. Large maps get cell tables that respect them
        # (GuidedDistances) and PIBT the same move costs; small maps turn-aware tables
        # that charge them. Less full small maps gained nothing from them, so they are
        # off there.
        lanes_on = self.guidance and (not self.state_tables or self.near_full)
        if self.lane_penalty is None:
            large = not self.state_tables
            self.lane_penalty = prm.lane_penalty_large if large else prm.lane_penalty_near_full
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
        depth = prm.depth_for(self.n, n_free)
        rng_epibt = np.random.default_rng(self.seed + 2)
        self.epibt = (
            EPIBT(self.grid, self.n, rng_epibt, depth=depth, refine_s=self.refine_s)
            if self.planner == "epibt"
            else None
        )
        if self.congestion_penalty is None:
            fill = self.n / n_free
            on = fill > prm.congestion_min_fill and not self.near_full
            self.congestion_penalty = max(1, round(prm.congestion_per_fill * fill)) if on else 0
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
        prm = self.params
        rematch = self.n <= prm.rematch_max_robots
        robots = [
            k
            for k in range(self.n)
            if self.assignment[k] < 0 or (rematch and self.tasks[self.assignment[k]].next == 0)
        ]
        if not rematch:
            # Large fleets: at most schedule_batch free robots per step, so that the
            # start, when every robot is free, does not blow the step budget.
            robots = robots[: prm.schedule_batch]
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
            [t.length + prm.queue_wait * load.get(t.errands[0], 0) for t in open_tasks],
            self.oracle.dist_map,
            capacity={c: prm.first_cap - load.get(c, 0) for c in firsts},
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
        deadline = t0 + self.params.refine_share * self.step_budget_s
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
            limit = min(deadline, time.perf_counter() + self.params.congestion_table_s)
            self.congestion.update(self.cells, goals, limit)
            tables = [self.congestion.table(g) if g >= 0 else None for g in goals]
        return FleetView(self.cells, self.orients, tables, goals, urgency, None, self._followed)

    def _guided_tables(self, goals: list[int], t0: float) -> list[Any]:
        """Guided tables; a goal whose table would not fit this step's share of the budget
        uses its plain BFS table until a later step has time to compute it."""
        guided = self.guided
        assert guided is not None
        limit = t0 + self.params.guided_table_share * self.step_budget_s
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
