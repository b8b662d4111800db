"""The master-control side of VDA 5050: the twin drives vehicles over MQTT.

:class:`Vda5050Fleet` is a :class:`~logitwin.bridge.remote.RemoteFleet`: the twin's
traffic controller drives it like any robot driver, and it turns the driver's commands
into VDA 5050 messages and the vehicles' ``state`` and ``connection`` messages into
moves done, sightings and offline robots.

- **Orders.** A robot's first path is a new order whose first node is the node the
  vehicle reports standing on (seen before any state: the twin's cell), then the cells
  as base nodes and edges (``sequenceId`` 0, 1, 2, ...). Every further path is *stitched*
  on: the same ``orderId``, ``orderUpdateId`` + 1, the decision point (last base node,
  same ``nodeId`` and ``sequenceId``) first, then the new cells. The twin releases cells
  one by one, so there is no horizon: every node sent is released (``released: true``),
  and the horizon is always empty.
- **Cancel.** ``cancelOrder`` (instant action). Paths the twin sends while a cancel is
  running wait; when the vehicle's state shows the action ``FINISHED`` (or ``FAILED``:
  it had no order) the cancel is confirmed to the base and the waiting cells go out as a
  new order from the node the vehicle stands on.
- **Pause.** ``startPause`` / ``stopPause`` (instant actions).
- **State.** ``lastNodeId`` / ``lastNodeSequenceId`` advancing in an order we sent ->
  :meth:`reached` for each node passed; ``driving`` towards the next released node ->
  :meth:`started`; every valid state -> :meth:`observe` (the cell of ``lastNodeId``, or
  of ``agvPosition`` without one).
- **Connection.** ``CONNECTIONBROKEN`` (the last will) or ``OFFLINE`` -> :meth:`take_out`,
  offline at once; ``ONLINE`` starts a new ``headerId`` sequence (a restarted vehicle
  counts from 0). Retained goodbyes replayed on subscribing are history and ignored.
- **Refusals.** Malformed JSON, schema-invalid messages, unsupported versions, unknown
  serial numbers, a payload serial not matching the topic, stale ``headerId`` (not above
  the last one in this connection), node ids that are not cells: refused, counted by
  reason in :attr:`refused`, logged (the first 5 of each reason, then every 100th); the
  receive thread carries on (even past a bug of ours: ``internal error``, logged with
  its traceback). Errors a vehicle reports are logged once each.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from logitwin.bridge.remote import RemoteFleet
from logitwin.bridge.vda5050.vehicle import parse_broker
from logitwin.bridge.vda5050.wire import (
    VERSION,
    Schemas,
    Topics,
    cell_of,
    edge_id,
    node_id,
    timestamp,
)
from logitwin.errors import ProtocolError
from logitwin.robots.fleet import FleetSetup

__all__ = ["Vda5050Fleet"]

log = logging.getLogger(__name__)

_KEEP_ORDERS = 4  # orders per robot whose nodes are kept to read late states


@dataclass(slots=True)
class _Order:
    """A robot's current order as sent: its id, update and decision point."""

    order_id: str
    update_id: int
    last_cell: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class _Seen:
    """What one valid state message means for the twin (worked out under the lock)."""

    cell: int
    into: int
    reached: tuple[int, ...]
    started: int
    cancel_done: bool
    flush: dict[str, Any] | None


