"""Seeded smoke tests of every built-in scenario: it runs, its KPIs look like the
operation it describes, and the recorded robot paths are conflict-free."""

import pytest

from logitwin.actors.journal import JournalReader
from logitwin.control.validator import find_conflicts
from logitwin.scenarios.loader import builtin_names, load_scenario
from logitwin.scenarios.runner import JOURNAL, replay, run_scenario


def _run_and_validate(name, tmp_path):
    result = run_scenario(load_scenario(name), tmp_path / name)
    proj = replay(result.out_dir / JOURNAL, keep_paths=True)
    assert find_conflicts(result.twin.site.grid, proj.paths, max_conflicts=5) == []
    return result.kpis


def test_builtins_are_covered():
    assert set(builtin_names()) == {
        "tiny", "demo", "peak_day", "robot_outage", "dock_closure", "black_friday",
    }  # fmt: skip


def test_demo_is_a_healthy_day(tmp_path):
    k = _run_and_validate("demo", tmp_path)
    assert k["orders_created"] > 4000
    assert 0.9 < k["made_truck_share"] < 1.0  # most, not all, make their truck
    busy = k["robot_moving_share"] + k["robot_waiting_share"]
    assert 0.4 < busy < 0.85  # busy but not saturated
    assert 0.3 < k["station_utilisation"] < 0.8
    assert k["traffic_wait_share"] < 0.15


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
