"""Our planner under the LoRR 2026 rules: schedule by travel, then EPIBT or PIBT rolled out
over a few actions from the executor's predicted states.

Each call (every planning interval):

- **Schedule.** Robots that opened a task keep it. The others (free, or holding a task
  they have not reached yet) are matched to the open
  tasks nobody has opened, cheapest first (travel from the predicted cell to the first
  errand plus the task's own length, weighed by ``length_weight``;
  :func:`~logitwin.control.assignment.greedy_assign`),
  with at most ``first_cap`` robots heading for one first errand.
- **Plan.** EPIBT over (cell, orientation), robots whose task needs fewest actions
  first, with refinement rounds: on maps up to 5,000 free cells with exact turn-aware
  tables, above with one-way lanes (two-way in the bays off the open areas, such as
  station pockets) and turn-aware estimates made from lane-guided cell
  tables (:func:`~logitwin.site.guidance.turn_estimates`). With ``epibt=False``, PIBT on
  the same tables (cell tables above 5,000), without rotations
  (``cycles=False``: the executor needs that; EPIBT's rare cycles wait instead). Rolled
  out ``steps`` actions from where the staged moves end, toward the errands those moves
  do not pass. A robot that reaches an errand during the rollout heads for the next one
  at once. Robots with a backlog staged (delayed, or waiting
  for their turn at a cell) get no new actions: they are pinned where they are predicted.
  A robot follows another out of a cell only straight behind it (``straight``): behind a
  robot that turns a corner the executor holds it a whole action anyway.

Robots larger than a cell (``agentSize > 1``) plan on the map of cells where their whole
block of cells fits (:mod:`logitwin.mapf.blocks`) with :class:`~logitwin.mapf.blockpibt.
BlockPIBT`; only tasks whose errands all fit, in one connected part of that map, are
given out, to robots that can reach them; a robot that does not fit where it starts (or
overlaps another there) can never move and is left alone.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from logitwin.control.assignment import greedy_assign
from logitwin.control.epibt import EPIBT
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.mapf.actions import apply_action
from logitwin.mapf.blockpibt import BlockPIBT
from logitwin.mapf.blocks import Blocks, cells_across
from logitwin.mapf.params import RunnerParams
from logitwin.mapf.rules2026 import Plan2026, PlannerView
from logitwin.site.distance import DistanceOracle
from logitwin.site.grid import Grid
from logitwin.site.guidance import GuidedDistances, bays, lane_costs, turn_estimates
from logitwin.site.io import LorrProblem

__all__ = ["PibtPlanner2026", "Planner2026Params"]

_CODES = {"F": 0, "R": 1, "C": 2, "W": 3}
# EPIBT's operation depth on maps above ``state_table_max_free`` (see ``epibt_depth``).
LARGE_MAP_DEPTH = 3
# The scheduler's weight on a task's own length for robots up to a cell on maps with
# turn-aware tables (see ``Planner2026Params.length_weight``).
SMALL_MAP_LENGTH_WEIGHT = 0.1
# Most memory for those estimates (fulfill-example_2500's 2,756 rows are 3.1 GB).
_POOL_BYTES = 4 << 30


@dataclass(frozen=True)
class Planner2026Params:
    """Tuning of :class:`PibtPlanner2026`.

    Args:
        steps: actions planned per call (``None``: the interval's ticks over the ticks
            per action, plus five: two more than the executor keeps staged, since a
            plan's waits are not staged; plus three on maps above
            ``state_table_max_free``, where the spare time goes to refining the steps
            that are executed).
        backlog: a robot with this many actions staged gets no new ones (``None``: two
            more than a plan's steps).
        keep: actions the executor keeps staged per robot from each plan (its dry run's
            window, :attr:`Plan2026.keep`; ``None``: the interval's actions plus one where
            EPIBT plans, plus three where PIBT does. A shorter window stages less of a
            plan made from an older view, so the next plan, computed from predicted
            states nearer the actual ones, takes over sooner; EPIBT's coordinated steps
            gain from it, PIBT's greedy ones need the slack. The runs are in
            ``docs/architecture.md``).
        first_cap: most robots heading for one first errand, so that fewer converge on
            one station (the runs behind it are in ``docs/architecture.md``).
        state_table_max_free: turn-aware tables on maps with at most this many free cells.
        max_tables: distance maps kept on larger maps (least recently used go).
        lane_penalty: on larger maps, every row and column is one-way and a wrong-way
            move costs this (0: no lanes), as the 2024 runner does on warehouse maps.
        bay_run: no one-way costs in the bays off the open areas, runs of free cells
            of 2 to this many along a row or column walled at both ends
            (:func:`~logitwin.site.guidance.bays`: fulfill's station pockets; 0: none).
        table_share: share of a call's budget that may go to making distance tables
            (and EPIBT's first passes).
        epibt: plan each rollout step with EPIBT (operations of ``epibt_depth``
            actions; ``None``: on maps with turn-aware tables by the fleet's fill, as
            the 2024 runner chooses, ``RunnerParams.epibt_depths``: 5 up to 60% of the
            free cells, 4 up to 90%, else 3; on larger maps ``LARGE_MAP_DEPTH``, 3,
            since their tables are estimates) instead of PIBT.
        refine_share: share of a call's budget for EPIBT's refinement rounds, spread
            evenly over the rollout's steps (0: first passes only).
        straight: a robot may enter a cell another leaves in the same action only
            straight behind it (``EPIBT`` and ``PIBT``'s ``straight``): turning a corner
            behind a robot, it would wait a whole action for the square ahead to clear
            anyway, and the plan that says so keeps the others' timing true.
        weight_power: EPIBT's refinement weighs each robot's progress by its urgency rank
            to this power (``EPIBT``'s ``weight_power``; 0: all robots alike, so that the
            rounds seek the fleet's total progress, not the most urgent robots').
        length_weight: the scheduler's cost of a task for a robot is the travel to its
            first errand plus this times the task's own length. ``None``: 0.1
            (``SMALL_MAP_LENGTH_WEIGHT``) for robots up to a cell on maps with
            turn-aware tables, else 1 (larger maps; larger robots, where 0.1 was not
            measured). On the 2026 examples at 0.1, random-example_400 gains 3%, maze
            is level, room loses about 5% and fulfill 1.2%. Weighed fully, robots
            take the short tasks first and the longest stay in the pool unpicked
            (random: 600 open at the end, 134 cells long on average against 85 for all),
            so the fleet picks among fewer tasks and travels further to them; a fleet
            that finishes few tasks a robot in a run (fulfill, room: about 5) gains more
            from doing the short ones first. The runs are in ``docs/architecture.md``.
        seed: PIBT's tie-breaking stream.
    """

    steps: int | None = None
    backlog: int | None = None
    keep: int | None = None
    first_cap: int = 3
    state_table_max_free: int = 5000
    seed: int = 0
    max_tables: int = 20_000
    lane_penalty: int = 4
    bay_run: int = 4
    table_share: float = 0.6
    epibt: bool = True
    epibt_depth: int | None = None
    refine_share: float = 0.4
    straight: bool = True
    weight_power: float = 0.0
    length_weight: float | None = None

    def __post_init__(self) -> None:
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.backlog is not None and self.backlog < 1:
            raise ValueError(f"backlog must be >= 1, got {self.backlog}")
        if self.keep is not None and self.keep < 1:
            raise ValueError(f"keep must be >= 1, got {self.keep}")
        if self.bay_run != 0 and self.bay_run < 2:
            raise ValueError(f"bay_run must be 0 or >= 2, got {self.bay_run}")
        if self.first_cap < 1 or self.state_table_max_free < 0:
            raise ValueError("state_table_max_free must be >= 0 and first_cap >= 1")
        if not self.weight_power >= 0:
            raise ValueError(f"weight_power must be >= 0, got {self.weight_power}")
        if self.length_weight is not None and not self.length_weight >= 0:
            raise ValueError(f"length_weight must be >= 0, got {self.length_weight}")
        if self.epibt_depth is not None and self.epibt_depth < 1:
            raise ValueError(f"epibt_depth must be >= 1, got {self.epibt_depth}")
        if not 0 < self.table_share <= 1 or not 0 <= self.refine_share < self.table_share:
            raise ValueError(
                "table_share must be in (0, 1] and refine_share in [0, table_share), got "
                f"{self.table_share}, {self.refine_share}"
            )


class PibtPlanner2026:
    """Schedules and plans a 2026 problem's fleet (see the module docstring).

    Args:
        problem: the problem (its map, fleet and task templates).
        interval_ticks: ticks between two plan adoptions.
        params: tuning.
    """

    def __init__(
        self, problem: LorrProblem, interval_ticks: int, params: Planner2026Params | None = None
    ) -> None:
        self.params = params or Planner2026Params()
        p = self.params
        self.n = problem.team_size
        m = cells_across(problem.agent_size)
        # Larger robots plan on the cells where their block fits.
        self.blocks = Blocks(problem.grid.width, problem.grid.height, m) if m > 1 else None
        grid = problem.grid if self.blocks is None else self.blocks.anchors(problem.grid)
        self.grid = grid
        self.stuck = self._stuck(problem.starts.tolist())
        self.state_tables = int(grid.free.sum()) <= p.state_table_max_free
        spare = 5 if self.state_tables else 3
        self.steps = p.steps or interval_ticks // problem.agent_counter + spare
        self.backlog = p.backlog or self.steps + 2
        # Measured for robots up to a cell: larger ones keep the full weight.
        small = self.state_tables and self.blocks is None
        weight = SMALL_MAP_LENGTH_WEIGHT if small else 1.0
        self.length_weight = weight if p.length_weight is None else p.length_weight
        self.lanes = None
        if not self.state_tables and p.lane_penalty:
            self.lanes = lane_costs(grid, p.lane_penalty)
            if p.bay_run:
                self.lanes[bays(grid, p.bay_run)] = 1
            self.guided = GuidedDistances(grid, self.lanes, max_cached=p.max_tables)
        rng = np.random.default_rng(p.seed)
        self.pibt: PIBT | BlockPIBT
        if self.blocks is None:
            self.pibt = PIBT(grid, self.n, rng, rotation=True, state_tables=self.state_tables,
                             move_cost=self.lanes, cycles=False, straight=p.straight)  # fmt: skip
        else:
            self.pibt = BlockPIBT(grid, self.blocks, self.n, rng, self.state_tables, self.lanes)
        self.epibt: EPIBT | None = None
        if p.epibt and self.blocks is None:
            depth = p.epibt_depth or (
                RunnerParams().depth_for(self.n, int(grid.free.sum()))
                if self.state_tables
                else LARGE_MAP_DEPTH
            )
            self.epibt = EPIBT(
                grid,
                self.n,
                np.random.default_rng(p.seed + 1),
                depth=depth,
                straight=p.straight,
                weight_power=p.weight_power,
            )
        fits = interval_ticks // problem.agent_counter
        self.keep = p.keep or fits + (1 if self.epibt is not None else 3)
        self._part: list[int] | None = None if self.blocks is None else _parts(grid)
        self._fits: dict[tuple[int, ...], bool] = {}
        # Tables to every errand cell do not fit in memory on large maps (a list per goal
        # of 38,643 cells is 1.4 MB): numpy maps there, the most recent kept.
        self.oracle = DistanceOracle(grid, max_cached=None if self.state_tables else p.max_tables)
        self.turns = RotationDistances(grid) if self.state_tables else None
        # The planner's tables: turn-aware, else lane-guided, else plain BFS maps.
        self._source: RotationDistances | GuidedDistances | DistanceOracle = self.oracle
        self._table: Callable[[int], Sequence[int] | np.ndarray] = self.oracle.dist_map
        if self.turns is not None:
            self._source, self._table = self.turns, self.turns.table
        elif self.lanes is not None:
            self._source, self._table = self.guided, self.guided.dist_map
        # Large maps: EPIBT's turn-aware estimates per goal, made from the cell tables.
        self._estimates: dict[int, int] = {}  # goal -> slot of the pool
        self._pool: np.ndarray | None = None
        self._free: list[int] = []
        self._stamps = np.zeros(0, dtype=np.int64)  # per row: the step that last read it
        self._stamp = 0
        self._costs = self.lanes if self.lanes is not None else np.ones((grid.size, 4), np.int32)
        self._length: dict[int, int] = {}
        self._rests: dict[tuple[int, ...], float] = {}
        self._tables_until = float("inf")
        self._templates = problem.tasks

    def _new_pool(self) -> np.ndarray:
        """Rows for EPIBT's turn-aware estimates on a large map: one per robot and 256
        more, at most ``_POOL_BYTES`` (fewer rows than goals in use: robots whose goal
        has none wait for one, as for tables not made in time)."""
        row = 4 * self.grid.size
        rows = min(self.n + 256, max(64, _POOL_BYTES // (4 * row)))
        self._pool = np.empty((rows, row), dtype=np.int32)
        self._free = list(range(rows))
        self._stamps = np.zeros(rows, dtype=np.int64)
        return self._pool

    def _stuck(self, starts: list[int]) -> list[bool]:
        """Robots that can never move: larger robots that do not fit where they start or
        overlap another there (every motion of theirs would collide)."""
        if self.blocks is None:
            return [False] * self.n
        held: dict[int, int] = {}
        out = [not self.grid.is_free(a) for a in starts]
        for i, a in enumerate(starts):
            for c in self.blocks.block(a):
                j = held.setdefault(c, i)
                if j != i:
                    out[i] = out[j] = True
        return out

    def _feasible(self, errands: tuple[int, ...]) -> bool:
        """Whether a robot can do the task: every errand fits it, all in one part of the
        map (always, for robots up to a cell)."""
        if self._part is None:
            return True
        ok = self._fits.get(errands)
        if ok is None:
            part = self._part
            ok = self._fits[errands] = part[errands[0]] >= 0 and all(
                part[c] == part[errands[0]] for c in errands
            )
        return ok

    def preprocess(self, budget_s: float) -> None:
        """While half the budget lasts: the scheduler's maps from every task's first
        errand, then the planner's tables to every errand (the rest are made when first
        needed); where EPIBT plans on a large map, the pool of its turn-aware estimates
        is written once while 80% of the budget lasts."""
        start = time.perf_counter()
        until = start + budget_s / 2
        feasible = [t for t in self._templates if self._feasible(t)]
        firsts = sorted({t[0] for t in feasible})
        # In the order the tasks are revealed: the earliest are needed first.
        cells = list(dict.fromkeys(c for t in feasible for c in t))
        if self.turns is None:
            cells = cells[: self.params.max_tables]
        for make, goals in ((self.oracle.dist_map, firsts), (self._table, cells)):
            for cell in goals:
                if time.perf_counter() > until:
                    break
                make(cell)
        if self.epibt is not None and self.turns is None:
            # The estimates' pool, written once while 80% of the budget lasts: memory
            # written for the first time cost 4.4 ms a table (fulfill), the same slot
            # written again 0.9 ms.
            for row in self._new_pool():
                if time.perf_counter() > start + 0.8 * budget_s:
                    break
                row.fill(0)

    def _table_in_time(self, goal: int) -> Sequence[int] | np.ndarray | None:
        """The goal's table if it is cached or there is time left to make it: where EPIBT
        plans on a large map, turn-aware estimates from it (:func:`turn_estimates`)."""
        if goal not in self._source and time.perf_counter() >= self._tables_until:
            return None
        table = self._table(goal)
        if self.epibt is None or self.turns is not None:
            return table
        pool = self._pool if self._pool is not None else self._new_pool()
        slot = self._estimates.pop(goal, None)
        if slot is None:
            if time.perf_counter() >= self._tables_until:
                return None
            # A slot of the pool is filled again, not a new array made: fresh memory cost
            # 4-5 ms a table here against 0.7 ms for the search itself.
            if self._free:
                slot = self._free.pop()
            else:
                oldest = next(iter(self._estimates))
                if self._stamps[self._estimates[oldest]] == self._stamp:
                    return None  # every row is in use this step (a pool cut by memory)
                slot = self._estimates.pop(oldest)
            turn_estimates(self.grid, self._costs, np.asarray(table), goal, pool[slot])
        self._estimates[goal] = slot  # most recently used last
        self._stamps[slot] = self._stamp
        out: np.ndarray = pool[slot]
        return out

    def _manhattan(self, a: int, b: int) -> int:
        w = self.grid.width
        return abs(a // w - b // w) + abs(a % w - b % w)

    def _task_length(self, tid: int, errands: tuple[int, ...]) -> int:
        length = self._length.get(tid)
        if length is None:
            pairs = itertools.pairwise(errands)
            if self.turns is not None:
                length = sum(int(self.oracle.dist_map(b)[a]) for a, b in pairs)
            else:  # large maps: the planner's table where it is made, else Manhattan
                exact = True
                length = 0
                for a, b in pairs:
                    if b in self._source:
                        length += int(self._table(b)[a])
                    else:
                        exact = False
                        length += self._manhattan(a, b)
                if not exact:
                    return length  # not kept: the tables are made later
            self._length[tid] = length
        return length

    def schedule(self, view: PlannerView) -> list[int]:
        """Each robot's task for this plan (see the module docstring)."""
        p = self.params
        out = list(view.task_of)
        # A robot whose staged moves pass its first errand opens its task before this plan
        # is adopted: it keeps the task.
        keeps = [
            out[i] >= 0
            and (view.opened[i] or view.errands[out[i]][0] in (view.loc[i], *view.staged_cells[i]))
            for i in range(self.n)
        ]
        movable = [i for i in range(self.n) if (out[i] < 0 or not keeps[i]) and not self.stuck[i]]
        taken = {out[i] for i in range(self.n) if keeps[i]}
        free_tasks = [
            t
            for t in view.open_tasks
            if t not in taken and view.open_tasks[t] == 0 and self._feasible(view.errands[t])
        ]
        if not movable or not free_tasks:
            return out
        for i in movable:
            out[i] = -1
        firsts = [view.errands[t][0] for t in free_tasks]
        lw = self.length_weight
        lengths = [lw * self._task_length(t, view.errands[t]) for t in free_tasks]
        cells = [view.loc[i] for i in movable]
        capacity = dict.fromkeys(set(firsts), p.first_cap)
        pairs = greedy_assign(cells, firsts, lengths, self.oracle.dist_map, capacity=capacity)
        for a, t in pairs:
            if self._part is not None and self._part[cells[a]] != self._part[firsts[t]]:
                continue  # a larger robot cut off from the task: greedy had nothing better
            out[movable[a]] = free_tasks[t]
        return out

    def _left(self, view: PlannerView, i: int) -> list[int]:
        """The errands of robot ``i``'s current task still to do once its staged moves
        are done (errands the staged moves pass are done before the predicted state)."""
        t = view.task_of[i]
        if t < 0:
            return []
        left = list(view.errands[t][view.open_tasks.get(t, 0) :])
        for c in view.staged_cells[i][1:]:
            if left and c == left[0]:
                left.pop(0)
        return left

    def plan(self, view: PlannerView, budget_s: float) -> Plan2026:
        """Schedule, then roll PIBT out ``steps`` actions. New distance tables are made
        while ``table_share`` of the budget lasts; a robot whose goal has none yet plans
        without a goal this time (it gets its table at a later call)."""
        # Every share of the budget counts from the call's start: counted from after the
        # schedule (slow in the first call, every robot and task open), the refinement
        # ran random-example_400's first call to 941 of its 1,000 ms (now 593).
        t_start = time.perf_counter()
        self._tables_until = t_start + budget_s * self.params.table_share
        schedule = self.schedule(view)
        n = self.n
        pos, ori = list(view.loc), list(view.ori)
        # Each robot's remaining errands: those of its task from the next one on.
        todo: list[list[int]] = []
        for i in range(n):
            t = schedule[i]
            if t < 0:
                todo.append([])
            elif t == view.task_of[i]:
                todo.append(self._left(view, i))
            else:
                todo.append(list(view.errands[t]))
        pinned = [view.backlog[i] >= self.backlog or self.stuck[i] for i in range(n)]
        actions: list[list[int]] = [[] for _ in range(n)]
        if self.epibt is not None:
            self.epibt.reset()  # the predicted states are not where the last rollout ended
        for s in range(self.steps):
            for i in range(n):  # an errand reached in the rollout: on to the next one
                while todo[i] and pos[i] == todo[i][0] and len(todo[i]) > 1:
                    todo[i].pop(0)
            self._stamp += 1
            dists = [self._table_in_time(g[0]) if g else None for g in todo]
            if self.epibt is not None:
                step = self._epibt_step(pos, ori, dists, todo, pinned, budget_s, t_start, s)
            else:
                step = self.pibt.plan_actions(pos, ori, dists, pinned)
            for i, a in enumerate(step):
                actions[i].append(_CODES[a])
                pos[i], ori[i] = apply_action(self.grid, pos[i], ori[i], a)
        return Plan2026(actions, schedule, self.keep)

    def _epibt_step(
        self,
        pos: list[int],
        ori: list[int],
        dists: list[Sequence[int] | np.ndarray | None],
        todo: list[list[int]],
        pinned: list[bool],
        budget_s: float,
        t_start: float,
        s: int,
    ) -> list[str]:
        """One EPIBT step of the rollout: robots whose task needs fewest actions first,
        refinement rounds for this step's share of ``refine_share`` of the budget; moves
        that go round a cycle (each robot into the cell the next leaves) wait instead."""
        assert self.epibt is not None
        n = self.n
        goals = [-1] * n
        urgency = [0.0] * n
        for i in range(n):
            d = dists[i]
            if d is None:
                continue
            goals[i] = todo[i][0]
            urgency[i] = float(d[pos[i] * 4 + ori[i]]) + self._rest(tuple(todo[i]))
        # Step s may refine until its share of the calls's refinement time has passed.
        share = budget_s * self.params.refine_share
        hard = t_start + budget_s * self.params.table_share
        until = min(hard, t_start + share * (s + 1) / self.steps) if share > 0 else None
        acts = self.epibt.plan_actions(pos, ori, dists, goals, urgency, hard, until, None, pinned)
        if _break_cycles(self.grid, pos, ori, acts):
            self.epibt.reset()
        return acts

    def _rest(self, errands: tuple[int, ...]) -> float:
        """Moves from the first of ``errands`` through the others (cached)."""
        length = self._rests.get(errands)
        if length is None:
            pairs = itertools.pairwise(errands)
            if self.turns is not None:
                length = float(sum(int(self.oracle.dist_map(b)[a]) for a, b in pairs))
            else:  # large maps: Manhattan (a BFS map per errand took a quarter of a call)
                length = float(sum(self._manhattan(a, b) for a, b in pairs))
            self._rests[errands] = length
        return length


def _break_cycles(grid: Grid, pos: list[int], ori: list[int], acts: list[str]) -> bool:
    """Robots moving round a cycle, each into the cell the next one leaves, wait instead
    (the executor would hold them there forever); ``True`` if there was one."""
    nbr = grid.neighbor_table
    at = {c: i for i, c in enumerate(pos)}
    into = {}
    for i, a in enumerate(acts):
        if a == "F":
            j = at.get(int(nbr[pos[i], ori[i]]))
            if j is not None and acts[j] == "F":
                into[i] = j
    state: dict[int, int] = {}
    found = False
    for i0 in into:
        path = []
        i = i0
        while i in into and i not in state:
            state[i] = 1
            path.append(i)
            i = into[i]
        if i in state and state[i] == 1 and i in path:
            for k in path[path.index(i) :]:
                acts[k] = "W"
            found = True
        for k in path:
            state[k] = 2
    return found


def _parts(grid: Grid) -> list[int]:
    """Each cell's connected part of the map (4-neighbours), numbered; -1 if blocked."""
    part = [-1] * grid.size
    nbrs = grid.neighbors
    label = 0
    for start in grid.free_cells.tolist():
        if part[start] >= 0:
            continue
        part[start] = label
        todo = [start]
        while todo:
            c = todo.pop()
            for d in nbrs[c]:
                if part[d] < 0:
                    part[d] = label
                    todo.append(d)
        label += 1
    return part
