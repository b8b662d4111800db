import pickle
import sys

import numpy as np
import pytest

from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.control.validator import find_conflicts
from logitwin.mapf.actions import check_step
from logitwin.site import UNREACHABLE, DistanceOracle, Grid
from logitwin.site.guidance import lane_costs, weighted_distances
from tests.control.fleet import random_fleet


def _run(grid, starts, goals, steps, pinned=None, seed=0):
    oracle = DistanceOracle(grid)
    planner = PIBT(grid, len(starts), np.random.default_rng(seed), rotation=False)
    pos = list(starts)
    path = [list(pos)]
    dists = [oracle.dist_list(g) if g is not None else None for g in goals]
    for _ in range(steps):
        pos = planner.plan_cells(pos, dists, pinned)
        path.append(list(pos))
        if all(g is None or p == g for p, g in zip(pos, goals, strict=True)):
            break
    return np.array(path)


def test_head_on_robots_pass_each_other_on_a_two_lane_aisle():
    # PIBT is complete where every edge lies on a cycle; a 2-lane aisle is such a graph.
    grid = Grid.from_strings(["......", "......"])
    a, b = grid.cell(0, 0), grid.cell(0, 5)
    path = _run(grid, [a, b], [b, a], 40)
    assert find_conflicts(grid, path) == []
    assert list(path[-1]) == [b, a]


def test_pushes_goal_less_robot_out_of_the_way():
    grid = Grid.from_strings(["....", "...."])
    mover, parked = grid.cell(0, 0), grid.cell(0, 1)
    path = _run(grid, [mover, parked], [grid.cell(0, 3), None], 20)
    assert find_conflicts(grid, path) == []
    assert path[-1][0] == grid.cell(0, 3)


def test_pinned_robot_never_moves_and_others_never_enter_its_cell():
    grid = Grid.from_strings(["....", "....", "...."])
    centre = grid.cell(1, 1)
    starts = [grid.cell(1, 0), centre, grid.cell(0, 2)]
    goals = [grid.cell(1, 3), None, grid.cell(2, 0)]
    path = _run(grid, starts, goals, 30, pinned=[False, True, False])
    assert find_conflicts(grid, path) == []
    assert (path[:, 1] == centre).all()
    assert centre not in set(path[:, 0]) | set(path[:, 2])


def test_many_robots_random_goals_never_conflict():
    rng = np.random.default_rng(3)
    rows = ["".join("@" if rng.random() < 0.15 else "." for _ in range(20)) for _ in range(20)]
    grid = Grid.from_strings(rows)
    oracle = DistanceOracle(grid)
    free = grid.free_cells
    # Largest component only, so every goal is reachable.
    start = int(free[0])
    d = oracle.dist_map(start)
    comp = [int(c) for c in free if d[c] < 1 << 30]
    picks = rng.choice(len(comp), 60, replace=False)
    starts = [comp[i] for i in picks[:30]]
    goals = [comp[i] for i in picks[30:]]
    path = _run(grid, starts, goals, 300)
    assert find_conflicts(grid, path) == []
    reached = sum(int(p == g) for p, g in zip(path[-1], goals, strict=True))
    assert reached >= 28


def test_bad_input():
    grid = Grid.from_strings(["..."])
    planner = PIBT(grid, 2, np.random.default_rng(0), rotation=False)
    with pytest.raises(ValueError, match="share a cell"):
        planner.plan_cells([0, 0], [None, None])
    with pytest.raises(ValueError, match="expected 2"):
        planner.plan_cells([0], [None])


@pytest.mark.parametrize("state_tables", [True, False])
def test_dense_fleet_never_produces_an_invalid_step(state_tables):
    rng = np.random.default_rng(1)
    n = 40
    grid, comp, cells, orients, goals = random_fleet(rng, n)
    rot = RotationDistances(grid)
    table = rot.table if state_tables else DistanceOracle(grid).dist_list
    planner = PIBT(grid, n, np.random.default_rng(0), state_tables=state_tables)
    reached = 0
    for t in range(300):
        dists = [table(g) for g in goals]
        actions = planner.plan_actions(cells, orients, dists)
        cells, orients, errors = check_step(grid, cells, orients, actions, t)
        assert errors == [], errors[:3]
        for k in range(n):
            if cells[k] == goals[k]:  # lifelong: a new goal at once
                reached += 1
                goals[k] = comp[int(rng.integers(len(comp)))]
    assert reached > 100  # the fleet keeps delivering


