"""The VDA 5050 test vehicle process: ``logitwin robot-sim --backend vda5050``.

Hosts some robots of a scenario's fleet (``--only``; default all), each an
:class:`~logitwin.bridge.vda5050.agv.Agv` on its own MQTT connection, so each has its own
last will. Robot ``i`` starts on the fleet's start cell ``i`` (as the twin's driver
expects) and moves on the wall clock, ``step_s`` per cell.

Per vehicle, on connect: last will ``connection`` = ``CONNECTIONBROKEN`` (QoS 1,
retained), then ``connection`` = ``ONLINE`` and a state. ``state`` is published on every
event (order taken or refused, node reached, driving changed, action state changed) and
at least every ``--state-period`` seconds (default 0.5). On SIGTERM/SIGINT each vehicle
says ``OFFLINE`` and disconnects. Received messages are checked against the schemas
(failures: a ``validationError`` warning in the state); sent ones too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from logitwin.bridge.vda5050.agv import Agv
from logitwin.bridge.vda5050.wire import VERSION, Schemas, Topics, timestamp
from logitwin.errors import ProtocolError
from logitwin.robots.fleet import FleetSetup

__all__ = ["VehicleHost", "main", "parse_broker"]

log = logging.getLogger(__name__)


def parse_broker(text: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port).

    Raises:
        ValueError: not HOST:PORT with a port in 1..65535.
    """
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"broker {text!r}: expected HOST:PORT, e.g. 127.0.0.1:1883")
    return host, int(port)


