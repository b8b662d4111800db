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


def _greedy_by_sorting_every_pair(robots, firsts, lengths, dist_map, capacity):
    """The definition: every (robot, task) pair in order of cost, ties by robot, then
    first errand, then task length and index; taken while both are free."""
    places = dict(capacity)
    pairs = sorted(
        (float(dist_map(f)[r]) + lengths[t], a, f, lengths[t], t)
        for a, r in enumerate(robots)
        for t, f in enumerate(firsts)
    )
    busy, taken, out = set(), set(), []
    for _, a, f, _, t in pairs:
        if a in busy or t in taken or places.get(f, len(robots)) <= 0:
            continue
        busy.add(a)
        taken.add(t)
        places[f] = places.get(f, len(robots)) - 1
        out.append((a, t))
    return sorted(out)


def test_matching_is_the_cheapest_pair_first_greedy_on_random_cases():
    grid = Grid.from_strings(["." * 9] * 7)
    oracle = DistanceOracle(grid)
    for seed in range(40):
        rng = np.random.default_rng(seed)
        robots = rng.choice(grid.size, int(rng.integers(1, 25)), replace=False).tolist()
        n_t = int(rng.integers(1, 30))
        # first errands on a few cells (groups), integer lengths: many ties
        firsts = rng.choice(rng.choice(grid.size, 6), n_t).tolist()
        lengths = rng.integers(0, 6, n_t).astype(float).tolist()
        capacity = {f: int(rng.integers(0, 4)) for f in set(firsts) if rng.random() < 0.5}
        want = _greedy_by_sorting_every_pair(robots, firsts, lengths, oracle.dist_map, capacity)
        got = greedy_assign(robots, firsts, lengths, oracle.dist_map, capacity=capacity)
        assert sorted(got) == want, seed
