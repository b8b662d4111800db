"""Every disruption moves the KPIs the way a planner expects, and leaves a trail in the
journal. Each case runs 3.1 hours of ``demo`` (so the truck leaving at 3 h is inside the
run and its orders are due) with the same seed as the undisturbed run: disruptions draw
from their own random stream, so the orders are the same in both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from logitwin.actors.journal import JournalReader
from logitwin.errors import ScenarioError
from logitwin.scenarios.build import build_twin
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import run_scenario

BASE = ["horizon_h=3.1", "seed=5"]


def _run(tmp_path: Path, name: str, *overrides: str) -> dict[str, Any]:
    sc = load_scenario("demo", [*BASE, *overrides])
    return run_scenario(sc, tmp_path / name).kpis


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _run(tmp_path_factory.mktemp("base"), "base")


def test_robot_breakdowns_take_robots_away_and_slow_orders(tmp_path: Path, base: dict) -> None:
    k = _run(tmp_path, "r", "disruptions.robot_breakdowns={mtbf_h: 4, mttr_min: 20}")
    assert k["breakdowns"] > 5 and k["disruption_events"] == k["breakdowns"]
    assert k["robot_broken_share"] > 0.01 and base["robot_broken_share"] == 0
    assert k["orders_created"] == base["orders_created"]  # same demand
    assert k["order_cycle_p95_min"] > base["order_cycle_p95_min"]
    assert k["orders_picked"] < base["orders_picked"]
    # The journal holds each breakdown: the robots' "broken" status rows.
    with JournalReader(tmp_path / "r" / "journal.sqlite") as j:
        broken = [r for r in j.rows() if r.kind == "state" and r.body.get("status") == "broken"]
    assert len(broken) == k["breakdowns"]


def test_breakdowns_per_robot_model(tmp_path: Path) -> None:
    k = _run(
        tmp_path,
        "m",
        "fleet.models=[{name: gen1, robots: 20}, {name: gen2, robots: 30}]",
        "disruptions.robot_breakdowns=[{mtbf_h: 50, mttr_min: 10},"
        " {model: gen1, mtbf_h: 2, mttr_min: 20}]",
    )
    by = k["breakdowns_by_model"]
    assert set(by) == {"gen1", "gen2"}
    # gen1 (20 robots, MTBF 2 h) fails far more often than gen2 (30 robots, MTBF 50 h).
    assert by["gen1"] > 3 * max(1, by["gen2"]) and by["gen1"] + by["gen2"] == k["breakdowns"]


def test_charger_outage_makes_robots_wait_to_charge(tmp_path: Path, base: dict) -> None:
    k = _run(tmp_path, "c", "disruptions.charger_outages=[{start_h: 0, end_h: 3}]")
    assert k["robot_charging_share"] > base["robot_charging_share"]  # queued for chargers
    assert k["orders_picked"] < base["orders_picked"]


def test_one_charger_down_hurts_less_than_all(tmp_path: Path) -> None:
    one = _run(tmp_path, "c1", "disruptions.charger_outages=[{charger: 1, start_h: 0, end_h: 3}]")
    every = _run(tmp_path, "c2", "disruptions.charger_outages=[{start_h: 0, end_h: 3}]")
    assert one["orders_picked"] > every["orders_picked"]
    assert one["robot_charging_share"] < every["robot_charging_share"]


def test_station_closures_cut_picking_and_make_orders_late(tmp_path: Path, base: dict) -> None:
    k = _run(
        tmp_path,
        "s",
        "disruptions.station_closures=[{station: 1, start_h: 0.5, end_h: 2.5},"
        " {station: 2, start_h: 0.5, end_h: 2.5}]",
    )
    assert k["station_utilisation"] < base["station_utilisation"]
    assert k["made_truck_share"] < base["made_truck_share"]
    assert k["order_cycle_p95_min"] > base["order_cycle_p95_min"]


def test_short_staffing_slows_every_pick(tmp_path: Path, base: dict) -> None:
    k = _run(tmp_path, "f", "disruptions.staffing=[{start_h: 0, end_h: 3, pick_time_factor: 1.8}]")
    assert k["station_utilisation"] > base["station_utilisation"]  # busy longer per line
    assert k["order_cycle_p95_min"] > base["order_cycle_p95_min"]
    assert k["made_truck_share"] < base["made_truck_share"]


def test_dock_closure_bumps_orders_to_later_trucks(tmp_path: Path, base: dict) -> None:
    # Door 1 closed over all of truck 1's time at it (arrives 1 h, cutoff 1 h 40, leaves 2 h).
    k = _run(tmp_path, "d", "disruptions.dock_closures=[{dock: 1, start_h: 0.5, end_h: 2.5}]")
    assert k["orders_bumped"] > 0 and base["orders_bumped"] == 0
    assert k["made_truck_share"] < base["made_truck_share"]
    assert k["orders_shipped"] < base["orders_shipped"]


def test_demand_surge_adds_orders_and_backlog(tmp_path: Path, base: dict) -> None:
    k = _run(tmp_path, "g", "disruptions.demand_surges=[{start_h: 1, end_h: 2, multiplier: 1.8}]")
    assert k["orders_created"] > base["orders_created"] * 1.2
    assert k["order_cycle_p95_min"] > base["order_cycle_p95_min"]
    assert k["made_truck_share"] < base["made_truck_share"]


def test_late_trucks_ship_orders_late(tmp_path: Path, base: dict) -> None:
    k = _run(tmp_path, "l", "disruptions.late_trucks={probability: 1, mean_delay_min: 40}")
    assert k["trucks_late"] > 0 and k["truck_delay_mean_min"] > 0
    assert k["orders_shipped_late"] > 0 and base["orders_shipped_late"] == 0
    assert k["orders_created"] == base["orders_created"]


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("disruptions.station_closures=[{station: 9, start_h: 0, end_h: 1}]",
         "station_closures[0].station: there are only 6; got 9"),
        ("disruptions.dock_closures=[{dock: 4, start_h: 0, end_h: 1}]",
         "dock_closures[0].dock: there are only 3; got 4"),
        ("disruptions.charger_outages=[{charger: 99, start_h: 0, end_h: 1}]",
         "charger_outages[0].charger: there are only"),
        ("disruptions.robot_breakdowns=[{model: gen9, mtbf_h: 1, mttr_min: 5}]",
         "robot_breakdowns[0].model: 'gen9' is not a model of the fleet; models: default"),
    ],
)  # fmt: skip
def test_disruptions_naming_missing_things_are_refused(override: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=None) as info:
        build_twin(load_scenario("demo", [*BASE, override]), journal=None)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("disruptions.staffing=[{start_h: 2, end_h: 1, pick_time_factor: 2}]", "end_h"),
        ("disruptions.robot_breakdowns={mtbf_h: 0, mttr_min: 5}", "mtbf_h"),
        ("disruptions.late_trucks={probability: 2, mean_delay_min: 5}", "probability"),
        ("disruptions.floods=[]", "allowed fields"),
        ("fleet.models=[{name: a, robots: 10}]", "models have 10 robots in all; robots is 50"),
    ],
)
def test_bad_disruption_fields_are_named(override: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=None) as info:
        load_scenario("demo", [override])
    assert needle in str(info.value)
