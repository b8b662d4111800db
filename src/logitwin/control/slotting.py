"""Slotting: where a pod goes back to after a station visit.

Every slotting decision is a :class:`SlottingDecision` handed to a
:class:`SlottingPolicy`; heuristics and learned policies meet the same Protocol, so the
allocator never knows which one decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "ClassBasedSlotting",
    "NearestFreeSlotting",
    "RandomSlotting",
    "SiteView",
    "SlottingDecision",
    "SlottingPolicy",
]


@dataclass(frozen=True)
class SiteView:
    """What a policy may know about the site (immutable, the same for sim and live).

    Args:
        dist_from: ``dist_from(cell)`` is the travel distance (cells) from ``cell`` to
            every cell.
        storage: every storage cell.
        stations: each station's pick cell.
        pod_turnover: each pod's share of the demand it serves (sums to about 1).
        robots: fleet size.
    """

    dist_from: Callable[[int], Sequence[int]]
    storage: tuple[int, ...]
    stations: tuple[int, ...]
    pod_turnover: tuple[float, ...]
    robots: int

    def station_distance(self) -> dict[int, int]:
        """Each storage cell's travel distance to its nearest station."""
        tables = [self.dist_from(s) for s in self.stations]
        return {c: min(int(t[c]) for t in tables) for c in self.storage}


@dataclass(frozen=True, slots=True)
class SlottingDecision:
    """Where should ``pod``, leaving the station at ``origin``, be stored?

    Args:
        time: when (s).
        pod: the pod.
        origin: the cell it leaves from (the station's pick cell).
        free: the free storage cells, ascending; the answer is one of them.
    """

    time: float
    pod: int
    origin: int
    free: tuple[int, ...]


class SlottingPolicy(Protocol):
    """Chooses a storage cell for a returning pod."""

    def choose(self, decision: SlottingDecision) -> int:
        """One cell of ``decision.free``."""
        ...


def _check(decision: SlottingDecision) -> None:
    if not decision.free:
        raise ValueError(f"no free storage cell for pod {decision.pod}")


class NearestFreeSlotting:
    """The free storage cell nearest (by travel) to where the pod leaves; ties to the
    lower cell id."""

    def __init__(self, site: SiteView, rng: np.random.Generator | None = None) -> None:
        self._dist_from = site.dist_from

    def choose(self, decision: SlottingDecision) -> int:
        """The nearest free cell."""
        _check(decision)
        d = self._dist_from(decision.origin)
        return min(decision.free, key=lambda c: (d[c], c))


class RandomSlotting:
    """A free storage cell drawn uniformly (the twin's keyed stream: reproducible)."""

    def __init__(self, site: SiteView, rng: np.random.Generator) -> None:
        self._rng = rng

    def choose(self, decision: SlottingDecision) -> int:
        """A uniformly drawn free cell."""
        _check(decision)
        return decision.free[int(self._rng.integers(len(decision.free)))]


class ClassBasedSlotting:
    """Turnover class-based storage (the cube-per-order-index family): pods are ranked
    by the demand they serve, storage cells by their travel to the nearest station, and
    a pod goes to the free cell whose rank best matches its own (fast movers near the
    stations); ties go to the cell nearer to where it leaves.

    Args:
        site: the site; ``pod_turnover`` gives each pod's demand share.
        classes: number of classes (3 = A/B/C); a pod may take any free cell of its
            class, the nearest to its origin; if its class is full, the nearest class
            with room.
    """

    def __init__(
        self, site: SiteView, rng: np.random.Generator | None = None, classes: int = 3
    ) -> None:
        if classes < 1:
            raise ValueError(f"classes must be >= 1, got {classes}")
        self._dist_from = site.dist_from
        near = site.station_distance()
        cells = sorted(site.storage, key=lambda c: (near[c], c))
        n = len(cells)
        # A cell's class: by its rank in station distance (class 0 = nearest).
        self._cell_class = {
            c: min(classes - 1, i * classes // max(1, n)) for i, c in enumerate(cells)
        }
        turnover = site.pod_turnover
        order = sorted(range(len(turnover)), key=lambda p: (-turnover[p], p))
        m = len(order)
        self._pod_class = {
            p: min(classes - 1, i * classes // max(1, m)) for i, p in enumerate(order)
        }
        self._classes = classes

    def choose(self, decision: SlottingDecision) -> int:
        """The nearest free cell of the pod's class (or the closest class with room)."""
        _check(decision)
        want = self._pod_class.get(decision.pod, self._classes - 1)
        d = self._dist_from(decision.origin)
        cls = self._cell_class
        return min(decision.free, key=lambda c: (abs(cls.get(c, want) - want), d[c], c))
