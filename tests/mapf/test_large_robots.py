"""Robots of any ``agentSize`` under the 2026 rules: blocks of cells, the executor holding
them, and the full loop under heavy delays with no refused request and tasks finished."""

from __future__ import annotations

import pytest

from logitwin.mapf.blocks import Blocks, cells_across
from logitwin.mapf.footprint import ActionModel, FleetState
from logitwin.mapf.paths import decode_path
from logitwin.mapf.planner2026 import PibtPlanner2026, Planner2026Params
from logitwin.mapf.rules2026 import StagingExecutor, run_2026
from logitwin.mapf.validate2026 import validate_2026
from logitwin.site import Grid

from .test_rules2026 import _problem

OPEN = ["." * 10] * 10
# Two-wide corridors between blocks of walls.
CORRIDORS = [
    "............", "............", "@@@@..@@@@..", "@@@@..@@@@..", "............",
    "............", "..@@@@..@@@@", "..@@@@..@@@@", "............", "............",
]  # fmt: skip
HEAVY = {"minDelay": 1, "maxDelay": 8, "eventModel": "bernoulli", "pDelay": 0.2,
         "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.2}  # fmt: skip


def _tasks(rows: list[str], m: int, count: int = 40) -> list[tuple[int, int]]:
    """Two-errand tasks on cells where an ``m``-cell robot fits."""
    h, w = len(rows), len(rows[0])
    fits = [r * w + c for r in range(h - m + 1) for c in range(w - m + 1)
            if all(rows[r + a][c + b] == "." for a in range(m) for b in range(m))]  # fmt: skip
    return [(fits[(7 * i) % len(fits)], fits[(11 * i + 5) % len(fits)]) for i in range(count)]


def test_blocks_lead_and_trail():
    b = Blocks(5, 4, 2)
    assert b.block(0) == (0, 1, 5, 6) and b.block(4) == (4, 9)  # cut at the edge
    assert b.lead(0, 1) == (2, 7) and b.trail(0, 1) == (0, 5)  # east
    assert b.lead(6, 1) == (1, 2) and b.trail(6, 1) == (11, 12)  # north
    assert Blocks(5, 4, 1).lead(0, 1) == (1,)
    assert [cells_across(s) for s in (0.3, 1.0, 1.0001, 1.5, 2.0, 2.5)] == [1, 1, 2, 2, 2, 3]
    with pytest.raises(ValueError, match="agentSize must be > 0, got 0"):
        cells_across(0)
    grid = Grid.from_strings(["....", "..@.", "...."])
    assert Blocks(4, 3, 2).anchors(grid).free.astype(int).tolist() == [
        [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0],
    ]  # fmt: skip


def test_a_large_robot_waits_until_every_cell_ahead_is_given_up():
    """Robot 1 (2x2) follows robot 0 east along a 2-wide strip; robot 0 stops dead for
    a while mid-move: robot 1 never starts a move into cells robot 0 still holds."""
    grid = Grid.from_strings(["." * 9, "." * 9])
    k, size = 3, 2.0
    state = FleetState.start([2, 0])
    ex = StagingExecutor([2, 0], grid.width, grid.height, k, size)
    ex.stage([[0, 0, 0], [0, 0, 0]])
    model = ActionModel(grid, k, size)
    for t in range(60):
        cmds = ex.commands(state)
        if 4 <= t < 20:
            cmds[0] = 3  # robot 0 delayed mid-move
        after, _, errors = model.step(state, cmds, t)
        assert errors == [], (t, errors)
        # Robot 1's corner stays at least two cells behind robot 0's.
        x0 = after.loc[0] + (after.count[0] / k if after.cur[0] == 0 else 0)
        x1 = after.loc[1] + (after.count[1] / k if after.cur[1] == 0 else 0)
        assert x0 - x1 >= 2 - 1e-9, (t, x0, x1)
        ex.executed(state, after)
        state = after
    assert state.loc == [5, 3]


@pytest.mark.parametrize("size", [1.5, 2.0])
@pytest.mark.parametrize(
    ("rows", "starts", "least"),
    [(OPEN, [0, 4, 8, 60, 64, 68], 10), (CORRIDORS, [0, 4, 8, 48, 52, 56, 100, 104], 5)],
    ids=["open", "corridors"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_robots_under_heavy_delays_never_collide_and_finish_tasks(
    tmp_path, size, rows, starts, least, seed
):
    p = _problem(tmp_path, rows, starts, _tasks(rows, 2), delay={"seed": seed, **HEAVY},
                 size=size)  # fmt: skip
    planner = PibtPlanner2026(p, 10)
    assert planner.length_weight == 1.0  # the small-map weight was measured for cells
    out = run_2026(p, planner, 1000).output
    assert out["numPlannerErrors"] == 0 and out["numScheduleErrors"] == 0, out["errors"][:3]
    assert sum(len(iv) for iv in out["delayIntervals"]) > 100
    report = validate_2026(out, p)
    assert report.ok and report.refused_requests == 0, report.to_dict()
    assert out["numTaskFinished"] >= least


@pytest.mark.parametrize("size", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_small_robots_follow_no_closer_than_a_cell(tmp_path, size, seed):
    """Robots smaller than a cell keep trains a cell and a tick apart (closer, the one
    behind could arrive before the one ahead has left the cell's line)."""
    rows = ["." * 8] * 8
    p = _problem(tmp_path, rows, [0, 3, 6, 24, 27, 30], _tasks(rows, 1),
                 delay={"seed": seed, **HEAVY}, size=size)  # fmt: skip
    # A short refinement (20 ms a call): EPIBT's rounds stop on the clock.
    planner = PibtPlanner2026(p, 10, Planner2026Params(refine_share=0.02))
    out = run_2026(p, planner, 1000).output
    assert out["numPlannerErrors"] == 0
    assert validate_2026(out, p).ok and out["numTaskFinished"] >= 25


@pytest.mark.parametrize("size", [2.5, 3.0])
def test_robots_three_cells_across_stay_valid(tmp_path, size):
    rows = ["." * 12] * 12
    p = _problem(tmp_path, rows, [0, 6, 72, 78], _tasks(rows, 3),
                 delay={"seed": 2, **HEAVY}, size=size)  # fmt: skip
    out = run_2026(p, PibtPlanner2026(p, 10), 600).output
    assert out["numPlannerErrors"] == 0
    assert validate_2026(out, p).ok


def test_a_robot_that_does_not_fit_where_it_starts_never_moves(tmp_path):
    # Robot 1 starts on the last column: its 2x2 square leaves the map, so every motion
    # of its would be refused. It is left alone; robot 0 works round it.
    rows = ["." * 8] * 6
    p = _problem(tmp_path, rows, [0, 7], _tasks(rows, 2, 10), size=2.0)
    planner = PibtPlanner2026(p, 10)
    assert planner.stuck == [False, True]
    out = run_2026(p, planner, 400).output
    assert out["numPlannerErrors"] == 0 and out["numTaskFinished"] >= 3
    assert "F" not in decode_path(out["actualPaths"][1])[1]
