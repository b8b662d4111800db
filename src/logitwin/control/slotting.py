"""Slotting: where a pod goes back to after a station visit."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Protocol

__all__ = ["NearestFreeSlotting", "SlottingPolicy"]


class SlottingPolicy(Protocol):
    """Chooses a storage cell for a returning pod."""

    def choose(self, pod: int, origin: int, free: Collection[int]) -> int:
        """Pick one cell of ``free`` for ``pod`` leaving ``origin``."""
        ...


class NearestFreeSlotting:
    """Return the pod to the free storage cell nearest (by travel) to where it leaves.

    Args:
        dist_from: ``dist_from(cell)`` gives the distance table from ``cell`` to every cell.
    """

    def __init__(self, dist_from: Callable[[int], Sequence[int]]) -> None:
        self._dist_from = dist_from

    def choose(self, pod: int, origin: int, free: Collection[int]) -> int:
        """The nearest free cell; ties go to the lower cell id (deterministic)."""
        if not free:
            raise ValueError(f"no free storage cell for pod {pod}")
        d = self._dist_from(origin)
        return min(free, key=lambda c: (d[c], c))
