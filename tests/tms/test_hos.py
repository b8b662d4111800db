import dataclasses

import pytest

from logitwin.tms.hos import EU561, FMCSA, Activity, check_hos, place_breaks

H = 3600.0


def drive(hours, to="X"):
    return Activity("drive", 0.0, hours * H, to)


def work(hours, at="A", ready=0.0, due=float("inf")):
    return Activity("work", ready, hours * H, at, due)


def summary(plan):
    return [(a.kind, a.start_s / H, a.duration_s / H) for a in plan.activities]


def test_eu_45_min_break_after_4_5_h_driving():
    plan = place_breaks([drive(3, "A"), work(0.5), drive(3, "depot")], EU561)
    assert summary(plan) == [
        ("drive", 0, 3), ("work", 3, 0.5),
        ("drive", 3.5, 1.5), ("break", 5, 0.75), ("drive", 5.75, 1.5),
    ]  # fmt: skip
    assert plan.legal and plan.drive_s == 6 * H and plan.shifts == 1
    assert check_hos(plan.activities, EU561) == []


def test_fmcsa_30_min_break_after_8_h_driving():
    plan = place_breaks([drive(5, "A"), work(0.25), drive(5, "depot")], FMCSA)
    assert summary(plan) == [
        ("drive", 0, 5), ("work", 5, 0.25),
        ("drive", 5.25, 3), ("break", 8.25, 0.5), ("drive", 8.75, 2),
    ]  # fmt: skip
    assert plan.legal and check_hos(plan.activities, FMCSA) == []


def test_fmcsa_30_min_of_work_is_the_break_eu_work_is_not():
    tl = [drive(4, "A"), work(0.5), drive(4.5, "depot")]
    assert [a.kind for a in place_breaks(tl, FMCSA).activities] == ["drive", "work", "drive"]
    assert "break" in [a.kind for a in place_breaks(tl, EU561).activities]


def test_a_long_enough_wait_is_the_break():
    # Driving 4 h, the customer opens 1 h later: the wait is the EU break.
    plan = place_breaks([drive(4, "A"), work(0.5, ready=5 * H), drive(4, "depot")], EU561)
    assert summary(plan)[1] == ("break", 4, 1)
    assert plan.legal and "break" not in [a.kind for a in plan.activities[2:]]


def test_fmcsa_14_h_window_refused_in_one_shift_rest_placed_in_two():
    tl = [drive(5, "A"), work(5), drive(5, "depot")]  # 10 h driving but 15 h on duty
    one = place_breaks(tl, FMCSA)
    assert not one.legal and "14.00 h duty window" in one.violations[0]
    two = place_breaks(tl, FMCSA, max_shifts=2)
    assert two.legal and two.shifts == 2
    assert ("rest", 14, 10) in summary(two)
    assert check_hos(two.activities, FMCSA) == []


def test_eu_9_h_daily_driving():
    plan = place_breaks([drive(10)], EU561)
    assert not plan.legal and "9.00 h of daily driving" in plan.violations[0]
    # 4.5 + break + 4.5 = 9 h driving, then the 11 h daily rest, then the last hour.
    assert summary(place_breaks([drive(10)], EU561, max_shifts=2))[-2:] == [
        ("rest", 9.75, 11), ("drive", 20.75, 1),
    ]  # fmt: skip


def test_latest_start_missed_is_a_violation():
    plan = place_breaks([drive(5), work(0.5, due=4.5 * H), drive(1)], EU561)
    assert not plan.legal and "after its latest start" in plan.violations[0]


def test_check_catches_each_rule():
    assert "without a 0.75 h break" in check_hos([drive(5)], EU561)[0]
    assert "without a 0.50 h break" in check_hos([drive(8.5)], FMCSA)[0]
    # Breaks in place but 11.5 h of driving in one FMCSA shift.
    tl = [Activity("drive", 0, 7 * H), Activity("break", 7 * H, 0.5 * H),
          Activity("drive", 7.5 * H, 4.5 * H)]  # fmt: skip
    assert "of driving in one shift" in check_hos(tl, FMCSA)[0]
    tl = [Activity("drive", 0, 2 * H), Activity("work", 2 * H, 11 * H),
          Activity("drive", 13 * H, 1.5 * H)]  # fmt: skip
    assert "window 14.00 h" in check_hos(tl, FMCSA)[0]
    # EU: the duty day, work included, ends within 13 h.
    tl = [Activity("drive", 0, 2 * H), Activity("work", 2 * H, 11.5 * H)]
    assert "window 13.00 h" in check_hos(tl, EU561)[0]


def test_rules_validate_with_the_field_named():
    with pytest.raises(ValueError, match="FMCSA: break_s=-1; give a positive"):
        dataclasses.replace(FMCSA, break_s=-1)
    with pytest.raises(ValueError, match="max_daily_drive_s=.* exceeds max_duty_window_s"):
        dataclasses.replace(EU561, max_duty_window_s=8 * H)
    with pytest.raises(ValueError, match="place_breaks takes drive, work and wait"):
        place_breaks([Activity("break", 0, 1)], EU561)
