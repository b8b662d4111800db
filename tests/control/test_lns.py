"""Windowed LNS: plans stay conflict-free, costs never rise, and waste is found."""

import time

import numpy as np
import pytest

from logitwin.control.lns import WindowedLNS, plan_actions_of, plan_cost
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.mapf.actions import check_step
from logitwin.site import DistanceOracle, Grid


def _replay(grid, paths):
    """Execute every step of the state plans with the LoRR rules; return the errors."""
    cells = [p[0] >> 2 for p in paths]
    orients = [p[0] & 3 for p in paths]
    errors = []
    for t in range(len(paths[0]) - 1):
        actions = plan_actions_of([p[t:] for p in paths])
        cells, orients, errs = check_step(grid, cells, orients, actions, t)
        errors += errs
        assert [c * 4 + o for c, o in zip(cells, orients, strict=True)] == [p[t + 1] for p in paths]
    return errors


def test_plan_cost_counts_arrival_or_remaining_distance_and_later_moves():
    table = [0] * 40
    table[4 * 3] = 7
    assert plan_cost([4 * 3, 4 * 3, 4 * 3], goal=9, table=table) == 2 + 7  # never arrives
    assert plan_cost([4 * 3, 4 * 9, 4 * 9], goal=9, table=table) == 1  # arrives at step 1
    assert plan_cost([4 * 3, 4 * 9, 4 * 9 + 1], goal=9, table=table) == 2  # then turns
    assert plan_cost([4 * 3, 4 * 3 + 1, 4 * 3 + 1], goal=-1, table=None) == 1  # one turn


def test_refine_removes_needless_waiting():
    grid = Grid.from_strings(["......"])
    rot = RotationDistances(grid)
    lns = WindowedLNS(grid, window=4, rng=np.random.default_rng(0))
    paths = [[0 * 4 + 0] * 5]  # robot at cell 0 facing east waits 4 steps; goal cell 3
    goals, tables = [3], [rot.table(3)]
    before = plan_cost(paths[0], 3, tables[0])
    out = lns.refine(paths, goals, tables, time.perf_counter() + 0.2)
    assert before == 4 + 3 and plan_cost(out[0], 3, tables[0]) == 3
    assert plan_actions_of(out) == ["F"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_refined_dense_plans_never_conflict_and_never_cost_more(seed):
    rng = np.random.default_rng(seed)
    rows = ["".join("@" if rng.random() < 0.15 else "." for _ in range(14)) for _ in range(10)]
    grid = Grid.from_strings(rows)
    oracle = DistanceOracle(grid)
    free = grid.free_cells
    comp = [int(c) for c in free if oracle.dist_map(int(free[0]))[c] < 1 << 30]
    n = 45  # about 40% of the free cells
    cells = [comp[i] for i in rng.choice(len(comp), n, replace=False)]
    orients = rng.integers(0, 4, n).tolist()
    goals = [comp[int(i)] if k % 5 else -1 for k, i in enumerate(rng.choice(len(comp), n))]
    rot = RotationDistances(grid)
    tables = [rot.table(g) if g >= 0 else None for g in goals]
    planner = PIBT(grid, n, np.random.default_rng(seed), state_tables=True)
    window = 8
    # The initial plan: a PIBT rollout, executed with the rules.
    paths = [[c * 4 + o] for c, o in zip(cells, orients, strict=True)]
    for t in range(window):
        actions = planner.plan_actions(cells, orients, tables)
        cells, orients, errors = check_step(grid, cells, orients, actions, t)
        assert not errors
        for p, c, o in zip(paths, cells, orients, strict=True):
            p.append(c * 4 + o)
    before = sum(plan_cost(p, g, d) for p, g, d in zip(paths, goals, tables, strict=True))
    lns = WindowedLNS(grid, window, np.random.default_rng(seed), neighbourhood=3)
    out = lns.refine([list(p) for p in paths], goals, tables, time.perf_counter() + 0.5)
    after = sum(plan_cost(p, g, d) for p, g, d in zip(out, goals, tables, strict=True))
    assert [p[0] for p in out] == [p[0] for p in paths]
    assert _replay(grid, out) == []
    assert after <= before
    assert lns.stats["improved"] > 0 and after < before  # PIBT leaves waste to remove


def test_bad_arguments_are_refused():
    grid = Grid.from_strings(["..."])
    with pytest.raises(ValueError, match="window"):
        WindowedLNS(grid, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="neighbourhood"):
        WindowedLNS(grid, 3, np.random.default_rng(0), neighbourhood=0)
