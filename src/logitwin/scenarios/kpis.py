"""KPIs and the per-minute time series, as projections of the event journal alone.

Both ``logitwin run`` and ``logitwin replay`` call :func:`project`, so a replayed journal
gives exactly the KPIs of the run that wrote it.

Orders at the horizon: an order is *due* when the truck it was promised (the truck whose
planned cutoff is its ``cutoff``) departed within the run, and *shipped* when it was on
board a truck that departed within the run (the truck's departure row lists them; the
order itself hears of it a message later, perhaps after the horizon). So every due order
that made its truck is shipped. A truck that has not left by the horizon counts in
neither, its orders' promise falling outside the run; that includes a truck departing at
exactly the horizon, since a run covers [0, horizon) (events at the horizon do not run).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logitwin.actors.journal import JournalRow
from logitwin.actors.robot import ROBOT_STATUSES
from logitwin.control.move_validator import ExecutedMove
from logitwin.scenarios.kpis_stock import StockFold
from logitwin.scenarios.kpis_yard import YardFold

__all__ = ["Projection", "project"]

_CHARGING = {"charging", "wait_charger"}
# Out of service: broken down, lost by its driver, or taken out by an operator.
_DOWN = {"broken", "offline", "out_of_service"}
_SERIES_COLUMNS = (
    "minute",
    "orders_created",
    "orders_picked",
    "orders_shipped",
    "lines_picked",
    "backlog",
    "open_orders",
    "robots_idle",
    "robots_working",
    "robots_charging",
    "stations_busy",
    "robots_broken",
)


@dataclass
class Projection:
    """What a journal projects to: every entity's final state, KPIs and a time series."""

    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    positions: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    series: list[tuple[float, ...]] = field(default_factory=list)
    series_columns: tuple[str, ...] = _SERIES_COLUMNS
    moves: list[ExecutedMove] | None = None


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def project(
    rows: Iterable[JournalRow], horizon_s: float, cell_m: float, keep_paths: bool = False
) -> Projection:
    """Fold journal rows into final states, KPIs and a per-minute series.

    Args:
        rows: the journal's rows in sequence order.
        horizon_s: end of the run (s); utilisations are shares of it.
        cell_m: grid cell size (m), for travel distances.
        keep_paths: also list every executed robot move (``moves``), from ``starts``.
    """
    p = Projection()
    state, kinds = p.state, p.kinds
    # Time spent per robot status and station busy time, integrated as rows arrive.
    robot_status: dict[str, tuple[str, float]] = {}
    # Durations are summed with math.fsum at the end: exactly rounded, so the totals do
    # not depend on how rows of different entities interleave at one instant (a Ray run
    # writes them in another order than a local one).
    status_spans: dict[str, list[float]] = defaultdict(list)
    station_busy: dict[str, float | None] = {}
    busy_spans: list[float] = []
    counts: Counter[str] = Counter()  # integer counters
    robots_in: Counter[str] = Counter()
    step_s = 1.0
    moves: list[ExecutedMove] = []
    yard = YardFold()
    minute = 60.0
    stock = StockFold()

    def snapshot(t: float) -> None:
        p.series.append(
            (
                t / 60.0,
                counts["created"],
                counts["picked"],
                counts["shipped"],
                counts["lines"],
                counts["backlog"],
                counts["created"] - counts["picked"],
                robots_in["idle"],
                robots_in["working"],
                robots_in["charging"],
                sum(1 for v in station_busy.values() if v is not None),
                robots_in["broken"],
            )
        )

    for row in rows:
        if row.kind != "state":
            continue
        # The snapshot at the horizon itself is taken after the last row, so it matches
        # the KPIs even if a run includes events at exactly the horizon.
        while row.time >= minute and minute < horizon_s:
            snapshot(minute)
            minute += 60.0
        ent, body, t = row.entity, row.body, row.time
        kinds[ent] = row.type
        st = state.setdefault(ent, {})
        st.update(body)
        kind = row.type
        yard.add(row)
        if kind == "robot" and "status" in body:
            prev = robot_status.get(ent)
            if prev is not None:
                status_spans[prev[0]].append(t - prev[1])
                robots_in[_group(prev[0])] -= 1
            robot_status[ent] = (body["status"], t)
            robots_in[_group(body["status"])] += 1
        elif kind == "order":
            status = body.get("status")
            if status == "created":
                counts["created"] += 1
            elif status == "picked":
                counts["picked"] += 1
                counts["lines"] += st["lines"]
        elif kind == "truck" and body.get("status") == "departed":
            counts["shipped"] += body.get("shipped", 0)  # they leave now, as the KPI counts
        elif kind == "station" and "busy" in body:
            since = station_busy.get(ent)
            if since is not None:
                busy_spans.append(t - since)
            station_busy[ent] = t if body["busy"] else None
        elif kind == "release":
            counts["backlog"] = body["backlog"]
        elif kind == "allocator":
            stock.row(t, body)
        elif kind == "traffic":
            if "positions" in body:
                p.positions = list(body["positions"])
                p.starts = list(p.positions)
                step_s = float(body["step_s"])
            if "done" in body:  # executed moves: (robot, cell reached, start time) each
                done = body["done"]
                pos = p.positions
                for k in range(0, len(done), 3):
                    pos[done[k]] = done[k + 1]
                    if keep_paths:
                        moves.append(ExecutedMove(done[k], done[k + 1], done[k + 2], t))
    while minute <= horizon_s:
        snapshot(minute)
        minute += 60.0
    for status, since in robot_status.values():
        status_spans[status].append(horizon_s - since)
    for since in station_busy.values():
        if since is not None:
            busy_spans.append(horizon_s - since)
    if keep_paths:
        p.moves = moves
    status_time: dict[str, float] = defaultdict(float)
    status_time.update({k: math.fsum(v) for k, v in status_spans.items()})
    busy_time = math.fsum(busy_spans)
    p.kpis = _kpis(p, horizon_s, step_s, cell_m, status_time, busy_time, len(station_busy))
    if "transport" in kinds.values():  # only runs with a transport: section have these
        p.kpis.update(_transport_kpis(p))
    if stock.seen:  # a run with a stock: section
        p.kpis.update(stock.kpis(horizon_s, state.get("allocator", {}), state.get("receiving", {})))
    p.kpis.update(yard.kpis(horizon_s))
    return p


