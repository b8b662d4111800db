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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_failures_lose_no_order_and_no_pod(tmp_path: Path, seed: int) -> None:
    """Robots break every ~20 minutes of work, in every status, with execution delays
    on: tasks are cancelled and handed to other robots, robots broken in a station's
    queue are passed over, carried pods come back to storage. Demand stops after 45
    minutes; by the end every order has shipped (late or not) and every pod is stored."""
    sc = load_scenario(
        "tiny",
        [
            f"seed={seed}",
            "horizon_h=3",
            "demand.stop_h=0.75",
            "demand.orders_per_hour=[120]",
            "fleet.robots=6",
            "disruptions.robot_breakdowns={mtbf_h: 0.3, mttr_min: 4}",
            "floor.delays={probability: 0.2, min_s: 0.5, max_s: 6}",
        ],
    )
    result = run_scenario(sc, tmp_path / "run")
    system = result.twin.system
    k = result.kpis
    assert k["breakdowns"] >= 20
    orders = [a for a in system.actors() if a.kind == "order"]
    assert len(orders) == k["orders_created"] > 60
    assert {o.status for o in orders} == {"shipped"}, [
        o.id for o in orders if o.status != "shipped"
    ]
    assert all(o.picked_lines == len(o.skus) for o in orders)  # each line picked once
    robots = [a for a in system.actors() if a.kind == "robot"]
    allocator = system.actor("allocator")
    assert sum(r.cancelled for r in robots) == allocator.cancelled > 0
    assert sum(a.passed for a in system.actors() if a.kind == "station") > 0
    assert allocator._pending_lines == 0 and not allocator.tasks and not allocator._carried
    assert not any(allocator.pod_busy)
    cells = allocator.pod_cell
    assert len(set(cells)) == len(cells)  # no two pods in one storage cell
    assert not set(cells) & allocator.free_storage
    # The executed paths are collision-free.
    from logitwin.scenarios.runner import check_paths

    moves, conflicts = check_paths(tmp_path / "run" / "journal.sqlite")
    assert moves > 1000 and conflicts == []


def test_robots_whose_moves_are_not_reported_go_offline_and_come_back(tmp_path: Path) -> None:
    """Some moves take 20-40 s (a robot stuck, a lost link); after 10 s the controller
    declares the robot offline: its cells stay blocked, its task goes to another robot,
    and when its move is reported at last it is back in service. Nothing is lost."""
    sc = load_scenario(
        "tiny",
        [
            "horizon_h=2.5",
            "demand.stop_h=0.75",
            "floor.lost_after_s=10",
            "floor.delays={probability: 0.01, min_s: 20, max_s: 40}",
        ],
    )
    result = run_scenario(sc, tmp_path / "run")
    system = result.twin.system
    with JournalReader(tmp_path / "run" / "journal.sqlite") as j:
        rows = list(j.rows())
    offline = [r for r in rows if r.kind == "state" and r.body.get("status") == "offline"]
    found = [r for r in rows if r.kind == "message" and r.type == "Found"]
    assert len(offline) >= 3 and len(found) == len(offline)
    assert result.kpis["robot_broken_share"] > 0  # offline time counts as out of service
    assert system.actor("traffic").lost == [False] * 4
    orders = [a for a in system.actors() if a.kind == "order"]
    assert orders and {o.status for o in orders} == {"shipped"}
    from logitwin.scenarios.runner import check_paths

    assert check_paths(tmp_path / "run" / "journal.sqlite")[1] == []
    with pytest.raises(ScenarioError, match="floor.lost_after_s: 0.5 s is not longer"):
        build_twin(load_scenario("tiny", ["floor.lost_after_s=0.5"]), None)


def test_an_operator_takes_a_robot_out_and_puts_it_back(tmp_path: Path) -> None:
    """Outside input (an operator, through Runtime.inject): the robot stops where it is,
    its cells stay blocked, its task goes to another robot; back in service, it works."""
    from logitwin.actors.journal import Journal
    from logitwin.actors.messages import PutBack, TakeOut
    from logitwin.scenarios.kpis import project

    sc = load_scenario("tiny", ["horizon_h=2", "demand.stop_h=0.5"])
    journal = Journal(tmp_path / "j.sqlite")
    twin = build_twin(sc, journal)
    system = twin.system
    system.run(until=300.0)
    robot = system.actor("robot:1")
    busy_before = robot.status
    system.inject("robot:1", TakeOut(), sender="operator:ana")
    system.run(until=900.0)
    traffic = system.actor("traffic")
    assert robot.status == "out_of_service" and traffic.frozen[1]
    where = traffic.cell(1)
    system.run(until=1500.0)
    assert traffic.cell(1) == where  # it did not move while out
    system.inject("robot:1", PutBack(), sender="operator:ana")
    system.run(until=twin.horizon_s)
    system.close()
    assert robot.status != "out_of_service" and not traffic.frozen[1]
    proj = project(journal.rows(), twin.horizon_s, sc.floor.cell_m)
    # Out from 300.25 s to 1500.25 s (each input takes the lookahead): 1,200 of 4 x 7,200
    # robot-seconds.
    assert proj.kpis["robot_broken_share"] == pytest.approx(1200 / (4 * 7200))
    orders = [a for a in system.actors() if a.kind == "order"]
    assert {o.status for o in orders} == {"shipped"}
    if busy_before in ("to_pod", "lifting", "queued", "to_station"):
        assert robot.cancelled == 1
    journal.close()
    with pytest.raises(Exception, match="put back but was not taken out"):
        system2 = build_twin(sc, None).system
        system2.inject("robot:0", PutBack(), sender="operator:ana")
        system2.run(until=10.0)