class _Vehicle:
    """One hosted robot: its Agv, its MQTT client and its header counters."""

    def __init__(self, host: VehicleHost, index: int) -> None:
        setup = host.setup
        self.host = host
        self.serial = setup.names[index]
        self.agv = Agv(
            setup.starts[index],
            setup.step_s / setup.speed[index],
            setup.site.grid.neighbors,
            setup.frame,
            host.map_id,
        )
        self.lock = threading.Lock()
        self.headers = {"state": 0, "connection": 0}
        self.last_state = -1.0
        t = host.topics
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{t.manufacturer}-{self.serial}-vehicle"
        )
        will = self._message("connection", connectionState="CONNECTIONBROKEN")
        self.client.will_set(t.of(self.serial, "connection"), json.dumps(will), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _message(self, kind: str, **body: Any) -> dict[str, Any]:
        msg = {
            "headerId": self.headers[kind],
            "timestamp": timestamp(),
            "version": VERSION,
            "manufacturer": self.host.topics.manufacturer,
            "serialNumber": self.serial,
            **body,
        }
        self.headers[kind] += 1
        self.host.schemas.check_sent(kind, msg)
        return msg

    def publish_state(self, now: float) -> None:
        """Publish the state now (call with :attr:`lock` held)."""
        msg = self._message("state", **self.agv.state(now))
        self.last_state = now
        self.client.publish(self.host.topics.of(self.serial, "state"), json.dumps(msg))

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.error("%s: broker refused the connection: %s", self.serial, rc)
            return
        t = self.host.topics
        client.subscribe([(t.of(self.serial, k), 0) for k in ("order", "instantActions")])
        with self.lock:
            online = self._message("connection", connectionState="ONLINE")
            client.publish(t.of(self.serial, "connection"), json.dumps(online), qos=1, retain=True)
            self.publish_state(self.host.now())

    def _on_message(self, _c: mqtt.Client, _u: Any, m: mqtt.MQTTMessage) -> None:
        try:
            self._handle(m)
        except Exception:  # a bug: stop the whole host loudly, not one silent thread
            log.exception("%s: failed handling %s", self.serial, m.topic)
            self.host.failed = True
            self.host.halt()

    def _handle(self, m: mqtt.MQTTMessage) -> None:
        kind = m.topic.rsplit("/", 1)[-1]
        now = self.host.now()
        with self.lock:
            try:
                msg = self.host.schemas.decode(kind, bytes(m.payload))
            except ProtocolError as exc:
                log.warning("%s: refused %s: %s", self.serial, kind, exc.args[0])
                self.agv.invalid(kind, str(exc.args[0]))
            else:
                if msg["serialNumber"] != self.serial:
                    self.agv.invalid(
                        kind, f"serialNumber {msg['serialNumber']!r} on the topic of {self.serial}"
                    )
                elif kind == "order":
                    self.agv.order(msg)
                else:
                    self.agv.instant(msg)
            self.agv.advance(now)
            self.publish_state(now)
        self.host.wake.set()

    def say_offline(self) -> None:
        """The coordinated goodbye: ``OFFLINE``, then disconnect."""
        with self.lock:
            msg = self._message("connection", connectionState="OFFLINE")
        info = self.client.publish(
            self.host.topics.of(self.serial, "connection"), json.dumps(msg), qos=1, retain=True
        )
        # Not connected: nothing to wait for (the broker has published the last will).
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(timeout=1.0)
        self.client.disconnect()
        self.client.loop_stop()


class VehicleHost:
    """Runs test vehicles for some robots of a fleet until :attr:`stop` is set.

    Args:
        setup: the fleet (site, names, starts, step_s, speeds).
        robots: indices of the robots to host.
        broker: ``HOST:PORT`` of the MQTT broker.
        topics: interface and manufacturer.
        state_period_s: longest time (s) between two states of a vehicle.
        keepalive_s: MQTT keepalive (s); the broker sends the last will after 1.5x.
        map_id: the map node positions refer to.
        schemas: the schema folder (default: :func:`~logitwin.bridge.vda5050.wire.find_schemas`).
    """

    def __init__(
        self,
        setup: FleetSetup,
        robots: Sequence[int],
        broker: str,
        topics: Topics | None = None,
        state_period_s: float = 0.5,
        keepalive_s: int = 15,
        map_id: str = "floor",
        schemas: str | None = None,
    ) -> None:
        bad = [i for i in robots if not 0 <= i < setup.n]
        if bad or not robots:
            raise ValueError(f"robots {bad or '(none)'}: the fleet has robots 0..{setup.n - 1}")
        if not state_period_s > 0:
            raise ValueError(f"state_period_s must be > 0 s, got {state_period_s}")
        self.setup = setup
        self.topics = topics or Topics()
        self.broker = parse_broker(broker)
        self.state_period_s = state_period_s
        self.keepalive_s = keepalive_s
        self.map_id = map_id
        self.schemas = Schemas(schemas)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.failed = False  # a vehicle failed handling a message (see the log)
        self._t0 = time.monotonic()
        self.vehicles = [_Vehicle(self, i) for i in robots]

    def now(self) -> float:
        """Seconds since the host started (the vehicles' clock)."""
        return time.monotonic() - self._t0

    def halt(self) -> None:
        """Make :meth:`run` return (safe from a signal handler or another thread)."""
        self.stop.set()
        self.wake.set()

    def run(self) -> None:
        """Connect every vehicle, then move them until :attr:`stop`; say OFFLINE at the end."""
        host, port = self.broker
        for v in self.vehicles:
            v.client.connect_async(host, port, keepalive=self.keepalive_s)
            v.client.loop_start()
        try:
            while not self.stop.is_set():
                now = self.now()
                nxt = now + self.state_period_s
                for v in self.vehicles:
                    with v.lock:
                        changed = v.agv.advance(now)
                        heartbeat = now - v.last_state >= self.state_period_s
                        if (changed or heartbeat) and v.client.is_connected():
                            v.publish_state(now)
                        due = v.agv.due()
                        nxt = min(
                            nxt, v.last_state + self.state_period_s, due if due is not None else nxt
                        )
                self.wake.wait(max(0.0, nxt - self.now()))
                self.wake.clear()
        finally:
            for v in self.vehicles:
                v.say_offline()


def main(argv: list[str]) -> int:
    """Run test vehicles for a scenario's fleet until SIGTERM or SIGINT."""
    from logitwin.scenarios import load_scenario
    from logitwin.scenarios.build import scenario_fleet

    p = argparse.ArgumentParser(
        prog="logitwin robot-sim --backend vda5050", description="VDA 5050 test vehicles over MQTT"
    )
    p.add_argument("--scenario", required=True, help="built-in scenario name or YAML path")
    p.add_argument("--robots", type=int, required=True, help="fleet size")
    p.add_argument("--only", default="", help="robot indices to host, e.g. 0,1 (default all)")
    p.add_argument("--broker", default="127.0.0.1:1883", help="MQTT broker HOST:PORT")
    p.add_argument("--interface", default="uagv")
    p.add_argument("--manufacturer", default="logitwin")
    p.add_argument("--map", default="floor", help="mapId of node positions")
    p.add_argument(
        "--step-s",
        type=float,
        default=None,
        help="time per cell (s); default: the scenario's cell size / speed",
    )
    p.add_argument("--state-period", type=float, default=0.5, help="max s between states")
    a = p.parse_args(argv)
    setup = scenario_fleet(load_scenario(a.scenario), robots=a.robots)
    if a.step_s is not None:
        import dataclasses

        setup = dataclasses.replace(setup, step_s=a.step_s)
    try:
        only = [int(s) for s in a.only.split(",") if s.strip()] or list(range(setup.n))
    except ValueError:
        p.error(f"--only {a.only!r}: expected robot indices like 0,2,3")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    host = VehicleHost(
        setup,
        only,
        a.broker,
        Topics(a.interface, a.manufacturer),
        state_period_s=a.state_period,
        map_id=a.map,
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: host.halt())
    host.run()
    return 1 if host.failed else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
