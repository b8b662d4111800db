"""KPI definitions on a hand-made journal, so each number can be checked by hand."""

import math

import pytest

from logitwin.actors.journal import JournalReader, JournalRow
from logitwin.scenarios.kpis import project
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import JOURNAL, run_scenario


def _state(seq, t, entity, kind, **body):
    return JournalRow(seq, t, "state", entity, kind, None, None, None, body)


def test_kpis_from_a_tiny_journal():
    rows = [
        _state(0, 0.0, "truck:1", "truck", status="scheduled", cutoff=1800.0,
               planned_cutoff=1800.0, loaded=0, delay_s=0.0),
        _state(1, 0.0, "traffic", "traffic", positions=[0, 5], step_s=1.0, steps=0),
        _state(2, 0.0, "robot:0", "robot", status="idle", travel=0, waited=0),
        _state(3, 0.0, "robot:1", "robot", status="idle", travel=0, waited=0),
        _state(4, 0.0, "station:a", "station", busy=False),
        _state(5, 10.0, "order:1", "order", status="created", lines=2, created=10.0, cutoff=1800.0),
        _state(6, 20.0, "robot:0", "robot", status="to_pod"),
        _state(7, 21.0, "traffic", "traffic", done=[0, 1, 20.0]),
        _state(8, 100.0, "station:a", "station", busy=True),
        _state(9, 300.0, "station:a", "station", busy=False),
        _state(10, 300.0, "order:1", "order", status="picked", picked_lines=2, picked_at=300.0),
        _state(11, 400.0, "order:1", "order", status="packed", packed_at=400.0),
        _state(12, 500.0, "order:1", "order", status="staged", staged_at=500.0),
        _state(13, 620.0, "robot:0", "robot", status="idle", travel=300, waited=100),
        _state(14, 700.0, "robot:1", "robot", status="charging"),
        _state(15, 2400.0, "truck:1", "truck", status="departed", shipped=1, orders=["order:1"]),
    ]  # fmt: skip
    p = project(rows, horizon_s=3600.0, cell_m=2.0, keep_paths=True)
    k = p.kpis
    assert k["orders_created"] == 1 and k["orders_picked"] == 1
    assert k["orders_per_hour"] == 1.0 and k["lines_per_hour"] == 2.0
    assert k["order_cycle_p50_min"] == pytest.approx((400 - 10) / 60)
    assert k["orders_due"] == 1 and k["made_truck_share"] == 1.0 and k["orders_shipped"] == 1
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
    assert p.starts == [0, 5]
    assert [(m.robot, m.cell, m.start, m.end) for m in p.moves] == [(0, 1, 20.0, 21.0)]
    assert len(p.series) == 60
    assert p.series[5][1:3] == (1, 1)  # minute 6: 1 created, 1 picked
    assert math.isclose(
        sum(k[f"robot_{s}_share"] for s in ("moving", "waiting", "charging", "idle")), 1
    )


def test_due_and_shipped_agree_at_the_horizon():
    # truck:1 (promised cutoff 1800) leaves just before the 3600 s horizon, too late for
    # its orders to hear of it; truck:2 (cutoff 3000) would leave at the horizon itself.
    rows = [
        _state(1, 0.0, "truck:1", "truck", status="scheduled", cutoff=1800.0,
               planned_cutoff=1800.0, loaded=0, delay_s=0.0),
        _state(2, 0.0, "truck:2", "truck", status="scheduled", cutoff=3000.0,
               planned_cutoff=3000.0, loaded=0, delay_s=0.0),
        _state(3, 10.0, "order:1", "order", status="created", lines=1, created=10.0, cutoff=1800.0),
        _state(4, 20.0, "order:2", "order", status="created", lines=1, created=20.0, cutoff=1800.0),
        _state(5, 30.0, "order:3", "order", status="created", lines=1, created=30.0, cutoff=3000.0),
        _state(6, 40.0, "order:4", "order", status="created", lines=1, created=40.0,
               cutoff=math.inf),
        _state(7, 900.0, "order:1", "order", status="staged", staged_at=900.0, truck="truck:1"),
        _state(8, 900.25, "order:1", "order", status="loaded"),
        _state(9, 1800.0, "order:2", "order", late=True),  # not staged by its cutoff
        _state(10, 2000.0, "order:3", "order", status="staged", staged_at=2000.0, truck="truck:2"),
        _state(11, 3000.0, "truck:2", "truck", status="closed"),
        _state(12, 3599.9, "truck:1", "truck", status="departed", shipped=1, orders=["order:1"]),
    ]  # fmt: skip
    p = project(rows, horizon_s=3600.0, cell_m=1.0)
    k = p.kpis
    # Due: the orders promised truck:1, which left; order:3's truck had not.
    assert k["orders_due"] == 2 and k["made_truck_share"] == 0.5
    assert k["orders_shipped"] == 1  # order:1 left on truck:1 before the horizon
    assert k["orders_missed"] == 1  # order:2: late and not on a truck that left
    assert p.series[-1][p.series_columns.index("orders_shipped")] == 1


