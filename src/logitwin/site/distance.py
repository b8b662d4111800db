"""Exact grid distances (unit-cost 4-connected moves) by breadth-first search."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
from numba import njit

from logitwin.errors import SiteError
from logitwin.site.grid import Grid

__all__ = ["UNREACHABLE", "DistanceOracle", "bfs_distances", "distances_around"]

#: Distance reported for blocked cells and cells with no path to the goal (moves).
UNREACHABLE: int = 1 << 30

# Up to this many free cells a plain Python BFS (fast enough there); above, the
# compiled kernel. Small maps serve the twin's live hosts, where a process's first call
# of a compiled function (loading or compiling it) can stall a realtime window.
_PYTHON_BFS_MAX_FREE = 5000


def _check_goal(grid: Grid, goal: int) -> int:
    if not grid.is_free(goal):
        why = "is blocked" if 0 <= goal < grid.size else "is outside the grid"
        raise SiteError(
            f"distance goal {grid.describe(goal)} {why} on map {grid.name!r}; "
            "distances can only be computed to a free cell"
        )
    return int(goal)


def _bfs_python(grid: Grid, goal: int) -> list[int]:
    neighbors = grid.neighbors
    dist = [UNREACHABLE] * grid.size
    dist[goal] = 0
    queue = [goal]
    # Iterating a list while appending to it is a valid (and the fastest) FIFO here.
    for u in queue:
        d = dist[u] + 1
        for v in neighbors[u]:
            if dist[v] == UNREACHABLE:
                dist[v] = d
                queue.append(v)
    return dist


def _bfs(grid: Grid, goal: int) -> np.ndarray:
    if len(grid.free_cells) <= _PYTHON_BFS_MAX_FREE:
        return np.array(_bfs_python(grid, goal), dtype=np.int32)
    return _bfs_compiled(grid, goal)


def _bfs_compiled(grid: Grid, goal: int) -> np.ndarray:
    dist = np.empty(grid.size, dtype=np.int32)
    _bfs_kernel(grid.neighbor_table, goal, dist)
    return dist


@njit(cache=True)
def _bfs_kernel(nbr, goal, dist):  # type: ignore[no-untyped-def]
    """Breadth-first search from ``goal`` over the neighbour table (``-1``: none); fills
    ``dist`` (the times against numpy's frontier passes are in ``docs/architecture.md``)."""
    dist[:] = UNREACHABLE
    queue = np.empty(dist.shape[0], dtype=np.int64)
    dist[goal] = 0
    queue[0] = goal
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        head += 1
        d = dist[u] + 1
        for k in range(4):
            v = nbr[u, k]
            if v >= 0 and dist[v] == UNREACHABLE:
                dist[v] = d
                queue[tail] = v
                tail += 1


def bfs_distances(grid: Grid, goal: int) -> np.ndarray:
    """Shortest-path distances from every cell to ``goal``.

    Args:
        grid: The grid.
        goal: A free cell id.

    Returns:
        int32 array of length ``grid.size``: moves to reach ``goal``, or
        :data:`UNREACHABLE` for blocked cells and cells with no path.

    Raises:
        SiteError: If ``goal`` is out of range or blocked.
    """
    return _bfs(grid, _check_goal(grid, goal))


class DistanceOracle:
    """Caches BFS distance maps per goal cell.

    Args:
        grid: The grid.
        max_cached: Keep at most this many goals, evicting the least recently used;
            None for no limit.

    Raises:
        ValueError: If ``max_cached`` is not None and < 1.
    """

    def __init__(self, grid: Grid, max_cached: int | None = None) -> None:
        if max_cached is not None and max_cached < 1:
            raise ValueError(f"max_cached must be None or >= 1, got {max_cached}")
        self.grid = grid
        self.max_cached = max_cached
        self._maps: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lists: dict[int, list[int]] = {}

    def __len__(self) -> int:
        """Number of goals whose distance map is cached."""
        return len(self._maps)

    def __contains__(self, goal: object) -> bool:
        return goal in self._maps

    def _store(self, goal: int, dist: np.ndarray, as_list: list[int] | None) -> np.ndarray:
        dist.flags.writeable = False
        self._maps[goal] = dist
        if as_list is not None:
            self._lists[goal] = as_list
        if self.max_cached is not None:
            while len(self._maps) > self.max_cached:
                old, _ = self._maps.popitem(last=False)
                self._lists.pop(old, None)
        return dist

    def dist_map(self, goal: int) -> np.ndarray:
        """Read-only int32 distances from every cell to ``goal`` (see :func:`bfs_distances`).

        Raises:
            SiteError: If ``goal`` is out of range or blocked.
        """
        cached = self._maps.get(goal)
        if cached is not None:
            self._maps.move_to_end(goal)
            return cached
        goal = _check_goal(self.grid, goal)
        if len(self.grid.free_cells) <= _PYTHON_BFS_MAX_FREE:
            # Keep the Python BFS's own list for dist_list: no second conversion.
            as_list = _bfs_python(self.grid, goal)
            return self._store(goal, np.array(as_list, dtype=np.int32), as_list)
        return self._store(goal, _bfs_compiled(self.grid, goal), None)

    def dist_list(self, goal: int) -> list[int]:
        """The distance map as a plain list of ints, for hot Python loops. Do not mutate it.

        Raises:
            SiteError: If ``goal`` is out of range or blocked.
        """
        dist = self.dist_map(goal)
        goal = int(goal)
        as_list = self._lists.get(goal)
        if as_list is None:
            as_list = dist.tolist()
            self._lists[goal] = as_list
        return as_list

    def distance(self, a: int, b: int) -> int:
        """Moves on a shortest path between cells ``a`` and ``b``.

        Uses whichever endpoint's map is cached (grid distances are symmetric), else
        computes and caches the map of ``b``.

        Returns:
            The distance, or :data:`UNREACHABLE` if there is no path.

        Raises:
            SiteError: If the cell used as goal is blocked or either cell is out of range.
        """
        if not 0 <= a < self.grid.size:
            raise SiteError(f"distance from {self.grid.describe(a)}: outside the grid")
        if a in self._maps and b not in self._maps:
            if not 0 <= b < self.grid.size:
                raise SiteError(f"distance to {self.grid.describe(b)}: outside the grid")
            return int(self.dist_map(a)[b])
        return int(self.dist_map(b)[a])

    def clear(self) -> None:
        """Drops every cached map."""
        self._maps.clear()
        self._lists.clear()


def distances_around(grid: Grid, blocked: Sequence[int]) -> Callable[[int], list[int]]:
    """Distance lists to a goal on ``grid`` with the ``blocked`` cells made obstacles
    (e.g. broken-down robots), computed and cached per goal on demand."""
    free = grid.free.copy()
    free.flat[list(blocked)] = False
    return DistanceOracle(Grid(grid.width, grid.height, free, name=grid.name)).dist_list
