import numpy as np
import pytest

from logitwin.control.actions import check_step
from logitwin.control.pibt_rotation import RotationDistances, RotationPIBT
from logitwin.site import DistanceOracle, Grid


@pytest.mark.parametrize("state_tables", [True, False])
def test_dense_fleet_never_produces_an_invalid_step(state_tables):
    rng = np.random.default_rng(1)
    rows = ["".join("@" if rng.random() < 0.15 else "." for _ in range(16)) for _ in range(12)]
    grid = Grid.from_strings(rows)
    oracle = DistanceOracle(grid)
    free = grid.free_cells
    comp = [int(c) for c in free if oracle.dist_map(int(free[0]))[c] < 1 << 30]
    n = 40
    cells = [comp[i] for i in rng.choice(len(comp), n, replace=False)]
    orients = rng.integers(0, 4, n).tolist()
    goals = [comp[i] for i in rng.choice(len(comp), n)]
    rot = RotationDistances(grid)
    table = rot.table if state_tables else oracle.dist_list
    planner = RotationPIBT(grid, n, np.random.default_rng(0), state_tables=state_tables)
    reached = 0
    for t in range(300):
        dists = [table(g) for g in goals]
        actions = planner.step(cells, orients, dists)
        cells, orients, errors = check_step(grid, cells, orients, actions, t)
        assert errors == [], errors[:3]
        for k in range(n):
            if cells[k] == goals[k]:  # lifelong: a new goal at once
                reached += 1
                goals[k] = comp[int(rng.integers(len(comp)))]
    assert reached > 100  # the fleet keeps delivering


def test_a_robot_turns_before_it_moves():
    grid = Grid.from_strings(["...."])
    planner = RotationPIBT(grid, 1, np.random.default_rng(0), state_tables=True)
    table = RotationDistances(grid).table(0)
    assert planner.step([3], [0], [table]) in (["R"], ["C"])  # facing east, goal to the west
    assert planner.step([3], [2], [table]) == ["F"]
    assert planner.step([0], [2], [table]) == ["W"]  # at the goal
