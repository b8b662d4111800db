import time

import numpy as np
import pytest

from logitwin.control.congestion import UNREACHABLE, CongestionDistances
from logitwin.control.pibt import RotationDistances
from logitwin.site import Grid
from logitwin.site.guidance import lane_costs
from tests.control.fleet import random_fleet


@pytest.mark.parametrize("lanes", [False, True])
def test_without_robots_the_tables_are_the_turn_aware_distances(lanes):
    grid, comp, *_ = random_fleet(np.random.default_rng(3), 1)
    cost = lane_costs(grid, 4) if lanes else None
    rot = RotationDistances(grid, move_cost=cost)
    dyn = CongestionDistances(grid, penalty=10, move_cost=cost)
    goals = comp[:5]
    dyn.update([], goals, time.perf_counter() + 5)
    for g in goals:
        want = np.array(rot.table(g))
        got = dyn.table(g)
        assert got.dtype == np.int32
        assert (got == np.minimum(want, UNREACHABLE)).all()


def test_a_standing_robot_costs_the_penalty_and_the_way_around_wins():
    grid = Grid.from_strings([".....", ".....", "....."])
    dyn = CongestionDistances(grid, penalty=10)
    start, goal, blocker = grid.cell(1, 0), grid.cell(1, 4), grid.cell(1, 2)
    dyn.update([blocker], [goal], time.perf_counter() + 5)
    # Straight east along the middle row: 4 moves plus the penalty of the occupied
    # cell; around it: turn, up, turn, 4 east, turn, down (9 actions, never 14).
    assert dyn.table(goal)[start * 4 + 0] == 9
    low = CongestionDistances(grid, penalty=2)
    low.update([blocker], [goal], time.perf_counter() + 5)
    assert low.table(goal)[start * 4 + 0] == 6  # through it: 4 + 2


def test_tables_are_rebuilt_stalest_first_while_time_allows():
    grid = Grid.from_strings(["....."])
    dyn = CongestionDistances(grid, penalty=5)
    dyn.update([2], [4, 0], time.perf_counter() + 5)
    assert dyn.stats["built"] == 2 and dyn.table(4)[0] == 4 + 5
    # The time is up: tables the goals already have are kept as they were (stale) ...
    dyn.update([], [4, 0, 3], 0.0)
    assert dyn.stats["built"] == 3  # ... and only the new goal's is built.
    assert dyn.table(4)[0] == 4 + 5
    dyn.update([], [4], time.perf_counter() + 5)
    assert dyn.table(4)[0] == 4


def test_least_recently_built_tables_are_dropped_and_bad_input_is_refused():
    grid = Grid.from_strings(["....", ".@.."])
    dyn = CongestionDistances(grid, penalty=3, max_cached=2)
    dyn.update([], [0, 1, 2], time.perf_counter() + 5)
    assert len(dyn._tables) == 2 and 0 not in dyn._tables
    assert dyn.table(0)[0] == 0  # rebuilt on demand
    with pytest.raises(ValueError, match="blocked"):
        dyn.update([], [grid.cell(1, 1)], time.perf_counter() + 5)
    with pytest.raises(ValueError, match="penalty"):
        CongestionDistances(grid, penalty=-1)
