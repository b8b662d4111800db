"""The zmq link under a fleet's load, against bare zmq in the same run (issue #19).

Telemetry: ``--publishers`` processes send :class:`~logitwin.bridge.zmq.wire.Telemetry`
frames (``wire.pack``) for ``--robots`` robots at ``--hz`` each, paced evenly over every
period, for ``--seconds`` into a :class:`~logitwin.bridge.zmq.link.ZmqFleet` (the twin
side, bound, its offline detection polled every 50 ms as the live twin does). Measured on
the twin: the rate it takes telemetry in (sustained after a warm-up, and the worst
1-second window), latency (arrival minus the send stamp), messages lost, frames refused,
and the CPU of the twin process and of the link's I/O thread. The same publishers then
send into a bare SUB socket whose thread only unpacks the msgpack (no checks).

Commands: stand-in robots (``python -m logitwin.bridge.zmq.robots``, the real robot side)
host ``--command-robots`` robots; the twin sends ``--commands`` pause / resume commands at
``--command-rate`` per second and reads the round trips (send to Ack) from ``fleet.rtt``.
Baseline: a ROUTER sending the same frames to a DEALER process that answers each with an
Ack frame, at the same pace.

Ratios are link / bare; targets are the issue's: 10,000 telemetry messages/s held,
p99 latency under 5 ms, nothing lost.

    .venv/bin/python benchmarks/bridge.py [--robots 1000] [--hz 10] [--seconds 10]
        [--publishers 4] [--commands 2000] [--profile]
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import io
import json
import logging
import multiprocessing as mp
import os
import platform
import pstats
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

import msgpack
import zmq
from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.bridge.zmq.link import ZmqFleet
from logitwin.bridge.zmq.wire import Pause, Telemetry, pack
from logitwin.robots.fleet import FleetSetup
from logitwin.scenarios.build import scenario_fleet
from logitwin.scenarios.loader import load_scenario

SCENARIO = "peak_day"  # its layout fits 1,000 robots
TARGET_RATE = 10_000.0  # telemetry messages/s
TARGET_P99_S = 0.005
# "held": the sustained rate is at least this share of the target, and what was sent
# has arrived within this long after the publishers stop (no backlog)
HELD = 0.99
MAX_BACKLOG_S = 0.25
WARMUP_S = 1.0
SLOT_S = 0.002  # publishers send a slice of their robots every 2 ms
ANY_PORT = "tcp://127.0.0.1:*"

Robot = tuple[str, int, float, float]  # name, cell, x (m), y (m)


# --- telemetry publishers (child processes) ---------------------------------------------------
def _publish(
    conn: Connection, endpoint: str, robots: list[Robot], hz: float, seconds: float, offset: float
) -> None:
    """Send every robot's telemetry ``hz`` times a second from the start time ``conn`` gives."""
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 100_000)  # as the stand-in robots
    pub.setsockopt(zmq.LINGER, 5_000)
    pub.connect(endpoint)
    time.sleep(0.5)  # the SUB's subscription reaches this PUB once connected
    conn.send("ready")
    start: float = conn.recv()
    boot = secrets.randbits(48)
    n_slots = max(1, round(1.0 / hz / SLOT_S))
    slot_s = 1.0 / hz / n_slots
    slots = [robots[k::n_slots] for k in range(n_slots)]
    seq = {name: 0 for name, *_ in robots}
    sent, max_lag, late, tick = 0, 0.0, 0, 0
    cpu0 = time.process_time()
    while (due := start + offset + tick * slot_s) < start + seconds:
        now = time.time()
        if due > now:
            time.sleep(due - now)
        else:
            lag = now - due
            max_lag = max(max_lag, lag)
            late += lag > slot_s
        for name, cell, x, y in slots[tick % n_slots]:
            seq[name] += 1
            msg = Telemetry(
                name, boot, seq[name], x, y, 0.0, 0.0, 0.8, cell, -1, 0, "", time.time()
            )
            pub.send(pack(msg))
            sent += 1
        tick += 1
    cpu = time.process_time() - cpu0
    ctx.destroy(linger=5_000)  # deliver what is queued before reporting
    conn.send({"sent": sent, "cpu_s": cpu, "max_lag_s": max_lag, "late_slots": late})


