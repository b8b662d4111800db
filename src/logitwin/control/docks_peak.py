"""Peak days for the dock scheduler: bunched arrivals, mixed truck classes and door kinds.

The day runs from 0 (06:00) over ``horizon_h`` hours. Inbound trucks bunch around a
morning peak and are due ``inbound_window_h`` after they arrive; outbound trucks bunch
before the afternoon carrier cutoffs they are due at. Doors: the first third inbound,
the last third outbound, the rest ``both``; the second door of every three is a small one
that takes no trailers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from logitwin.control.docks import DockProblem, Door, DoorKind, TruckVisit

__all__ = ["CLASSES", "PeakParams", "peak_day"]

#: truck class -> (service min, service max) in minutes, share of trucks
CLASSES: dict[str, tuple[int, int, float]] = {
    "trailer": (45, 90, 0.35),
    "rigid": (20, 45, 0.35),
    "van": (5, 15, 0.30),
}
_SMALL = frozenset({"rigid", "van"})


@dataclass(frozen=True, slots=True)
class PeakParams:
    """The shape of a peak day.

    Attributes:
        inbound_share: share of trucks that are inbound, in [0, 1].
        peak_share: share of each direction that bunches at its peak, in [0, 1]; the rest
            spread over the day.
        morning_peak_h: centre of the inbound peak (h after 06:00), in [0, horizon_h].
        peak_sd_h: spread of the peaks (h), in (0, 12].
        cutoffs_h: outbound carrier cutoffs (h after 06:00), each in (0, horizon_h].
        inbound_window_h: an inbound truck is due this long after it arrives (h), > 0.
        priority_share: share of trucks with weight 3 (perishables, express), in [0, 1].
        horizon_h: the day's length (h), in [4, 48].
        slot_s: the start grid (s), >= 1.
        lateness_weight: see :class:`logitwin.control.docks.DockProblem`.
    """

    inbound_share: float = 0.5
    peak_share: float = 0.7
    morning_peak_h: float = 2.0
    peak_sd_h: float = 1.0
    cutoffs_h: tuple[float, ...] = (9.0, 11.0)
    inbound_window_h: float = 2.0
    priority_share: float = 0.2
    horizon_h: float = 20.0
    slot_s: int = 60
    lateness_weight: int = 5

    def __post_init__(self) -> None:
        for name in ("inbound_share", "peak_share", "priority_share"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ValueError(f"{name}={v}; use a share in [0, 1]")
        if not 4 <= self.horizon_h <= 48:
            raise ValueError(f"horizon_h={self.horizon_h}; use 4..48 h")
        if not 0 <= self.morning_peak_h <= self.horizon_h:
            raise ValueError(f"morning_peak_h={self.morning_peak_h}; use 0..horizon_h")
        if not 0 < self.peak_sd_h <= 12:
            raise ValueError(f"peak_sd_h={self.peak_sd_h}; use (0, 12] h")
        if not self.cutoffs_h or not all(0 < c <= self.horizon_h for c in self.cutoffs_h):
            raise ValueError(f"cutoffs_h={self.cutoffs_h}; give at least one in (0, horizon_h]")
        if not self.inbound_window_h > 0:
            raise ValueError(f"inbound_window_h={self.inbound_window_h}; use a window > 0 h")
        if self.slot_s < 1:
            raise ValueError(f"slot_s={self.slot_s}; use a slot >= 1 s")


def _doors(n: int) -> tuple[Door, ...]:
    third = n // 3 if n >= 3 else 0
    doors = []
    for d in range(n):
        kind: DoorKind = "inbound" if d < third else "outbound" if d >= n - third else "both"
        doors.append(Door(f"D{d + 1:02d}", kind, _SMALL if d % 3 == 1 else None))
    return tuple(doors)


def peak_day(
    n_doors: int = 6, n_trucks: int = 90, seed: int = 0, params: PeakParams | None = None
) -> DockProblem:
    """A seeded peak day with ``n_doors`` doors (>= 1) and ``n_trucks`` trucks (>= 0)."""
    if n_doors < 1:
        raise ValueError(f"n_doors={n_doors}; use at least 1")
    if n_trucks < 0:
        raise ValueError(f"n_trucks={n_trucks}; use 0 or more")
    p = params or PeakParams()
    rng = np.random.default_rng(seed)
    horizon = int(p.horizon_h * 3600)
    latest = horizon - 4 * 3600  # every truck arrives early enough to be served
    names = list(CLASSES)
    shares = np.array([CLASSES[c][2] for c in names])
    raw = []
    for _ in range(n_trucks):
        inbound = bool(rng.random() < p.inbound_share)
        cls = names[int(rng.choice(len(names), p=shares / shares.sum()))]
        lo, hi, _share = CLASSES[cls]
        service = int(rng.integers(lo, hi + 1)) * 60
        peak = bool(rng.random() < p.peak_share)
        weight = 3 if rng.random() < p.priority_share else 1
        if inbound:
            t = rng.normal(p.morning_peak_h, p.peak_sd_h) if peak else rng.uniform(0, latest / 3600)
            arrive = int(np.clip(t * 3600, 0, latest)) // 60 * 60
            due = arrive + service + int(p.inbound_window_h * 3600)
        else:
            cutoff = int(p.cutoffs_h[int(rng.integers(len(p.cutoffs_h)))] * 3600)
            slack = abs(rng.normal(0, p.peak_sd_h)) if peak else rng.uniform(0, 6)
            arrive = int(np.clip(cutoff - service - slack * 3600, 0, latest)) // 60 * 60
            due = max(cutoff, arrive + service)
        raw.append((arrive, inbound, cls, service, due, weight))
    raw.sort(key=lambda r: r[0])
    trucks = tuple(
        TruckVisit(
            f"T{k + 1:03d}",
            "inbound" if inbound else "outbound",
            cls,
            arrive,
            due,
            service,
            weight,
        )
        for k, (arrive, inbound, cls, service, due, weight) in enumerate(raw)
    )
    return DockProblem(_doors(n_doors), trucks, horizon, p.slot_s, p.lateness_weight)
