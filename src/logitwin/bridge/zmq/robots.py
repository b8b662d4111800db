"""Stand-in robots on the zmq link: a process that hosts some robots of a fleet, moves
them on the wall clock with a motion model (the grid floor by default, or any driver
such as a PyBullet world) and speaks the robot side of the link.

``python -m logitwin.bridge.zmq.robots --scenario tiny --robots 10 --only 0,1`` (or
``logitwin robot-sim --backend zmq``). The robots start at the fleet's start cells
(:func:`logitwin.robots.fleet.fleet_starts`), where the twin expects them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import heapq
import math
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

import zmq

from logitwin.bridge.zmq.wire import (
    Ack,
    Cancel,
    Charge,
    Event,
    Hello,
    Path,
    Pause,
    Telemetry,
    pack,
    unpack,
)
from logitwin.errors import ProtocolError
from logitwin.robots.fleet import FleetSetup

__all__ = ["LinkRobots", "main"]


class LinkRobots:
    """The robot side of the link for the robots ``only`` of ``setup``.

    Args:
        setup: the whole fleet (as the twin has it).
        only: indices of the robots this process hosts.
        endpoint: the twin's command endpoint.
        telemetry: the twin's telemetry endpoint.
        rate_hz: telemetry per robot per second (also the heartbeat).
        motion: makes the motion model for the hosted robots' setup (default: the grid
            floor); anything meeting the driver interface, with ``pose`` if it has one.
        speedup: robot seconds per wall second (as the live twin's ``speedup``).
    """

    def __init__(
        self,
        setup: FleetSetup,
        only: Sequence[int],
        endpoint: str,
        telemetry: str,
        rate_hz: float = 10.0,
        motion: Any = None,
        speedup: float = 1.0,
    ) -> None:
        from logitwin.robots.registry import grid_floor

        self.only = list(only)
        self.names = [setup.names[i] for i in self.only]
        self.local = {name: k for k, name in enumerate(self.names)}
        sub = dataclasses.replace(
            setup,
            names=tuple(self.names),
            starts=tuple(setup.starts[i] for i in self.only),
            speed=tuple(setup.speed[i] for i in self.only),
        )
        self.frame = setup.frame
        self.floor = (motion or grid_floor)(sub)
        self.boot = secrets.randbits(48)
        self.rate_hz = rate_hz
        self.speedup = speedup
        self._t0 = time.monotonic()
        self._wakes: list[float] = []
        self.floor.bind(self.clock, lambda t: heapq.heappush(self._wakes, float(t)))
        n = len(self.names)
        self._session = [0] * n
        self._last = [0] * n  # last command seq applied per robot
        self._ev = [0] * n
        self._tel = [0] * n
        self._into = [-1] * n
        self.progress = [0] * n
        self.charging = [False] * n
        self.battery = [1.0] * n
        self._ctx = zmq.Context()
        self.dealer = self._ctx.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.connect(endpoint)
        self.pub = self._ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 100_000)
        self.pub.connect(telemetry)
        for name in self.names:
            self.dealer.send(pack(Hello(name, self.boot)))
        self._stop = False

    def clock(self) -> float:
        """Seconds (robot time) since this process started its robots."""
        return (time.monotonic() - self._t0) * self.speedup

    def stop(self) -> None:
        """Make :meth:`run` return."""
        self._stop = True

    def run(self, until_s: float | None = None) -> None:
        """Serve commands, move the robots and publish telemetry until stopped."""
        period = self.speedup / self.rate_hz
        next_tel = self.clock()
        try:
            while not self._stop and (until_s is None or self.clock() < until_s):
                now = self.clock()
                if now >= next_tel:
                    self._publish()
                    next_tel = now + period
                due = min([next_tel, *self._wakes[:1]])
                timeout = max(0, int((due - self.clock()) / self.speedup * 1000))
                if self.dealer.poll(timeout):
                    while self.dealer.poll(0):
                        self._command(self.dealer.recv())
                while self._wakes and self._wakes[0] <= self.clock():
                    heapq.heappop(self._wakes)
                    self._moves()
        finally:
            self._ctx.destroy(linger=0)

    def _command(self, frame: bytes) -> None:
        try:
            msg = unpack(frame)
        except ProtocolError as exc:
            print(f"robot-sim: refused a frame: {exc}", file=sys.stderr)
            return
        if not isinstance(msg, (Path, Cancel, Pause, Charge)):
            print(f"robot-sim: refused {type(msg).__name__}: not a command", file=sys.stderr)
            return
        k = self.local.get(msg.robot)
        if k is None:
            return
        if msg.session != self._session[k]:  # a new twin: its numbering starts again
            self._session[k], self._last[k] = msg.session, 0
        if msg.seq <= self._last[k]:  # a retry of what was applied: acknowledge again
            self._ack(k, msg.seq, True, "")
            return
        if msg.seq != self._last[k] + 1:
            self._ack(k, msg.seq, False, f"gap: expected seq {self._last[k] + 1}")
            return
        self._last[k] = msg.seq
        ok, reason = True, ""
        try:
            if isinstance(msg, Path):
                self.floor.send_path(k, msg.cells)
            elif isinstance(msg, Cancel):
                self.floor.cancel(k)
            elif isinstance(msg, Pause):
                (self.floor.pause if msg.on else self.floor.resume)(k)
            else:
                self.charging[k] = msg.on
        except ValueError as exc:
            ok, reason = False, str(exc)
        self._ack(k, msg.seq, ok, reason)
        self._starts()

    def _ack(self, k: int, seq: int, ok: bool, reason: str) -> None:
        ack = Ack(self.names[k], self.boot, self._session[k], seq, ok, reason)
        self.dealer.send(pack(ack))

    def _event(self, k: int, kind: str, cell: int) -> None:
        self._ev[k] += 1
        self.dealer.send(pack(Event(self.names[k], self.boot, self._ev[k], kind, cell)))

    def _moves(self) -> None:
        for m in self.floor.progress():
            self.progress[m.robot] += 1
            self._into[m.robot] = -1
            self._event(m.robot, "reached", m.cell)
        self._starts()

    def _starts(self) -> None:
        for k in range(len(self.names)):
            into = self.floor.moving_into(k)
            if into >= 0 and into != self._into[k]:
                self._event(k, "started", into)
            self._into[k] = into

    def _publish(self) -> None:
        for k, name in enumerate(self.names):
            self._tel[k] += 1
            x, y, yaw, speed, cell, into = self._pose(k)
            msg = Telemetry(name, self.boot, self._tel[k], x, y, yaw, speed, self.battery[k],
                            cell, into, self.progress[k], "", time.time())  # fmt: skip
            self.pub.send(pack(msg))

    def _pose(self, k: int) -> tuple[float, float, float, float, int, int]:
        if not hasattr(self.floor, "where"):  # a world with poses of its own
            x, y, yaw = self.floor.pose(k)
            return x, y, yaw, 0.0, self.floor.cell(k), self.floor.moving_into(k)
        cell, into, frac = self.floor.where(k)
        x0, y0 = self.frame.xy(cell)
        if into < 0:
            return x0, y0, 0.0, 0.0, cell, -1
        x1, y1 = self.frame.xy(into)
        yaw = math.atan2(y1 - y0, x1 - x0)
        return x0 + frac * (x1 - x0), y0 + frac * (y1 - y0), yaw, 1.0, cell, into


def main(argv: list[str]) -> int:
    """Run stand-in robots: ``--scenario NAME --robots N [--only I,J]
    [--endpoint E] [--telemetry T] [--rate-hz F]``."""
    from logitwin.scenarios import load_scenario
    from logitwin.scenarios.build import scenario_fleet

    p = argparse.ArgumentParser(prog="logitwin robot-sim --backend zmq")
    p.add_argument("--scenario", default="tiny")
    p.add_argument("--robots", type=int, default=None)
    p.add_argument("--only", default=None, help="robot indices this process hosts (I,J,...)")
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    p.add_argument("--telemetry", default="tcp://127.0.0.1:5556")
    p.add_argument("--rate-hz", type=float, default=10.0)
    p.add_argument("--seconds", type=float, default=None, help="stop after this long")
    p.add_argument("--speedup", type=float, default=1.0, help="robot s per wall s")
    args = p.parse_args(argv)
    setup = scenario_fleet(load_scenario(args.scenario), robots=args.robots)
    only = [int(x) for x in args.only.split(",")] if args.only else list(range(setup.n))
    bad = [i for i in only if not 0 <= i < setup.n]
    if bad:
        p.error(f"--only {bad}: the fleet has robots 0..{setup.n - 1}")
    robots = LinkRobots(setup, only, args.endpoint, args.telemetry, args.rate_hz,
                        speedup=args.speedup)  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: robots.stop())
    with contextlib.suppress(KeyboardInterrupt):
        robots.run(args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
