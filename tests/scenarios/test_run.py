"""Integration tests over the `tiny` scenario: a real run, its journal, replay and paths."""

import json

import pytest

from logitwin.actors.journal import JournalReader
from logitwin.actors.order import ORDER_STATUSES
from logitwin.control.move_validator import find_move_conflicts
from logitwin.errors import JournalError
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import JOURNAL, replay, run_scenario


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return run_scenario(load_scenario("tiny"), out)


def test_tiny_run_writes_outputs_and_sane_kpis(tiny_run):
    out = tiny_run.out_dir
    for name in ("kpis.json", "timeseries.csv", JOURNAL, "scenario.yaml"):
        assert (out / name).is_file()
    k = json.loads((out / "kpis.json").read_text())
    assert k["orders_created"] > 30
    assert k["orders_picked"] >= 0.8 * k["orders_created"]
    assert k["orders_shipped"] > 0
    assert 0 < k["order_cycle_p50_min"] <= k["order_cycle_p95_min"]
    shares = [k[f"robot_{s}_share"] for s in ("moving", "waiting", "charging", "idle")]
    assert abs(sum(shares) - 1) < 0.02
    assert 0 < k["station_utilisation"] < 1
    assert k["travel_m_per_line"] > 0
    assert 0 <= k["traffic_wait_share"] < 0.5
    lines = (out / "timeseries.csv").read_text().splitlines()
    assert lines[0].startswith("minute,orders_created")
    assert len(lines) == 1 + 60


def test_every_order_follows_the_lifecycle(tiny_run):
    system = tiny_run.twin.system
    order_ids = [a.id for a in system.actors() if a.id.startswith("order:")]
    assert order_ids
    statuses = {system.actor(a).status for a in order_ids}
    assert statuses <= set(ORDER_STATUSES)
    assert "shipped" in statuses


def test_replay_rebuilds_state_and_kpis(tiny_run):
    proj = replay(tiny_run.out_dir / JOURNAL)
    assert proj.kpis == json.loads(json.dumps(tiny_run.kpis))  # same numbers, JSON round trip aside
    system = tiny_run.twin.system
    for actor in system.actors():
        for field, value in proj.state.get(actor.id, {}).items():
            live = getattr(actor, field)
            assert live == value or (isinstance(live, tuple) and list(live) == value), (
                actor.id,
                field,
            )
    assert proj.positions == system.actor("traffic").driver.pos  # moves done by the horizon


def test_recorded_paths_have_no_conflicts(tiny_run):
    proj = replay(tiny_run.out_dir / JOURNAL, keep_paths=True)
    assert proj.moves is not None and len(proj.moves) > 100
    assert find_move_conflicts(tiny_run.twin.site.grid, proj.starts, proj.moves) == []


def test_same_seed_same_journal_other_seed_differs(tmp_path, tiny_run):
    again = run_scenario(load_scenario("tiny"), tmp_path / "again")
    with (
        JournalReader(tiny_run.out_dir / JOURNAL) as a,
        JournalReader(again.out_dir / JOURNAL) as b,
    ):
        assert a.fingerprint() == b.fingerprint()
    assert again.kpis == tiny_run.kpis
    other = run_scenario(load_scenario("tiny", ["seed=8"]), tmp_path / "other")
    with JournalReader(other.out_dir / JOURNAL) as c, JournalReader(again.out_dir / JOURNAL) as b:
        assert c.fingerprint() != b.fingerprint()


def test_refuses_to_overwrite_a_run(tiny_run):
    with pytest.raises(JournalError, match="already holds a run"):
        run_scenario(load_scenario("tiny"), tiny_run.out_dir)


def _orders(out):
    """Every order as demand made it: (arrival time, id, SKUs, promised cutoff)."""
    with JournalReader(out / JOURNAL) as j:
        return [(r.time, *r.body) for r in j.rows() if r.type == "NewOrder"]


@pytest.mark.parametrize(
    "change",
    [
        "fleet.robots=5",
        "disruptions.robot_breakdowns={mtbf_h: 1, mttr_min: 5}",
        "disruptions.late_trucks={probability: 0.5, mean_delay_min: 10}",
    ],
)
def test_one_robot_or_disruption_more_changes_no_order(tiny_run, tmp_path, change):
    """Random streams are keyed by what they are for, not handed out in call order."""
    other = run_scenario(load_scenario("tiny", [change]), tmp_path / "other")
    mine, theirs = _orders(tiny_run.out_dir), _orders(other.out_dir)
    assert len(mine) > 30
    assert sorted(mine) == sorted(theirs)
