"""The KPI report a planner reads after a run."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table
from rich.text import Text

__all__ = ["render_kpis"]

# (key, label, format) in the order a planner reads them.
_ROWS = (
    ("orders_created", "orders created", "{:,.0f}"),
    ("orders_picked", "orders picked", "{:,.0f}"),
    ("orders_shipped", "orders shipped", "{:,.0f}"),
    ("orders_per_hour", "throughput (orders/h)", "{:,.1f}"),
    ("lines_per_hour", "throughput (lines/h)", "{:,.1f}"),
    ("order_cycle_p50_min", "order cycle time p50 (min)", "{:.1f}"),
    ("order_cycle_p95_min", "order cycle time p95 (min)", "{:.1f}"),
    ("made_truck_share", "orders that made their truck", "{:.1%}"),
    ("orders_due", "orders due in the horizon", "{:,.0f}"),
    ("orders_missed", "late orders not shipped", "{:,.0f}"),
    ("robot_moving_share", "robots moving", "{:.1%}"),
    ("robot_waiting_share", "robots waiting (queue, station, traffic)", "{:.1%}"),
    ("robot_charging_share", "robots charging", "{:.1%}"),
    ("robot_idle_share", "robots idle", "{:.1%}"),
    ("station_utilisation", "station utilisation", "{:.1%}"),
    ("travel_m_per_line", "robot travel per order line (m)", "{:.1f}"),
    ("traffic_wait_share", "robot steps waiting for traffic", "{:.1%}"),
    ("physical_contacts", "physical contacts (robots, racks)", "{:,}"),
)
# Shown only for runs with delivery routes (a transport: section).
_TRANSPORT_ROWS = (
    ("shipments_delivered", "shipments delivered", "{:,.0f}"),
    ("shipments_refused", "shipments refused (no truck could serve)", "{:,.0f}"),
    ("shipments_open", "shipments not yet delivered", "{:,.0f}"),
    ("on_time_delivery_share", "deliveries on time", "{:.1%}"),
    ("delivery_routes", "delivery routes completed", "{:,.0f}"),
    ("delivery_km", "delivery km driven", "{:,.1f}"),
    ("truck_weight_utilisation", "truck weight utilisation", "{:.1%}"),
    ("truck_volume_utilisation", "truck volume utilisation", "{:.1%}"),
    ("truck_time_utilisation", "truck time share of the shift", "{:.1%}"),
    ("driver_driving_h", "driver hours driving", "{:,.1f}"),
    ("driver_duty_h", "driver hours on duty", "{:,.1f}"),
    ("co2e_kg_per_shipment", "CO2e per shipment (kg, WTW)", "{:.2f}"),
    ("co2e_g_per_tkm", "CO2e per tonne-km (g, WTW)", "{:,.0f}"),
)
# Shown for runs with a yard (a ``docks:`` section).
_YARD_ROWS = (
    ("trucks_served", "trucks served at the doors", "{:,}"),
    ("truck_wait_mean_min", "truck waiting in the yard, mean (min)", "{:.1f}"),
    ("truck_wait_p95_min", "truck waiting in the yard, p95 (min)", "{:.1f}"),
    ("truck_wait_total_h", "truck waiting in the yard, total (h)", "{:.2f}"),
    ("door_utilisation", "door utilisation", "{:.1%}"),
    ("yard_resolves", "dock schedule re-plans", "{:,}"),
)
# Shown when the run tracked stock (a ``stock:`` section).
_STOCK_ROWS = (
    ("fill_rate", "lines filled from stock at once", "{:.1%}"),
    ("lines_backordered", "backordered lines", "{:,}"),
    ("backorder_wait_mean_min", "backorder wait, mean (min)", "{:.1f}"),
    ("stockout_sku_hours", "stock-out (SKU-hours)", "{:,.1f}"),
    ("lines_cross_docked", "lines cross-docked", "{:,}"),
    ("purchase_orders", "purchase orders", "{:,}"),
    ("units_received", "units received", "{:,}"),
    ("stock_on_hand_end", "stock on hand at the end (units)", "{:,}"),
)


def render_kpis(kpis: dict[str, Any], title: str = "KPIs") -> Table:
    """A two-column table of the headline KPIs; ``title`` is plain text, never markup."""
    table = Table(title=Text(title))
    table.add_column("KPI")
    table.add_column("value", justify="right")
    rows = (
        _ROWS
        + (_TRANSPORT_ROWS if "shipments" in kpis else ())
        + (_YARD_ROWS if "trucks_served" in kpis else ())
        + (_STOCK_ROWS if "fill_rate" in kpis else ())
    )
    for key, label, fmt in rows:
        v = kpis.get(key)
        text = "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)
        table.add_row(label, text)
    return table