def _key(t: float) -> float:
    # Cutoffs are matched to the microsecond: journals from before trucks recorded their
    # planned cutoff give it as cutoff - delay_s, which may differ in the last bits.
    return round(t, 6)


def _departures(
    orders: dict[str, dict[str, Any]], trucks: dict[str, dict[str, Any]]
) -> tuple[dict[str, str], dict[float, bool]]:
    """The truck that carried each order that left within the run, and for each planned
    cutoff whether every truck with it departed within the run (so the promise of that
    cutoff was kept or broken there).

    For journals written before trucks recorded ``orders`` and ``planned_cutoff``, the
    orders whose own rows say ``shipped`` and the cutoff less the truck's delay stand in.
    """
    carried_by: dict[str, str] = {}
    settled: dict[float, bool] = {}
    for tid, t in trucks.items():
        left = t.get("status") == "departed"
        k = _key(t.get("planned_cutoff", t["cutoff"] - t.get("delay_s", 0.0)))
        settled[k] = settled.get(k, True) and left
        if left:
            carried_by.update(dict.fromkeys(t.get("orders", ()), tid))
    for oid, o in orders.items():
        if o.get("status") == "shipped" and oid not in carried_by:
            carried_by[oid] = str(o.get("truck"))
    return carried_by, settled


