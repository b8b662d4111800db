"""Task assignment by estimated travel time: free robots take the tasks they finish soonest."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["greedy_assign"]


def greedy_assign(
    agent_cells: Sequence[int],
    task_first: Sequence[int],
    task_len: Sequence[float],
    dist_map: Callable[[int], np.ndarray],
    max_pairs: int = 4_000_000,
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
    taken = np.zeros(n_t, dtype=bool)
    out: list[tuple[int, int]] = []
    block = max(1, max_pairs // n_t)
    for lo in range(0, n_a, block):
        hi = min(n_a, lo + block)
        # Distance from each distinct first errand to each robot of the block.
        dg = np.stack([dist_map(int(g))[cells[lo:hi]] for g in uniq]).astype(np.float64)
        cost = dg[task_g] + lengths[:, None]  # tasks x robots
        cost[taken] = np.inf
        order = np.argsort(cost, axis=None, kind="stable")
        busy = np.zeros(hi - lo, dtype=bool)
        need = hi - lo
        for flat in order:
            t, a = divmod(int(flat), hi - lo)
            if taken[t] or busy[a]:
                continue
            if not np.isfinite(cost[t, a]):
                break
            taken[t] = True
            busy[a] = True
            out.append((lo + a, t))
            need -= 1
            if need == 0 or taken.all():
                break
        if taken.all():
            break
    return out
