"""The cells a robot's square holds, for robots larger than a cell.

A robot's square (side ``agentSize``) has its top-left corner on its cell's corner, so
standing on anchor cell ``a`` it lies inside the ``m x m`` block of cells from ``a``
right and down, ``m = ceil(agentSize)`` (1 for any size up to a cell). Driving forward
from ``a`` to a neighbour ``b`` it stays inside the union of the two blocks: the cells
of ``b``'s block that are not in ``a``'s (the *lead*, ``m`` cells) are taken when the
move starts, those of ``a``'s block not in ``b``'s (the *trail*) are given up when it
ends. Robots that hold disjoint sets of cells never overlap (their squares may touch),
whatever either of them does within its cells.

A robot may stand on a cell when its whole block is on the map and free: those cells
(the *anchors*) make the map a robot of that size plans on; a forward move between two
anchors stays on free cells all the way.
"""

from __future__ import annotations

import math

import numpy as np

from logitwin.site.grid import Grid

__all__ = ["Blocks", "cells_across"]


def cells_across(size: float) -> int:
    """Cells a square of side ``size`` (cells, > 0) spans from a cell corner: its
    ceiling, at least 1."""
    if not size > 0:
        raise ValueError(f"agentSize must be > 0, got {size}")
    return max(1, math.ceil(size - 1e-9))


class Blocks:
    """Block, lead and trail cells of robots spanning ``m`` cells on a map.

    Args:
        width: the map's width (cells).
        height: the map's height (cells).
        m: cells a robot spans (:func:`cells_across`).
    """

    def __init__(self, width: int, height: int, m: int) -> None:
        if m < 1:
            raise ValueError(f"a robot spans at least 1 cell, got {m}")
        self.width, self.height, self.m = width, height, m
        self._block: dict[int, tuple[int, ...]] = {}
        self._lead: dict[tuple[int, int], tuple[int, ...]] = {}
        self._trail: dict[tuple[int, int], tuple[int, ...]] = {}

    def block(self, a: int) -> tuple[int, ...]:
        """The cells of the map a robot on ``a`` lies on (a block cut by the map's edge
        for a robot that does not fit there)."""
        if self.m == 1:
            return (a,)
        out = self._block.get(a)
        if out is None:
            w, m = self.width, self.m
            row, col = divmod(a, w)
            out = tuple(
                r * w + c
                for r in range(row, min(self.height, row + m))
                for c in range(col, min(w, col + m))
            )
            self._block[a] = out
        return out

    def lead(self, a: int, b: int) -> tuple[int, ...]:
        """The cells a robot driving from ``a`` to ``b`` takes when it starts."""
        if self.m == 1:
            return (b,)
        out = self._lead.get((a, b))
        if out is None:
            held = set(self.block(a))
            out = self._lead[a, b] = tuple(c for c in self.block(b) if c not in held)
        return out

    def trail(self, a: int, b: int) -> tuple[int, ...]:
        """The cells a robot driving from ``a`` to ``b`` gives up when it arrives."""
        if self.m == 1:
            return (a,)
        out = self._trail.get((a, b))
        if out is None:
            kept = set(self.block(b))
            out = self._trail[a, b] = tuple(c for c in self.block(a) if c not in kept)
        return out

    def anchors(self, grid: Grid) -> Grid:
        """The map a robot plans on: a cell is free where the robot's whole block is on
        the map and free."""
        if (grid.width, grid.height) != (self.width, self.height):
            raise ValueError(
                f"grid is {grid.width}x{grid.height}, blocks are for {self.width}x{self.height}"
            )
        m = self.m
        free = np.asarray(grid.free, dtype=bool)
        ok = np.zeros_like(free)
        h, w = self.height - m + 1, self.width - m + 1
        if h > 0 and w > 0:
            inner = np.ones((h, w), dtype=bool)
            for dr in range(m):
                for dc in range(m):
                    inner &= free[dr : dr + h, dc : dc + w]
            ok[:h, :w] = inner
        return Grid(grid.width, grid.height, ok, name=f"{grid.name} anchors for {m}x{m}")
