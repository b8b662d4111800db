"""The LoRR simulator's rules and output on tiny hand-made problems."""

import numpy as np
import pytest

from logitwin.control.pibt import RotationDistances
from logitwin.errors import LogitwinError, SiteError
from logitwin.mapf.params import RunnerParams
from logitwin.mapf.runner import LorrRunner, horizon_for
from logitwin.mapf.validate import validate_result
from logitwin.site.io import load_lorr_problem
from tests.conftest import write_lorr_problem

TUNED = RunnerParams()


def test_runs_valid_and_output_has_lorr_fields(tmp_path):
    p = load_lorr_problem(
        write_lorr_problem(tmp_path, [0, 5, 18], [(23, 0), (12, 17), (5, 20), (3, 21, 6)])
    )
    assert horizon_for(p) == 40
    res = LorrRunner(p, refine_s=0.002).run(40)
    for key in (
        "actionModel", "AllValid", "teamSize", "start", "numTaskFinished", "sumOfCost",
        "makespan", "actualPaths", "plannerPaths", "plannerTimes", "errors", "events", "tasks",
    ):  # fmt: skip
        assert key in res
    assert res["actionModel"] == "MAPF_T" and res["AllValid"] == "Yes"
    assert res["start"][1] == [0, 5, "E"]
    assert res["numTaskFinished"] > 3
    assert all(len(p.split(",")) == 40 for p in res["actualPaths"])
    assert res["makespan"] <= 40 and res["sumOfCost"] <= 3 * 40
    t, _robot, _task, seq = res["events"][0]
    assert seq >= 1 and 0 < t <= 40
    report = validate_result(res, p)
    assert report.ok, report.to_dict()
    assert report.tasks_finished == res["numTaskFinished"]


class _BadPlanner:
    """Drives robot 0 into the map's obstacle (an invalid action)."""

    def plan(self, view, deadline):
        n = len(view.cells)
        return ["R", *["W"] * (n - 1)] if view.orients[0] != 1 else ["F", *["F"] * (n - 1)]


def test_invalid_action_makes_every_robot_wait(tmp_path):
    p = load_lorr_problem(write_lorr_problem(tmp_path, [1, 18], [(5,), (20,)]))
    runner = LorrRunner(p, refine_s=0)
    runner.fleet_planner = _BadPlanner()  # robot 0 at (0,1) facing south: forward hits '@'
    res = runner.run(3)
    assert res["errors"] and res["errors"][0][3] == "unallowed move"
    assert res["AllValid"] == "No"
    paths = [p.split(",") for p in res["actualPaths"]]
    assert paths[0] == ["R", "W", "W"]  # turned south, then the move into '@' was refused
    step = res["errors"][0][2]
    assert step == 1
    assert all(path[step] == "W" for path in paths)  # everybody waited that step
    assert res["plannerPaths"][1].split(",")[step] == "F"  # what the planner asked for


def test_budget_overrun_makes_every_robot_wait(tmp_path):
    p = load_lorr_problem(write_lorr_problem(tmp_path, [0, 18], [(5,), (20,)]))
    runner = LorrRunner(p, step_budget_s=1e-9)
    res = runner.run(5)
    assert runner.overruns == 5
    assert all(set(path.split(",")) == {"W"} for path in res["actualPaths"])
    assert all(set(path.split(",")) == {"T"} for path in res["plannerPaths"])
    assert res["numTaskFinished"] == 0


def test_2023_roundrobin_follows_the_file(tmp_path):
    p = load_lorr_problem(
        write_lorr_problem(tmp_path, [0, 23], [(5,), (18,), (2,), (20,)], version=2023, reveal=1)
    )
    runner = LorrRunner(p, refine_s=0.002)
    res = runner.run(30)
    # robot 0 gets tasks 0, 2, ... and robot 1 tasks 1, 3, ... (task i → robot i mod 2)
    for _t, robot, task, _seq in res["events"]:
        assert task % 2 == robot
    assert validate_result(res, p).ok


def test_unknown_2023_strategy_is_refused(tmp_path):
    p = load_lorr_problem(
        write_lorr_problem(tmp_path, [0], [(5,)], version=2023, strategy="roundrobin")
    )
    object.__setattr__(p, "assignment_strategy", "lottery")  # the loader would refuse it too
    with pytest.raises(SiteError, match="lottery"):
        LorrRunner(p)
    object.__setattr__(p, "assignment_strategy", "roundrobin")
    with pytest.raises(ValueError, match="refine_s"):
        LorrRunner(p, refine_s=-0.1)


