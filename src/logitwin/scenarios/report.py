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


def render_kpis(kpis: dict[str, Any], title: str = "KPIs") -> Table:
    """A two-column table of the headline KPIs; ``title`` is plain text, never markup."""
    table = Table(title=Text(title))
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, label, fmt in _ROWS:
        v = kpis.get(key)
        text = "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)
        table.add_row(label, text)
    return table
