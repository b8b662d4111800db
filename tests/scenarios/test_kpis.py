"""KPI definitions on a hand-made journal, so each number can be checked by hand."""

import math

import pytest

from logitwin.actors.journal import JournalRow
from logitwin.scenarios.kpis import project


def _state(seq, t, entity, kind, **body):
    return JournalRow(seq, t, "state", entity, kind, None, None, None, body)


def test_kpis_from_a_tiny_journal():
    rows = [
        _state(1, 0.0, "traffic", "traffic", positions=[0, 5], step_s=1.0, steps=0),
        _state(2, 0.0, "robot:0", "robot", status="idle", travel=0, waited=0),
        _state(3, 0.0, "robot:1", "robot", status="idle", travel=0, waited=0),
        _state(4, 0.0, "station:a", "station", busy=False),
        _state(5, 10.0, "order:1", "order", status="created", lines=2, created=10.0, cutoff=1800.0),
        _state(6, 20.0, "robot:0", "robot", status="to_pod"),
        _state(7, 21.0, "traffic", "traffic", moves=[0, 1], steps=1),
        _state(8, 100.0, "station:a", "station", busy=True),
        _state(9, 300.0, "station:a", "station", busy=False),
        _state(10, 300.0, "order:1", "order", status="picked", picked_lines=2, picked_at=300.0),
        _state(11, 400.0, "order:1", "order", status="packed", packed_at=400.0),
        _state(12, 500.0, "order:1", "order", status="staged", staged_at=500.0),
        _state(13, 620.0, "robot:0", "robot", status="idle", travel=300, waited=100),
        _state(14, 700.0, "robot:1", "robot", status="charging"),
    ]
    p = project(rows, horizon_s=3600.0, cell_m=2.0, keep_paths=True)
    k = p.kpis
    assert k["orders_created"] == 1 and k["orders_picked"] == 1
    assert k["orders_per_hour"] == 1.0 and k["lines_per_hour"] == 2.0
    assert k["order_cycle_p50_min"] == pytest.approx((400 - 10) / 60)
    assert k["orders_due"] == 1 and k["made_truck_share"] == 1.0
    # robot 0: 600 s on a task, 300 steps of 1 s moving; robot 1: 2900 s charging
    robot_time = 2 * 3600.0
    assert k["robot_moving_share"] == pytest.approx(300 / robot_time)
    assert k["robot_waiting_share"] == pytest.approx(300 / robot_time)
    assert k["robot_charging_share"] == pytest.approx(2900 / robot_time)
    assert k["robot_idle_share"] == pytest.approx((3000 + 700) / robot_time)
    assert k["station_utilisation"] == pytest.approx(200 / 3600)
    assert k["travel_m_per_line"] == pytest.approx(300 * 2.0 / 2)
    assert k["traffic_wait_share"] == pytest.approx(100 / 400)
    assert p.positions == [1, 5]
    assert p.paths.tolist() == [[0, 5], [1, 5]]
    assert len(p.series) == 60
    assert p.series[5][1:3] == (1, 1)  # minute 6: 1 created, 1 picked
    assert math.isclose(
        sum(k[f"robot_{s}_share"] for s in ("moving", "waiting", "charging", "idle")), 1
    )
