"""Delivery routes in the twin: a run on `tiny` with a transport: section, its journal and
KPIs; the KPI fold on a hand-made journal; and clear errors for bad transport input."""

import math

import pytest

from logitwin.actors.journal import JournalReader, JournalRow
from logitwin.errors import ScenarioError
from logitwin.scenarios.build import build_twin
from logitwin.scenarios.kpis import project
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import JOURNAL, replay, run_scenario
from logitwin.tms.hos import EU561, Activity, check_hos

# tiny, run for 4 h with demand stopping after 1 h so the last routes come back; 12
# customers within 15 km whose windows (2.5 h) open in the first hour: some orders are
# refused, noisy legs make some deliveries late.
TRANSPORT = [
    "horizon_h=4",
    "demand.stop_h=1",
    "trucks.last_departure_h=1.0",
    "transport={region: {customers: 12, radius_km: 15, open_h: [0, 1], window_h: 2.5},"
    " hos: eu561, travel_time_sigma: 0.3,"
    " fleet: [{name: van, count: 2, max_weight_kg: 1200, max_volume_m3: 12,"
    " fuel_l_per_100km_empty: 10, fuel_l_per_100km_full: 13},"
    " {name: rigid, count: 1, max_weight_kg: 2500, max_volume_m3: 35, fixed_cost: 20000,"
    " fuel_l_per_100km_empty: 16, fuel_l_per_100km_full: 22}]}",
]


@pytest.fixture(scope="module")
def transport_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("transport")
    return run_scenario(load_scenario("tiny", TRANSPORT), out)


def _states(path):
    state: dict[str, dict] = {}
    kinds: dict[str, str] = {}
    for r in JournalReader(path).rows():
        if r.kind == "state":
            state.setdefault(r.entity, {}).update(r.body)
            kinds[r.entity] = r.type
    return state, kinds


def test_departures_become_legal_routes_that_deliver_every_order(transport_run):
    state, kinds = _states(transport_run.out_dir / JOURNAL)
    departed = {
        e: s for e, s in state.items() if kinds[e] == "truck" and s.get("status") == "departed"
    }
    shipped = {o for s in departed.values() for o in s["orders"]}
    assert departed and shipped
    routes = {e: s for e, s in state.items() if kinds[e] == "route"}
    assert routes
    for rid, r in routes.items():
        assert r["status"] == "done", rid
        assert set(r["truck"].split(",")) <= set(departed)
        timeline = [Activity(k, t, d, stop) for k, t, d, stop in r["timeline"]]
        assert check_hos(timeline, EU561) == [], rid
        assert r["weight_kg"] <= r["max_weight_kg"] + 1e-6
        assert r["volume_m3"] <= r["max_volume_m3"] + 1e-6
    deliveries = {
        e.removeprefix("delivery:"): s for e, s in state.items() if kinds[e] == "delivery"
    }
    assert set(deliveries) == shipped  # every order that left has its delivery row
    statuses = {d["status"] for d in deliveries.values()}
    assert statuses <= {"delivered", "refused"}
    for d in deliveries.values():
        if d["status"] == "refused":
            assert d["reason"]
        else:
            assert d["route"] in routes


def test_transport_kpis_are_reported_and_replay_gives_them(transport_run):
    k = transport_run.kpis
    assert k["shipments"] == k["shipments_delivered"] + k["shipments_refused"] + k["shipments_open"]
    assert k["shipments_delivered"] > 0 and k["delivery_routes"] > 0
    assert 0 < k["on_time_delivery_share"] <= 1
    assert k["delivery_km"] > 0 and k["fuel_l"] > 0
    for key in ("truck_weight_utilisation", "truck_volume_utilisation", "truck_time_utilisation"):
        assert 0 < k[key] <= 1, key
    assert 0 < k["driver_driving_h"] <= k["driver_duty_h"]
    assert k["co2e_kg"] == pytest.approx(k["fuel_l"] * 3.24)
    assert k["co2e_kg_per_shipment"] > 0 and k["co2e_g_per_tkm"] > 0
    again = replay(transport_run.out_dir / JOURNAL).kpis
    for key, v in k.items():
        assert again[key] == v or (
            isinstance(v, float) and math.isnan(v) and math.isnan(again[key])
        )


def test_the_same_seed_gives_the_same_journal(transport_run, tmp_path):
    again = run_scenario(load_scenario("tiny", TRANSPORT), tmp_path / "again")

    def rows(out):
        return [(r.time, r.kind, r.entity, r.body) for r in JournalReader(out / JOURNAL).rows()]

    assert rows(again.out_dir) == rows(transport_run.out_dir)


def test_without_a_transport_section_nothing_changes():
    twin = build_twin(load_scenario("tiny"), None)
    ids = [a.id for a in twin.system.actors()]
    assert "transport" not in ids and not any(i.startswith("vehicle:") for i in ids)
    assert all(twin.system.actor(i).notify is None for i in ids if i.startswith("truck:"))


