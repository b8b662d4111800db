"""Drivers' hours of service: the rules, break placement on a route's timeline, and a check.

Two rule sets (single-shift limits; weekly limits are out of scope):

* :data:`FMCSA` (US, property-carrying): at most 11 h driving and no driving after the 14th
  hour since coming on duty; a 30 min break once 8 h have been driven without an
  interruption of 30 min (any non-driving period counts, on-duty work included); 10 h off
  duty between shifts.
* :data:`EU561` (Regulation (EC) 561/2006): a 45 min break after 4.5 h of driving (work is
  no break), at most 9 h driving a day, and an 11 h daily rest, so a duty day ends within
  13 h of its start.

All times are in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EU561",
    "FMCSA",
    "Activity",
    "HosPlan",
    "HosRules",
    "check_hos",
    "place_breaks",
]

ActivityKind = Literal["drive", "work", "wait", "break", "rest"]
_KINDS = ("drive", "work", "wait", "break", "rest")
_H = 3600.0
# Float sums of a few dozen durations: tolerate this much (s) when comparing with a limit.
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class HosRules:
    """One hours-of-service rule set.

    Attributes:
        name: short name used in messages.
        max_drive_before_break_s: driving allowed before a qualifying break (s).
        break_s: length of a qualifying break (s).
        max_daily_drive_s: driving allowed per shift (s).
        max_duty_window_s: time from the start of a shift after which there is no driving
            (s); with ``window_ends_duty`` no work either.
        daily_rest_s: rest between two shifts (s).
        work_counts_as_break: a non-driving work period of ``break_s`` also qualifies
            (FMCSA since 2020); otherwise only breaks and waits do (EU).
        window_ends_duty: the shift, work included, must end within the window (EU: the
            daily rest starts within 24 h - 11 h); otherwise only driving is limited (FMCSA).
    """

    name: str
    max_drive_before_break_s: float
    break_s: float
    max_daily_drive_s: float
    max_duty_window_s: float
    daily_rest_s: float
    work_counts_as_break: bool
    window_ends_duty: bool

    def __post_init__(self) -> None:
        for f in (
            "max_drive_before_break_s",
            "break_s",
            "max_daily_drive_s",
            "max_duty_window_s",
            "daily_rest_s",
        ):
            v = getattr(self, f)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{self.name}: {f}={v}; give a positive number of seconds")
        if self.max_drive_before_break_s > self.max_daily_drive_s:
            raise ValueError(
                f"{self.name}: max_drive_before_break_s={self.max_drive_before_break_s} exceeds "
                f"max_daily_drive_s={self.max_daily_drive_s}; a break rule beyond the daily "
                "limit never applies"
            )
        if self.max_daily_drive_s > self.max_duty_window_s:
            raise ValueError(
                f"{self.name}: max_daily_drive_s={self.max_daily_drive_s} exceeds "
                f"max_duty_window_s={self.max_duty_window_s}; make the window at least as long"
            )
        if self.break_s >= self.daily_rest_s:
            raise ValueError(
                f"{self.name}: break_s={self.break_s} must be shorter than "
                f"daily_rest_s={self.daily_rest_s}"
            )


FMCSA = HosRules(
    name="FMCSA",
    max_drive_before_break_s=8 * _H,
    break_s=0.5 * _H,
    max_daily_drive_s=11 * _H,
    max_duty_window_s=14 * _H,
    daily_rest_s=10 * _H,
    work_counts_as_break=True,
    window_ends_duty=False,
)
EU561 = HosRules(
    name="EU561",
    max_drive_before_break_s=4.5 * _H,
    break_s=0.75 * _H,
    max_daily_drive_s=9 * _H,
    max_duty_window_s=13 * _H,
    daily_rest_s=11 * _H,
    work_counts_as_break=False,
    window_ends_duty=True,
)


@dataclass(frozen=True, slots=True)
class Activity:
    """One piece of a driver's timeline.

    Attributes:
        kind: ``"drive"``, ``"work"`` (service at a stop), ``"wait"``, ``"break"`` or
            ``"rest"`` (daily rest).
        start_s: start time (s). In the input of :func:`place_breaks`, the earliest start
            (a customer's ready time); in a plan, the planned start.
        duration_s: duration (s), >= 0.
        stop: where: the stop served or waited at, or the destination of a drive.
        latest_start_s: latest allowed start (a customer's due time), or infinity.
    """

    kind: ActivityKind
    start_s: float
    duration_s: float
    stop: str = ""
    latest_start_s: float = math.inf

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind={self.kind!r}; use one of {', '.join(_KINDS)}")
        if not self.duration_s >= 0:
            raise ValueError(f"{self.kind} at {self.stop!r}: duration_s={self.duration_s} < 0")

    @property
    def end_s(self) -> float:
        """End time (s)."""
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True)
class HosPlan:
    """A timeline with its breaks and rests placed.

    Attributes:
        activities: the timeline, breaks/rests/waits included, in time order.
        violations: why the timeline is not legal; empty when it is.
        drive_s: total driving (s).
        shifts: duty shifts used (daily rests + 1).
    """

    activities: tuple[Activity, ...]
    violations: tuple[str, ...]
    drive_s: float
    shifts: int

    @property
    def legal(self) -> bool:
        """True when the timeline obeys the rules (and every latest start)."""
        return not self.violations


def _hours(s: float) -> str:
    return f"{s / _H:.2f} h"


def place_breaks(timeline: Sequence[Activity], rules: HosRules, *, max_shifts: int = 1) -> HosPlan:
    """Place the breaks and daily rests a timeline needs, as late as the rules allow.

    Activities run in the given order, each at its earliest start or when the previous one
    ends, whichever is later; the gap is a wait, which counts as a break when it is long
    enough. A drive that would cross a limit is split by a break, or by a daily rest while
    fewer than ``max_shifts`` shifts are used; with no shift left the limit is crossed and
    the plan says so.

    Args:
        timeline: ``"drive"``, ``"work"`` and ``"wait"`` activities in route order.
        rules: :data:`FMCSA`, :data:`EU561` or your own :class:`HosRules`.
        max_shifts: shifts the route may span (1: back at the depot within one shift).

    Returns:
        The plan; ``legal`` is False when a limit or a latest start is exceeded.
    """
    if max_shifts < 1:
        raise ValueError(f"max_shifts={max_shifts}; use 1 or more")
    out: list[Activity] = []
    bad: list[str] = []
    t = timeline[0].start_s if timeline else 0.0
    shift_start = t
    shifts = 1
    since_break = 0.0  # driving since the last qualifying break
    daily = 0.0  # driving in this shift
    idle = 0.0  # current run of non-driving time that counts towards a break
    total = 0.0

    def pause(kind: ActivityKind, length: float, stop: str) -> None:
        nonlocal t, since_break, daily, shift_start, shifts, idle
        out.append(Activity(kind, t, length, stop))
        t += length
        since_break = 0.0
        idle = 0.0
        if kind == "rest":
            daily = 0.0
            shift_start = t
            shifts += 1

    def rest_or_fail(reason: str, stop: str) -> bool:
        if shifts < max_shifts:
            pause("rest", rules.daily_rest_s, stop)
            return True
        bad.append(reason)
        return False

    for a in timeline:
        if a.kind not in ("drive", "work", "wait"):
            raise ValueError(
                f"place_breaks takes drive, work and wait activities; got {a.kind} at {a.stop!r}"
            )
        if a.start_s > t + _EPS:
            gap = a.start_s - t
            # A long enough wait is where the driver takes the rest or the break.
            if gap >= rules.daily_rest_s and shifts < max_shifts and daily > 0:
                pause("rest", gap, a.stop)
            elif gap + idle >= rules.break_s:
                pause("break", gap, a.stop)
            else:
                out.append(Activity("wait", t, gap, a.stop))
                t += gap
                idle += gap
        if a.kind == "wait":
            if a.duration_s > 0:
                kind: ActivityKind = "break" if a.duration_s + idle >= rules.break_s else "wait"
                if kind == "break":
                    pause("break", a.duration_s, a.stop)
                else:
                    out.append(Activity("wait", t, a.duration_s, a.stop))
                    t += a.duration_s
                    idle += a.duration_s
            continue
        if a.kind == "work":
            if t > a.latest_start_s + _EPS:
                bad.append(
                    f"work at {a.stop!r} starts at {t:.0f} s, after its latest start "
                    f"{a.latest_start_s:.0f} s"
                )
            out.append(Activity("work", t, a.duration_s, a.stop, a.latest_start_s))
            t += a.duration_s
            idle = idle + a.duration_s if rules.work_counts_as_break else 0.0
            if idle >= rules.break_s:
                since_break = 0.0
            if rules.window_ends_duty and t - shift_start > rules.max_duty_window_s + _EPS:
                bad.append(
                    f"{rules.name}: work at {a.stop!r} ends {_hours(t - shift_start)} after the "
                    f"shift started, beyond the {_hours(rules.max_duty_window_s)} duty window"
                )
            continue
        left = a.duration_s
        while left > _EPS:
            window_left = shift_start + rules.max_duty_window_s - t
            allow = min(
                rules.max_drive_before_break_s - since_break, rules.max_daily_drive_s - daily
            )
            allow = min(allow, window_left)
            if allow <= _EPS:
                if window_left <= _EPS or daily >= rules.max_daily_drive_s - _EPS:
                    limit = (
                        f"the {_hours(rules.max_duty_window_s)} duty window"
                        if window_left <= _EPS
                        else f"{_hours(rules.max_daily_drive_s)} of daily driving"
                    )
                    if rest_or_fail(
                        f"{rules.name}: driving to {a.stop!r} goes beyond {limit} "
                        f"({_hours(left)} still to drive)",
                        a.stop,
                    ):
                        continue
                    allow = left  # no shift left: reported, keep the timeline going
                else:
                    pause("break", rules.break_s, a.stop)
                    continue
            chunk = min(left, allow)
            out.append(Activity("drive", t, chunk, a.stop))
            t += chunk
            left -= chunk
            since_break += chunk
            daily += chunk
            total += chunk
            idle = 0.0
    return HosPlan(tuple(out), tuple(bad), total, shifts)


def check_hos(activities: Sequence[Activity], rules: HosRules) -> list[str]:
    """Check a timeline that already has its breaks and rests against the rules.

    Independent of :func:`place_breaks`: a plan from anywhere (the OR-Tools routing model,
    a driver's log) can be checked. Qualifying breaks are ``"break"``/``"wait"`` runs (and,
    under rules where work counts, ``"work"``) of at least ``rules.break_s``; a ``"rest"``
    of at least ``rules.daily_rest_s`` starts a new shift.

    Returns:
        One sentence per violation; empty when legal.
    """
    bad: list[str] = []
    if not activities:
        return bad
    pausing = {"break", "wait", "rest"} | ({"work"} if rules.work_counts_as_break else set())
    shift_start = activities[0].start_s
    since_break = daily = run = 0.0
    prev_end = activities[0].start_s
    for a in activities:
        if a.start_s < prev_end - _EPS:
            bad.append(
                f"{a.kind} at {a.stop!r} starts at {a.start_s:.0f} s, before the previous end"
            )
        gap = max(0.0, a.start_s - prev_end)  # unlisted time is idle time
        run += gap
        if a.kind == "rest" and a.duration_s + run >= rules.daily_rest_s - _EPS:
            shift_start, since_break, daily, run = a.end_s, 0.0, 0.0, 0.0
            prev_end = a.end_s
            continue
        if a.kind in pausing:
            run += a.duration_s
            if run >= rules.break_s - _EPS:
                since_break = 0.0
        else:
            run = 0.0
        if a.start_s > a.latest_start_s + _EPS:
            bad.append(f"{a.kind} at {a.stop!r} starts after its latest start")
        if a.kind == "drive":
            since_break += a.duration_s
            daily += a.duration_s
            if since_break > rules.max_drive_before_break_s + _EPS:
                bad.append(
                    f"{rules.name}: {_hours(since_break)} of driving to {a.stop!r} without a "
                    f"{_hours(rules.break_s)} break "
                    f"(limit {_hours(rules.max_drive_before_break_s)})"
                )
                since_break = -math.inf  # report once per stretch
            if daily > rules.max_daily_drive_s + _EPS:
                bad.append(
                    f"{rules.name}: {_hours(daily)} of driving in one shift "
                    f"(limit {_hours(rules.max_daily_drive_s)})"
                )
                daily = -math.inf
            if a.end_s - shift_start > rules.max_duty_window_s + _EPS:
                bad.append(
                    f"{rules.name}: driving to {a.stop!r} until {_hours(a.end_s - shift_start)} "
                    f"into the shift (window {_hours(rules.max_duty_window_s)})"
                )
        elif (
            rules.window_ends_duty
            and a.kind == "work"
            and a.end_s - shift_start > rules.max_duty_window_s + _EPS
        ):
            bad.append(
                f"{rules.name}: work at {a.stop!r} ends {_hours(a.end_s - shift_start)} into the "
                f"shift (window {_hours(rules.max_duty_window_s)})"
            )
        prev_end = max(prev_end, a.end_s)
    return bad
