"""Seeded smoke tests of every built-in scenario: it runs, its KPIs look like the
operation it describes, and the recorded robot paths are conflict-free."""

import pytest

from logitwin.actors.journal import JournalReader
from logitwin.control.move_validator import find_move_conflicts
from logitwin.scenarios.loader import builtin_names, load_scenario
from logitwin.scenarios.runner import JOURNAL, check_paths, replay, run_scenario


def _run_and_validate(name, tmp_path):
    result = run_scenario(load_scenario(name), tmp_path / name)
    proj = replay(result.out_dir / JOURNAL, keep_paths=True)
    assert proj.moves
    assert find_move_conflicts(result.twin.site.grid, proj.starts, proj.moves)[:5] == []
    return result.kpis


def test_builtins_are_covered():
    assert set(builtin_names()) == {
        "tiny", "demo", "peak_day", "robot_outage", "dock_closure", "black_friday", "dock_peak",
        "transport_day",
    }  # fmt: skip


def test_demo_is_a_healthy_day(tmp_path):
    k = _run_and_validate("demo", tmp_path)
    assert k["orders_created"] > 4000
    assert 0.8 < k["made_truck_share"] < 1.0  # most, not all, make their truck
    busy = k["robot_moving_share"] + k["robot_waiting_share"]
    assert 0.4 < busy < 0.85  # busy but not saturated
    assert 0.3 < k["station_utilisation"] < 0.8
    # Robots keep a cell between them in convoys (a follower enters a cell once its
    # leader has left it), so about a sixth of the steps robots want wait for traffic.
    assert k["traffic_wait_share"] < 0.25


def test_demo_with_execution_delays_keeps_executed_paths_valid(tmp_path, demo_kpis):
    """The README's delays example, over the first two hours: robots are late at random
    and drive at their own speeds; the executor keeps them apart, the day goes on."""
    delays = "floor.delays={probability: 0.1, min_s: 1, max_s: 5, speed_factor: [0.8, 1.0]}"
    result = run_scenario(load_scenario("demo", [delays, "horizon_h=2"]), tmp_path / "d")
    moves, conflicts = check_paths(result.out_dir / JOURNAL)
    assert moves > 20_000 and conflicts == []
    assert result.twin.system.actor("traffic").driver.delayed_moves > 0.05 * moves
    assert result.twin.system.actor("traffic").driver.contacts == []
    assert result.kpis["orders_picked"] > 0.6 * result.kpis["orders_created"]


@pytest.mark.slow
def test_peak_day_strains_at_the_peak(tmp_path):
    k = _run_and_validate("peak_day", tmp_path)
    assert k["robots"] >= 150
    assert k["orders_created"] > 20000
    assert k["made_truck_share"] < 0.97  # the peak makes orders late
    assert k["order_cycle_p95_min"] > 30


@pytest.mark.slow
def test_demo_is_deterministic(tmp_path):
    a = run_scenario(load_scenario("demo"), tmp_path / "a")
    b = run_scenario(load_scenario("demo"), tmp_path / "b")
    assert a.kpis == b.kpis
    with JournalReader(a.out_dir / JOURNAL) as ja, JournalReader(b.out_dir / JOURNAL) as jb:
        assert ja.fingerprint() == jb.fingerprint()


@pytest.fixture(scope="module")
def demo_kpis(tmp_path_factory):
    return run_scenario(load_scenario("demo"), tmp_path_factory.mktemp("d") / "demo").kpis


def test_robot_outage_breaks_robots_and_costs_on_time(tmp_path, demo_kpis):
    k = _run_and_validate("robot_outage", tmp_path)  # frozen robots never collide
    assert k["breakdowns"] > 20 and 0.005 < k["robot_broken_share"] < 0.1
    assert k["made_truck_share"] < demo_kpis["made_truck_share"] - 0.05


def test_dock_closure_bumps_orders(tmp_path, demo_kpis):
    k = _run_and_validate("dock_closure", tmp_path)
    assert k["orders_bumped"] > 100
    assert k["made_truck_share"] < demo_kpis["made_truck_share"] - 0.2


def test_black_friday_floods_the_floor(tmp_path, demo_kpis):
    k = _run_and_validate("black_friday", tmp_path)
    assert k["orders_created"] > 1.25 * demo_kpis["orders_created"]
    assert k["order_cycle_p95_min"] > 2 * demo_kpis["order_cycle_p95_min"]
    assert k["disruption_events"] > 0


def test_dock_peak_queues_trucks_at_its_doors(tmp_path):
    """The FCFS arm (fast): the doors are the bottleneck, trucks wait at the peak."""
    result = run_scenario(load_scenario("dock_peak", ["docks.scheduler=fcfs"]), tmp_path / "f")
    k = result.kpis
    assert k["trucks_checked_in"] > 50 and k["truck_wait_mean_min"] > 10
    assert k["yard_resolves"] == 0 and 0.5 < k["door_utilisation"] <= 1


@pytest.mark.slow
def test_dock_peak_cpsat_waits_less_than_fcfs(tmp_path):
    """The what-if of the scenario (about 3 min): CP-SAT re-planning against FCFS."""
    base = run_scenario(load_scenario("dock_peak", ["docks.scheduler=fcfs"]), tmp_path / "f")
    best = run_scenario(load_scenario("dock_peak"), tmp_path / "c")
    assert best.kpis["yard_resolves"] > 0
    assert best.kpis["truck_wait_total_h"] < 0.8 * base.kpis["truck_wait_total_h"]


def test_transport_day_runs_the_whole_transport_side(tmp_path):
    """Inbound trucks and stock, doors planned by CP-SAT, delivery routes under EU hours:
    goods come in and are picked, every shipment is delivered or still on its way (the
    fleet is sized for the day), drivers' hours and emissions are reported."""
    k = _run_and_validate("transport_day", tmp_path)
    assert k["units_received"] > 0 and k["purchase_orders"] > 0 and k["lines_cross_docked"] > 0
    assert 0.7 < k["fill_rate"] < 1.0  # stock runs out now and then, and comes back
    assert k["trucks_served"] >= 14 and k["yard_resolves"] > 0
    assert k["shipments_refused"] == 0
    assert k["shipments_delivered"] > 0.8 * k["orders_shipped"]
    assert k["on_time_delivery_share"] > 0.9
    assert 0 < k["driver_driving_h"] < k["driver_duty_h"]
    assert 1.0 < k["co2e_kg_per_shipment"] < 10.0
