"""Order demand: arrivals over the shift by an hourly rate profile, SKUs by Zipf popularity."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from logitwin.actors.messages import NextArrival
from logitwin.actors.order import Order
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["Demand", "DemandParams", "zipf_weights"]


def zipf_weights(n: int, s: float) -> np.ndarray:
    """Popularity of ranks 1..n, proportional to ``1 / rank**s``, summing to 1."""
    w = 1.0 / np.arange(1, n + 1, dtype=float) ** s
    return np.asarray(w / w.sum())


@dataclass(frozen=True, slots=True)
class DemandParams:
    """Order demand of one shift.

    Args:
        orders_per_hour: arrival rate (orders/h) for each hour from t=0; the last value
            holds for the rest of the run.
        mean_lines: mean lines per order (1 + Poisson(mean - 1), capped at ``max_lines``).
        max_lines: most lines an order has.
        n_skus: SKUs in the assortment.
        zipf_s: Zipf exponent of SKU popularity (0 = uniform); SKU ids are popularity
            ranks, SKU 0 the most popular.
        min_lead_s: an order is promised on the first truck whose cutoff is at least this
            long (s) after it arrives.
        pack_s: packing time (s) per order.
        stop_s: no orders arrive after this time (s).
        surges: (start s, end s, multiplier) windows; the rate is multiplied by each
            window that covers the time.
        units_per_line: mean units per line, 1 + Poisson(mean - 1) drawn from the
            stream ``qty_rng`` of :class:`Demand` (``None``: no quantities, the orders
            carry none).
    """

    orders_per_hour: tuple[float, ...]
    mean_lines: float
    max_lines: int
    n_skus: int
    zipf_s: float
    min_lead_s: float
    pack_s: float
    stop_s: float
    surges: tuple[tuple[float, float, float], ...] = ()
    units_per_line: float | None = None


class Demand(Actor):
    """Creates :class:`~logitwin.actors.order.Order` actors as a non-homogeneous Poisson process.

    Args:
        params: the demand to generate.
        cutoffs: the day's truck cutoffs (s), ascending.
        rng: this generator's random stream.
        qty_rng: the stream line quantities are drawn from (its own, so the orders and
            their SKUs are the same with and without quantities).
    """

    kind = "demand"

    def __init__(
        self,
        system: System,
        aid: str,
        params: DemandParams,
        cutoffs: Sequence[float],
        rng: np.random.Generator,
        qty_rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(system, aid)
        self.params = params
        self.cutoffs = sorted(cutoffs)
        self.rng = rng
        if params.units_per_line is not None and qty_rng is None:
            raise ValueError(f"{aid}: units_per_line is set but no qty_rng is given")
        self.qty_rng = qty_rng
        # SKU ids are popularity ranks: SKU 0 sells most.
        self._cdf = np.cumsum(zipf_weights(params.n_skus, params.zipf_s))
        self.created = 0

    def on_start(self) -> None:
        self.set(created=0)
        self._schedule(self.now)

    def _rate(self, t: float) -> float:
        profile = self.params.orders_per_hour
        rate = profile[min(int(t // 3600), len(profile) - 1)]
        for start, end, mult in self.params.surges:
            if start <= t < end:
                rate *= mult
        return rate

    def _boundary(self, t: float) -> float:
        """The next time after ``t`` at which the rate may change."""
        b = (t // 3600 + 1) * 3600
        for start, end, _ in self.params.surges:
            for edge in (start, end):
                if t < edge < b:
                    b = edge
        return b

    def _schedule(self, t: float) -> None:
        # Exponential gaps at the current hour's rate; at an hour boundary the process
        # restarts with the new rate (valid because the exponential is memoryless).
        while t < self.params.stop_s:
            rate = self._rate(t)
            boundary = self._boundary(t)
            gap = self.rng.exponential(3600.0 / rate) if rate > 0 else float("inf")
            if t + gap < boundary:
                t += gap
                if t < self.params.stop_s:
                    self.timer(t - self.now, NextArrival())
                return
            t = boundary

    @handles(NextArrival)
    def _arrive(self, msg: NextArrival, sender: str) -> None:
        p = self.params
        n = min(p.max_lines, 1 + int(self.rng.poisson(p.mean_lines - 1)))
        ranks = np.searchsorted(self._cdf, self.rng.random(n), side="right")
        ranks = np.minimum(ranks, p.n_skus - 1)
        skus = tuple(dict.fromkeys(int(r) for r in ranks))
        k = bisect.bisect_left(self.cutoffs, self.now + p.min_lead_s)
        cutoff = self.cutoffs[k] if k < len(self.cutoffs) else float("inf")
        qty: tuple[int, ...] = ()
        if p.units_per_line is not None and self.qty_rng is not None:
            draws = self.qty_rng.poisson(p.units_per_line - 1.0, len(skus))
            qty = tuple(1 + int(q) for q in draws)
        self.created += 1
        self.system.spawn(
            Order, f"order:{self.created}", skus=skus, cutoff=cutoff, pack_s=p.pack_s, qty=qty
        )
        self.set(created=self.created)
        self._schedule(self.now)