def test_dense_maps_plan_with_epibt_and_near_full_ones_with_fewer_robots_working(tmp_path):
    free = [c for c in range(24) if c not in (7, 8)]  # the 6x4 map's 22 free cells
    tasks = [(free[(3 * i) % 22], free[(3 * i + 11) % 22]) for i in range(40)]
    p = load_lorr_problem(write_lorr_problem(tmp_path, free[:20], tasks))
    runner = LorrRunner(p, refine_s=0.005)  # 20 robots on 22 cells: near-full
    assert runner.near_full and runner.planner == "epibt" and runner.epibt is not None
    assert runner.active_density == TUNED.dense_active_density
    most = int(TUNED.dense_active_density * 22)
    for _ in range(60):
        runner.step()
        assert sum(tid >= 0 for tid in runner.assignment) <= most
    res = runner.result()
    assert res["numTaskFinished"] > 0
    assert validate_result(res, p).ok
    assert LorrRunner(p).refine_s == TUNED.epibt_refine_s
    tuned = RunnerParams(dense_active_density=0.5, epibt_refine_s=0.25)
    assert LorrRunner(p, params=tuned).active_density == 0.5
    assert LorrRunner(p, params=tuned).refine_s == 0.25
    explicit = LorrRunner(p, refine_s=0.002, active_density=1.0, planner="pibt")
    assert explicit.refine_s == 0.002 and explicit.max_active == 20 and explicit.epibt is None
    assert LorrRunner(p, planner="pibt").refine_s == 0  # PIBT alone on near-full maps
    # Sparse maps keep PIBT with the windowed LNS.
    roomy = LorrRunner(load_lorr_problem(write_lorr_problem(tmp_path, [0, 5], tasks)))
    assert not roomy.near_full and roomy.planner == "pibt" and roomy.refine_s == TUNED.refine_s
    assert roomy.active_density == TUNED.active_density
    with pytest.raises(ValueError, match="active_density"):
        LorrRunner(p, active_density=0)
    with pytest.raises(ValueError, match="planner must be"):
        LorrRunner(p, planner="lacam")
    with pytest.raises(ValueError, match="congestion_penalty"):
        LorrRunner(p, congestion_penalty=-1)
    # Congestion distances only where the fleet is dense enough to pay for them, and
    # not on near-full maps.
    assert runner.congestion is None and runner.congestion_penalty == 0
    assert LorrRunner(p, congestion_penalty=5).congestion is not None
    assert roomy.congestion is None and roomy.congestion_penalty == 0
    # Near-full maps follow one-way rows and columns: their turn-aware tables charge
    # wrong-way moves; the roomy fleet's do not, nor do they with guidance off.
    assert runner.lanes is not None and runner.guided is None and roomy.lanes is None
    plain = RotationDistances(p.grid)
    goal = free[0]
    assert runner.rot.table(goal) != plain.table(goal)
    assert LorrRunner(p, guidance=False).rot.table(goal) == plain.table(goal)


def test_a_station_takes_at_most_first_cap_robots_heading_to_it(tmp_path):
    # every task starts at cell 5 (a station); six robots
    tasks = [(5, c) for c in (0, 12, 23, 18, 3, 20) * 6]
    p = load_lorr_problem(write_lorr_problem(tmp_path, [0, 2, 12, 14, 20, 23], tasks))
    runner = LorrRunner(p, refine_s=0, active_density=1.0, params=RunnerParams(first_cap=2))
    heading = []
    for _ in range(40):
        runner.step()
        to_station = [
            k for k, tid in enumerate(runner.assignment) if tid >= 0 and runner.tasks[tid].next == 0
        ]
        assert len(to_station) <= 2
        heading.append(len(to_station))
    assert max(heading) == 2  # the cap is used, not just respected
    assert runner.finished > 0 and validate_result(runner.result(), p).ok


def test_validator_catches_conflicts_and_false_claims(tmp_path):
    p = load_lorr_problem(write_lorr_problem(tmp_path, [0, 2], [(5,), (20,)]))
    res = LorrRunner(p, refine_s=0).run(10)
    forged = dict(res)
    # robots 0 at (0,0) and 1 at (0,2) facing east: make robot 0 drive into robot 1's way
    forged["actualPaths"] = ["F,F", "C,W"]
    forged["numTaskFinished"] = res["numTaskFinished"] + 1
    report = validate_result(forged, p)
    assert not report.ok
    assert any("vertex conflict" in m for m in report.invalid_moves)
    assert report.conflicts
    assert report.tasks_finished != report.claimed_finished
    with pytest.raises(LogitwinError, match="teamSize"):
        validate_result({**res, "teamSize": 3}, p)


