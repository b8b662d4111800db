"""Task assignment by estimated travel time: free robots take the tasks they finish soonest."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numba import njit

from logitwin.site.distance import UNREACHABLE

__all__ = ["greedy_assign"]


def greedy_assign(
    agent_cells: Sequence[int],
    task_first: Sequence[int],
    task_len: Sequence[float],
    dist_map: Callable[[int], np.ndarray],
    max_pairs: int = 4_000_000,
    capacity: Mapping[int, int] | None = None,
) -> list[tuple[int, int]]:
    """Match free robots to open tasks, cheapest (robot, task) pair first.

    The cost of a pair is the travel from the robot to the task's first errand plus the
    task's own length (errand to errand), both in grid steps, so short tasks near a robot
    go first, which is what raises throughput. Pairs are taken in cost order while both
    sides are still free (greedy matching); with more than ``max_pairs`` pairs, robots are
    matched in blocks so memory stays bounded.

    Args:
        agent_cells: cell of each free robot.
        task_first: first errand cell of each open task.
        task_len: length of each task from its first errand to its last (steps).
        dist_map: distance table from a cell (cached BFS).
        max_pairs: most pairs scored at once.
        capacity: first errand cell -> how many more robots may be sent there (a
            station's free queue places); cells not in it take any number.

    Returns:
        (robot index, task index) pairs, indices into the two input sequences.
    """
    n_a, n_t = len(agent_cells), len(task_first)
    if n_a == 0 or n_t == 0:
        return []
    cells = np.asarray(agent_cells, dtype=np.int64)
    firsts = np.asarray(task_first, dtype=np.int64)
    uniq, task_g = np.unique(firsts, return_inverse=True)
    lengths = np.asarray(task_len, dtype=np.float64)
    slots = [n_a if capacity is None else min(n_a, capacity.get(int(g), n_a)) for g in uniq]
    # Of the tasks sharing a first errand the shorter one is cheaper for every robot, so
    # at most the `slots` shortest of each group can be taken: score only those.
    by_group = np.lexsort((np.arange(n_t), lengths, task_g))
    starts = np.searchsorted(task_g[by_group], np.arange(len(uniq)))
    rank = np.empty(n_t, dtype=np.int64)
    rank[by_group] = np.arange(n_t) - starts[task_g[by_group]]
    kept = np.flatnonzero(rank < np.asarray(slots, dtype=np.int64)[task_g])
    if len(kept) == 0:
        return []
    pairs = _greedy(cells, task_g[kept], lengths[kept], uniq, slots, dist_map, max_pairs)
    return [(a, int(kept[t])) for a, t in pairs]


def _greedy(
    cells: np.ndarray,
    task_g: np.ndarray,
    lengths: np.ndarray,
    uniq: np.ndarray,
    slots: list[int],
    dist_map: Callable[[int], np.ndarray],
    max_pairs: int,
) -> list[tuple[int, int]]:
    n_a, n_t = len(cells), len(task_g)
    # Each group's tasks, shortest first: robots take a group's tasks in that order.
    order = np.lexsort((np.arange(n_t), lengths, task_g)).astype(np.int64)
    bounds = np.searchsorted(task_g[order], np.arange(len(uniq) + 1)).astype(np.int64)
    head = bounds[:-1].copy()
    left = np.asarray(slots, dtype=np.int64)
    lens = lengths.astype(np.float64)
    out: list[tuple[int, int]] = []
    block = max(1, max_pairs // len(uniq))
    for lo in range(0, n_a, block):
        hi = min(n_a, lo + block)
        # Distance from each distinct first errand to each robot of the block.
        dg = np.stack([dist_map(int(g))[cells[lo:hi]] for g in uniq]).astype(np.float64)
        robot, task = _heap_greedy(dg, order, bounds, head, left, lens)
        out.extend(zip((robot + lo).tolist(), task.tolist(), strict=True))
        if not (head < bounds[1:]).any():
            break
    return out


@njit(cache=True)
def _heap_greedy(dg, order, bounds, head, left, lens):  # type: ignore[no-untyped-def]
    """Greedy matching, cheapest (robot, task) pair first, without scoring every pair.

    A robot's best pair is with the group (first errand) whose shortest task still free
    costs it least: ``dg[g, a] + lens[order[head[g]]]``. A heap holds each robot's best
    pair as it was when pushed; a popped pair whose group has since given out a task (or
    run out of places) is re-scored and pushed again. ``head`` and ``left`` advance in
    place (they carry over to the next block of robots). Ties go to the lower robot,
    then the lower group.
    """
    n_a = dg.shape[1]
    robots = np.empty(n_a, dtype=np.int64)
    tasks = np.empty(n_a, dtype=np.int64)
    found = 0
    heap = [(0.0, np.int64(0), np.int64(0))]
    heap.pop()
    for r in range(n_a):
        c, g = _best(dg, r, order, bounds, head, left, lens)
        if g >= 0:
            heapq.heappush(heap, (c, np.int64(r), g))
    while heap:
        cost, a, grp = heapq.heappop(heap)
        free = head[grp] < bounds[grp + 1] and left[grp] > 0
        if free and dg[grp, a] + lens[order[head[grp]]] == cost:
            robots[found] = a
            tasks[found] = order[head[grp]]
            found += 1
            head[grp] += 1
            left[grp] -= 1
            continue
        cost, grp = _best(dg, a, order, bounds, head, left, lens)  # stale: re-score
        if grp >= 0:
            heapq.heappush(heap, (cost, a, grp))
    return robots[:found], tasks[:found]


@njit(cache=True)
def _best(dg, a, order, bounds, head, left, lens):  # type: ignore[no-untyped-def]
    """Robot ``a``'s cheapest group with a free task and a place left: (cost, group), or
    (inf, -1) if it reaches none."""
    best, at = np.inf, np.int64(-1)
    for g in range(dg.shape[0]):
        if head[g] < bounds[g + 1] and left[g] > 0 and dg[g, a] < UNREACHABLE:
            c = dg[g, a] + lens[order[head[g]]]
            if c < best:
                best, at = c, np.int64(g)
    return best, at
