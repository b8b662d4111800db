"""Tests for logitwin.site.distance."""

from __future__ import annotations

import numpy as np
import pytest

from logitwin.errors import SiteError
from logitwin.site.distance import UNREACHABLE, DistanceOracle, _bfs_compiled, bfs_distances
from logitwin.site.grid import Grid

MAZE = [
    "....@....",
    ".@@.@.@@.",
    ".@..@..@.",
    ".@.@@@.@.",
    "...@...@.",
    "@@.@.@...",
    "...@.@@@@",
    ".@@@.....",
]
ISLAND = [
    "..@..",
    "..@..",
    "@@@..",
]


def _reference(grid: Grid, goal: int) -> list[int]:
    """Bellman-Ford style relaxation: slow but obviously right."""
    dist = [UNREACHABLE] * grid.size
    dist[goal] = 0
    changed = True
    while changed:
        changed = False
        for cell in range(grid.size):
            if not grid.is_free(cell):
                continue
            r, c = grid.rc(cell)
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < grid.height and 0 <= cc < grid.width:
                    other = grid.cell(rr, cc)
                    if grid.is_free(other) and dist[other] + 1 < dist[cell]:
                        dist[cell] = dist[other] + 1
                        changed = True
    return dist


@pytest.mark.parametrize("rows", [MAZE, ISLAND, ["."], [".@."]])
def test_bfs_matches_reference_for_every_goal(rows: list[str]) -> None:
    grid = Grid.from_strings(rows)
    for goal in grid.free_cells.tolist():
        expected = _reference(grid, goal)
        got = bfs_distances(grid, goal)
        assert got.dtype == np.int32 and got.shape == (grid.size,)
        assert got.tolist() == expected
        assert _bfs_compiled(grid, goal).tolist() == expected  # the large-map code path


def test_unreachable_island() -> None:
    grid = Grid.from_strings(ISLAND)
    dist = bfs_distances(grid, 0)
    assert dist[grid.cell(0, 3)] == UNREACHABLE
    assert dist[grid.cell(1, 1)] == 2
    assert dist[2] == UNREACHABLE  # blocked


def test_blocked_or_outside_goal_raises() -> None:
    grid = Grid.from_strings(MAZE)
    with pytest.raises(SiteError, match=r"cell 4 \(row 0, col 4\) is blocked"):
        bfs_distances(grid, 4)
    with pytest.raises(SiteError, match="outside"):
        bfs_distances(grid, grid.size)
    with pytest.raises(SiteError, match="blocked"):
        DistanceOracle(grid).dist_map(4)


def test_oracle_caches_maps_and_lists() -> None:
    grid = Grid.from_strings(MAZE)
    oracle = DistanceOracle(grid)
    first = oracle.dist_map(0)
    assert oracle.dist_map(0) is first
    assert not first.flags.writeable
    assert len(oracle) == 1 and 0 in oracle
    as_list = oracle.dist_list(0)
    assert as_list == first.tolist() and oracle.dist_list(0) is as_list
    goal, start = grid.cell(7, 8), grid.cell(4, 0)
    assert oracle.distance(start, goal) == _reference(grid, goal)[start]
    assert len(oracle) == 2 and goal in oracle and start not in oracle
    # A cached endpoint is reused instead of computing the other side's map.
    assert oracle.distance(goal, start) == oracle.distance(start, goal)
    assert oracle.distance(0, start) == _reference(grid, start)[0]
    assert len(oracle) == 2 and start not in oracle
    oracle.clear()
    assert len(oracle) == 0


def test_oracle_lru_eviction() -> None:
    grid = Grid.from_strings(MAZE)
    oracle = DistanceOracle(grid, max_cached=2)
    a, b, c = grid.free_cells[:3].tolist()
    oracle.dist_list(a)
    oracle.dist_map(b)
    oracle.dist_map(a)  # a is now the most recently used
    oracle.dist_map(c)  # evicts b
    assert a in oracle and c in oracle and b not in oracle
    assert len(oracle) == 2
    assert oracle.dist_list(a) == bfs_distances(grid, a).tolist()


def test_oracle_rejects_bad_max_cached() -> None:
    with pytest.raises(ValueError, match="max_cached"):
        DistanceOracle(Grid.from_strings(["."]), max_cached=0)
