"""The yard in the twin: door kinds and classes, one truck per door, no start before
arrival, re-plans on late trucks, waves, bad input and determinism, on the tiny site."""

from collections import defaultdict
from itertools import pairwise

import pytest

from logitwin.actors.journal import JournalReader
from logitwin.errors import ScenarioError
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.plan import plan_day
from logitwin.scenarios.runner import JOURNAL, run_scenario

# Three doors: inbound only, outbound only for rigid trucks, and one for both; inbound
# trucks every 6 minutes for the first 40 minutes, a third of all trucks late.
YARD = [
    "layout.docks=3",
    "docks={doors: [{kind: inbound}, {kind: outbound, accepts: [rigid]}, {kind: both}], "
    "outbound_class: rigid, inbound_class: trailer, scheduler: cpsat, resolve_after_min: 3, "
    "work_limit: 0.05}",
    "inbound={every_h: 0.1, first_arrival_h: 0.05, last_arrival_h: 0.7, pallets: 12, "
    "pallets_min: 2, unload_min: 1.0, late: {probability: 0.4, mean_delay_min: 8}}",
    "disruptions.late_trucks={probability: 0.4, mean_delay_min: 8}",
]


def _visits(out_dir):
    """Per truck: (kind, yard_at, door, door_at, left) from the journal's rows alone."""
    v: dict[str, dict] = defaultdict(dict)
    with JournalReader(out_dir / JOURNAL) as j:
        for row in j.rows():
            if row.kind != "state" or row.type not in ("truck", "inbound"):
                continue
            b = v[row.entity]
            b["kind"] = row.type
            if "yard_at" in row.body:
                b["yard_at"] = row.body["yard_at"]
            if "door_at" in row.body:
                b["door"], b["door_at"] = row.body["dock"], row.body["door_at"]
            if row.body.get("status") == "departed":
                b["left"] = row.time
    return v


@pytest.fixture(scope="module")
def yard_run(tmp_path_factory):
    runs = {}
    for scheduler in ("cpsat", "fcfs"):
        sc = load_scenario("tiny", [*YARD, f"docks.scheduler={scheduler}"])
        runs[scheduler] = (sc, run_scenario(sc, tmp_path_factory.mktemp(scheduler) / "run"))
    return runs


@pytest.mark.parametrize("scheduler", ["cpsat", "fcfs"])
def test_every_door_constraint_holds_in_the_twin(yard_run, scheduler):
    sc, result = yard_run[scheduler]
    plan = plan_day(sc)
    kinds = {d.id: d for d in plan.doors}
    delay = {t.id: t.delay for t in plan.trucks} | {t.id: t.delay for t in plan.inbound}
    arrive = {t.id: t.arrive for t in plan.trucks} | {t.id: t.arrive for t in plan.inbound}
    visits = _visits(result.out_dir)
    served = [v for v in visits.values() if "door_at" in v]
    assert len(served) >= 8
    spans = defaultdict(list)
    for tid, v in visits.items():
        if "yard_at" in v:  # checks in when it really comes (plan + delay)
            assert v["yard_at"] == pytest.approx(arrive[tid] + delay[tid])
        if "door_at" not in v:
            continue
        door = kinds[v["door"]]
        direction = "inbound" if v["kind"] == "inbound" else "outbound"
        cls = "trailer" if direction == "inbound" else "rigid"
        assert door.kind in ("both", direction), (tid, door)
        assert door.accepts is None or cls in door.accepts, (tid, door)
        assert v["door_at"] >= v["yard_at"]  # no start before arrival
        spans[v["door"]].append((v["door_at"], v.get("left", result.twin.horizon_s), tid))
    for door, s in spans.items():  # one truck per door at a time
        s.sort()
        for (_, end, a), (start, _, b) in pairwise(s):
            assert start >= end, (door, a, b)
    k = result.kpis
    assert k["trucks_served"] == sum(1 for v in served if "left" in v)
    assert k["truck_wait_total_h"] > 0
    assert 0 < k["door_utilisation"] <= 1


def test_a_late_truck_makes_cpsat_replan_and_fcfs_not(yard_run):
    assert yard_run["cpsat"][1].kpis["yard_resolves"] > 0
    assert yard_run["fcfs"][1].kpis["yard_resolves"] == 0


def test_plan_puts_trips_at_compatible_doors_without_round_robin():
    plan = plan_day(load_scenario("tiny", YARD))
    kinds = {d.id: d.kind for d in plan.doors}
    assert {kinds[t.dock] for t in plan.inbound} <= {"inbound", "both"}
    assert {kinds[t.dock] for t in plan.trucks} <= {"outbound", "both"}
    assert all(t.door_start is not None and t.door_start >= t.arrive - 1 for t in plan.inbound)
    assert plan_day(load_scenario("tiny")).trucks[0].door_start is None  # no docks: as before


def test_same_seed_same_journal(tmp_path):
    sc = load_scenario("tiny", [*YARD, "horizon_h=0.6"])
    a = run_scenario(sc, tmp_path / "a")
    b = run_scenario(sc, tmp_path / "b")
    with JournalReader(a.out_dir / JOURNAL) as ja, JournalReader(b.out_dir / JOURNAL) as jb:
        assert ja.fingerprint() == jb.fingerprint()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (["docks={doors: [{kind: both}]}"], "layout.docks is 1"),  # tiny has 1 door... ok
        (["layout.docks=2", "docks={doors: [{kind: both}]}"], "docks.doors: 1 doors listed"),
        (
            ["docks={doors: [{kind: outbound}]}", "inbound.every_h=0.2"],
            "docks.doors: no door takes inbound trucks",
        ),
        (
            ["docks={doors: [{kind: both, accepts: [van]}]}"],
            "(docks.outbound_class)",
        ),
        (["docks={scheduler: lifo}"], "docks.scheduler"),
        (["docks={doors: [{kind: side}]}"], "docks.doors.0.kind"),
        (["release={mode: batch}"], "release.mode"),
        (["release={mode: waves, wave_lead_min: -5}"], "release.wave_lead_min"),
        (
            ["docks={}", "disruptions.dock_closures=[{dock: 1, start_h: 0.1, end_h: 0.2}]"],
            "disruptions.dock_closures",
        ),
    ],
)
def test_bad_docks_and_release_input_names_the_field(overrides, field):
    if field == "layout.docks is 1":
        load_scenario("tiny", overrides)  # one door listed for one door: fine
        return
    with pytest.raises(ScenarioError, match=field.replace("(", r"\(").replace(")", r"\)")):
        load_scenario("tiny", overrides)


def test_waves_release_orders_only_within_their_window(tmp_path):
    lead_min = 10
    sc = load_scenario("tiny", [f"release={{mode: waves, wave_lead_min: {lead_min}}}"])
    result = run_scenario(sc, tmp_path / "w")
    last_wave = max(t.cutoff for t in plan_day(sc).trucks)  # it also opens unpromised orders
    released = 0
    created: dict[str, float] = {}
    with JournalReader(result.out_dir / JOURNAL) as j:
        for row in j.rows():
            if row.kind != "state" or row.type != "order":
                continue
            if row.body.get("status") == "created":
                created[row.entity] = row.body["cutoff"]
            elif row.body.get("status") == "released":
                released += 1
                cutoff = min(created[row.entity], last_wave)
                # released no earlier than its wave opens (a message's latency later)
                assert row.time >= cutoff - lead_min * 60.0, (row.entity, row.time, cutoff)
    assert released > 10
    cont = run_scenario(load_scenario("tiny"), tmp_path / "c").kpis
    assert result.kpis["orders_picked"] <= cont["orders_picked"]