def test_a_robot_turns_before_it_moves():
    grid = Grid.from_strings(["...."])
    planner = PIBT(grid, 1, np.random.default_rng(0), state_tables=True)
    table = RotationDistances(grid).table(0)
    assert planner.plan_actions([3], [0], [table]) in (
        ["R"],
        ["C"],
    )  # facing east, goal to the west
    assert planner.plan_actions([3], [2], [table]) == ["F"]
    assert planner.plan_actions([0], [2], [table]) == ["W"]  # at the goal


def test_move_costs_need_cell_tables_and_the_map_shape():
    grid = Grid.from_strings(["...."])
    cost = np.ones((grid.size, 4), dtype=np.int32)
    with pytest.raises(ValueError, match="state_tables"):
        PIBT(grid, 1, np.random.default_rng(0), state_tables=True, move_cost=cost)
    with pytest.raises(ValueError, match="shape"):
        PIBT(grid, 1, np.random.default_rng(0), move_cost=cost[:2])


def test_a_robot_goes_around_a_costly_move():
    from logitwin.site.guidance import weighted_distances

    grid = Grid.from_strings(["...", "..."])
    cost = np.ones((grid.size, 4), dtype=np.int32)
    cost[1, 0] = 50  # leaving cell (0, 1) eastwards
    d = weighted_distances(grid, cost, 2)  # to (0, 2): around below costs 3
    assert d[1] == 3
    guided = PIBT(grid, 1, np.random.default_rng(0), move_cost=cost)
    assert guided.plan_actions([1], [0], [d]) == ["R"]  # turns south to go around
    plain = PIBT(grid, 1, np.random.default_rng(0))
    assert plain.plan_actions([1], [0], [bfs := DistanceOracle(grid).dist_list(2)]) == ["F"]
    assert bfs[1] == 1


