"""Tests for the dock scheduler: logitwin.control.docks, docks_cpsat, docks_check, docks_peak."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from logitwin.control.docks import (
    Assignment,
    DockProblem,
    DockSchedule,
    Door,
    TruckVisit,
    compare,
    fcfs,
)
from logitwin.control.docks_check import check
from logitwin.control.docks_cpsat import CpSatParams, cpsat, resolve
from logitwin.control.docks_peak import PeakParams, peak_day

FAST = CpSatParams(time_limit_s=2.0)

# HEAVY_BEHIND_LIGHT: D1 inbound, any class; D2 both directions, vans only.
#   L inbound trailer, arrives 0, 120 s, weight 1   (long, light: trailer -> D1 only)
#   V outbound van,    arrives 0,  30 s, weight 1   (outbound -> D2 only)
#   H inbound trailer, arrives 5,  20 s, weight 5   (short, heavy: D1 only)
#   W inbound van,     arrives 10, 15 s, weight 1   (D1 or D2)
# FCFS: L D1 0-120, V D2 0-30, H D1 120-140 (waits 115), W D2 30-45 (waits 20):
#   total wait 135, weighted 5*115 + 20 = 595.
# Best: hold D1 for H (5-25), L after it (25-145, waits 25), V D2 0-30, W D2 30-45 (20):
#   weighted 25 + 20 = 45; any other order on D1 costs more (L, H: 575; H, L is forced
#   by H's weight), and W on D1 would delay H or L.
HEAVY_BEHIND_LIGHT = DockProblem(
    doors=(Door("D1", "inbound"), Door("D2", "both", frozenset({"van"}))),
    trucks=(
        TruckVisit("L", "inbound", "trailer", arrive_s=0, due_s=1000, service_s=120),
        TruckVisit("V", "outbound", "van", arrive_s=0, due_s=1000, service_s=30),
        TruckVisit("H", "inbound", "trailer", arrive_s=5, due_s=1000, service_s=20, weight=5),
        TruckVisit("W", "inbound", "van", arrive_s=10, due_s=1000, service_s=15),
    ),
    horizon_s=1000,
)

# CUTOFF: one door; A arrives first but B has a cutoff at 60. lambda = 5.
# FCFS: A 0-50, B 50-100 (waits 50, 40 late): objective 50 + 5 * 40 = 250.
# Best: B 0-50, A 50-100 (waits 50): objective 50.
CUTOFF = DockProblem(
    doors=(Door("D1"),),
    trucks=(
        TruckVisit("A", "outbound", "van", arrive_s=0, due_s=1000, service_s=50),
        TruckVisit("B", "outbound", "van", arrive_s=0, due_s=60, service_s=50),
    ),
    horizon_s=1000,
    lateness_weight=5,
)

# SLOTS: 5-minute slots; a truck arriving at 100 s starts at 300 s.
SLOTS = DockProblem(
    doors=(Door("D1"),),
    trucks=(
        TruckVisit("A", "inbound", "van", arrive_s=100, due_s=5000, service_s=400),
        TruckVisit("B", "inbound", "van", arrive_s=200, due_s=5000, service_s=100),
    ),
    horizon_s=3600,
    slot_s=300,
)

HAND_CASES = {"heavy_behind_light": HEAVY_BEHIND_LIGHT, "cutoff": CUTOFF, "slots": SLOTS}


def placed(s: DockSchedule) -> dict[str, tuple[str, int]]:
    return {a.truck: (a.door, a.start_s) for a in s.assignments}


def test_fcfs_makes_the_heavy_truck_wait_behind_the_long_light_one() -> None:
    s = fcfs(HEAVY_BEHIND_LIGHT)
    assert placed(s) == {"L": ("D1", 0), "V": ("D2", 0), "H": ("D1", 120), "W": ("D2", 30)}
    assert (s.total_wait_s, s.weighted_wait, s.max_wait_s, s.objective) == (135, 595, 115, 595)
    assert s.status == "fcfs" and s.feasible
    assert s.door_utilisation == (140 / 1000, 45 / 1000)


def test_cpsat_reorders_so_the_heavy_truck_goes_first() -> None:
    s = cpsat(HEAVY_BEHIND_LIGHT, FAST)
    assert placed(s) == {"H": ("D1", 5), "L": ("D1", 25), "V": ("D2", 0), "W": ("D2", 30)}
    assert (s.total_wait_s, s.weighted_wait, s.objective) == (45, 45, 45)
    assert s.status == "optimal"
    assert compare(fcfs(HEAVY_BEHIND_LIGHT), s)["total_wait_s"] == pytest.approx(100 * 90 / 135)


def test_cpsat_serves_the_truck_with_the_cutoff_first() -> None:
    base, best = fcfs(CUTOFF), cpsat(CUTOFF, FAST)
    assert placed(base) == {"A": ("D1", 0), "B": ("D1", 50)}
    assert (base.weighted_lateness, base.late_trucks, base.objective) == (40, 1, 250)
    assert placed(best) == {"B": ("D1", 0), "A": ("D1", 50)}
    assert (best.weighted_lateness, best.objective) == (0, 50)


def test_starts_lie_on_the_slot_grid() -> None:
    assert placed(fcfs(SLOTS)) == {"A": ("D1", 300), "B": ("D1", 900)}
    # B first costs A 300 s of waiting and saves B 600 s: 900 - 200 + 600 - 100 = 1200 < 900.
    best = cpsat(SLOTS, FAST)
    assert placed(best) == {"B": ("D1", 300), "A": ("D1", 600)}
    assert best.total_wait_s == 100 + 500


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_both_solvers_pass_the_checker_on_hand_cases(name: str) -> None:
    problem = HAND_CASES[name]
    for s in (fcfs(problem), cpsat(problem, FAST)):
        assert check(problem, s) == []
    assert cpsat(problem, FAST).objective <= fcfs(problem).objective


@pytest.mark.parametrize("seed", [0, 1])
def test_cpsat_is_never_worse_than_fcfs_on_a_peak(seed: int) -> None:
    problem = peak_day(n_doors=4, n_trucks=30, seed=seed)  # > window: the LNS path
    base, best = fcfs(problem), cpsat(problem, CpSatParams(time_limit_s=1.0, seed=seed))
    assert check(problem, base) == [] and check(problem, best) == []
    assert best.objective <= base.objective
    assert best.feasible


def test_incompatible_doors_are_never_used() -> None:
    problem = peak_day(n_doors=6, n_trucks=40, seed=3)
    doors = {d.id: d for d in problem.doors}
    trucks = {t.id: t for t in problem.trucks}
    assert any(d.accepts is not None for d in problem.doors)
    for s in (fcfs(problem), cpsat(problem, CpSatParams(time_limit_s=1.0))):
        for a in s.assignments:
            door, truck = doors[a.door], trucks[a.truck]
            assert door.kind in ("both", truck.direction), a
            assert door.accepts is None or truck.truck_class in door.accepts, a


def test_cpsat_is_deterministic_for_a_seed() -> None:
    a, b = cpsat(HEAVY_BEHIND_LIGHT, FAST), cpsat(HEAVY_BEHIND_LIGHT, FAST)
    assert a.assignments == b.assignments


# --- the checker catches each kind of violation --------------------------------------


def _bad(problem: DockProblem, edit: Callable[[list[Assignment]], list[Assignment]]) -> list[str]:
    good = fcfs(problem)
    return check(problem, replace(good, assignments=tuple(edit(list(good.assignments)))))


def _move(rows: list[Assignment], truck: str, **kw: object) -> list[Assignment]:
    return [replace(a, **kw) if a.truck == truck else a for a in rows]  # type: ignore[arg-type]


BAD_EDITS: dict[str, tuple[Callable[[list[Assignment]], list[Assignment]], str]] = {
    "missing": (lambda r: r[1:], "truck 'L' is not scheduled"),
    "twice": (lambda r: [*r, replace(r[0], door="D1", start_s=500, end_s=620)], "2 times"),
    "stranger": (lambda r: [*r, Assignment("X", "D1", 900, 910)], "'X' is scheduled but not"),
    "no such door": (lambda r: _move(r, "V", door="D9"), "door 'D9', which does not exist"),
    "wrong kind": (
        lambda r: _move(r, "V", door="D1", start_s=140, end_s=170),
        "'V' (outbound) is at inbound door 'D1'",
    ),
    "class not accepted": (
        lambda r: _move(r, "H", door="D2", start_s=45, end_s=65),
        "accepts only ['van']",
    ),
    "before arrival": (lambda r: _move(r, "W", start_s=0, end_s=15), "before it arrives at 10"),
    "wrong end": (lambda r: _move(r, "W", end_s=40), "not start 30 + service 15"),
    "overlap": (lambda r: _move(r, "H", start_s=100, end_s=120), "overlap at door 'D1'"),
    "past horizon": (lambda r: _move(r, "H", start_s=990, end_s=1010), "past the horizon"),
}


@pytest.mark.parametrize("name", sorted(BAD_EDITS))
def test_checker_catches(name: str) -> None:
    edit, expected = BAD_EDITS[name]
    found = _bad(HEAVY_BEHIND_LIGHT, edit)
    assert any(expected in msg for msg in found), found


def test_checker_catches_a_start_off_the_slot_grid() -> None:
    found = _bad(SLOTS, lambda r: _move(r, "A", start_s=200, end_s=600))
    assert any("off the 300 s grid" in msg for msg in found), found


def test_checker_catches_kpis_that_do_not_match_the_schedule() -> None:
    s = replace(fcfs(HEAVY_BEHIND_LIGHT), total_wait_s=1)
    assert check(HEAVY_BEHIND_LIGHT, s) == ["KPI total_wait_s claims 1, the schedule gives 135"]


# --- re-planning when a truck is late -------------------------------------------------


def test_resolve_keeps_started_trucks_and_moves_the_late_one() -> None:
    plan = cpsat(HEAVY_BEHIND_LIGHT, FAST)  # H D1 5, L D1 25, V D2 0, W D2 30
    out = resolve(HEAVY_BEHIND_LIGHT, plan, now_s=10, updates={"W": 100}, params=FAST)
    assert out.fixed == ("V", "H")  # started before 10 s, in problem order
    assert placed(out.schedule) == {
        "H": ("D1", 5),
        "L": ("D1", 25),
        "V": ("D2", 0),
        "W": ("D2", 100),
    }
    assert out.changed == ("W",)
    assert out.problem.trucks[3].arrive_s == 100
    assert check(out.problem, out.schedule) == []


def test_resolve_replans_the_rest_from_now() -> None:
    # CUTOFF planned B 0-50 then A; at 40 s (B at the door) A announces 200 s.
    plan = cpsat(CUTOFF, FAST)
    out = resolve(CUTOFF, plan, now_s=40, updates={"A": 200}, params=FAST)
    assert placed(out.schedule) == {"B": ("D1", 0), "A": ("D1", 200)}
    assert out.fixed == ("B",) and out.changed == ("A",)
    # with nothing late, nothing moves and nobody starts before now
    same = resolve(HEAVY_BEHIND_LIGHT, fcfs(HEAVY_BEHIND_LIGHT), now_s=50, updates={})
    assert all(a.start_s >= 50 or a.truck in same.fixed for a in same.schedule.assignments), (
        same.schedule
    )
    assert check(same.problem, same.schedule) == []


def test_resolve_refuses_a_truck_that_already_started() -> None:
    plan = fcfs(HEAVY_BEHIND_LIGHT)
    with pytest.raises(ValueError, match="truck 'L' started at 0 s, before now_s=10"):
        resolve(HEAVY_BEHIND_LIGHT, plan, now_s=10, updates={"L": 50})
    with pytest.raises(ValueError, match="unknown truck 'Z'"):
        resolve(HEAVY_BEHIND_LIGHT, plan, now_s=10, updates={"Z": 50})
    with pytest.raises(ValueError, match="now_s=-1"):
        resolve(HEAVY_BEHIND_LIGHT, plan, now_s=-1, updates={})
    with pytest.raises(ValueError, match="does not list the problem's trucks"):
        resolve(CUTOFF, plan, now_s=0, updates={})


# --- validation -----------------------------------------------------------------------


def van(tid: str = "T1", **kw: int) -> TruckVisit:
    fields = {"arrive_s": 0, "due_s": 100, "service_s": 10} | kw
    return TruckVisit(tid, "inbound", "van", **fields)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Door("D1", "side"), "door 'D1': kind='side'"),  # type: ignore[arg-type]
        (lambda: Door("D1", accepts=frozenset()), "door 'D1': accepts is empty"),
        (lambda: van(arrive_s=-5), "truck 'T1': arrive_s=-5 s; use a value >= 0"),
        (lambda: van(due_s=-1), "truck 'T1': due_s=-1"),
        (lambda: van(service_s=0), "truck 'T1': service_s=0 s; use a value >= 1"),
        (lambda: van(arrive_s=1.5), "truck 'T1': arrive_s=1.5 is not whole seconds"),  # type: ignore[arg-type]
        (lambda: van(weight=0), "truck 'T1': weight=0; use an int in 1..1000"),
        (lambda: TruckVisit("T1", "sideways", "van", 0, 1, 1), "direction='sideways'"),  # type: ignore[arg-type]
        (lambda: DockProblem((), (van(),), 100), "no doors"),
        (
            lambda: DockProblem((Door("D1", "outbound"),), (van("V7"),), 100),
            "truck 'V7' \\(inbound, class 'van'\\): no door takes it",
        ),
        (
            lambda: DockProblem((Door("D1", accepts=frozenset({"trailer"})),), (van(),), 100),
            "accepts 'van'",
        ),
        (lambda: DockProblem((Door("D1"),), (van(arrive_s=95),), 100), "past horizon_s=100"),
        (lambda: DockProblem((Door("D1"), Door("D1")), (), 100), "door ids \\['D1'\\]"),
        (lambda: DockProblem((Door("D1"),), (van(), van()), 100), "truck ids \\['T1'\\]"),
        (lambda: DockProblem((Door("D1"),), (), 0), "horizon_s=0"),
        (lambda: DockProblem((Door("D1"),), (), 100, slot_s=200), "slot_s=200; use 1..horizon"),
        (lambda: DockProblem((Door("D1"),), (), 100, lateness_weight=-1), "lateness_weight=-1"),
        (lambda: CpSatParams(time_limit_s=0), "time_limit_s=0; use a value in \\(0, 3600\\]"),
        (lambda: CpSatParams(workers=0), "workers=0; use 1..64"),
        (lambda: CpSatParams(window=1), "window=1; use 2..500"),
        (lambda: PeakParams(peak_share=1.5), "peak_share=1.5; use a share in \\[0, 1\\]"),
        (lambda: peak_day(n_doors=0), "n_doors=0"),
    ],
)
def test_validation_names_the_value_and_the_fix(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_warm_start_must_be_a_schedule_of_the_same_problem() -> None:
    with pytest.raises(ValueError, match="cpsat warm_start: the schedule does not list"):
        cpsat(CUTOFF, FAST, warm_start=fcfs(HEAVY_BEHIND_LIGHT))


# --- peak days ------------------------------------------------------------------------


def test_peak_day_is_seeded_and_mixed() -> None:
    a, b = peak_day(6, 60, seed=4), peak_day(6, 60, seed=4)
    assert a == b and a != peak_day(6, 60, seed=5)
    assert [t.arrive_s for t in a.trucks] == sorted(t.arrive_s for t in a.trucks)
    assert {d.kind for d in a.doors} == {"inbound", "outbound", "both"}
    assert {t.truck_class for t in a.trucks} == {"trailer", "rigid", "van"}
    assert {t.direction for t in a.trucks} == {"inbound", "outbound"}
    assert {t.weight for t in a.trucks} == {1, 3}
    morning = sum(1 for t in a.trucks if t.direction == "inbound" and t.arrive_s < 4 * 3600)
    assert morning > sum(1 for t in a.trucks if t.direction == "inbound") / 2  # the peak