def _random_problem(tmp_path, rng, rows, robots, tasks, errands):
    """A 2024 problem on ``rows``: robots on distinct free cells, random errands."""
    free = [
        r * len(rows[0]) + c for r, row in enumerate(rows) for c, t in enumerate(row) if t == "."
    ]
    starts = [int(c) for c in rng.choice(free, robots, replace=False)]
    errand_lists = [tuple(int(c) for c in rng.choice(free, errands)) for _ in range(tasks)]
    return load_lorr_problem(write_lorr_problem(tmp_path, starts, errand_lists, rows=rows))


def test_lns_refinement_stays_valid_and_beats_pibt_alone(tmp_path):
    """A dense 10x10 random map: LNS within the budget finishes more tasks than PIBT."""
    rng = np.random.default_rng(3)
    rows = ["".join("@" if rng.random() < 0.12 else "." for _ in range(10)) for _ in range(10)]
    rows[0] = "." * 10
    p = _random_problem(tmp_path, rng, rows, robots=25, tasks=400, errands=2)
    alone = LorrRunner(p, refine_s=0, active_density=1.0, planner="pibt").run(150)
    refined_runner = LorrRunner(p, refine_s=0.01, active_density=1.0, planner="pibt")
    refined = refined_runner.run(150)
    assert refined_runner.lns.stats["improved"] > 0
    report = validate_result(refined, p)
    assert report.ok, report.to_dict()
    assert refined["numTaskFinished"] > alone["numTaskFinished"]


def test_large_map_path_with_lanes_stays_valid(tmp_path):
    """Maps above ``state_table_max_free`` use cell tables under one-way lane costs."""
    large = RunnerParams(state_table_max_free=0)
    p = load_lorr_problem(
        write_lorr_problem(tmp_path, [0, 5, 18], [(23, 0), (12, 17), (5, 20), (3, 21, 6)])
    )
    runner = LorrRunner(p, params=large)
    assert not runner.state_tables and runner.lanes is not None
    assert runner.lane_penalty == large.lane_penalty_large
    res = runner.run(40)
    report = validate_result(res, p)
    assert report.ok, report.to_dict()
    assert res["numTaskFinished"] > 3
    plain = LorrRunner(p, guidance=False, params=large)
    assert plain.lanes is None and plain.guided is None
    with pytest.raises(ValueError, match="needs state distance tables"):
        LorrRunner(p, planner="epibt", params=large)
    assert LorrRunner(p).state_tables  # the tuned limit: tables on a small map


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("active_density", 0, r"\(0, 1\]"),
        ("refine_share", 1.5, r"\(0, 1\]"),
        ("refine_s", -0.1, r"\[0, inf\)"),
        ("congestion_table_s", float("nan"), r"\[0, inf\)"),
        ("first_cap", 0, r"\[1, inf\)"),
        ("first_cap", 2.5, "an int"),
        ("queue_wait", True, "a number"),
        ("epibt_depths", ((0.6, 5), (0.5, 4), (1.0, 3)), "fills rising"),
        ("epibt_depths", ((0.6, 5),), "at least 1"),
        ("epibt_depths", ((1.0, 0),), "depths >= 1"),
    ],
)
def test_runner_params_name_the_field_and_its_range(field, value, allowed):
    with pytest.raises(ValueError, match=rf"RunnerParams\.{field} must .*{allowed}"):
        RunnerParams(**{field: value})


def test_runner_params_choose_the_epibt_depth_by_fill():
    assert [TUNED.depth_for(n, 100) for n in (10, 60, 61, 90, 91, 100)] == [5, 5, 4, 4, 3, 3]
    shallow = RunnerParams(epibt_depths=((1.0, 2),))
    assert shallow.depth_for(99, 100) == 2


def test_epibt_keeps_a_dense_fleet_valid_and_beats_pibt_alone(tmp_path):
    """A 10x10 random map half full of robots: EPIBT finishes more tasks than PIBT."""
    rng = np.random.default_rng(5)
    rows = ["".join("@" if rng.random() < 0.15 else "." for _ in range(10)) for _ in range(10)]
    rows[0] = rows[9] = "." * 10
    rows = ["." + row[1:-1] + "." for row in rows]  # a free ring keeps the map connected
    p = _random_problem(tmp_path, rng, rows, robots=45, tasks=600, errands=3)
    epibt = LorrRunner(p, refine_s=0.01)
    assert epibt.planner == "epibt" and epibt.congestion is not None
    assert epibt.active_density == TUNED.epibt_active_density
    assert epibt.congestion_penalty == round(
        TUNED.congestion_per_fill * 45 / len(p.grid.free_cells)
    )
    res = epibt.run(200)
    report = validate_result(res, p)
    assert report.ok, report.to_dict()
    assert epibt.overruns == 0 and not res["errors"]
    alone = LorrRunner(p, planner="pibt", refine_s=0).run(200)
    assert res["numTaskFinished"] > alone["numTaskFinished"]
