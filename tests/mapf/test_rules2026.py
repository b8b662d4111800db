"""The 2026 rules on tiny hand-made problems: ticks per action, plan adoption and its
budgets, the executor under delays, and the validator catching what breaks them."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from logitwin.errors import LogitwinError
from logitwin.mapf.planner2026 import (
    LARGE_MAP_DEPTH,
    SMALL_MAP_LENGTH_WEIGHT,
    PibtPlanner2026,
    Planner2026Params,
)
from logitwin.mapf.rules2026 import Plan2026, PlannerView, Timing, run_2026
from logitwin.mapf.validate2026 import validate_2026
from logitwin.site.guidance import turn_estimates
from logitwin.site.io import load_lorr_problem


def _problem(tmp_path, rows, starts, tasks, delay=None, counter=3, size=1.0, reveal=1.5):
    (tmp_path / "m.map").write_text(
        "\n".join(["type octile", f"height {len(rows)}", f"width {len(rows[0])}", "map", *rows])
        + "\n"
    )
    (tmp_path / "a.agents").write_text(f"{len(starts)}\n" + "\n".join(map(str, starts)) + "\n")
    body = "\n".join(",".join(map(str, t)) for t in tasks)
    (tmp_path / "t.tasks").write_text(f"{len(tasks)}\n{body}\n")
    spec = {
        "mapFile": "m.map", "agentFile": "a.agents", "teamSize": len(starts),
        "taskFile": "t.tasks", "numTasksReveal": reveal, "version": "2026 LoRR",
        "agentCounter": counter, "agentSize": size,
        "delayConfig": delay or {
            "seed": 0, "minDelay": 1, "maxDelay": 2, "eventModel": "bernoulli", "pDelay": 0.0,
            "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.2,
        },
    }  # fmt: skip
    (tmp_path / "p.json").write_text(json.dumps(spec))
    return load_lorr_problem(tmp_path / "p.json")


class Scripted:
    """A planner that gives robot 0 one fixed plan and takes a set time to think."""

    def __init__(self, actions, task=0, think=(0.0,), keep=None):
        self.actions, self.task, self.think, self.calls = actions, task, list(think), 0
        self.keep = keep
        self.clock = 0.0

    def preprocess(self, budget_s):
        pass

    def plan(self, view: PlannerView, budget_s: float) -> Plan2026:
        self.clock += self.think[min(self.calls, len(self.think) - 1)]
        self.calls += 1
        first = self.calls == 1
        others = len(view.loc) - 1  # the other robots wait, with no task
        acts = self.actions if first else []
        task = self.task if view.task_of[0] < 0 and first else -1
        return Plan2026([acts] + [[]] * others, [task] + [-1] * others, self.keep)


def test_each_action_takes_agent_counter_ticks(tmp_path):
    # One robot at (0,0) facing east; its task: the cell two to the east.
    p = _problem(tmp_path, ["....."], [0], [(2,)], reveal=1.0)
    planner = Scripted([0, 0])  # F, F
    out = run_2026(p, planner, 12, Timing(), clock=lambda: planner.clock).output
    assert out["actualPaths"] == ["[(0,0,0,0,0):(F 6,W 6)]"]
    assert out["events"] == [[6, 0, 0, 1]] and out["numTaskFinished"] == 1
    assert out["actualSchedule"] == ["0:0"] and out["agentMaxCounter"] == 3
    assert validate_2026(out, p).ok


def test_a_late_planner_delays_adoption_and_counts_a_timeout(tmp_path):
    p = _problem(tmp_path, ["......"], [0], [(5,)], reveal=1.0)
    # First call on time; the second takes 2.35 s: its plan comes 24 ticks after launch.
    planner = Scripted([0], think=(0.0, 2.35, 0.0))
    res = run_2026(p, planner, 60, Timing(), clock=lambda: planner.clock)
    a = res.adoptions
    assert (a[1].launched, a[1].adopted) == (0, 24) and a[2].launched == 24
    assert res.output["numEntryTimeouts"] == 1


@pytest.mark.parametrize(("keep", "moves"), [(None, 6), (2, 2), (0, None)])
def test_the_executor_keeps_what_the_plan_says_staged(tmp_path, keep, moves):
    """Eight moves east planned once: the executor keeps the interval's actions plus
    three (6) unless the plan says how many, and a plan asking for none is refused."""
    p = _problem(tmp_path, ["." * 10], [0], [(9,)], reveal=1.0)
    planner = Scripted([0] * 8, keep=keep)
    if moves is None:
        with pytest.raises(ValueError, match="asked to keep 0 actions staged"):
            run_2026(p, planner, 40, Timing(), clock=lambda: planner.clock)
        return
    out = run_2026(p, planner, 40, Timing(), clock=lambda: planner.clock).output
    assert out["actualPaths"] == [f"[(0,0,0,0,0):(F {3 * moves},W {40 - 3 * moves})]"]


def test_preprocessing_over_budget_stops_the_run(tmp_path):
    p = _problem(tmp_path, ["...."], [0], [(3,)])

    class Slow(Scripted):
        def preprocess(self, budget_s):
            self.clock += 31.0

    planner = Slow([0])
    with pytest.raises(LogitwinError, match="preprocessing took 31.0 s"):
        run_2026(p, planner, 5, Timing(), clock=lambda: planner.clock)


@pytest.mark.parametrize(
    "delay",
    [
        {"seed": 4, "minDelay": 1, "maxDelay": 6, "eventModel": "bernoulli", "pDelay": 0.15,
         "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.2},
        {"seed": 9, "minDelay": 8, "maxDelay": 25, "eventModel": "poisson", "pDelay": 0.02,
         "durationModel": "gaussian", "gaussMeanRatio": 0.4, "gaussStdRatio": 0.3},
    ],
)  # fmt: skip
def test_a_dense_fleet_under_heavy_delays_stays_valid(tmp_path, delay):
    rows = ["........", "..@@....", "........", "....@...", "........", "........"]
    free = [r * 8 + c for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "."]
    starts = free[::3][:12]
    tasks = [(free[(7 * k) % len(free)], free[(11 * k + 5) % len(free)]) for k in range(30)]
    p = _problem(tmp_path, rows, starts, tasks, delay=delay)
    # A short refinement (20 ms a call): EPIBT's rounds stop on the clock, and the default
    # 40% of a second per call would make this test a minute long.
    res = run_2026(p, PibtPlanner2026(p, 10, Planner2026Params(refine_share=0.02)), 1500)
    out = res.output
    assert out["numPlannerErrors"] == 0 and out["numScheduleErrors"] == 0
    assert sum(len(iv) for iv in out["delayIntervals"]) > 50
    assert out["numTaskFinished"] > 20
    report = validate_2026(out, p)
    assert report.ok, report.to_dict()


def test_the_validator_catches_broken_results(tmp_path):
    rows = ["......", "......"]
    delay = {"seed": 2, "minDelay": 2, "maxDelay": 3, "eventModel": "bernoulli", "pDelay": 0.05,
             "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.2}  # fmt: skip
    p = _problem(tmp_path, rows, [0, 5, 6], [(11,), (3,), (8,), (1,)], delay=delay)
    out = run_2026(p, PibtPlanner2026(p, 10, Planner2026Params(refine_share=0.02)), 300).output
    assert validate_2026(out, p).ok
    bad = copy.deepcopy(out)
    bad["numTaskFinished"] += 1
    assert not validate_2026(bad, p).ok
    bad = copy.deepcopy(out)
    bad["delayIntervals"][0] = []
    assert validate_2026(bad, p).delay_errors
    bad = copy.deepcopy(out)
    bad["actualPaths"][1] = "[(0,0,5,0,0):(C 6,F 294)]"  # turns north... and drives off the map
    assert validate_2026(bad, p).invalid_moves
    bad = copy.deepcopy(out)
    bad["start"][2] = [0, 4, "E"]
    assert validate_2026(bad, p).invalid_moves  # not the problem's start
    bad = copy.deepcopy(out)
    bad["events"] = bad["events"][1:]
    assert validate_2026(bad, p).event_errors


def test_the_validator_sees_squares_overlap(tmp_path):
    p = _problem(tmp_path, ["......"], [0, 3], [(5,), (4,)], reveal=1.0)
    planner = Scripted([])
    out = run_2026(p, planner, 30, clock=lambda: planner.clock).output
    out["events"], out["numTaskFinished"] = [], 0
    out["actualSchedule"] = ["", ""]
    assert validate_2026(out, p).ok
    # Robot 0 drives east into robot 1, which stands still two cells ahead.
    out["actualPaths"][0] = "[(0,0,0,0,0):(F 9,W 21)]"
    report = validate_2026(out, p)
    assert report.collisions and "robots 0 and 1 overlap during tick 6" in report.collisions[0]
    # Behind it, in step, a straight train only touches: no collision.
    out["actualPaths"][1] = "[(0,0,3,0,0):(F 6,W 24)]"
    out["actualPaths"][0] = "[(0,0,0,0,0):(W 3,F 6,W 21)]"
    assert not validate_2026(out, p).collisions


def test_a_robot_never_cuts_into_a_line_behind_a_robot_that_has_not_arrived():
    """Robot 0 leaves cell 4 westwards and is planned back through it before robot 1,
    which comes from the east the same way: robot 1, next in line for cell 4, must wait
    for robot 0 to pass, not follow it as in a train while it drives away."""
    from logitwin.mapf.footprint import ActionModel, FleetState
    from logitwin.mapf.rules2026 import StagingExecutor
    from logitwin.site import Grid

    grid = Grid.from_strings(["........"])
    state = FleetState.start([4, 6], [2, 2])  # both face west
    ex = StagingExecutor([4, 6], grid.width, grid.height, k=3)
    ex.pred_ori = [2, 2]
    # Robot 0: west to 3 and 2, turn round, east to 3 and 4. Robot 1: west to 5, then 4.
    ex.stage([[0, 0, 1, 1, 0, 0], [0, 3, 3, 3, 3, 3, 0]])
    model = ActionModel(grid, 3, 1.0)
    entered = []
    for t in range(40):
        cmds = ex.commands(state)
        after, _, errors = model.step(state, cmds, t)
        assert errors == [], (t, errors)
        ex.executed(state, after)
        entered += [(t, i) for i in (0, 1) if after.loc[i] == 4 != state.loc[i]]
        state = after
    # Robot 0 came back to 4 (its plan ends there); robot 1 still waits its turn at 5.
    assert state.loc == [4, 5] and entered[0][1] == 0 and ex.backlog(1) == 1


def test_the_planner_heads_past_errands_its_staged_moves_already_reach(tmp_path):
    # One robot in a corridor at cell 0 facing east; its task: cells 2 then 5. Its staged
    # moves pass cell 2 and end on cell 3: the plan goes on east to cell 5, not back to 2.
    p = _problem(tmp_path, ["......"], [0], [(2, 5)])
    planner = PibtPlanner2026(p, 10)
    view = PlannerView(
        loc=[3], ori=[0], backlog=[3], staged_cells=[[0, 1, 2, 3]], task_of=[0],
        opened=[False], open_tasks={0: 0}, errands=[(2, 5)], holder={0: 0}, tick=0,
    )  # fmt: skip
    plan = planner.plan(view, 1.0)
    assert plan.schedule == [0]
    assert plan.actions[0][:2] == [0, 0]  # F, F: on to cell 5


@pytest.mark.parametrize(("weight", "task"), [(1.0, 1), (0.1, 0)])
def test_the_scheduler_weighs_a_tasks_length_against_the_travel_to_it(tmp_path, weight, task):
    # A robot on cell 5 of a corridor. Task 0 starts next to it (cell 6) and runs 13 cells
    # on; task 1 starts 5 cells away and is 1 cell long. Weighed fully, the short task is
    # cheaper (5 + 1 against 1 + 13); at a tenth, the near one (1 + 1.3 against 5 + 0.1).
    p = _problem(tmp_path, ["...................."], [5], [(6, 19), (0, 1)])
    planner = PibtPlanner2026(p, 10, Planner2026Params(length_weight=weight))
    view = PlannerView(
        loc=[5], ori=[0], backlog=[0], staged_cells=[[5]], task_of=[-1], opened=[False],
        open_tasks={0: 0, 1: 0}, errands=[(6, 19), (0, 1)], holder={}, tick=0,
    )  # fmt: skip
    assert planner.schedule(view) == [task]


def test_epibt_moves_round_a_cycle_wait_instead():
    from logitwin.mapf.planner2026 import _break_cycles
    from logitwin.site.grid import Grid

    grid = Grid.from_strings(["...", "..."])
    # Robots at cells 0, 1, 4, 3 moving clockwise round a 2x2 square: each enters the cell
    # the next one leaves, which the executor would hold forever.
    pos, ori = [0, 1, 4, 3], [0, 1, 2, 3]
    acts = ["F", "F", "F", "F"]
    assert _break_cycles(grid, pos, ori, acts)
    assert acts == ["W", "W", "W", "W"]
    # A chain that ends in a robot leaving the square is not a cycle.
    pos, ori, acts = [0, 1, 4], [0, 1, 2], ["F", "F", "F"]
    assert not _break_cycles(grid, pos, ori, acts)
    assert acts == ["F", "F", "F"]


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("epibt", [True, False])
def test_the_planner_runs_valid_with_epibt_and_with_pibt(tmp_path, epibt, large):
    # large: the map counts as one above state_table_max_free (one-way lanes, cell
    # tables, and for EPIBT turn-aware estimates made from them).

    rows = ["........", "..@@....", "........", "....@...", "........", "........"]
    free = [r * 8 + c for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "."]
    starts = free[::3][:12]
    tasks = [(free[(7 * k) % len(free)], free[(11 * k + 5) % len(free)]) for k in range(30)]
    delay = {"seed": 3, "minDelay": 1, "maxDelay": 6, "eventModel": "bernoulli", "pDelay": 0.1,
             "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.2}  # fmt: skip
    p = _problem(tmp_path, rows, starts, tasks, delay=delay)
    params = Planner2026Params(
        epibt=epibt, refine_share=0.05, state_table_max_free=0 if large else 5000
    )
    planner = PibtPlanner2026(p, 10, params)
    assert (planner.turns is None) == large and (planner.epibt is not None) == epibt
    if epibt and large:
        assert planner.epibt.depth == LARGE_MAP_DEPTH
    assert planner.length_weight == (1.0 if large else SMALL_MAP_LENGTH_WEIGHT)
    # 3 actions fit in the interval: EPIBT's plans keep one more staged, PIBT's three.
    assert planner.keep == (4 if epibt else 6)
    assert PibtPlanner2026(p, 10, Planner2026Params(epibt=epibt, keep=2)).keep == 2
    out = run_2026(p, planner, 800).output
    assert out["numPlannerErrors"] == 0 and out["numScheduleErrors"] == 0
    assert out["numTaskFinished"] > 10
    report = validate_2026(out, p)
    assert report.ok, report.to_dict()
    assert bool(planner._estimates) == (epibt and large)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", 0),
        ("backlog", 0),
        ("first_cap", 0),
        ("keep", 0),
        ("epibt_depth", 0),
        ("table_share", 0.0),
        ("refine_share", 0.7),
        ("weight_power", -1.0),
        ("length_weight", -0.1),
        ("bay_run", 1),
    ],
)
def test_planner_params_refuse_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        Planner2026Params(**{field: value})


def test_turn_estimates_on_large_maps_never_overwrite_a_row_read_in_the_same_step(tmp_path):
    rows = ["........", "..@@....", "........", "........"]
    p = _problem(tmp_path, rows, [0, 5], [(2, 7), (9, 30)])
    planner = PibtPlanner2026(p, 10, Planner2026Params(state_table_max_free=0))
    planner._tables_until = float("inf")
    planner._pool = np.zeros((2, 4 * planner.grid.size), dtype=np.int32)
    planner._free, planner._stamps = [0, 1], np.zeros(2, dtype=np.int64)
    planner._stamp = 1
    a, b = planner._table_in_time(7), planner._table_in_time(30)
    kept = b.copy()
    assert planner._table_in_time(9) is None  # both rows are read this step
    planner._stamp = 2
    c = planner._table_in_time(9)  # a new step: the least recently used row (7's) goes
    assert c is not None and np.shares_memory(a, c) and (b == kept).all()
    assert (c == turn_estimates(planner.grid, planner._costs, planner._table(9), 9)).all()
    assert c[4 * 9] == 0 and a.base is planner._pool


def test_large_maps_drop_the_lanes_in_bays_and_plan_three_spare_actions(tmp_path):
    """Above ``state_table_max_free`` a station pocket (a 2 x 2 bay off an open band)
    has no one-way costs, everything else keeps its lane costs, and a call plans the
    interval's actions plus three (plus five where exact tables are made)."""
    rows = ["@..@@", "@..@@", ".....", ".....", ".....", ".....", "....."]
    p = _problem(tmp_path, rows, [10, 14], [(1, 12), (2, 20)])
    planner = PibtPlanner2026(p, 10, Planner2026Params(state_table_max_free=0))
    plain = PibtPlanner2026(p, 10, Planner2026Params(state_table_max_free=0, bay_run=0))
    assert planner.lanes is not None and plain.lanes is not None
    bay = [1, 2, 6, 7]
    assert (planner.lanes[bay] == 1).all() and (plain.lanes[bay] > 1).any()
    rest = [c for c in range(35) if c not in bay]
    assert (planner.lanes[rest] == plain.lanes[rest]).all()
    assert planner.steps == 10 // p.agent_counter + 3
    assert PibtPlanner2026(p, 10).steps == 10 // p.agent_counter + 5