def test_journals_without_truck_order_lists_still_project():
    # Journals written before trucks listed their orders and planned cutoffs: a late
    # truck's planned cutoff is its cutoff less its delay; orders shipped say so.
    rows = [
        _state(1, 0.0, "truck:1", "truck", status="scheduled", cutoff=1800.0 + 0.1 + 0.2,
               loaded=0, delay_s=0.1 + 0.2),
        _state(2, 10.0, "order:1", "order", status="created", lines=1, created=10.0,
               cutoff=1800.0),
        _state(3, 900.0, "order:1", "order", status="staged", staged_at=900.0, truck="truck:1"),
        _state(4, 2400.3, "truck:1", "truck", status="departed", shipped=1),
        _state(5, 2400.55, "order:1", "order", status="shipped", shipped_at=2400.55),
    ]  # fmt: skip
    k = project(rows, horizon_s=3600.0, cell_m=1.0).kpis
    assert k["orders_due"] == 1 and k["made_truck_share"] == 1.0
    assert k["orders_shipped"] == 1 and k["orders_shipped_late"] == 1


@pytest.mark.parametrize(
    "overrides",
    [
        [],  # the last truck departs at exactly the horizon
        ["horizon_h=1.2"],  # a truck's cutoff falls inside the horizon, its departure after
        ["disruptions.late_trucks={probability: 1, mean_delay_min: 10}"],
    ],
)
def test_every_due_order_that_made_its_truck_shipped(tmp_path, overrides):
    sc = load_scenario("tiny", overrides)
    k = run_scenario(sc, tmp_path / "run").kpis
    # Orders that made their truck cannot outnumber the orders shipped.
    assert k["made_truck_share"] * k["orders_due"] <= k["orders_shipped"] + 1e-9
    # Order by order, from the journal's trucks and orders.
    with JournalReader(tmp_path / "run" / JOURNAL) as j:
        rows = [r for r in j.rows() if r.kind == "state"]
    state: dict[str, dict] = {}
    for r in rows:
        state.setdefault(r.entity, {}).update(r.body)
    trucks = {e: s for e, s in state.items() if e.startswith("truck:")}
    orders = {e: s for e, s in state.items() if e.startswith("order:")}
    departed = {e for e, s in trucks.items() if s["status"] == "departed"}
    on_board = {o for e in departed for o in trucks[e]["orders"]}
    kept = {s["planned_cutoff"] for e, s in trucks.items() if e in departed}
    due = {e for e, o in orders.items() if o["cutoff"] in kept}
    made = {e for e in due if "staged_at" in orders[e] and not orders[e].get("late")}
    assert made <= on_board
    assert k["orders_due"] == len(due) and k["orders_shipped"] == len(on_board)
    assert k["orders_missed"] == sum(1 for e in due if orders[e].get("late") and e not in on_board)
    # The last minute of the series agrees with the totals.
    last = (tmp_path / "run" / "timeseries.csv").read_text().splitlines()[-1].split(",")
    assert int(float(last[3])) == k["orders_shipped"]
