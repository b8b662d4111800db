"""Running a PyBullet world on the wall clock (what a stand-in robot process does)."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from logitwin.actors.traffic import MoveDone, RobotDriver

__all__ = ["RealtimeStats", "run_realtime"]


@dataclass(frozen=True, slots=True)
class RealtimeStats:
    """How a wall-clock run went.

    Args:
        world_s: world time run (s).
        wall_s: wall time it took (s).
        busy_s: wall time spent inside the driver (s).
        max_lag_s: latest a wake-up was served, in world seconds.
    """

    world_s: float
    wall_s: float
    busy_s: float
    max_lag_s: float

    @property
    def capacity(self) -> float:
        """World seconds the driver could run per wall second (> rate: it keeps up)."""
        return self.world_s / self.busy_s if self.busy_s > 0 else float("inf")


def run_realtime(
    driver: RobotDriver,
    until_s: float,
    on_done: Callable[[Sequence[MoveDone]], None] | None = None,
    rate: float = 1.0,
    idle_s: float = 0.05,
) -> RealtimeStats:
    """Bind ``driver`` to the wall clock and serve its wake-ups until ``until_s``.

    The driver's clock is ``rate`` times the wall seconds since the call; it is woken
    when it asked (and at least every ``idle_s`` wall seconds, so commands given between
    wake-ups, e.g. from a network link, are picked up), and each batch of completed
    moves goes to ``on_done``.

    Args:
        driver: a PyBullet world (any driver works).
        until_s: when to stop, in driver seconds (``inf``: until interrupted).
        on_done: gets the moves done at each wake-up.
        rate: driver seconds per wall second (> 0).
        idle_s: longest wall sleep between wake-ups (s).
    """
    if not rate > 0:
        raise ValueError(f"rate must be > 0, got {rate}")
    if not idle_s > 0:
        raise ValueError(f"idle_s must be > 0 s, got {idle_s}")
    t0 = time.monotonic()
    wakes: list[float] = []
    busy = lag = 0.0

    def clock() -> float:
        return (time.monotonic() - t0) * rate

    driver.bind(clock, lambda t: heapq.heappush(wakes, float(t)))
    now = 0.0
    try:
        while (now := clock()) < until_s:
            nxt = min(wakes[0] if wakes else until_s, now + idle_s * rate, until_s)
            if nxt > now:
                time.sleep((nxt - now) / rate)
            b0 = time.monotonic()
            now = clock()
            while wakes and wakes[0] <= now:
                lag = max(lag, now - heapq.heappop(wakes))
            done = driver.progress()
            if on_done is not None and done:
                on_done(done)
            busy += time.monotonic() - b0
    finally:
        wall = time.monotonic() - t0
    return RealtimeStats(min(now, until_s), wall, busy, lag)