class _Publishers:
    """``n`` publisher processes for the robots (spawned: the parent holds zmq contexts)."""

    def __init__(self, endpoint: str, robots: list[Robot], n: int, hz: float, seconds: float):
        ctx = mp.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs = []
        for p in range(n):
            parent, child = ctx.Pipe()
            offset = p * SLOT_S / n  # the processes' slices interleave
            proc = ctx.Process(
                target=_publish,
                args=(child, endpoint, robots[p::n], hz, seconds, offset),
                daemon=True,
            )
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)
        for c in self.conns:
            if not c.poll(60) or c.recv() != "ready":
                raise RuntimeError("a telemetry publisher did not start within 60 s")

    def go(self) -> float:
        """Start all at once (shortly from now); the start time (s since the epoch)."""
        start = time.time() + 0.1
        for c in self.conns:
            c.send(start)
        return start

    def done(self) -> bool:
        return all(c.poll(0) for c in self.conns)

    def results(self) -> list[dict[str, Any]]:
        out = [c.recv() for c in self.conns]
        for p in self.procs:
            p.join(10)
        return out


# --- the receiving sides ----------------------------------------------------------------------
class _BareSub:
    """The baseline: a SUB socket whose thread only unpacks each frame and keeps its latency."""

    def __init__(self) -> None:
        self._ctx = zmq.Context()
        self._sub = self._ctx.socket(zmq.SUB)
        self._sub.setsockopt(zmq.LINGER, 0)
        self._sub.setsockopt(zmq.RCVHWM, 1_000_000)  # as the link
        self._sub.setsockopt(zmq.SUBSCRIBE, b"")
        self._sub.bind(ANY_PORT)
        self.telemetry = self._sub.getsockopt_string(zmq.LAST_ENDPOINT)
        self.received = 0
        self.latency: list[float] = []
        self._running = True
        self.thread = threading.Thread(target=self._serve, name="bare-sub", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self._running:
            if not self._sub.poll(100):
                continue
            for _ in range(10_000):
                try:
                    frame = self._sub.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                obj = msgpack.unpackb(frame, raw=False, use_list=True)
                self.latency.append(time.time() - obj[2][-1])
                self.received += 1

    def close(self) -> None:
        self._running = False
        self.thread.join(2)
        self._ctx.destroy(linger=0)


class _ProfiledFleet(ZmqFleet):
    """The link with its I/O thread under cProfile (``--profile``)."""

    def _serve(self) -> None:
        self.profile = cProfile.Profile()
        self.profile.runcall(super()._serve)


def _thread_cpu_s(native_id: int | None) -> float | None:
    """CPU seconds (user + system) of one thread of this process (Linux), else None."""
    try:
        with open(f"/proc/self/task/{native_id}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# --- telemetry --------------------------------------------------------------------------------
def _pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def _ms(s: float) -> float:
    return round(s * 1000, 3)


def _spread_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of durations in s, in ms."""
    return {
        "p50": _ms(_pct(values, 0.5)),
        "p99": _ms(_pct(values, 0.99)),
        "max": _ms(max(values, default=float("nan"))),
    }


def _rate(samples: list[tuple[float, int]], t0: float, t1: float) -> float:
    """Messages/s between the samples nearest t0 and t1 (samples: (time, count), in order)."""
    times = [t for t, _ in samples]
    a = samples[min(bisect.bisect_left(times, t0), len(samples) - 1)]
    b = samples[max(bisect.bisect_right(times, t1) - 1, 0)]
    return (b[1] - a[1]) / (b[0] - a[0]) if b[0] > a[0] else float("nan")


def telemetry_run(
    args: argparse.Namespace,
    robots: list[Robot],
    receiver: Any,
    fleet: ZmqFleet | None,
    io_thread: threading.Thread,
) -> dict[str, Any]:
    """Publish into ``receiver`` (a ZmqFleet or the bare SUB) and measure it."""
    pubs = _Publishers(receiver.telemetry, robots, args.publishers, args.hz, args.seconds)
    start = pubs.go()
    if fleet is not None:  # a trivial twin clock; offline detection from now on
        fleet.bind(time.monotonic, lambda t: None)
    samples: list[tuple[float, int]] = []
    cpu: list[float] = []  # process CPU (s) at the start and at the end of sending
    io_cpu: list[float | None] = []
    end = start + args.seconds
    while not pubs.done():
        now = time.time()
        if (not cpu and now >= start) or (len(cpu) == 1 and now >= end):
            cpu.append(time.process_time())
            io_cpu.append(_thread_cpu_s(io_thread.native_id))
        if fleet is not None:
            fleet.progress()
        samples.append((now, receiver.received))
        time.sleep(0.05)
    if len(cpu) == 1:
        cpu.append(time.process_time())
        io_cpu.append(_thread_cpu_s(io_thread.native_id))
    results = pubs.results()
    sent = sum(r["sent"] for r in results)
    while receiver.received < sent and time.time() - samples[-1][0] < 2.0:  # drain
        n = receiver.received
        time.sleep(0.05)
        if receiver.received != n:
            samples.append((time.time(), receiver.received))
    last = next(t for t, n in samples if n == samples[-1][1])
    drain_s = max(0.0, last - end)
    received = receiver.received
    warm = start + WARMUP_S
    n_warm = samples[min(bisect.bisect_left([t for t, _ in samples], warm), len(samples) - 1)][1]
    latency = list(receiver.latency)[n_warm:]
    windows = [_rate(samples, warm + k, warm + k + 1) for k in range(int(end - warm))]
    wall = args.seconds
    cpu_s = cpu[1] - cpu[0] if len(cpu) == 2 else float("nan")
    io_s = None if None in io_cpu or len(io_cpu) < 2 else io_cpu[1] - io_cpu[0]  # type: ignore[operator]
    out: dict[str, Any] = {
        "sent": sent,
        "received": received,
        "lost": sent - received,
        "offered_per_s": round(sent / args.seconds),
        "rate_per_s": round(_rate(samples, warm, end)),
        "worst_1s_window_per_s": round(min(windows)) if windows else None,
        "latency_ms": _spread_ms(latency),
        "drain_after_send_s": round(drain_s, 3),
        "process_cpu_s": round(cpu_s, 3),
        "process_cpu_pct_of_core": round(100 * cpu_s / wall, 1),
        "io_thread_cpu_pct_of_core": None if io_s is None else round(100 * io_s / wall, 1),
        "publishers_cpu_s": round(sum(r["cpu_s"] for r in results), 3),
        "publishers_max_lag_ms": _ms(max(r["max_lag_s"] for r in results)),
        "publishers_late_slots": sum(r["late_slots"] for r in results),
    }
    if fleet is not None:
        out["lost_by_sequence_gaps"] = fleet.lost_telemetry
        out["refused"] = dict(fleet.refused)
        out["offline_at_end"] = len(fleet.offline())
    return out


# --- commands ---------------------------------------------------------------------------------
def _paced(
    n: int, rate: float, each: Callable[[int], None], between: Callable[[float], None]
) -> None:
    """Call ``each(j)`` for j < n, ``rate`` per second; ``between(s)`` waits up to s seconds."""
    t0 = time.monotonic()
    for j in range(n):
        while (wait := t0 + j / rate - time.monotonic()) > 0:
            between(wait)
        each(j)


def commands_link(args: argparse.Namespace, setup: FleetSetup, fleet: ZmqFleet) -> dict[str, Any]:
    """Pause / resume round trips to stand-in robots in another process."""
    hosted = list(range(args.command_robots))
    cmd = [
        sys.executable,
        "-m",
        "logitwin.bridge.zmq.robots",
        "--scenario",
        SCENARIO,
        "--robots",
        str(setup.n),
        "--only",
        ",".join(map(str, hosted)),
        "--endpoint",
        fleet.endpoint,
        "--telemetry",
        fleet.telemetry,
        "--seconds",
        "120",
    ]
    robots = subprocess.Popen(cmd)
    try:
        deadline = time.monotonic() + 60
        while not all(fleet.heard(i) for i in hosted):
            if time.monotonic() > deadline or robots.poll() is not None:
                raise RuntimeError(f"the stand-in robots did not report: {' '.join(cmd)}")
            time.sleep(0.05)
        time.sleep(0.5)  # their Hellos (the command route) come on the other socket
        fleet.bind(time.monotonic, lambda t: None)
        fleet.rtt.clear()
        k = len(hosted)

        def each(j: int) -> None:
            (fleet.pause if (j // k) % 2 == 0 else fleet.resume)(hosted[j % k])

        _paced(args.commands, args.command_rate, each, lambda s: time.sleep(min(s, 0.05)))
        deadline = time.monotonic() + 5
        # the last commands may still be in the link's outbox, not yet pending
        while (fleet.unacknowledged or len(fleet.rtt) < args.commands) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.01)
        rtt = list(fleet.rtt)
        return {
            "sent": args.commands,
            "acknowledged": len(rtt),
            "unacknowledged": fleet.unacknowledged,
            "rtt_ms": _spread_ms(rtt),
            "refused": dict(fleet.refused),
        }
    finally:
        robots.terminate()
        robots.wait(10)


def _echo(endpoint: str) -> None:
    """Baseline robot side: answer each frame with an Ack frame (bare msgpack), until b"stop"."""
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    dealer.send(b"hello")
    while (frame := dealer.recv()) != b"stop":
        _, _, (robot, session, seq, _on) = msgpack.unpackb(frame, raw=False, use_list=True)
        dealer.send(msgpack.packb([1, "Ack", [robot, 1, session, seq, True, ""]]))
    ctx.destroy(linger=0)


def commands_bare(args: argparse.Namespace, setup: FleetSetup) -> dict[str, Any]:
    """The same frames at the same pace over a bare ROUTER → DEALER echo."""
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(ANY_PORT)
    proc = mp.get_context("spawn").Process(
        target=_echo, args=(router.getsockopt_string(zmq.LAST_ENDPOINT),), daemon=True
    )
    proc.start()
    try:
        if not router.poll(60_000):
            raise RuntimeError("the echo process did not connect within 60 s")
        ident, _ = router.recv_multipart()
        session, k = secrets.randbits(48), args.command_robots
        sent_at: dict[int, float] = {}
        rtt: list[float] = []

        def receive(timeout_s: float) -> None:
            if router.poll(int(timeout_s * 1000)):
                while router.poll(0):
                    _, frame = router.recv_multipart()
                    seq = msgpack.unpackb(frame, raw=False, use_list=True)[2][3]
                    rtt.append(time.monotonic() - sent_at.pop(seq))

        def each(j: int) -> None:
            frame = pack(Pause(setup.names[j % k], session, j + 1, (j // k) % 2 == 0))
            sent_at[j + 1] = time.monotonic()
            router.send_multipart([ident, frame])

        _paced(args.commands, args.command_rate, each, receive)
        deadline = time.monotonic() + 5
        while sent_at and time.monotonic() < deadline:
            receive(0.05)
        router.send_multipart([ident, b"stop"])
        return {
            "sent": args.commands,
            "acknowledged": len(rtt),
            "rtt_ms": _spread_ms(rtt),
        }
    finally:
        proc.join(5)
        ctx.destroy(linger=0)


# --- the run ----------------------------------------------------------------------------------
def _ratio(a: float | None, b: float | None) -> float | None:
    return None if not a or not b else round(a / b, 2)


def _profile_top(fleet: ZmqFleet, n: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(getattr(fleet, "profile"), stream=out)  # noqa: B009
    stats.sort_stats("tottime").print_stats(n)
    print(out.getvalue(), file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robots", type=int, default=1000)
    ap.add_argument("--hz", type=float, default=10.0, help="telemetry per robot per second")
    ap.add_argument("--seconds", type=float, default=10.0, help="telemetry run length")
    ap.add_argument("--publishers", type=int, default=4, help="publisher processes")
    ap.add_argument("--commands", type=int, default=2000)
    ap.add_argument("--command-rate", type=float, default=500.0, help="commands per second")
    ap.add_argument("--command-robots", type=int, default=100)
    ap.add_argument("--profile", action="store_true", help="cProfile the link's I/O thread")
    args = ap.parse_args()
    if args.seconds <= WARMUP_S + 1 or args.hz <= 0 or not 0 < args.command_robots <= args.robots:
        ap.error(f"need --seconds > {WARMUP_S + 1}, --hz > 0, 0 < --command-robots <= --robots")
    # The link logs every robot going offline and every refused frame; counted below instead.
    logging.getLogger("logitwin").setLevel(logging.ERROR)
    setup = scenario_fleet(load_scenario(SCENARIO), robots=args.robots)
    robots = [
        (name, c, *setup.frame.xy(c)) for name, c in zip(setup.names, setup.starts, strict=True)
    ]
    fleet_cls = _ProfiledFleet if args.profile else ZmqFleet

    bare_sub = _BareSub()
    try:
        bare = telemetry_run(args, robots, bare_sub, None, bare_sub.thread)
    finally:
        bare_sub.close()
    fleet = fleet_cls(setup, ANY_PORT, ANY_PORT)
    try:
        link = telemetry_run(args, robots, fleet, fleet, getattr(fleet, "_thread"))  # noqa: B009
    finally:
        fleet.close()
    if args.profile:
        _profile_top(fleet)
    cmd_bare = commands_bare(args, setup)
    fleet = ZmqFleet(setup, ANY_PORT, ANY_PORT)
    try:
        cmd_link = commands_link(args, setup, fleet)
    finally:
        fleet.close()

    print(json.dumps(_report(args, link, bare, cmd_link, cmd_bare), indent=2))


def _report(args: argparse.Namespace, link: dict[str, Any], bare: dict[str, Any],
            cmd_link: dict[str, Any], cmd_bare: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    lat, bare_lat, rtt, bare_rtt = (
        link["latency_ms"], bare["latency_ms"], cmd_link["rtt_ms"], cmd_bare["rtt_ms"]
    )  # fmt: skip
    return {
        "benchmark": "bridge (zmq link)",
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "parameters": {"scenario": SCENARIO, "warmup_s": WARMUP_S, **vars(args)},
        "telemetry": {
            "link": link,
            "bare_zmq": bare,
            "link_over_bare": {
                "rate": _ratio(link["rate_per_s"], bare["rate_per_s"]),
                "latency_p50": _ratio(lat["p50"], bare_lat["p50"]),
                "latency_p99": _ratio(lat["p99"], bare_lat["p99"]),
                "process_cpu": _ratio(link["process_cpu_s"], bare["process_cpu_s"]),
                "io_thread_cpu": _ratio(
                    link["io_thread_cpu_pct_of_core"], bare["io_thread_cpu_pct_of_core"]
                ),
            },
        },
        "commands": {
            "link": cmd_link,
            "bare_zmq": cmd_bare,
            "link_over_bare": {
                "rtt_p50": _ratio(rtt["p50"], bare_rtt["p50"]),
                "rtt_p99": _ratio(rtt["p99"], bare_rtt["p99"]),
            },
        },
        "targets": {  # issue #19
            "telemetry_rate_held_10000_per_s": link["rate_per_s"] >= HELD * TARGET_RATE
            and link["drain_after_send_s"] <= MAX_BACKLOG_S,
            "telemetry_p99_under_5_ms": lat["p99"] < TARGET_P99_S * 1000,
            "telemetry_nothing_lost": link["lost"] == 0 and link["lost_by_sequence_gaps"] == 0,
            "command_rtt_p99_under_5_ms": rtt["p99"] < TARGET_P99_S * 1000,
            "commands_all_acknowledged": cmd_link["acknowledged"] == args.commands,
        },
    }


if __name__ == "__main__":
    main()
