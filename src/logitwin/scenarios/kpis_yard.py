"""Yard and dock-door KPIs, folded from the trucks' journal rows.

With a yard (a scenario's ``docks:`` section) every outbound and inbound truck journals
its planned finish (``due``, first row), its check-in (``yard_at``), its door and the
moment it got it (``door``, ``door_at``, ``wait_s``); its ``departed`` row is the moment
it leaves the door. A truck still in the yard at the horizon has waited until the
horizon (so a scheduler cannot look good by never serving a truck), and one still at
its door occupies it until the horizon. Without a yard there are no such rows and no
yard KPIs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logitwin.actors.journal import JournalRow

__all__ = ["YARD_KPIS", "YardFold"]

#: the KPIs :meth:`YardFold.kpis` gives: (key, label, higher is better)
YARD_KPIS: tuple[tuple[str, str, bool], ...] = (
    ("truck_wait_mean_min", "truck waiting, mean (min)", False),
    ("truck_wait_p95_min", "truck waiting, p95 (min)", False),
    ("truck_wait_total_h", "truck waiting, total (h)", False),
    ("truck_lateness_total_h", "truck lateness at the door, total (h)", False),
    ("door_utilisation", "door utilisation", True),
)


@dataclass
class _Visit:
    due: float = math.nan
    yard_at: float | None = None
    door: str | None = None
    door_at: float | None = None
    left: float | None = None


@dataclass
class YardFold:
    """Feed it every state row (:meth:`add`), then read :meth:`kpis`."""

    visits: dict[str, _Visit] = field(default_factory=dict)
    doors: set[str] = field(default_factory=set)
    resolves: int = 0

    def add(self, row: JournalRow) -> None:
        """Take what a state row says about a truck's visit, a door or the yard."""
        kind, body = row.type, row.body
        if kind == "dock":
            self.doors.add(row.entity)
            return
        if kind == "yard":
            self.resolves = int(body.get("resolves", self.resolves))
            return
        if kind not in ("truck", "inbound"):
            return
        v = self.visits.get(row.entity)
        if v is None:
            if "due" not in body:
                return  # no yard: not a visit
            v = self.visits[row.entity] = _Visit()
        if "due" in body:
            v.due = float(body["due"])
        if "yard_at" in body:
            v.yard_at = float(body["yard_at"])
        if "door_at" in body:
            v.door, v.door_at = str(body["dock"]), float(body["door_at"])
        if body.get("status") == "departed" and v.door_at is not None:
            v.left = row.time

    def kpis(self, horizon_s: float) -> dict[str, Any]:
        """The yard KPIs, or nothing when no truck went through a yard."""
        if not self.visits:
            return {}
        waits: list[float] = []
        late: list[float] = []
        busy: dict[str, list[float]] = {d: [] for d in self.doors}
        served: dict[str, int] = dict.fromkeys(self.doors, 0)
        for v in self.visits.values():
            if v.yard_at is None:
                continue  # not come within the run
            start = v.door_at if v.door_at is not None else horizon_s
            waits.append(start - v.yard_at)
            end = v.left if v.left is not None else horizon_s
            if v.door is not None and v.door_at is not None:
                busy.setdefault(v.door, []).append(end - v.door_at)
                if v.left is not None:
                    served[v.door] = served.get(v.door, 0) + 1
            if math.isfinite(v.due) and (v.left is not None or horizon_s > v.due):
                late.append(max(0.0, end - v.due))
        util = {d: math.fsum(b) / horizon_s for d, b in sorted(busy.items())}
        return {
            "trucks_checked_in": len(waits),
            "trucks_served": sum(served.values()),
            "truck_wait_mean_min": math.fsum(waits) / len(waits) / 60.0 if waits else 0.0,
            "truck_wait_p95_min": float(np.percentile(waits, 95)) / 60.0 if waits else 0.0,
            "truck_wait_max_min": max(waits, default=0.0) / 60.0,
            "truck_wait_total_h": math.fsum(waits) / 3600.0,
            "truck_lateness_total_h": math.fsum(late) / 3600.0,
            "trucks_late_at_door": sum(1 for x in late if x > 0),
            "door_utilisation": math.fsum(util.values()) / len(util) if util else 0.0,
            "door_utilisation_by_door": util,
            "trucks_served_by_door": dict(sorted(served.items())),
            "yard_resolves": self.resolves,
        }
