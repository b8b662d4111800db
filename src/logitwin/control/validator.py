"""Independent multi-agent path validator.

Deliberately shares no code with any planner: it imports only numpy and the grid, so that a
bug in planning code cannot hide itself from the check.

Paths are discrete-time positions: at every step each agent waits or moves to a 4-adjacent
free cell. Conflicts reported:

* ``"obstacle"``: an agent is on a blocked or out-of-range cell at ``step``.
* ``"jump"``: an agent's positions at ``step`` and ``step + 1`` are neither equal nor
  4-adjacent.
* ``"vertex"``: two or more agents are on the same cell at ``step``.
* ``"swap"``: two agents exchange cells between ``step`` and ``step + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from logitwin.site.grid import Grid

__all__ = ["CONFLICT_KINDS", "Conflict", "find_conflicts"]

#: Conflict kinds in the order they are reported within one step.
CONFLICT_KINDS = ("obstacle", "jump", "vertex", "swap")

# Rows of the (T+1, N) array processed at once; bounds temporary memory on 5000 x 10000 runs.
_CHUNK_CELLS = 1 << 22


@dataclass(frozen=True)
class Conflict:
    """One violation found in a set of paths.

    Attributes:
        kind: ``"vertex"``, ``"swap"``, ``"jump"`` or ``"obstacle"``.
        step: Time step (index into the paths); for ``"jump"`` and ``"swap"`` the move
            from ``step`` to ``step + 1``.
        agents: Agent indices involved, ascending.
        cells: Cells involved: the shared cell (vertex), the bad cell (obstacle),
            ``(from, to)`` (jump), or the two cells exchanged, ascending (swap).
    """

    kind: str
    step: int
    agents: tuple[int, ...]
    cells: tuple[int, ...]

    def __str__(self) -> str:
        agents = ", ".join(str(a) for a in self.agents)
        who = f"agent {agents}" if len(self.agents) == 1 else f"agents {agents}"
        if self.kind == "vertex":
            return f"vertex conflict at t={self.step}: {who} on cell {self.cells[0]}"
        if self.kind == "swap":
            a, b = self.cells
            return f"swap conflict t={self.step}->{self.step + 1}: {who} exchange cells {a}, {b}"
        if self.kind == "jump":
            a, b = self.cells
            return f"jump at t={self.step}->{self.step + 1}: {who} moves {a} -> {b} (not adjacent)"
        if self.kind == "obstacle":
            return (
                f"obstacle at t={self.step}: {who} on blocked or out-of-range cell {self.cells[0]}"
            )
        return f"{self.kind} at t={self.step}: {who}, cells {self.cells}"


def _as_time_major(paths: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    if isinstance(paths, np.ndarray):
        arr = paths
    else:
        lengths = {len(p) for p in paths}
        if len(lengths) > 1:
            raise ValueError(
                f"per-agent paths must all have the same length, got lengths {sorted(lengths)}; "
                "pad finished agents by repeating their last cell"
            )
        if len(paths) == 0:
            return np.zeros((0, 0), dtype=np.int64)
        arr = np.asarray(paths).reshape(len(paths), -1).T
    if arr.ndim != 2:
        raise ValueError(f"paths must be 2-D (T+1, N), got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"paths must hold integer cell ids, got dtype {arr.dtype}")
    return arr


def _duplicate_groups(keys: np.ndarray) -> list[tuple[int, list[tuple[int, ...]]]]:
    """Row-wise groups of equal keys: ``[(row, [agents, ...]), ...]`` for rows that have any.

    Rows are sorted first (cheap) and only rows with a repeat are argsorted for the agents.
    """
    sorted_keys = np.sort(keys, axis=1)
    rows = np.flatnonzero((sorted_keys[:, 1:] == sorted_keys[:, :-1]).any(axis=1))
    out: list[tuple[int, list[tuple[int, ...]]]] = []
    for t in rows.tolist():
        order = np.argsort(keys[t], kind="stable")
        ordered = keys[t][order]
        out.append((t, _groups(order, ordered[1:] == ordered[:-1])))
    return out


def _groups(order_row: np.ndarray, dup_row: np.ndarray) -> list[tuple[int, ...]]:
    """Agent groups sharing a key, from a row's argsort and its sorted-neighbour equality."""
    groups: list[tuple[int, ...]] = []
    current: list[int] = []
    for k in np.flatnonzero(dup_row).tolist():
        if current and current[-1] == int(order_row[k]):
            current.append(int(order_row[k + 1]))
        else:
            if current:
                groups.append(tuple(sorted(current)))
            current = [int(order_row[k]), int(order_row[k + 1])]
    if current:
        groups.append(tuple(sorted(current)))
    return groups


