"""Stock KPIs, folded from the journal's allocator and receiving state rows.

The allocator journals its stock counters on every change, and events as lists:
``stockout`` (SKU, 1 out / 0 back, ...), ``backordered`` (order, SKU, units, ...) and
``backorder_served`` (order, SKU, ...); the row's time is the event's time. Durations
are summed with :func:`math.fsum`, so the KPIs do not depend on how rows of other
entities interleave.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["StockFold"]


class StockFold:
    """Folds stock events row by row; :meth:`kpis` gives the figures at the horizon."""

    def __init__(self) -> None:
        self.seen = False
        self._out_since: dict[int, float] = {}
        self._out_spans: list[float] = []
        self._waiting: dict[tuple[str, int], float] = {}
        self._waits: list[float] = []

    def row(self, t: float, body: dict[str, Any]) -> None:
        """One allocator state row at time ``t`` (s)."""
        if "units_picked" in body:
            self.seen = True
        flips = body.get("stockout", ())
        for k in range(0, len(flips), 2):
            sku, out = int(flips[k]), flips[k + 1]
            if out:
                self._out_since.setdefault(sku, t)
            elif sku in self._out_since:
                self._out_spans.append(t - self._out_since.pop(sku))
        lines = body.get("backordered", ())
        for k in range(0, len(lines), 3):
            self._waiting[(str(lines[k]), int(lines[k + 1]))] = t
        served = body.get("backorder_served", ())
        for k in range(0, len(served), 2):
            since = self._waiting.pop((str(served[k]), int(served[k + 1])))
            self._waits.append(t - since)

    def kpis(
        self, horizon_s: float, allocator: dict[str, Any], receiving: dict[str, Any]
    ) -> dict[str, Any]:
        """The stock KPIs from the fold and the final allocator and receiving states."""
        out_spans = self._out_spans + [horizon_s - t for t in self._out_since.values()]
        open_waits = [horizon_s - t for t in self._waiting.values()]
        waits = self._waits + open_waits
        demanded = int(allocator.get("lines_demanded", 0))
        backordered = int(allocator.get("lines_backordered", 0))
        return {
            "stockout_sku_hours": math.fsum(out_spans) / 3600.0,
            "skus_out_at_end": len(self._out_since),
            "lines_demanded": demanded,
            "lines_backordered": backordered,
            "backorders_open": len(self._waiting),
            "backorder_wait_mean_min": math.fsum(waits) / len(waits) / 60.0 if waits else 0.0,
            "backorder_wait_max_min": max(waits) / 60.0 if waits else 0.0,
            "fill_rate": 1.0 - backordered / demanded if demanded else math.nan,
            "stock_on_hand_end": int(allocator.get("on_hand", 0)),
            "units_picked": int(allocator.get("units_picked", 0)),
            "units_received": int(receiving.get("received_units", 0)),
            "units_put_away": int(allocator.get("units_stowed", 0)),
            "units_cross_docked": int(allocator.get("units_cross_docked", 0)),
            "lines_cross_docked": int(allocator.get("lines_cross_docked", 0)),
            "purchase_orders": int(receiving.get("pos", 0)),
            "units_ordered": int(receiving.get("ordered_units", 0)),
            "po_reviews_unbooked": int(receiving.get("unbooked", 0)),
        }
