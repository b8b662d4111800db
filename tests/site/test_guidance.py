"""One-way lanes as move costs, and the weighted distances that follow them."""

import heapq

import numpy as np
import pytest

from logitwin.control.pibt import RotationDistances
from logitwin.site import Grid
from logitwin.site.distance import UNREACHABLE, bfs_distances
from logitwin.site.guidance import (
    GuidedDistances,
    bays,
    lane_costs,
    turn_estimates,
    weighted_distances,
)

# Two horizontal one-cell lanes (rows 1 and 3) joined by open columns at both ends, and a
# vertical lane (column 2) between rows 3 and 5.
WAREHOUSE = [
    ".......",
    ".@@@@@.",
    ".......",
    ".@@@@@.",
    ".......",
]
LANES = [
    ".......",
    "@.....@",
    ".......",
    "@@@.@@@",
    "@@@.@@@",
    ".......",
]


def _dijkstra(grid, cost, goal):
    """Reference: plain Dijkstra on the reversed graph."""
    nb = grid.neighbor_table
    dist = [UNREACHABLE] * grid.size
    dist[goal] = 0
    heap = [(0, goal)]
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        for k in range(4):
            u = int(nb[v, k])
            if u < 0:
                continue
            c = d + int(cost[u, (k + 2) % 4])
            if c < dist[u]:
                dist[u] = c
                heapq.heappush(heap, (c, u))
    return dist


def test_lanes_alternate_and_only_lane_cells_pay():
    grid = Grid.from_strings(WAREHOUSE)
    cost = lane_costs(grid, penalty=5)
    w = grid.width
    # Rows 0, 2 and 4 hold horizontal lane cells: east-, west-, east-bound.
    assert cost[0 * w + 3].tolist() == [1, 1, 5, 1]
    assert cost[2 * w + 3].tolist() == [5, 1, 1, 1]
    assert cost[4 * w + 3].tolist() == [1, 1, 5, 1]
    # Columns 0 and 6 hold vertical lane cells: south-, north-bound.
    assert cost[1 * w + 0].tolist() == [1, 1, 1, 5]
    assert cost[3 * w + 6].tolist() == [1, 5, 1, 1]
    # A corner is no lane: it takes its row's way east-west and its column's north-south.
    assert cost[0].tolist() == [1, 1, 5, 5]
    with pytest.raises(ValueError, match="penalty"):
        lane_costs(grid, penalty=0)


def test_open_areas_are_one_way_by_parity():
    """Without lanes, even rows run east and odd ones west; even columns run south and odd
    ones north, so traffic in an open band never meets head-on."""
    grid = Grid.from_strings(["....", "....", "...."])
    cost = lane_costs(grid, penalty=3)
    w = grid.width
    assert cost[0 * w + 0].tolist() == [1, 1, 3, 3]  # east-bound row, south-bound column
    assert cost[1 * w + 1].tolist() == [3, 3, 1, 1]  # west-bound row, north-bound column
    assert cost[2 * w + 3].tolist() == [1, 3, 3, 1]  # east-bound row, north-bound column


@pytest.mark.parametrize("rows", [WAREHOUSE, LANES])
def test_weighted_distances_match_dijkstra_and_bfs(rows):
    grid = Grid.from_strings(rows)
    cost = lane_costs(grid, penalty=4)
    for goal in grid.free_cells.tolist():
        assert weighted_distances(grid, cost, goal).tolist() == _dijkstra(grid, cost, goal)
        ones = np.ones_like(cost)
        assert (weighted_distances(grid, ones, goal) == bfs_distances(grid, goal)).all()


def test_traffic_takes_the_lane_running_its_way():
    grid = Grid.from_strings(WAREHOUSE)
    w = grid.width
    guided = GuidedDistances(grid, lane_costs(grid, penalty=4))
    # Row 4 runs east; to go west from its east end, the way is up column 6 (north-bound),
    # along row 2 (west-bound) and down column 0 (south-bound): 2 + 6 + 2 moves, not 6
    # wrong-way moves at 4 each.
    assert guided.dist_map(4 * w + 0)[4 * w + 6] == 10
    assert guided.dist_map(4 * w + 6)[4 * w + 0] == 6  # with the lane: plain distance
    assert 4 * w + 0 in guided and 4 * w + 5 not in guided


@pytest.mark.parametrize("rows", [WAREHOUSE, LANES])
def test_turn_estimates_lie_between_the_cell_map_and_the_exact_turn_aware_table(rows):
    grid = Grid.from_strings(rows)
    cost = lane_costs(grid, 3)
    free = grid.free_cells.tolist()
    for goal in free:
        dist = weighted_distances(grid, cost, goal)
        est = turn_estimates(grid, cost, dist, goal)
        exact = RotationDistances(grid, move_cost=cost).table(goal)
        for c in free:
            for o in range(4):
                s = 4 * c + o
                assert dist[c] <= est[s] <= exact[s], (goal, c, o)
                # Facing the way the cheapest move leaves, the estimate adds no turn.
                ahead = grid.neighbor_table[c, o]
                if c != goal and ahead >= 0 and cost[c, o] + dist[ahead] == dist[c]:
                    assert est[s] == dist[c]
            assert est[4 * c : 4 * c + 4].min() == dist[c]
    blocked = int(np.flatnonzero(~grid.free.reshape(-1))[0])
    assert (est[4 * blocked : 4 * blocked + 4] == UNREACHABLE).all()
    with pytest.raises(ValueError, match="expected a map of"):
        turn_estimates(grid, cost, dist[:-1], 0)


def test_bays_are_short_walled_runs_off_the_open_areas():
    """A 3 x 2 pocket off a band is a bay: its rows run 3 cells between walls. The band's
    runs are longer than ``max_run`` and a one-cell run is a lane, not a bay."""
    grid = Grid.from_strings(
        [
            "@...@.@",
            "@...@.@",
            ".......",
            ".......",
            ".......",
            ".......",
        ]
    )
    w = grid.width
    marked = {int(c) for c in np.flatnonzero(bays(grid, 3))}
    assert marked == {1, 2, 3, w + 1, w + 2, w + 3}
    assert not bays(grid, 2).any()
    with pytest.raises(ValueError, match="max_run"):
        bays(grid, 1)
