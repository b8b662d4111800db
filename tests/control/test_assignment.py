import numpy as np

from logitwin.control.assignment import greedy_assign
from logitwin.site import DistanceOracle, Grid


def test_nearest_cheapest_pairs_first_and_task_length_counts():
    grid = Grid.from_strings(["........"])
    oracle = DistanceOracle(grid)
    # robots at 0 and 7; tasks start at 1 (long) and 6 (short) and 2 (short)
    pairs = greedy_assign([0, 7], [1, 6, 2], [10.0, 0.0, 0.0], oracle.dist_map)
    assert sorted(pairs) == [(0, 2), (1, 1)]  # robot 0 skips the long task next to it


def test_blocks_give_the_same_matching_and_more_robots_than_tasks():
    rng = np.random.default_rng(0)
    grid = Grid.from_strings(["." * 12] * 6)
    oracle = DistanceOracle(grid)
    robots = rng.choice(grid.size, 30, replace=False).tolist()
    firsts = rng.choice(grid.size, 10).tolist()
    lengths = rng.integers(0, 5, 10).tolist()
    whole = greedy_assign(robots, firsts, lengths, oracle.dist_map)
    assert len(whole) == 10 and len({t for _, t in whole}) == 10
    assert len({a for a, _ in whole}) == 10
    blocked = greedy_assign(robots, firsts, lengths, oracle.dist_map, max_pairs=25)
    assert len(blocked) == 10 and len({t for _, t in blocked}) == 10
    assert greedy_assign([], firsts, lengths, oracle.dist_map) == []


def test_capacity_caps_robots_sent_to_one_first_errand():
    grid = Grid.from_strings(["........"])
    oracle = DistanceOracle(grid)
    # three robots near cell 1, where three tasks start; one far task starts at 7
    robots, firsts, lengths = [0, 1, 2], [1, 1, 1, 7], [0.0, 0.0, 0.0, 0.0]
    free = greedy_assign(robots, firsts, lengths, oracle.dist_map)
    assert sorted(t for _, t in free) == [0, 1, 2]
    capped = greedy_assign(robots, firsts, lengths, oracle.dist_map, capacity={1: 1})
    assert len(capped) == 2
    assert sum(firsts[t] == 1 for _, t in capped) == 1 and any(t == 3 for _, t in capped)
    full = greedy_assign(robots, firsts, lengths, oracle.dist_map, capacity={1: 0, 7: 0})
    assert full == []
    # the cap holds across blocks too
    blocked = greedy_assign(robots, firsts, lengths, oracle.dist_map, max_pairs=4, capacity={1: 1})
    assert sum(firsts[t] == 1 for _, t in blocked) == 1
