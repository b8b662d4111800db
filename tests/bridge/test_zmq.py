"""The zmq link against real robot processes: conformance, faults, a fuzzed decoder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import msgpack
import pytest
import zmq
from hypothesis import given, settings
from hypothesis import strategies as st

from logitwin.bridge.zmq import ZmqFleet
from logitwin.bridge.zmq.robots import LinkRobots
from logitwin.bridge.zmq.wire import Ack, Event, Hello, Path, Telemetry, pack, unpack
from logitwin.errors import ProtocolError
from logitwin.robots.conformance import check_driver
from logitwin.robots.fleet import FleetSetup
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import scenario_fleet


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def endpoints() -> tuple[str, str]:
    return f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def setup() -> FleetSetup:
    return scenario_fleet(load_scenario("tiny"), robots=4)


def robot_process(
    endpoints: tuple[str, str], only: str, robots: int = 4
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "logitwin.bridge.zmq.robots", "--scenario", "tiny",
           "--robots", str(robots), "--only", only, "--endpoint", endpoints[0],
           "--telemetry", endpoints[1]]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            p.terminate()
        p.wait(10)


def test_zmq_link_passes_the_driver_checks(
    setup: FleetSetup, endpoints: tuple[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    processes += [robot_process(endpoints, "0,1"), robot_process(endpoints, "2"),
                  robot_process(endpoints, "3")]  # fmt: skip
    pid_of_2 = processes[1].pid

    def make(s: FleetSetup) -> ZmqFleet:
        return ZmqFleet(s, endpoints[0], endpoints[1], offline_after_s=1.5)

    report = check_driver(
        make,
        setup,
        realtime=True,
        silence=lambda i: os.kill(pid_of_2, signal.SIGSTOP),
        revive=lambda i: os.kill(pid_of_2, signal.SIGCONT),
        timeout_s=15,
    )
    assert "offline detected" in report.passed
    assert "rejoin reconciled" in report.passed


def _in_thread(robots: LinkRobots) -> threading.Thread:
    t = threading.Thread(target=robots.run, daemon=True)
    t.start()
    return t


def test_retries_are_idempotent_and_gaps_refused(
    setup: FleetSetup, endpoints: tuple[str, str]
) -> None:
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.bind(endpoints[0])
    robots = LinkRobots(setup, [0], endpoints[0], endpoints[1])
    thread = _in_thread(robots)
    try:
        ident, hello = router.recv_multipart()
        assert unpack(hello) == Hello("robot:0", robots.boot)
        here = setup.starts[0]
        nxt = next(c for c in setup.site.grid.neighbors[here] if c not in setup.starts)
        path = pack(Path("robot:0", 7, 1, (nxt,)))
        for _ in range(3):  # the same command three times (retries)
            router.send_multipart([ident, path])
        router.send_multipart([ident, pack(Path("robot:0", 7, 5, (here,)))])  # a gap
        acks = []
        moves = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(acks) < 4 or not moves):
            if router.poll(100):
                msg = unpack(router.recv_multipart()[1])
                if isinstance(msg, Ack):
                    acks.append((msg.seq, msg.ok))
                elif isinstance(msg, Event) and msg.kind == "reached":
                    moves.append(msg.cell)
        assert acks == [(1, True), (1, True), (1, True), (5, False)]
        time.sleep(3 * setup.step_s)
        assert moves == [nxt]  # applied once
        assert robots.progress == [1]
    finally:
        robots.stop()
        thread.join(5)
        ctx.destroy(linger=0)


def test_bad_messages_are_refused_and_counted(
    setup: FleetSetup, endpoints: tuple[str, str]
) -> None:
    fleet = ZmqFleet(setup, endpoints[0], endpoints[1])
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(endpoints[0])
    pub = ctx.socket(zmq.PUB)
    pub.connect(endpoints[1])
    try:
        time.sleep(0.3)  # let the SUB see the PUB
        tel = Telemetry("robot:1", 9, 5, 1.0, 1.0, 0.0, 0.0, 1.0, setup.starts[1], -1, 0, "", 0.0)
        bad = [
            b"\xc1garbage",
            msgpack.packb([2, "Telemetry", []]),
            msgpack.packb([1, "Nope", []]),
            msgpack.packb([1, "Telemetry", ["robot:1"]]),
            pack(Telemetry("robot:99", 1, 1, 0.0, 0.0, 0.0, 0.0, 1.0, 0, -1, 0, "", 0.0)),
            pack(tel),
            pack(tel),  # replayed
            pack(Telemetry("robot:1", 9, 6, float("nan"), 1.0, 0.0, 0.0, 1.0, 3, -1, 0, "", 0.0)),
            pack(Telemetry("robot:1", 9, 7, 1.0, 1.0, 0.0, 0.0, 1.0, 10**6, -1, 0, "", 0.0)),
        ]
        for frame in bad:
            pub.send(frame)
        dealer.send(pack(Ack("robot:1", 9, 123, 4, True, "")))  # never sent
        dealer.send(pack(Event("robot:1", 9, 1, "reached", setup.starts[1])))  # not sent there
        dealer.send(b"")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sum(fleet.refused.values()) < 10:
            time.sleep(0.05)
        r = fleet.refused
        assert r["malformed"] == 6  # garbage, version 2, unknown type, short, NaN, empty
        assert r["unknown robot"] == 1
        assert r["telemetry replayed or out of order"] == 1
        assert r["telemetry cell off the floor"] == 1
        assert r["ack of a command not pending"] == 1
        assert r["arrival at a cell not sent"] == 1
        assert fleet._thread.is_alive()
    finally:
        fleet.close()
        ctx.destroy(linger=0)


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text()
    | st.binary(),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_names = st.sampled_from(["Hello", "Path", "Cancel", "Pause", "Charge", "Ack", "Event",
                          "Telemetry", "Tick", ""])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda v, n, f: msgpack.packb([v, n, f]),
       st.integers(0, 2), _names, _values))  # fmt: skip
def test_decoder_refuses_anything_it_cannot_take(frame: bytes) -> None:
    try:
        msg = unpack(frame)
    except ProtocolError:
        return
    assert unpack(pack(msg)) == msg  # whatever it accepts is a well-formed message


def test_a_robot_off_its_cells_is_taken_out_and_told_to_stop(
    setup: FleetSetup, endpoints: tuple[str, str]
) -> None:
    fleet = ZmqFleet(setup, endpoints[0], endpoints[1], offline_after_s=30, divergence_s=0.3)
    fleet.bind(lambda: 0.0, lambda t: None)
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.connect(endpoints[1])
    try:
        time.sleep(0.3)
        x, y = setup.frame.xy(setup.starts[1])
        seq = 0

        def send(dx: float) -> None:
            nonlocal seq
            seq += 1
            pub.send(pack(Telemetry("robot:1", 5, seq, x + dx, y, 0.0, 0.0, 1.0,
                                    setup.starts[1], -1, 0, "", time.time())))  # fmt: skip

        for _ in range(10):  # within 0.5 m of its cell: fine
            send(0.4)
            time.sleep(0.05)
        assert 1 not in fleet.offline()
        deadline = time.monotonic() + 5
        while 1 not in fleet.offline() and time.monotonic() < deadline:
            send(0.9)  # 0.9 m off for longer than divergence_s
            time.sleep(0.05)
        assert 1 in fleet.offline()
        assert any(k.startswith("taken out: 0.90 m") for k in fleet.refused)
        assert fleet.unacknowledged >= 2  # a pause and a cancel are on their way
    finally:
        fleet.close()
        ctx.destroy(linger=0)