def _state(seq, t, entity, kind, **body):
    return JournalRow(seq, t, "state", entity, kind, None, None, None, body)


def test_transport_kpis_from_a_hand_made_journal():
    route = {
        "status": "done", "orders": ["order:1", "order:2"], "start_s": 0.0, "end_s": 7200.0,
        "shift_s": 13 * 3600.0, "km": 40.0, "weight_kg": 1000.0, "volume_m3": 5.0,
        "max_weight_kg": 2000.0, "max_volume_m3": 20.0, "drive_s": 3600.0, "duty_s": 5400.0,
        "breaks": 0, "rests": 0, "fuel_l": 10.0, "co2e_kg": 32.4, "tkm": 16.0,
    }  # fmt: skip
    rows = [
        _state(1, 0.0, "transport", "transport", pending=0, routes=0, refused=0),
        _state(2, 10.0, "delivery:order:1", "delivery", status="shipped"),
        _state(3, 10.0, "delivery:order:2", "delivery", status="shipped"),
        _state(4, 10.0, "delivery:order:3", "delivery", status="shipped"),
        _state(5, 10.0, "delivery:order:4", "delivery", status="shipped"),
        _state(6, 10.0, "delivery:order:3", "delivery", status="refused", reason="too heavy"),
        _state(7, 900.0, "delivery:order:1", "delivery", status="delivered", on_time=True),
        _state(8, 1800.0, "delivery:order:2", "delivery", status="delivered", on_time=False),
        _state(9, 7200.0, "route:1", "route", **route),
    ]
    k = project(rows, horizon_s=3 * 3600.0, cell_m=1.0).kpis
    assert (k["shipments"], k["shipments_delivered"], k["shipments_refused"]) == (4, 2, 1)
    assert k["shipments_open"] == 1
    assert k["on_time_delivery_share"] == 0.5
    assert (k["delivery_routes"], k["delivery_km"]) == (1, 40.0)
    assert k["truck_weight_utilisation"] == 0.5
    assert k["truck_volume_utilisation"] == 0.25
    assert k["truck_time_utilisation"] == pytest.approx(2 / 13)
    assert (k["driver_driving_h"], k["driver_duty_h"]) == (1.0, 1.5)
    assert k["co2e_kg_per_shipment"] == pytest.approx(16.2)
    assert k["co2e_g_per_tkm"] == pytest.approx(2025.0)


def test_no_transport_rows_no_transport_kpis():
    rows = [_state(1, 0.0, "truck:1", "truck", status="scheduled", cutoff=60.0, delay_s=0.0)]
    assert "shipments" not in project(rows, horizon_s=3600.0, cell_m=1.0).kpis


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("transport.hos=tachograph", ["transport.hos", "fmcsa", "eu561", "none"]),
        ("transport.region.speed_kmh=-5", ["transport.region.speed_kmh"]),
        ("transport.region.open_h=[3, 1]", ["transport.region", "open_h"]),
        ("transport.weight_kg={mean: 0}", ["transport.weight_kg.mean"]),
        ("transport.routing.solution_limit=0", ["transport.routing.solution_limit"]),
        ("transport.fleet=[]", ["transport.fleet"]),
        ("transport.lorries=2", ["transport.lorries", "allowed fields", "fleet"]),
        (
            "transport.fleet=[{name: v, count: 1, max_weight_kg: 1, max_volume_m3: 1,"
            " fuel_l_per_100km_empty: 20, fuel_l_per_100km_full: 10}]",
            ["transport.fleet.0", "fuel_l_per_100km_full"],
        ),
        (
            "transport.fleet=[{name: v, count: 1, max_weight_kg: 1, max_volume_m3: 1}]",
            ["transport.fleet.0.fuel_l_per_100km_empty", "required"],
        ),
    ],
)
def test_bad_transport_input_names_the_field(override, names):
    with pytest.raises(ScenarioError) as err:
        load_scenario("tiny", ["transport={}", override])
    for name in names:
        assert name in str(err.value)


def test_a_missing_customers_file_names_the_field(tmp_path):
    sc = load_scenario("tiny", [f"transport.region.customers_csv={tmp_path / 'none.csv'}"])
    with pytest.raises(ScenarioError, match="transport.region.customers_csv"):
        build_twin(sc, None)


def test_the_report_shows_transport_rows_only_for_transport_runs(transport_run):
    from rich.console import Console

    from logitwin.scenarios.report import render_kpis

    def text(kpis):
        console = Console(record=True, width=120)
        console.print(render_kpis(kpis))
        return console.export_text()

    assert "deliveries on time" in text(transport_run.kpis)
    assert "CO2e per tonne-km" in text(transport_run.kpis)
    plain = {k: v for k, v in transport_run.kpis.items() if k != "shipments"}
    assert "deliveries on time" not in text(plain)