def _chunk_conflicts(
    grid: Grid, pos: np.ndarray, t0: int, last_chunk: bool, out: list[Conflict]
) -> None:
    """Checks rows ``pos[:-1]`` (and the last row when ``last_chunk``) of a chunk that
    starts at time ``t0``; moves are checked between consecutive rows of ``pos``."""
    size, width = grid.size, grid.width
    n_agents = pos.shape[1]
    rows = pos if last_chunk else pos[:-1]
    inside = (rows >= 0) & (rows < size)
    ok = inside.copy()
    ok[inside] = grid.free.reshape(-1)[rows[inside]]
    for t, i in np.argwhere(~ok).tolist():
        out.append(Conflict("obstacle", t0 + t, (i,), (int(rows[t, i]),)))

    # Moves between row t and t + 1 of the chunk, for t in range(len(pos) - 1).
    src, dst = pos[:-1], pos[1:]
    both_in = (src >= 0) & (src < size) & (dst >= 0) & (dst < size)
    sr, sc = np.divmod(src, width)
    dr, dc = np.divmod(dst, width)
    manhattan = np.abs(sr - dr) + np.abs(sc - dc)
    for t, i in np.argwhere(both_in & (manhattan > 1)).tolist():
        out.append(Conflict("jump", t0 + t, (i,), (int(src[t, i]), int(dst[t, i]))))

    # Vertex: equal in-range cells in a row. Out-of-range cells get unique negative keys.
    sentinel = -1 - np.arange(n_agents, dtype=np.int64)
    keys = np.where(inside, rows, sentinel)
    for t, groups in _duplicate_groups(keys):
        for agents in groups:
            out.append(Conflict("vertex", t0 + t, agents, (int(rows[t, agents[0]]),)))

    # Swap: two moving agents on the same undirected edge in opposite directions.
    moving = both_in & (src != dst)
    if not moving.any():
        return
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keys = np.where(moving, lo * size + hi, sentinel)
    for t, groups in _duplicate_groups(keys):
        for agents in groups:
            # Same edge, same direction means a shared start cell, already a vertex conflict.
            forward = [i for i in agents if src[t, i] < dst[t, i]]
            backward = [i for i in agents if src[t, i] > dst[t, i]]
            for i in forward:
                for j in backward:
                    cells = (int(lo[t, i]), int(hi[t, i]))
                    out.append(Conflict("swap", t0 + t, (min(i, j), max(i, j)), cells))


def find_conflicts(
    grid: Grid,
    paths: np.ndarray | Sequence[Sequence[int]],
    max_conflicts: int | None = None,
) -> list[Conflict]:
    """Finds every conflict in a set of synchronous paths.

    Args:
        grid: The grid the paths run on.
        paths: Either an integer numpy array of shape ``(T+1, N)`` whose row ``t`` holds
            the cells of all N agents at time t, or a sequence of N per-agent cell
            sequences of equal length ``T+1`` (any non-ndarray input is read this way).
        max_conflicts: Stop early and return only the first this many conflicts (by step);
            None for all. Badly broken paths can have millions of conflicts.

    Returns:
        The conflicts sorted by step, then kind (obstacle, jump, vertex, swap), then agents.
        Empty when the paths are valid.

    Raises:
        ValueError: If the input is not 2-D, not integer, per-agent lengths differ, or
            ``max_conflicts`` < 1.
    """
    if max_conflicts is not None and max_conflicts < 1:
        raise ValueError(f"max_conflicts must be None or >= 1, got {max_conflicts}")
    pos_all = _as_time_major(paths)
    steps, n_agents = pos_all.shape
    out: list[Conflict] = []
    if steps == 0 or n_agents == 0:
        return out
    chunk = max(1, _CHUNK_CELLS // n_agents)
    for t0 in range(0, steps, chunk):
        end = min(steps, t0 + chunk + 1)  # one extra row so moves across chunks are checked
        pos = np.asarray(pos_all[t0:end], dtype=np.int64)
        _chunk_conflicts(grid, pos, t0, end == steps, out)
        # Chunks are in time order, so once enough are found later chunks cannot sort first.
        if end == steps or (max_conflicts is not None and len(out) >= max_conflicts):
            break
    rank = {kind: k for k, kind in enumerate(CONFLICT_KINDS)}
    out.sort(key=lambda c: (c.step, rank[c.kind], c.agents, c.cells))
    return out if max_conflicts is None else out[:max_conflicts]
