"""A driver's hours as the day happens: breaks and rests placed online, never a limit crossed.

:func:`logitwin.tms.hos.place_breaks` plans a whole route ahead. A driver in the twin does
not know how long the next leg will take until it is driven, so :class:`HosClock` keeps
the counters the rules need and, each time the driver drives, works or waits, appends the
activities that keep the timeline legal: a drive is split by a break once the driving
allowed before one is used up (as late as the rules allow, like ``place_breaks``, so an
on-time route gets the planned breaks), and by a daily rest once the daily driving or the
duty window is used up; under rules where the window ends all duty (EU 561/2006), work
that would end beyond it is preceded by a daily rest. Waits count towards a break, and
work does where the rules say so (FMCSA). The timeline it builds is what
:func:`logitwin.tms.hos.check_hos` checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logitwin.tms.hos import Activity, ActivityKind, HosRules

__all__ = ["HosClock"]

_EPS = 1e-6


@dataclass
class HosClock:
    """The driver's timeline and hours, from ``start_s`` (coming on duty).

    Args:
        start_s: when the shift starts (s).
        rules: the hours-of-service rules, or None for no limits.
    """

    start_s: float
    rules: HosRules | None
    activities: list[Activity] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t = self.start_s
        self.shift_start = self.start_s
        self.since_break = 0.0  # driving since the last qualifying break
        self.daily = 0.0  # driving in this shift
        self.idle = 0.0  # current run of time that counts towards a break
        self.off = 0.0  # current run of time off duty (work never counts towards a rest)
        self.drive_s = 0.0
        self.duty_s = 0.0  # driving and work
        self.breaks = 0
        self.rests = 0

    def _add(self, kind: ActivityKind, duration: float, stop: str, latest: float) -> None:
        if duration <= 0:
            return
        self.activities.append(Activity(kind, self.t, duration, stop, latest))
        self.t += duration

    def pause(self, duration: float, stop: str, kind: ActivityKind = "wait") -> None:
        """Not driving or working for ``duration`` s (waiting, a break or a rest); long
        enough, it is the break (or the daily rest) it amounts to."""
        r = self.rules
        if duration <= _EPS:
            return
        self.idle += duration
        self.off += duration
        if r is not None and kind != "break" and self.off >= r.daily_rest_s - _EPS and self.daily:
            kind = "rest"
        elif r is not None and kind == "wait" and self.idle >= r.break_s - _EPS:
            kind = "break"
        self._add(kind, duration, stop, float("inf"))
        if r is None:
            return
        if self.idle >= r.break_s - _EPS:
            self.since_break = 0.0
            if kind == "break":
                self.breaks += 1
        if kind == "rest":
            self.rests += 1
            self.shift_start, self.daily, self.since_break = self.t, 0.0, 0.0
            self.idle = self.off = 0.0

    def _rest(self, stop: str) -> None:
        if self.rules is None:
            return
        if self.rules.daily_rest_s - self.off > _EPS:
            self.pause(self.rules.daily_rest_s - self.off, stop, "rest")
            return
        # Off long enough already (a wait before any driving): mark the rest it was.
        self.activities.append(Activity("rest", self.t, 0.0, stop))
        self.rests += 1
        self.shift_start, self.daily, self.since_break = self.t, 0.0, 0.0
        self.idle = self.off = 0.0

    def work(self, duration: float, stop: str, latest_start_s: float = float("inf")) -> None:
        """Service at ``stop`` for ``duration`` s, after a daily rest if the rules end duty
        with the window and the work would end beyond it."""
        r = self.rules
        if (
            r is not None
            and r.window_ends_duty
            and self.t + duration - self.shift_start > r.max_duty_window_s + _EPS
        ):
            self._rest(stop)
        self._add("work", duration, stop, latest_start_s)
        self.duty_s += duration
        self.off = 0.0
        if r is None:
            return
        if r.work_counts_as_break:
            self.idle += duration
            if self.idle >= r.break_s - _EPS:
                self.since_break = 0.0
        else:
            self.idle = 0.0

    def drive(self, duration: float, stop: str) -> None:
        """Drive to ``stop`` for ``duration`` s, with the breaks and rests it needs."""
        r = self.rules
        left = duration
        while left > _EPS:
            if r is None:
                allow = left
            else:
                window_left = self.shift_start + r.max_duty_window_s - self.t
                allow = min(
                    r.max_drive_before_break_s - self.since_break,
                    r.max_daily_drive_s - self.daily,
                    window_left,
                )
                if allow <= _EPS:
                    if window_left <= _EPS or self.daily >= r.max_daily_drive_s - _EPS:
                        self._rest(stop)
                    else:
                        self.pause(max(0.0, r.break_s - self.idle), stop, "break")
                        self.since_break = 0.0
                    continue
            chunk = min(left, allow)
            self._add("drive", chunk, stop, float("inf"))
            left -= chunk
            self.since_break += chunk
            self.daily += chunk
            self.drive_s += chunk
            self.duty_s += chunk
            self.idle = self.off = 0.0
