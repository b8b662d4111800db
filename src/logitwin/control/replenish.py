"""Replenishment: a periodic-review (s, S) policy per SKU and the booking of purchase
orders onto inbound trips. Pure functions over immutable parameters.

Reorder point and order-up-to level of a SKU with forecast demand ``d`` per bucket and
one-step forecast error spread ``sigma`` per bucket, lead time ``L`` and review period
``R`` (buckets)::

    s = d * (L + R) + z * sigma * sqrt(L + R)      # safety stock from the forecast error
    S = s + d * C                                   # C: the order cycle's extra cover

At a review a SKU whose inventory position (on hand + on order - demanded and not yet
picked) is at or below ``s`` is ordered up to ``S``, rounded up to whole cases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from logitwin.control.forecast import ForecastParams

__all__ = [
    "Booking",
    "ReplenishParams",
    "TripRoom",
    "abc_classes",
    "book",
    "order_quantity",
    "reorder_levels",
]


def abc_classes(
    popularity: Sequence[float] | np.ndarray, cuts: Sequence[float] = (0.5, 0.8)
) -> np.ndarray:
    """Each SKU's class (0 = A, 1 = B, ...) by the cumulative share of demand of the SKUs
    ranked before it: with the default cuts A is the first half of demand, B the next
    30%, C the rest. SKU ids are popularity ranks, so classes are contiguous."""
    p = np.asarray(popularity, dtype=float)
    before = np.cumsum(p) - p
    return np.asarray(np.searchsorted(np.asarray(cuts, dtype=float), before, side="right"))


@dataclass(frozen=True, slots=True)
class ReplenishParams:
    """How stock is replenished.

    Args:
        review_s: time between reviews (s).
        bucket_s: forecast bucket (s).
        lead_time_s: a PO rides only trips due at least this long after it is placed (s).
        service_level: cycle service level the safety stock is sized for (0.5, 1).
        cycle_s: the order-up-to level's cover beyond the reorder point (s).
        case_units: units per case; orders are whole cases.
        cases_per_pallet: cases per pallet; a trip's pallets are its room.
        forecast: the forecast method.
        cross_dock: serve waiting lines from received units without put-away.
    """

    review_s: float
    bucket_s: float
    lead_time_s: float
    service_level: float = 0.95
    cycle_s: float = 7200.0
    case_units: int = 6
    cases_per_pallet: int = 40
    forecast: ForecastParams = field(default_factory=ForecastParams)
    cross_dock: bool = True

    def __post_init__(self) -> None:
        for name in ("review_s", "bucket_s", "cycle_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 s, got {getattr(self, name)}")
        if self.lead_time_s < 0:
            raise ValueError(f"lead_time_s must be >= 0 s, got {self.lead_time_s}")
        if not 0.5 < self.service_level < 1:
            raise ValueError(f"service_level must be in (0.5, 1), got {self.service_level}")
        if self.case_units < 1 or self.cases_per_pallet < 1:
            raise ValueError(
                f"case_units and cases_per_pallet must be >= 1, got {self.case_units}, "
                f"{self.cases_per_pallet}"
            )

    @property
    def z(self) -> float:
        """The safety factor of the service level (standard normal quantile)."""
        return NormalDist().inv_cdf(self.service_level)


def reorder_levels(
    rate: np.ndarray, sigma: np.ndarray, params: ReplenishParams
) -> tuple[np.ndarray, np.ndarray]:
    """``(s, S)`` of every SKU from its forecast ``rate`` and error ``sigma`` (units per
    bucket each), in units (see the module docstring)."""
    cover = (params.lead_time_s + params.review_s) / params.bucket_s
    s = rate * cover + params.z * sigma * math.sqrt(cover)
    return s, s + rate * (params.cycle_s / params.bucket_s)


def order_quantity(position: float, s: float, S: float, case_units: int) -> int:
    """Units to order: up to ``S`` in whole cases when ``position <= s``, else 0."""
    if position > s or position >= S:
        return 0
    return math.ceil((S - position) / case_units - 1e-9) * case_units


@dataclass
class TripRoom:
    """An inbound trip as replenishment books it: when it is due and its room.

    Args:
        id: the truck's actor id.
        arrive: planned arrival (s).
        capacity: cases it takes (pallets x cases per pallet).
        booked: cases booked on it so far.
    """

    id: str
    arrive: float
    capacity: int
    booked: int = 0

    @property
    def room(self) -> int:
        """Cases still free."""
        return self.capacity - self.booked


@dataclass(frozen=True, slots=True)
class Booking:
    """Cases of one PO put on one trip."""

    trip: str
    cases: int


def book(trips: Sequence[TripRoom], now: float, lead_time_s: float, cases: int) -> list[Booking]:
    """Book ``cases`` onto the earliest trips due at least ``lead_time_s`` after ``now``
    that have room, splitting over trips when one cannot take them all; the trips'
    ``booked`` counts grow. What fits on no feasible trip is not booked (the sum of the
    bookings is then below ``cases``)."""
    if cases < 0:
        raise ValueError(f"cases must be >= 0, got {cases}")
    out = []
    left = cases
    for trip in sorted(trips, key=lambda t: (t.arrive, t.id)):
        if left == 0:
            break
        if trip.arrive < now + lead_time_s - 1e-9 or trip.room <= 0:
            continue
        take = min(left, trip.room)
        trip.booked += take
        left -= take
        out.append(Booking(trip.id, take))
    return out
