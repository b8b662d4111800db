"""A random 16x12 map with a fleet on it, shared by the planners' dense-fleet tests."""

import numpy as np

from logitwin.site import DistanceOracle, Grid

Fleet = tuple[Grid, list[int], list[int], list[int], list[int]]


def random_fleet(rng: np.random.Generator, n: int) -> Fleet:
    """The map, its largest connected cells, and ``n`` robots' cells, orientations and
    goals on them (cells distinct)."""
    rows = ["".join("@" if rng.random() < 0.15 else "." for _ in range(16)) for _ in range(12)]
    grid = Grid.from_strings(rows)
    oracle = DistanceOracle(grid)
    free = grid.free_cells
    comp = [int(c) for c in free if oracle.dist_map(int(free[0]))[c] < 1 << 30]
    cells = [comp[i] for i in rng.choice(len(comp), n, replace=False)]
    orients = rng.integers(0, 4, n).tolist()
    goals = [comp[i] for i in rng.choice(len(comp), n)]
    return grid, comp, cells, orients, goals
