"""The VDA 5050 driver against test vehicles over a real Mosquitto broker: every message
checked against the published schemas, order stitching, pause and cancel, bad messages
refused, conformance with vehicle processes, and the last will."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from logitwin.bridge.vda5050 import Schemas, Vda5050Fleet, make_driver
from logitwin.bridge.vda5050.vehicle import VehicleHost
from logitwin.bridge.vda5050.wire import VERSION
from logitwin.errors import ProtocolError
from logitwin.robots.conformance import check_driver
from logitwin.robots.fleet import FleetSetup
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import scenario_fleet

STEP_S = 0.3  # a fast fleet keeps the tests short
STATE_PERIOD_S = 0.25


@pytest.fixture(scope="module")
def schemas() -> Schemas:
    return Schemas()


@pytest.fixture
def fleet(mosquitto_broker: str) -> FleetSetup:
    setup = scenario_fleet(load_scenario("tiny"), robots=4, options={"broker": mosquitto_broker})
    return dataclasses.replace(setup, step_s=STEP_S)


class Probe:
    """An MQTT client that records every message of the fleet's interface and publishes."""

    def __init__(self, broker: str) -> None:
        host, port = broker.rsplit(":", 1)
        self.messages: list[tuple[str, dict[str, Any] | None, bool]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="probe")
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect(host, int(port))
        self.client.subscribe("uagv/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(5), "the probe could not subscribe"

    def _on_message(self, _c: Any, _u: Any, m: mqtt.MQTTMessage) -> None:
        try:
            msg = json.loads(m.payload)
        except ValueError:
            msg = None
        with self._lock:
            self.messages.append((m.topic, msg, bool(m.retain)))

    def of(self, serial: str, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                m for t, m, _ in self.messages if t == f"uagv/v2/logitwin/{serial}/{kind}" and m
            ]

    def publish(self, topic: str, payload: str | bytes) -> None:
        self.client.publish(topic, payload).wait_for_publish(2)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def probe(mosquitto_broker: str) -> Iterator[Probe]:
    p = Probe(mosquitto_broker)
    yield p
    p.close()


@pytest.fixture
def vehicles(fleet: FleetSetup, probe: Probe) -> Iterator[VehicleHost]:
    """All four vehicles in this process (threads)."""
    host = VehicleHost(
        fleet, range(fleet.n), fleet.options["broker"], state_period_s=STATE_PERIOD_S
    )
    th = threading.Thread(target=host.run, daemon=True)
    th.start()
    wait(lambda: all(probe.of(r, "state") for r in fleet.names), 5, "every vehicle's first state")
    yield host
    host.halt()
    th.join(5)


def wait(until: Callable[[], bool], within_s: float, what: str) -> None:
    end = time.monotonic() + within_s
    while not until():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {within_s:g} s")
        time.sleep(0.02)


class Twin:
    """Drives the driver as the traffic controller does: its clock, progress() polled."""

    def __init__(self, driver: Vda5050Fleet) -> None:
        self.driver = driver
        self.t0 = time.monotonic()
        self.moves: list[tuple[int, int]] = []
        driver.bind(lambda: time.monotonic() - self.t0, lambda t: None)

    def pump(self, until: Callable[[], bool], within_s: float, what: str) -> None:
        def done() -> bool:
            self.moves += [(m.robot, m.cell) for m in self.driver.progress()]
            return until()

        wait(done, within_s, what)

    def idle(self, for_s: float) -> None:
        end = time.monotonic() + for_s
        self.pump(lambda: time.monotonic() >= end, for_s + 1, "idle")


@pytest.fixture
def twin(fleet: FleetSetup, vehicles: VehicleHost) -> Iterator[Twin]:
    driver = make_driver(fleet)
    yield Twin(driver)
    driver.close()


def walk(fleet: FleetSetup, robot: int, n: int) -> list[int]:
    """``n`` cells from the robot's start, away from the other robots' starts."""
    nb = fleet.site.grid.neighbors
    path, here, avoid = [], fleet.starts[robot], set(fleet.starts)
    for _ in range(n):
        here = next(c for c in nb[here] if c not in avoid and c not in path)
        path.append(here)
    return path


def test_path_in_three_pieces_is_one_order_with_updates_0_1_2(
    fleet: FleetSetup, twin: Twin, probe: Probe, schemas: Schemas
) -> None:
    a, b, c, d = walk(fleet, 0, 4)
    twin.driver.send_path(0, [a])
    twin.driver.send_path(0, [b, c])
    twin.driver.send_path(0, [d])
    twin.pump(lambda: len(twin.moves) >= 4, 10 * STEP_S + 3, "the stitched path")
    assert twin.moves == [(0, a), (0, b), (0, c), (0, d)]
    orders = probe.of("robot:0", "order")
    assert len({o["orderId"] for o in orders}) == 1
    assert [o["orderUpdateId"] for o in orders] == [0, 1, 2]
    s0 = fleet.starts[0]
    assert [[n["nodeId"] for n in o["nodes"]] for o in orders] == [
        [f"c{s0}", f"c{a}"], [f"c{a}", f"c{b}", f"c{c}"], [f"c{c}", f"c{d}"]]  # fmt: skip
    # Each update starts at the decision point, sequenceId included, and has no horizon.
    assert [o["nodes"][0]["sequenceId"] for o in orders] == [0, 2, 6]
    assert all(n["released"] for o in orders for n in o["nodes"])
    last = probe.of("robot:0", "state")[-1]
    assert (last["lastNodeId"], last["lastNodeSequenceId"], last["errors"]) == (f"c{d}", 8, [])
    assert not twin.driver.refused and not twin.driver.vehicle_errors


def test_pause_resume_and_cancel_order(fleet: FleetSetup, twin: Twin, probe: Probe) -> None:
    a, b, c, d = walk(fleet, 1, 4)
    twin.driver.pause(1)
    twin.driver.send_path(1, [a])
    twin.idle(3 * STEP_S)
    assert twin.moves == []
    assert probe.of("robot:1", "state")[-1]["paused"] is True
    twin.driver.resume(1)
    twin.pump(lambda: twin.moves == [(1, a)], 3 * STEP_S + 2, "the move after stopPause")
    twin.driver.send_path(1, [b, c, d])
    twin.pump(lambda: len(twin.moves) == 2, 3 * STEP_S + 2, "the first move of the path")
    twin.driver.cancel(1)
    twin.idle(4 * STEP_S)
    assert twin.moves[1:] in ([(1, b)], [(1, b), (1, c)])  # at most the move in progress
    here = twin.moves[-1][1]
    back = a if here == b else b
    twin.driver.send_path(1, [back])
    twin.pump(lambda: twin.moves[-1] == (1, back), 3 * STEP_S + 2, "a new order after the cancel")
    kinds = [a["actionType"] for m in probe.of("robot:1", "instantActions") for a in m["actions"]]
    assert kinds == ["startPause", "stopPause", "cancelOrder"]
    orders = probe.of("robot:1", "order")
    assert orders[-1]["orderId"] != orders[0]["orderId"] and orders[-1]["orderUpdateId"] == 0
    assert orders[-1]["nodes"][0]["nodeId"] == f"c{here}"
    cancelled = [s for s in probe.of("robot:1", "state")
                 if any(x["actionType"] == "cancelOrder" and x["actionStatus"] == "FINISHED"
                        for x in s["actionStates"])]  # fmt: skip
    assert cancelled and not twin.driver.vehicle_errors


def test_every_message_kind_validates_against_both_schema_versions(
    fleet: FleetSetup, mosquitto_broker: str, probe: Probe, schemas: Schemas
) -> None:
    host = VehicleHost(fleet, [0], mosquitto_broker, state_period_s=STATE_PERIOD_S)
    th = threading.Thread(target=host.run, daemon=True)
    th.start()
    driver = make_driver(fleet)
    twin = Twin(driver)
    a, b = walk(fleet, 0, 2)
    driver.pause(0)
    driver.send_path(0, [a, b])
    driver.resume(0)
    twin.pump(lambda: len(twin.moves) == 1, 3 * STEP_S + 2, "a move")
    driver.cancel(0)
    twin.idle(2 * STEP_S)
    driver.close()
    host.halt()
    th.join(5)
    wait(lambda: any(m and m.get("connectionState") == "OFFLINE" for _, m, _ in probe.messages),
         2, "the vehicle's OFFLINE")  # fmt: skip
    seen = set()
    for topic, msg, _ in probe.messages:
        kind = topic.rsplit("/", 1)[-1]
        assert msg is not None, f"{topic}: not JSON"
        assert msg["version"] == VERSION
        for version in ("2.0.0", "2.1.0"):
            assert schemas.problem(kind, msg, version) is None, (topic, version, msg)
        seen.add(kind if kind != "connection" else msg["connectionState"])
    assert seen == {"order", "instantActions", "state", "ONLINE", "OFFLINE"}


def test_bad_state_messages_are_refused_counted_and_the_driver_goes_on(
    fleet: FleetSetup, twin: Twin, probe: Probe
) -> None:
    twin.idle(2 * STATE_PERIOD_S)  # the driver has heard robot 0 (headerIds past 0)
    good = dict(probe.of("robot:0", "state")[-1])
    topic = "uagv/v2/logitwin/robot:0/state"
    probe.publish(topic, b"{not json")
    probe.publish(topic, b"\xff\xfe")
    probe.publish(topic, json.dumps({**good, "driving": "yes"}))
    probe.publish(topic, json.dumps({**good, "version": "1.1.0"}))
    probe.publish(topic, json.dumps({**good, "headerId": 0}))  # the vehicle is past 0
    probe.publish(topic, json.dumps({**good, "headerId": 10**6, "lastNodeId": "node-7"}))
    probe.publish(topic, json.dumps({**good, "serialNumber": "robot:1", "headerId": 10**6}))
    probe.publish("uagv/v2/logitwin/robot:99/state",
                  json.dumps({**good, "serialNumber": "robot:99"}))  # fmt: skip
    expected = {"malformed JSON": 2, "schema-invalid": 1, "unsupported version": 1,
                "stale headerId": 1, "not a cell": 1, "serial mismatch": 1,
                "unknown serial": 1}  # fmt: skip
    twin.pump(lambda: dict(twin.driver.refused) == expected, 3, "all refusals counted")
    a = walk(fleet, 0, 1)[0]
    twin.driver.send_path(0, [a])
    twin.pump(lambda: twin.moves == [(0, a)], 3 * STEP_S + 2, "a move after the refusals")
    assert dict(twin.driver.refused) == expected and not twin.driver.offline()


def test_vehicle_refuses_an_update_going_backwards_and_reports_it(
    fleet: FleetSetup, vehicles: VehicleHost, probe: Probe
) -> None:
    start, a = fleet.starts[3], walk(fleet, 3, 1)[0]

    def order(update: int, frm: int, to: int, seq: int) -> str:
        node = {"released": True, "actions": []}
        return json.dumps({
            "headerId": update, "timestamp": "2026-01-01T00:00:00.000Z", "version": VERSION,
            "manufacturer": "logitwin", "serialNumber": "robot:3", "orderId": "T",
            "orderUpdateId": update,
            "nodes": [{**node, "nodeId": f"c{frm}", "sequenceId": seq},
                      {**node, "nodeId": f"c{to}", "sequenceId": seq + 2}],
            "edges": [{**node, "edgeId": "e", "sequenceId": seq + 1,
                       "startNodeId": f"c{frm}", "endNodeId": f"c{to}"}]})  # fmt: skip

    topic = "uagv/v2/logitwin/robot:3/order"
    probe.publish(topic, order(5, start, a, 0))
    wait(lambda: probe.of("robot:3", "state")[-1]["lastNodeId"] == f"c{a}", 3, "order T/5 driven")
    probe.publish(topic, order(4, a, start, 2))
    probe.publish(topic, b'{"version": "2.0.0"}')

    def warned() -> set[str]:
        return {e["errorType"] for e in probe.of("robot:3", "state")[-1]["errors"]}

    wait(lambda: warned() == {"orderUpdateError", "validationError"}, 2, "the warnings")
    last = probe.of("robot:3", "state")[-1]
    assert (last["orderUpdateId"], last["lastNodeId"], last["nodeStates"]) == (5, f"c{a}", [])


def _vehicle_process(broker: str, only: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "logitwin.bridge.vda5050.vehicle", "--scenario", "tiny",
           "--robots", "4", "--only", only, "--broker", broker, "--step-s", str(STEP_S),
           "--state-period", str(STATE_PERIOD_S)]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def processes(fleet: FleetSetup, probe: Probe) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Vehicles in two processes: robots 0, 1, 3 in one, robot 2 alone in the other."""
    broker = fleet.options["broker"]
    procs = [_vehicle_process(broker, "0,1,3"), _vehicle_process(broker, "2")]
    try:
        wait(
            lambda: (
                all(probe.of(r, "state") for r in fleet.names)
                or any(p.poll() is not None for p in procs)
            ),
            15,
            "every vehicle process's first state",
        )
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"a vehicle process died: {p.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_conformance_with_vehicle_processes(
    fleet: FleetSetup, processes: list[subprocess.Popen[bytes]]
) -> None:
    report = check_driver(
        make_driver,
        fleet,
        realtime=True,
        silence=lambda i: processes[1].send_signal(signal.SIGSTOP),
        revive=lambda i: processes[1].send_signal(signal.SIGCONT),
    )
    assert report.not_applicable == []
    assert "offline detected" in report.passed and "rejoin reconciled" in report.passed


def test_last_will_marks_a_killed_vehicle_offline_at_once(
    fleet: FleetSetup, processes: list[subprocess.Popen[bytes]], probe: Probe, schemas: Schemas
) -> None:
    slow = dataclasses.replace(fleet, options={**fleet.options, "offline_after_s": "30"})
    driver = make_driver(slow)
    twin = Twin(driver)
    twin.idle(2 * STATE_PERIOD_S)
    assert not driver.offline()
    processes[1].kill()
    t = time.monotonic()
    twin.pump(lambda: 2 in driver.offline(), 3, "robot 2 offline by its last will")
    assert time.monotonic() - t < 3  # far below offline_after_s: the will, not silence
    assert driver.offline() == {2}
    will = [
        m for m in probe.of("robot:2", "connection") if m["connectionState"] == "CONNECTIONBROKEN"
    ]
    assert len(will) == 1
    assert schemas.problem("connection", will[0], "2.0.0") is None
    assert driver.refused["taken out: connection CONNECTIONBROKEN"] == 1
    driver.close()


def test_unreachable_broker_and_bad_options_are_named() -> None:
    setup = scenario_fleet(load_scenario("tiny"), robots=4, options={"broker": "127.0.0.1:1"})
    with pytest.raises(ProtocolError, match=r"MQTT broker at 127\.0\.0\.1:1"):
        make_driver(setup)
    bad = dataclasses.replace(setup, options={"offline_after_s": "soon"})
    with pytest.raises(ValueError, match="offline_after_s='soon'"):
        make_driver(bad)
