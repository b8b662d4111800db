"""Receiving and replenishment: purchase orders onto inbound trips, and what trucks bring.

The receiving actor learns demand from the order release (:class:`Demanded`, one per new
order), reviews every SKU's position on a timer and places purchase orders by the
(s, S) policy of :mod:`logitwin.control.replenish`, from a forecast of the run's own
history (:mod:`logitwin.control.forecast`, per SKU class, refit each bucket). A PO is
booked onto inbound trips, so what a truck brings is the POs booked on it; when the
truck is unloaded (:class:`Unloaded`) each PO's units go to the allocator
(:class:`Received`), which cross-docks what backorders wait for and puts the rest away
by robot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from logitwin.actors.messages import Demanded, LinePicked, Received, ReviewStock, Unloaded
from logitwin.actors.runtime import Actor, System, handles
from logitwin.actors.shipping import InboundTrip
from logitwin.control.forecast import forecast
from logitwin.control.replenish import ReplenishParams, TripRoom, book, reorder_levels

__all__ = ["Receiving"]

# Pseudo-units of the plan's expected mix in a SKU's share of its class: a SKU's own
# history takes over once its class has seen a few times this many units.
_PRIOR_UNITS = 50.0


class Receiving(Actor):
    """Places purchase orders and receives inbound trucks.

    Args:
        trips: the day's inbound trips (their pallets are the room POs are booked into).
        initial: units of each SKU on hand at the start.
        prior_rate: each SKU's expected demand (units/s) before any history: the level
            the forecast starts from and the split of a class's forecast over its SKUs.
        sku_class: each SKU's class (0 = A); the forecast is made per class.
        params: the replenishment policy.
        allocator: id of the allocator (it holds the stock and the robots).
    """

    kind = "receiving"

    def __init__(
        self,
        system: System,
        aid: str,
        trips: Sequence[InboundTrip],
        initial: Sequence[int],
        prior_rate: Sequence[float],
        sku_class: Sequence[int],
        params: ReplenishParams,
        allocator: str = "allocator",
    ) -> None:
        super().__init__(system, aid)
        n = len(initial)
        if not len(prior_rate) == len(sku_class) == n:
            raise ValueError(
                f"{aid}: initial, prior_rate and sku_class need one value per SKU; got "
                f"{n}, {len(prior_rate)}, {len(sku_class)}"
            )
        self.params = params
        self._allocator = allocator
        cases = params.cases_per_pallet
        self._trips = [TripRoom(t.id, t.arrive, t.pallets * cases) for t in trips]
        self._initial = np.asarray(initial, dtype=np.int64)
        self._class = np.asarray(sku_class, dtype=np.int64)
        self._n_cls = int(self._class.max()) + 1 if n else 0
        prior = np.asarray(prior_rate, dtype=float) * params.bucket_s  # units per bucket
        self._prior_cls = np.bincount(self._class, prior, self._n_cls)
        self._prior_share = prior / np.maximum(self._prior_cls[self._class], 1e-12)
        self.demanded = np.zeros(n, dtype=np.int64)
        self.ordered = np.zeros(n, dtype=np.int64)
        self._history: list[np.ndarray] = []  # closed buckets: units per class
        self._bucket = np.zeros(self._n_cls)
        self._q1 = 0.0  # units and squared units of every line, for the demand variance
        self._q2 = 0.0
        self._on_trip: dict[str, list[tuple[str, int, int]]] = {}  # truck → (po, sku, units)
        self.pos = 0
        self.unbooked = 0
        self.receipts = 0
        self.received_units = 0
        self.stowed_lines = 0

    def on_start(self) -> None:
        self.set(pos=0, ordered_units=0, unbooked=0, receipts=0, received_units=0)
        self.timer(0.0, ReviewStock())

    def _roll(self) -> None:
        """Close the buckets that ended by now."""
        while (len(self._history) + 1) * self.params.bucket_s <= self.now + 1e-9:
            self._history.append(self._bucket)
            self._bucket = np.zeros(self._n_cls)

    @handles(Demanded)
    def _demanded(self, msg: Demanded, sender: str) -> None:
        self._roll()
        for sku, q in zip(msg.skus, msg.qty, strict=True):
            self.demanded[sku] += q
            self._bucket[self._class[sku]] += q
            self._q1 += q
            self._q2 += q * q

    def forecast(self) -> tuple[np.ndarray, np.ndarray]:
        """Each SKU's forecast demand and its error spread (units per bucket)."""
        hist = np.array(self._history).reshape(len(self._history), self._n_cls)
        rate_c = np.empty(self._n_cls)
        sigma_c = np.empty(self._n_cls)
        for c in range(self._n_cls):
            rate_c[c], sigma_c[c] = forecast(
                hist[:, c], 1, self.params.forecast, level0=float(self._prior_cls[c])
            )
        # Units per line vary: a line's variance adds E[q^2]/E[q] per unit of demand.
        disp = self._q2 / self._q1 if self._q1 > 0 else 1.0
        sigma_c = np.where(np.isnan(sigma_c), np.sqrt(rate_c * disp), sigma_c)
        seen_c = np.bincount(self._class, self.demanded.astype(float), self._n_cls)
        share = (self.demanded + _PRIOR_UNITS * self._prior_share) / (
            seen_c[self._class] + _PRIOR_UNITS
        )
        rate = rate_c[self._class] * share
        sigma = np.sqrt((share * sigma_c[self._class]) ** 2 + rate * disp)
        return rate, sigma

    @handles(ReviewStock)
    def _review(self, msg: ReviewStock, sender: str) -> None:
        self._roll()
        p = self.params
        rate, sigma = self.forecast()
        s, S = reorder_levels(rate, sigma, p)
        position = self._initial + self.ordered - self.demanded
        due = np.flatnonzero((position <= s) & (position < S))
        for sku in due.tolist():  # most popular SKUs first: they get the room first
            cases = math.ceil((S[sku] - position[sku]) / p.case_units - 1e-9)
            bookings = book(self._trips, self.now, p.lead_time_s, cases)
            if not bookings:
                self.unbooked += 1
                continue
            for b in bookings:
                self.pos += 1
                units = b.cases * p.case_units
                po = f"po:{self.pos}"
                self.ordered[sku] += units
                self._on_trip.setdefault(b.trip, []).append((po, sku, units))
                self.set(po=[po, sku, units, b.trip], pos=self.pos)
        self.set(ordered_units=int(self.ordered.sum()), unbooked=self.unbooked)
        self.timer(p.review_s, ReviewStock())

    @handles(Unloaded)
    def _unloaded(self, msg: Unloaded, sender: str) -> None:
        for po, sku, units in self._on_trip.pop(msg.truck, []):
            self.receipts += 1
            self.received_units += units
            self.send(self._allocator, Received(po, sku, units, msg.dock))
            self.set(
                receipt=[msg.truck, po, sku, units],
                receipts=self.receipts,
                received_units=self.received_units,
            )

    @handles(LinePicked)
    def _stowed(self, msg: LinePicked, sender: str) -> None:
        # The station finished a put-away line (the units went into the pod); the
        # allocator adds them to the stock when the pod leaves the station.
        self.stowed_lines += 1
        self.set(stowed_lines=self.stowed_lines)