class Vda5050Fleet(RemoteFleet):
    """The twin's driver for VDA 5050 vehicles; see the module docstring.

    Args:
        setup: the fleet (robot names are the serial numbers).
        broker: ``HOST:PORT`` of the MQTT broker.
        topics: interface and manufacturer of the vehicles.
        offline_after_s: silence (s) after which a robot is offline.
        poll_s: how often (s) the twin looks at what vehicles reported.
        map_id: the map node positions refer to.
        schemas: the schema folder (default: :func:`~logitwin.bridge.vda5050.wire.find_schemas`).
        connect_timeout_s: how long (s) to wait for the broker.

    Raises:
        ProtocolError: the broker cannot be reached (names it).
    """

    def __init__(
        self,
        setup: FleetSetup,
        broker: str = "127.0.0.1:1883",
        topics: Topics | None = None,
        offline_after_s: float = 2.0,
        poll_s: float = 0.05,
        map_id: str = "floor",
        schemas: str | None = None,
        connect_timeout_s: float = 5.0,
    ) -> None:
        super().__init__(setup, offline_after_s, poll_s)
        n = setup.n
        self.topics = topics or Topics()
        self.schemas = Schemas(schemas)
        self.map_id = map_id
        self.vehicle_errors: Counter[str] = Counter()  # errorType -> times newly reported
        self._robot = {name: i for i, name in enumerate(setup.names)}
        self._session = uuid.uuid4().hex[:8]  # order and action ids unique across runs
        self._olock = threading.Lock()
        self._order: list[_Order | None] = [None] * n
        self._known: list[dict[str, dict[int, int]]] = [{} for _ in range(n)]  # id->seq->cell
        self._track: list[tuple[str, int]] = [("", 0)] * n  # order, last node seq reported
        self._moving: list[tuple[str, int] | None] = [None] * n  # move announced started
        self._stand: list[int | None] = [None] * n  # node the vehicle last stood on
        self._cancel: list[str | None] = [None] * n  # running cancelOrder actionId
        self._queued: list[list[int]] = [[] for _ in range(n)]  # cells waiting for it
        self._header_in = [-1] * n  # last state headerId
        self._header_out = [{"order": 0, "instantActions": 0} for _ in range(n)]
        self._errors: list[frozenset[tuple[str, str]]] = [frozenset()] * n
        self._made = 0
        self._connected = threading.Event()
        host, port = parse_broker(broker)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"logitwin-master-{self._session}"
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        try:
            self._client.connect(host, port, keepalive=15)
        except OSError as exc:
            raise ProtocolError(f"cannot reach the MQTT broker at {broker}: {exc}") from None
        self._client.loop_start()
        if not self._connected.wait(connect_timeout_s):
            self._client.loop_stop()
            raise ProtocolError(
                f"the MQTT broker at {broker} did not accept us within {connect_timeout_s:g} s"
            )

    # --- commands (the twin's thread) ----------------------------------------------------
    def _command_path(self, robot: int, cells: Sequence[int]) -> None:
        with self._olock:
            if self._cancel[robot] is not None:
                self._queued[robot].extend(cells)
                return
            msg = self._extend(robot, cells, self._twin_from(robot, len(cells)))
        self._publish(robot, "order", msg)

    def _command_cancel(self, robot: int) -> None:
        with self._olock:
            self._order[robot] = None
            self._queued[robot] = []
            self._made += 1
            aid = self._cancel[robot] = f"cancel-{self._session}-{self._made}"
            msg = self._instant(robot, aid, "cancelOrder")
        self._publish(robot, "instantActions", msg)

    def _command_pause(self, robot: int, on: bool) -> None:
        with self._olock:
            self._made += 1
            kind = "startPause" if on else "stopPause"
            msg = self._instant(robot, f"{kind}-{self._session}-{self._made}", kind)
        self._publish(robot, "instantActions", msg)

    def _stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    # --- building messages (with _olock held) ------------------------------------------------
    def _twin_from(self, robot: int, k: int) -> int:
        """The cell the twin's last ``k`` sent cells start from."""
        with self._lock:
            sent = self._sent[robot]
            return sent[-k - 1] if len(sent) > k else self._at[robot]

    def _extend(self, robot: int, cells: Sequence[int], start: int) -> dict[str, Any]:
        """The order message taking ``robot`` on through ``cells``: a new order from
        ``start`` (or where the vehicle stands), or an update of its current one."""
        o = self._order[robot]
        if o is None:
            stand = self._stand[robot]
            if stand is not None and stand != start:
                log.warning(
                    "%s stands on %s, the twin has it on %s; the order starts where it stands",
                    self.setup.names[robot],
                    node_id(stand),
                    node_id(start),
                )
                start = stand
            self._made += 1
            o = self._order[robot] = _Order(f"{self._session}-{self._made}", -1, start, 0)
            known = self._known[robot]
            known[o.order_id] = {0: start}
            for old in list(known)[:-_KEEP_ORDERS]:
                del known[old]
        seqs = self._known[robot][o.order_id]
        nodes = [self._node(o.last_cell, o.last_seq)]
        edges = []
        prev, seq = o.last_cell, o.last_seq
        for c in cells:
            edges.append(
                {
                    "edgeId": edge_id(prev, c),
                    "sequenceId": seq + 1,
                    "released": True,
                    "startNodeId": node_id(prev),
                    "endNodeId": node_id(c),
                    "actions": [],
                }
            )
            seq += 2
            nodes.append(self._node(c, seq))
            seqs[seq] = prev = c
        o.update_id += 1
        o.last_cell, o.last_seq = prev, seq
        return self._header(
            robot, "order", orderId=o.order_id, orderUpdateId=o.update_id, nodes=nodes, edges=edges
        )

    def _node(self, cell: int, seq: int) -> dict[str, Any]:
        x, y = self.setup.frame.xy(cell)
        return {
            "nodeId": node_id(cell),
            "sequenceId": seq,
            "released": True,
            "nodePosition": {"x": x, "y": y, "mapId": self.map_id},
            "actions": [],
        }

    def _instant(self, robot: int, aid: str, kind: str) -> dict[str, Any]:
        action = {"actionId": aid, "actionType": kind, "blockingType": "NONE"}
        return self._header(robot, "instantActions", actions=[action])

    def _header(self, robot: int, kind: str, **body: Any) -> dict[str, Any]:
        counters = self._header_out[robot]
        msg = {
            "headerId": counters[kind],
            "timestamp": timestamp(),
            "version": VERSION,
            "manufacturer": self.topics.manufacturer,
            "serialNumber": self.setup.names[robot],
            **body,
        }
        counters[kind] += 1
        self.schemas.check_sent(kind, msg)
        return msg

    def _publish(self, robot: int, kind: str, msg: dict[str, Any]) -> None:
        info = self._client.publish(self.topics.of(self.setup.names[robot], kind), json.dumps(msg))
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            log.warning(
                "%s: %s not sent (%s)", self.setup.names[robot], kind, mqtt.error_string(info.rc)
            )

    # --- what vehicles say (the MQTT receive thread) ---------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.error("the MQTT broker refused the master control: %s", rc)
            return
        client.subscribe([(self.topics.every("state"), 0), (self.topics.every("connection"), 1)])
        self._connected.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, m: mqtt.MQTTMessage) -> None:
        try:
            serial, kind = self.topics.split(m.topic)
            msg = self.schemas.decode(kind, bytes(m.payload))
            robot = self._robot.get(serial)
            if robot is None:
                raise ProtocolError(f"{kind} from unknown serial {serial!r}", "unknown serial")
            if msg["serialNumber"] != serial or msg["manufacturer"] != self.topics.manufacturer:
                raise ProtocolError(
                    f"{kind} on the topic of {serial} says it is from "
                    f"{msg['manufacturer']}/{msg['serialNumber']}",
                    "serial mismatch",
                )
            if kind == "connection":
                self._on_connection(robot, msg, m.retain)
            else:
                self._on_state(robot, msg)
        except ProtocolError as exc:
            reason = exc.args[1] if len(exc.args) > 1 else "malformed"
            self.refused[reason] += 1
            k = self.refused[reason]
            if k <= 5 or k % 100 == 0:
                log.warning("refused %s (%s, #%d): %s", m.topic, reason, k, exc.args[0])
        except Exception:  # a bug of ours: keep the receive thread (the twin's eyes) alive
            self.refused["internal error"] += 1
            log.exception("failed handling %s; the message is dropped", m.topic)

    def _on_connection(self, robot: int, msg: dict[str, Any], retained: bool) -> None:
        what = msg["connectionState"]
        if what == "ONLINE":
            with self._olock:
                self._header_in[robot] = -1  # a new connection counts its headers anew
        elif retained:
            log.info("%s was %s before we subscribed", self.setup.names[robot], what)
        else:
            self.take_out(robot, f"connection {what}")

    def _on_state(self, robot: int, msg: dict[str, Any]) -> None:
        with self._olock:
            if msg["headerId"] <= self._header_in[robot]:
                raise ProtocolError(
                    f"state headerId {msg['headerId']} is not above {self._header_in[robot]}",
                    "stale headerId",
                )
            seen = self._read(robot, msg)
            self._header_in[robot] = msg["headerId"]
        self.observe(robot, seen.cell, seen.into)
        pos = msg.get("agvPosition")
        if pos is not None:
            self.report_pose(robot, float(pos["x"]), float(pos["y"]))
        for c in seen.reached:
            self.reached(robot, c)
        if seen.started >= 0:
            self.started(robot, seen.started)
        if seen.cancel_done:
            self.cancel_confirmed(robot)
        if seen.flush is not None:
            self._publish(robot, "order", seen.flush)

    def _read(self, robot: int, msg: dict[str, Any]) -> _Seen:
        """What a state means, with the order bookkeeping it implies (``_olock`` held)."""
        try:
            if msg["lastNodeId"]:
                cell = cell_of(msg["lastNodeId"])
            elif "agvPosition" in msg:
                cell = self.setup.frame.cell(msg["agvPosition"]["x"], msg["agvPosition"]["y"])
            else:
                raise ProtocolError("state with neither lastNodeId nor agvPosition")
            if not 0 <= cell < self.setup.site.grid.size:
                raise ProtocolError(f"lastNodeId {msg['lastNodeId']!r} is off the grid")
            ahead = sorted(
                (n["sequenceId"], cell_of(n["nodeId"])) for n in msg["nodeStates"] if n["released"]
            )
        except (ProtocolError, ValueError) as exc:
            raise ProtocolError(str(exc), "not a cell") from None
        oid, seq, driving = msg["orderId"], msg["lastNodeSequenceId"], msg["driving"]
        reached: list[int] = []
        started = into = -1
        known = self._known[robot].get(oid)
        if known is not None:
            t_oid, t_seq = self._track[robot]
            if t_oid != oid:
                t_seq = min(known)  # the first node: where it stood when it took the order
            reached = [known[s] for s in sorted(known) if t_seq < s <= seq]
            self._track[robot] = (oid, max(t_seq, seq))
            if (
                driving
                and ahead
                and ahead[0][0] in known
                and self._moving[robot] != (oid, ahead[0][0])
            ):
                self._moving[robot] = (oid, ahead[0][0])
                started = ahead[0][1]
        if driving and ahead:
            into = ahead[0][1]
        if not driving:
            self._stand[robot] = cell
        self._note_errors(robot, msg["errors"])
        aid = self._cancel[robot]
        done = aid is not None and any(
            a["actionId"] == aid and a["actionStatus"] in ("FINISHED", "FAILED")
            for a in msg["actionStates"]
        )
        flush = None
        if done:
            self._cancel[robot] = None
            queued, self._queued[robot] = self._queued[robot], []
            if queued:
                flush = self._extend(robot, queued, self._twin_from(robot, len(queued)))
        return _Seen(cell, into, tuple(reached), started, done, flush)

    def _note_errors(self, robot: int, errors: list[dict[str, Any]]) -> None:
        now = frozenset((e["errorType"], e.get("errorDescription", "")) for e in errors)
        for kind, text in sorted(now - self._errors[robot]):
            self.vehicle_errors[kind] += 1
            log.warning("%s reports %s: %s", self.setup.names[robot], kind, text)
        self._errors[robot] = now
