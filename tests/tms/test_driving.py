"""The online hours-of-service clock: always legal, and on time it matches the plan."""

import numpy as np
import pytest

from logitwin.tms.driving import HosClock
from logitwin.tms.hos import EU561, FMCSA, Activity, check_hos, place_breaks

H = 3600.0


@pytest.mark.parametrize("rules", [EU561, FMCSA], ids=lambda r: r.name)
def test_random_days_are_legal(rules):
    rng = np.random.default_rng(11)
    for _ in range(200):
        clock = HosClock(0.0, rules)
        for k in range(int(rng.integers(2, 15))):
            clock.drive(float(rng.uniform(0.1, 4.0)) * H, f"S{k}")
            if rng.random() < 0.3:
                clock.pause(float(rng.uniform(0, 2)) * H, f"S{k}")
            clock.work(float(rng.uniform(0, 0.7)) * H, f"S{k}")
        assert check_hos(clock.activities, rules) == []
        drive = sum(a.duration_s for a in clock.activities if a.kind == "drive")
        assert drive == pytest.approx(clock.drive_s)


def test_eu_break_after_four_and_a_half_hours_then_a_rest():
    clock = HosClock(0.0, EU561)
    clock.drive(10 * H, "far")
    kinds = [(a.kind, a.duration_s / H) for a in clock.activities]
    assert kinds[:3] == [("drive", 4.5), ("break", 0.75), ("drive", 4.5)]
    assert kinds[3] == ("rest", 11.0)  # 9 h driven: the daily limit
    assert kinds[4] == ("drive", 1.0)
    assert clock.breaks == 1 and clock.rests == 1
    assert check_hos(clock.activities, EU561) == []


def test_waiting_counts_as_the_break():
    clock = HosClock(0.0, EU561)
    clock.drive(4 * H, "A")
    clock.pause(1 * H, "A")  # waiting for the window: a qualifying break
    clock.drive(4 * H, "B")
    assert [a.kind for a in clock.activities] == ["drive", "break", "drive"]
    assert check_hos(clock.activities, EU561) == []


def test_eu_work_beyond_the_window_waits_for_a_rest():
    clock = HosClock(0.0, EU561)
    clock.drive(4 * H, "A")
    clock.pause(8.5 * H, "A")
    clock.work(1 * H, "A")  # would end 13.5 h into the shift
    assert [a.kind for a in clock.activities] == ["drive", "break", "rest", "work"]
    assert check_hos(clock.activities, EU561) == []


def test_on_time_route_gets_the_planned_breaks():
    legs = [
        Activity("drive", 0.0, 3 * H, "A"),
        Activity("work", 0.0, 0.5 * H, "A"),
        Activity("drive", 0.0, 3 * H, "B"),
        Activity("work", 0.0, 0.25 * H, "B"),
        Activity("drive", 0.0, 2.5 * H, "depot"),
    ]
    plan = place_breaks(legs, EU561)
    assert plan.legal
    clock = HosClock(0.0, EU561)
    for a in legs:
        (clock.drive if a.kind == "drive" else clock.work)(a.duration_s, a.stop)
    assert clock.activities == list(plan.activities)


def test_no_rules_no_breaks():
    clock = HosClock(5.0, None)
    clock.drive(20 * H, "far")
    clock.work(1 * H, "far")
    assert [a.kind for a in clock.activities] == ["drive", "work"]
    assert clock.t == pytest.approx(5 + 21 * H)