def _by_model(robots: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in robots:
        m = str(r.get("model", "default"))
        out[m] = out.get(m, 0) + int(r.get("breakdowns", 0))
    return dict(sorted(out.items()))


def _group(status: str) -> str:
    if status in _DOWN:
        return "broken"
    if status == "idle":
        return status
    return "charging" if status in _CHARGING else "working"


def _kpis(
    p: Projection,
    horizon_s: float,
    step_s: float,
    cell_m: float,
    status_time: dict[str, float],
    busy_time: float,
    n_stations: int,
) -> dict[str, Any]:
    hours = horizon_s / 3600.0
    orders = {e: s for e, s in p.state.items() if p.kinds[e] == "order"}
    robots = [s for e, s in p.state.items() if p.kinds[e] == "robot"]
    trucks = {e: s for e, s in p.state.items() if p.kinds[e] == "truck"}
    carried_by, settled = _departures(orders, trucks)
    picked = [o for o in orders.values() if "picked_at" in o]
    lines = sum(o["lines"] for o in picked) + sum(
        o.get("picked_lines", 0) for o in orders.values() if "picked_at" not in o
    )
    cycle = [o["packed_at"] - o["created"] for o in orders.values() if "packed_at" in o]
    due = [e for e, o in orders.items() if settled.get(_key(o["cutoff"]), False)]
    made = [e for e in due if not orders[e].get("late") and "staged_at" in orders[e]]
    missed = [e for e in due if orders[e].get("late") and e not in carried_by]
    travel = sum(r.get("travel", 0) for r in robots)
    waited = sum(r.get("waited", 0) for r in robots)
    robot_time = max(1e-9, len(robots) * horizon_s)
    moving = min(
        travel * step_s,
        math.fsum(t for s, t in status_time.items() if s != "idle" and s not in _DOWN),
    )
    working = math.fsum(
        t for s, t in status_time.items() if s != "idle" and s not in _DOWN | _CHARGING
    )
    truck_delay = {e: s.get("delay_s", 0.0) for e, s in trucks.items()}
    delays = list(truck_delay.values())
    disruptions = next((s for e, s in p.state.items() if p.kinds[e] == "disruptions"), {})
    charging = math.fsum(status_time[s] for s in _CHARGING)
    return {
        "horizon_h": round(hours, 4),
        "orders_created": len(orders),
        "orders_picked": len(picked),
        "orders_shipped": len(carried_by),
        "orders_per_hour": len(picked) / hours,
        "lines_per_hour": lines / hours,
        "order_cycle_p50_min": _pct(cycle, 50) / 60.0,
        "order_cycle_p95_min": _pct(cycle, 95) / 60.0,
        "orders_due": len(due),
        "made_truck_share": len(made) / len(due) if due else math.nan,
        "orders_missed": len(missed),
        "robots": len(robots),
        "robot_moving_share": moving / robot_time,
        "robot_waiting_share": max(0.0, working - moving) / robot_time,
        "robot_charging_share": charging / robot_time,
        "robot_idle_share": status_time["idle"] / robot_time,
        "robot_broken_share": math.fsum(status_time[s] for s in _DOWN) / robot_time,
        "station_utilisation": busy_time / max(1e-9, n_stations * horizon_s),
        "travel_cells_per_line": travel / lines if lines else math.nan,
        "travel_m_per_line": travel * cell_m / lines if lines else math.nan,
        "traffic_wait_share": waited / (travel + waited) if travel + waited else 0.0,
        # touches between robots or with racks the driver saw (a physics world; zero for
        # a correct executor)
        "physical_contacts": int(p.state.get("traffic", {}).get("contacts", 0)),
        "breakdowns": sum(r.get("breakdowns", 0) for r in robots),
        "breakdowns_by_model": _by_model(robots),
        "disruption_events": disruptions.get("fired", 0),
        "trucks_late": sum(1 for x in delays if x > 0),
        "truck_delay_mean_min": math.fsum(delays) / len(delays) / 60.0 if delays else 0.0,
        "orders_bumped": sum(1 for o in orders.values() if "bumped" in o),
        "orders_shipped_late": sum(1 for t in carried_by.values() if truck_delay.get(t, 0.0) > 0),
        "robot_status_hours": {s: status_time[s] / 3600.0 for s in ROBOT_STATUSES},
    }


def _transport_kpis(p: Projection) -> dict[str, Any]:
    """Delivery KPIs from the ``delivery`` and ``route`` rows (see actors/delivery.py).

    Routes count once back at the depot (``done``); a route still out at the horizon
    counts in ``routes_out`` only. CO2e is well-to-wheel, per delivered shipment and per
    tonne-km (GLEC Framework / ISO 14083; tms/co2e.py).
    """
    deliveries = [s for e, s in p.state.items() if p.kinds[e] == "delivery"]
    routes = [s for e, s in p.state.items() if p.kinds[e] == "route"]
    done = [r for r in routes if r.get("status") == "done"]
    by_status = Counter(str(d.get("status")) for d in deliveries)
    delivered = [d for d in deliveries if d.get("status") == "delivered"]
    on_time = sum(1 for d in delivered if d.get("on_time"))
    co2e = math.fsum(r["co2e_kg"] for r in done)
    tkm = math.fsum(r["tkm"] for r in done)
    shipments = sum(len(r["orders"]) for r in done)
    cap_kg = math.fsum(r["max_weight_kg"] for r in done)
    cap_m3 = math.fsum(r["max_volume_m3"] for r in done)
    shift = math.fsum(r["shift_s"] for r in done)

    def share(num: float, den: float) -> float:
        return num / den if den > 0 else math.nan

    return {
        "shipments": len(deliveries),
        "shipments_delivered": len(delivered),
        "shipments_refused": by_status["refused"],
        "shipments_open": len(deliveries) - len(delivered) - by_status["refused"],
        "on_time_delivery_share": share(on_time, len(delivered)),
        "delivery_routes": len(done),
        "delivery_routes_out": len(routes) - len(done),
        "delivery_km": math.fsum(r["km"] for r in done),
        "truck_weight_utilisation": share(math.fsum(r["weight_kg"] for r in done), cap_kg),
        "truck_volume_utilisation": share(math.fsum(r["volume_m3"] for r in done), cap_m3),
        "truck_time_utilisation": share(math.fsum(r["end_s"] - r["start_s"] for r in done), shift),
        "driver_driving_h": math.fsum(r["drive_s"] for r in done) / 3600.0,
        "driver_duty_h": math.fsum(r["duty_s"] for r in done) / 3600.0,
        "driver_breaks": sum(r["breaks"] for r in done),
        "driver_daily_rests": sum(r["rests"] for r in done),
        "fuel_l": math.fsum(r["fuel_l"] for r in done),
        "co2e_kg": co2e,
        "co2e_kg_per_shipment": share(co2e, shipments),
        "co2e_g_per_tkm": share(co2e * 1000.0, tkm),
    }