def _state_bfs(grid, goal):
    """Reference: breadth-first over (cell, orientation) states, backwards from goal."""
    from collections import deque

    dist = {(goal, o): 0 for o in range(4)}
    todo = deque(dist)
    while todo:
        c, o = todo.popleft()
        back = grid.neighbor_table[c, (o + 2) % 4]  # the cell a forward move came from
        for s in [(c, (o + 1) % 4), (c, (o + 3) % 4)] + ([(int(back), o)] if back >= 0 else []):
            if s not in dist:
                dist[s] = dist[(c, o)] + 1
                todo.append(s)
    return [dist.get((s // 4, s % 4), UNREACHABLE) for s in range(4 * grid.size)]


def test_turn_aware_tables_match_a_breadth_first_search():
    grid, comp, *_ = random_fleet(np.random.default_rng(5), 1)
    rot = RotationDistances(grid)
    for goal in comp[:4]:
        got = rot.table(goal)
        assert isinstance(got, list)
        assert got == _state_bfs(grid, goal)  # walls and cut-off cells: UNREACHABLE
    with pytest.raises(ValueError, match="blocked"):
        rot.table(next(c for c in range(grid.size) if not grid.is_free(c)))


def test_turn_aware_tables_charge_move_costs():
    grid = Grid.from_strings(["...."])
    cost = np.ones((grid.size, 4), dtype=np.int32)
    cost[:, 2] = 5  # every move west costs 5: an east-bound lane
    west = RotationDistances(grid, move_cost=cost).table(0)
    assert west[3 * 4 + 2] == 15  # facing west: three moves at 5
    assert west[3 * 4 + 0] == 17  # facing east: two turns first
    east = RotationDistances(grid, move_cost=cost).table(3)
    assert east[0 * 4 + 0] == 3  # with the lane: 1 a move
    with pytest.raises(ValueError, match="shape"):
        RotationDistances(grid, move_cost=cost[:2])


class _RecursivePIBT(PIBT):
    """Reference: the push search as PIBT's paper writes it, one recursive call per
    pushed robot (the planner's search before it became an explicit stack). Same
    candidates; it records the longest push chain."""

    longest = 0

    def _pibt(self, i, depth=1):
        self.longest = max(self.longest, depth)
        cur = self._pos[i]
        for _, _, c in self._candidates(i):
            if c in self._occ_next:
                continue
            k = self._occ_now.get(c)
            if k is not None and self._next[k] == cur:
                continue
            self._occ_next[c] = i
            self._next[i] = c
            if k is None or k == i:
                return True
            if self._next[k] < 0 and not self._pibt(k, depth + 1):
                continue
            return True
        self._occ_next[cur] = i
        self._next[i] = cur
        return False


@pytest.mark.parametrize("tables", ["cells", "state", "move_cost", "no_rotation"])
def test_the_push_search_matches_a_recursive_reference(tables):
    rng = np.random.default_rng(7)
    n = 140  # ~85% of the free cells: long push chains
    grid, comp, cells, orients, goals = random_fleet(rng, n)
    rotation = tables != "no_rotation"
    cost = lane_costs(grid, 3) if tables == "move_cost" else None
    if tables == "state":
        table = RotationDistances(grid).table
    elif cost is not None:
        table = lambda g: weighted_distances(grid, cost, g).tolist()  # noqa: E731
    else:
        table = DistanceOracle(grid).dist_list
    made = [
        kind(grid, n, np.random.default_rng(0), rotation, tables == "state", cost)
        for kind in (PIBT, _RecursivePIBT)
    ]
    targets: list[int | None] = [g if k % 5 else None for k, g in enumerate(goals)]
    for t in range(60):
        dists = [table(g) if g is not None else None for g in targets]
        pinned = (rng.random(n) < 0.03).tolist()
        if rotation:
            got, want = (p.plan_actions(cells, orients, dists, pinned) for p in made)
            assert got == want, t
            cells, orients, errors = check_step(grid, cells, orients, got, t)
            assert errors == []
        else:
            got, want = (p.plan_cells(cells, dists, pinned) for p in made)
            assert got == want, t
            cells = got
        for k in range(n):
            if targets[k] == cells[k]:
                targets[k] = comp[int(rng.integers(len(comp)))]
    assert made[0].save() == made[1].save()
    assert made[1].longest >= 20  # the run did push long chains


@pytest.mark.parametrize("rotation", [True, False])
def test_a_push_chain_through_5000_robots_needs_no_recursion_limit(rotation):
    # A one-cell corridor full of goal-less robots; the one at the west end wants the
    # east end, so each robot pushes the next and the whole line shifts east by a cell.
    n = 5000
    grid = Grid.from_strings(["." * (n + 1)])
    limit = sys.getrecursionlimit()
    planner = pickle.loads(pickle.dumps(PIBT(grid, n, np.random.default_rng(0), rotation)))
    dists = [DistanceOracle(grid).dist_list(n)] + [None] * (n - 1)
    cells = list(range(n))
    if rotation:
        assert planner.plan_actions(cells, [0] * n, dists) == ["F"] * n
    else:
        assert planner.plan_cells(cells, dists) == [c + 1 for c in cells]
    assert sys.getrecursionlimit() == limit


def test_rotation_distances_count_turns():
    grid = Grid.from_strings(["....", "...."])
    table = RotationDistances(grid).table(grid.cell(0, 3))
    start = grid.cell(0, 0)
    assert table[start * 4 + 0] == 3  # facing east: three forward moves
    assert table[start * 4 + 2] == 5  # facing west: turn twice, then three moves
    assert table[start * 4 + 1] == 4  # facing south: one turn
    assert table[grid.cell(0, 3) * 4 + 3] == 0


@pytest.mark.parametrize("straight", [False, True])
def test_straight_following_only_with_straight(straight):
    # A (row 1, col 2) leaves north for its goal; B (row 1, col 1) faces east toward its
    # goal through A's cell: it follows A only without `straight`, and behind a robot
    # leaving the same way either way.
    grid = Grid.from_strings([".....", ".....", "....."])
    oracle = DistanceOracle(grid)
    a, b = grid.cell(1, 2), grid.cell(1, 1)
    for orients, goals, b_moves in (
        ([3, 0], [grid.cell(0, 2), grid.cell(1, 4)], not straight),
        ([0, 0], [grid.cell(1, 4), grid.cell(1, 3)], True),
    ):
        planner = PIBT(grid, 2, np.random.default_rng(0), cycles=False, straight=straight)
        acts = planner.plan_actions([a, b], orients, [oracle.dist_list(g) for g in goals])
        assert acts[0] == "F"
        assert (acts[1] == "F") is b_moves
