"""Traffic rules as move costs: one-way corridors, and distances that respect them.

On warehouse maps most lanes are one cell wide. Robots that meet head-on in such a lane
cannot pass, so PIBT pushes one of them back down the lane: on LoRR's WAREHOUSE 28% of
forward moves went away from the robot's goal. A guidance graph (Zhang et al., 2024)
makes the wrong way through a lane cost more, so traffic splits into alternating one-way
lanes and head-on meetings become rare. The rule here is the simplest such graph:

* a *horizontal lane* cell has no free cell north or south; a *vertical lane* cell has
  none east or west;
* lanes alternate direction: the k-th distinct row holding horizontal lane cells (top to
  bottom) runs east when k is even, west when odd; the k-th distinct column holding
  vertical lane cells runs south when k is even, north when odd;
* every other row and column is one-way too, by its parity (even rows east, even
  columns south), and a cell open to all sides (a crossing, an open band) takes the
  direction of its row for east-west moves and of its column for north-south ones;
* moving against the direction costs ``penalty`` instead of 1.

Open cells matter as much as lanes: on WAREHOUSE the jams grew in the open bands by the
stations, where robots met head-on and each wanted the other's cell. At step 1,500 with
lane rules only, 2,859 of 10,000 robots were stuck, 1,914 of them queued behind 208 such
pairs.

The costs are soft: a lane is still usable both ways, so every goal stays reachable.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from numba import njit

from logitwin.site.distance import UNREACHABLE
from logitwin.site.grid import Grid

__all__ = ["GuidedDistances", "bays", "lane_costs", "turn_estimates", "weighted_distances"]


def lane_costs(grid: Grid, penalty: int = 3) -> np.ndarray:
    """Move costs, int32 array ``(size, 4)``: leaving a cell in direction E, S, W, N."""
    if penalty < 1:
        raise ValueError(f"penalty must be >= 1, got {penalty}")
    nb = grid.neighbor_table
    free = grid.free.reshape(-1)
    cost = np.ones((grid.size, 4), dtype=np.int32)
    horizontal = free & (nb[:, 1] < 0) & (nb[:, 3] < 0) & ((nb[:, 0] >= 0) | (nb[:, 2] >= 0))
    vertical = free & (nb[:, 0] < 0) & (nb[:, 2] < 0) & ((nb[:, 1] >= 0) | (nb[:, 3] >= 0))
    rows = np.arange(grid.size) // grid.width
    cols = np.arange(grid.size) % grid.width
    east_row = _directions(grid.height, rows[horizontal])
    south_col = _directions(grid.width, cols[vertical])
    east = free & ~vertical & east_row[rows]
    west = free & ~vertical & ~east_row[rows]
    south = free & ~horizontal & south_col[cols]
    north = free & ~horizontal & ~south_col[cols]
    cost[east, 2] = penalty  # going west on an east-bound row
    cost[west, 0] = penalty
    cost[south, 3] = penalty
    cost[north, 1] = penalty
    return cost


def bays(grid: Grid, max_run: int) -> np.ndarray:
    """Cells of the bays off the open areas, bool array ``(size,)``: free cells whose run
    of free cells along a row or a column is 2 to ``max_run`` long, walled or at the
    map's edge at both ends (a one-cell run is a lane).

    A robot enters a bay, does its errand (a station in a 4 x 3 pocket) and leaves the way
    it came, so one-way rules there only add detours; :func:`lane_costs`' costs are
    dropped in them by the 2026 planner (measured in ``docs/architecture.md``).
    """
    if max_run < 2:
        raise ValueError(f"max_run must be >= 2, got {max_run}")
    free = grid.free
    out = np.zeros_like(free)
    for a, mark in ((free, out), (free.T, out.T)):  # runs along rows, then along columns
        for line, marks in zip(a, mark, strict=True):
            edges = np.flatnonzero(np.diff(np.concatenate(([0], line.astype(np.int8), [0]))))
            for start, stop in zip(edges[::2], edges[1::2], strict=True):
                if 2 <= stop - start <= max_run:
                    marks[start:stop] = True
    flat: np.ndarray = out.reshape(-1)
    return flat


def _directions(count: int, lane_lines: np.ndarray) -> np.ndarray:
    """Per row (column): True if it runs east (south). Lines holding lane cells alternate
    by rank, the others by their parity."""
    forward: np.ndarray = np.arange(count) % 2 == 0
    lines = np.unique(lane_lines)
    forward[lines] = np.arange(len(lines)) % 2 == 0
    return forward


def weighted_distances(grid: Grid, cost: np.ndarray, goal: int) -> np.ndarray:
    """Cheapest cost from every cell to ``goal`` under ``cost`` (Dial's buckets, compiled).

    Returns an int32 array of length ``grid.size`` (:data:`UNREACHABLE` where no path).
    """
    return _Reverse(grid, cost).distances(goal)


class _Reverse:
    """Predecessors of each cell and what the move from each costs, one row per cell."""

    def __init__(self, grid: Grid, cost: np.ndarray) -> None:
        nb = grid.neighbor_table
        self.size = grid.size
        # pred[v, d]: the neighbour u of v in direction d, which reaches v moving (d+2)%4.
        self.pred = np.ascontiguousarray(nb, dtype=np.int64)
        back = (np.arange(4)[None, :] + 2) % 4
        u = np.where(nb >= 0, nb, 0)
        self.step = np.ascontiguousarray(np.where(nb >= 0, cost[u, back], 0), dtype=np.int64)
        steps = self.step[nb >= 0]
        if (steps < 1).any():
            raise ValueError("move costs must be >= 1")
        # Dial's buckets: costs modulo the largest step plus one never collide.
        self.buckets = int(steps.max(initial=0)) + 1

    def distances(self, goal: int) -> np.ndarray:
        dist = np.empty(self.size, dtype=np.int32)
        _dial(goal, self.pred, self.step, self.buckets, dist)
        return dist


@njit(cache=True)
def _dial(goal, pred, step, width, dist):  # type: ignore[no-untyped-def]
    """Backward Dijkstra from ``goal`` with Dial's buckets: ``dist[u]`` (int32, filled
    here) is the cheapest cost from ``u`` to ``goal``; ``pred[v, d]`` is the neighbour
    that reaches ``v`` at ``step[v, d]`` (an int >= 1; -1: none). Each improvement is an
    entry linked into the bucket of its cost modulo ``width`` (the largest step plus
    one)."""
    size = dist.shape[0]
    dist[:] = UNREACHABLE
    cap = 4 * size + 1
    cell = np.empty(cap, dtype=np.int64)
    nxt = np.empty(cap, dtype=np.int64)
    head = np.full(width, -1, dtype=np.int64)
    dist[goal] = 0
    cell[0], nxt[0], head[0] = goal, -1, 0
    used, pending, level = 1, 1, 0
    while pending:
        b = level % width
        e = head[b]
        head[b] = -1
        while e >= 0:
            v = cell[e]
            e = nxt[e]
            pending -= 1
            if dist[v] != level:
                continue  # a stale entry: v was reached cheaper
            for k in range(4):
                u = pred[v, k]
                if u >= 0:
                    nd = level + step[v, k]
                    if nd < dist[u]:
                        dist[u] = nd
                        if used == cap:  # cannot happen: each cell improves at most 4 times
                            return
                        bb = nd % width
                        cell[used], nxt[used], head[bb] = u, head[bb], used
                        used += 1
                        pending += 1
        level += 1


class GuidedDistances:
    """Caches :func:`weighted_distances` maps per goal under one cost table (LRU)."""

    def __init__(self, grid: Grid, cost: np.ndarray, max_cached: int | None = None) -> None:
        self.grid = grid
        self.cost = cost
        self.max_cached = max_cached
        self._reverse = _Reverse(grid, cost)
        self._maps: OrderedDict[int, np.ndarray] = OrderedDict()

    def __contains__(self, goal: object) -> bool:
        return goal in self._maps

    def dist_map(self, goal: int) -> np.ndarray:
        """The guided distance map to ``goal`` (read-only)."""
        cached = self._maps.get(goal)
        if cached is not None:
            self._maps.move_to_end(goal)
            return cached
        dist = self._reverse.distances(int(goal))
        dist.flags.writeable = False
        self._maps[goal] = dist
        if self.max_cached is not None and len(self._maps) > self.max_cached:
            self._maps.popitem(last=False)
        return dist


def turn_estimates(
    grid: Grid, cost: np.ndarray, dist: np.ndarray, goal: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Turn-aware distances to ``goal`` estimated from a cell map: int32 array of length
    ``4 * grid.size``, entry ``cell * 4 + o`` the fewest quarter turns from ``o`` to a
    leaving direction plus that move's ``cost`` plus ``dist`` from the cell it enters (0
    on ``goal``, :data:`UNREACHABLE` where no move leads anywhere reachable).

    Only the first move's turns are counted, so it never exceeds the exact turn-aware
    distance and never falls below ``dist``. The exact search over 4 x cells states with
    move costs took 34 ms on fulfill's map, this 0.7 ms from the guided map (1.3 ms).
    ``out``: an array to fill (and return) instead of a new one.
    """
    if dist.shape != (grid.size,) or cost.shape != (grid.size, 4):
        raise ValueError(f"expected a map of {grid.size} cells and ({grid.size}, 4) costs")
    if out is None:
        out = np.empty(4 * grid.size, dtype=np.int32)
    elif out.shape != (4 * grid.size,) or out.dtype != np.int32:
        raise ValueError(f"out must be an int32 array of {4 * grid.size}")
    _turns(np.ascontiguousarray(dist), grid.neighbor_table, cost, int(goal), out)
    return out


@njit(cache=True)
def _turns(dist, nb, cost, goal, out):  # type: ignore[no-untyped-def]
    via = np.empty(4, dtype=np.int64)
    for c in range(dist.shape[0]):
        for k in range(4):
            v = nb[c, k]
            via[k] = cost[c, k] + dist[v] if v >= 0 and dist[v] < UNREACHABLE else UNREACHABLE
        for o in range(4):
            best = via[o]
            best = min(best, via[(o + 1) % 4] + 1, via[(o + 3) % 4] + 1, via[(o + 2) % 4] + 2)
            out[4 * c + o] = 0 if c == goal else min(best, UNREACHABLE)
