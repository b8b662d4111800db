"""One VDA 5050 test vehicle's order handling and motion, with no transport: what the
vehicle process (:mod:`logitwin.bridge.vda5050.vehicle`) runs for each robot it hosts.

It follows the spec's order acceptance (section 6.6.2, figure 8):

- a *new* order (another ``orderId``) is taken only when the vehicle is not executing
  one (no nodes left, no move in progress, no cancel running) and its first node is the
  node the vehicle stands on; otherwise ``orderError``;
- an *update* (same ``orderId``) must have a higher ``orderUpdateId`` (lower:
  ``orderUpdateError``, equal: ignored as a resend) and start at the decision point,
  the last base node (``nodeId`` and ``sequenceId``); its horizon replaces the old one;
- released (base) nodes are driven in order, one cell per ``step_s``; the vehicle stops
  at the decision point and never drives the horizon;
- ``cancelOrder`` drops what is not begun; the move in progress ends on its node, then
  the action is ``FINISHED`` (no order, or one already cancelled: ``FAILED`` and a
  ``noOrderToCancel`` warning); ``startPause`` starts no new move (``FINISHED`` once
  standing), ``stopPause`` goes on.

Refusals are warnings in ``errors`` (``validationError``, ``orderError``,
``orderUpdateError``), kept until an order is accepted, as section 6.6.4 asks.
Node and edge actions are not supported: an order with any is refused (``orderError``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from logitwin.bridge.vda5050.wire import cell_of, node_id
from logitwin.errors import ProtocolError
from logitwin.robots.fleet import CellFrame

__all__ = ["Agv"]

_KEEP_ACTIONS = 16  # instant-action states reported (the oldest finished ones go first)


@dataclass(slots=True)
class _Node:
    cell: int
    seq: int
    released: bool


@dataclass(slots=True)
class _Edge:
    edge: str
    seq: int
    released: bool


class Agv:
    """A test vehicle on the grid.

    Args:
        cell: the cell it starts on.
        step_s: time (s) of one move.
        neighbors: the grid's adjacency (orders between cells not adjacent are refused).
        frame: cells in metres (positions in the state).
        map_id: the map its positions refer to.
    """

    def __init__(
        self,
        cell: int,
        step_s: float,
        neighbors: Sequence[Sequence[int]],
        frame: CellFrame,
        map_id: str,
    ) -> None:
        if not step_s > 0:
            raise ValueError(f"step_s must be > 0 s, got {step_s}")
        self.step_s = step_s
        self._neighbors = neighbors
        self._frame = frame
        self.map_id = map_id
        self.last_cell = cell
        self.last_seq = 0
        self.order_id = ""
        self.update_id = 0
        self.cancelled = False
        self.paused = False
        self._nodes: list[_Node] = []  # nodes still to traverse (base, then horizon)
        self._edges: list[_Edge] = []
        self._queue: deque[_Node] = deque()  # released nodes not begun
        self._into: _Node | None = None
        self._t0 = self._t1 = 0.0  # the move in progress: start, end (s)
        self._theta = 0.0
        self._actions: dict[str, dict[str, Any]] = {}  # actionId -> actionState
        self._cancel: str | None = None  # running cancelOrder
        self._pause: str | None = None  # running startPause
        self._errors: dict[str, dict[str, Any]] = {}  # errorType -> error

    # --- what the master control sends ----------------------------------------------------
    def order(self, msg: dict[str, Any]) -> None:
        """Take or refuse an order (already checked against the schema)."""
        nodes = sorted(msg["nodes"], key=lambda n: n["sequenceId"])
        edges = sorted(msg["edges"], key=lambda e: e["sequenceId"])
        ref = [
            {"referenceKey": "orderId", "referenceValue": msg["orderId"]},
            {"referenceKey": "orderUpdateId", "referenceValue": str(msg["orderUpdateId"])},
        ]
        try:
            path = self._route(nodes, edges)
        except ProtocolError as exc:
            self._error("orderError", str(exc), ref)
            return
        first = path[0]
        if msg["orderId"] != self.order_id:
            if self.executing:
                self._error("orderError", f"still executing order {self.order_id!r}", ref)
            elif first.cell != self.last_cell:
                self._error(
                    "orderError",
                    f"order starts at {node_id(first.cell)}, the vehicle "
                    f"stands on {node_id(self.last_cell)}",
                    ref,
                )
            else:
                self.order_id, self.update_id, self.cancelled = msg["orderId"], 0, False
                self.last_seq = first.seq
                self._nodes, self._edges, self._queue = [], [], deque()
                self._actions = {
                    k: a
                    for k, a in self._actions.items()
                    if a["actionStatus"] not in ("FINISHED", "FAILED")
                }
                self._take(msg["orderUpdateId"], path, edges)
            return
        if self.cancelled:
            self._error("orderUpdateError", "the order was cancelled; send a new order", ref)
        elif msg["orderUpdateId"] < self.update_id:
            self._error(
                "orderUpdateError",
                f"orderUpdateId {msg['orderUpdateId']} is older than {self.update_id}",
                ref,
            )
        elif msg["orderUpdateId"] > self.update_id:
            base = [n for n in self._nodes if n.released]
            cell, seq = (base[-1].cell, base[-1].seq) if base else (self.last_cell, self.last_seq)
            if (first.cell, first.seq) != (cell, seq):
                self._error(
                    "orderUpdateError",
                    f"update starts at {node_id(first.cell)} "
                    f"(sequenceId {first.seq}), not at the decision point "
                    f"{node_id(cell)} (sequenceId {seq})",
                    ref,
                )
            else:
                self._nodes = [n for n in self._nodes if n.released]
                self._edges = [e for e in self._edges if e.released]
                self._take(msg["orderUpdateId"], path, edges)
        # equal orderUpdateId: a resend, ignored (section 6.6.4.3)

    def instant(self, msg: dict[str, Any]) -> None:
        """Carry out instant actions (already checked against the schema)."""
        for a in msg["actions"]:
            aid, kind = a["actionId"], a["actionType"]
            status = "FINISHED"
            if kind == "cancelOrder":
                if not self.order_id or self.cancelled:
                    status = "FAILED"
                    self._error(
                        "noOrderToCancel",
                        "no order to cancel",
                        [{"referenceKey": "actionId", "referenceValue": aid}],
                    )
                else:
                    self.cancelled = True
                    self._queue.clear()
                    keep = self._into.seq if self._into else None
                    self._nodes = [n for n in self._nodes if n.seq == keep]
                    self._edges = [e for e in self._edges if keep is not None and e.seq == keep - 1]
                    if self._into is not None:
                        status, self._cancel = "RUNNING", aid
            elif kind == "startPause":
                self.paused = True
                if self._into is not None:
                    status, self._pause = "RUNNING", aid
            elif kind == "stopPause":
                self.paused = False
                if self._pause is not None:
                    self._actions[self._pause]["actionStatus"] = "FINISHED"
                    self._pause = None
            elif kind != "stateRequest":
                status = "FAILED"
                self._error(
                    "instantActionError",
                    f"action type {kind!r} is not supported",
                    [{"referenceKey": "actionId", "referenceValue": aid}],
                )
            self._actions[aid] = {"actionId": aid, "actionType": kind, "actionStatus": status}
        finished = [
            k for k, a in self._actions.items() if a["actionStatus"] in ("FINISHED", "FAILED")
        ]
        for k in finished[: max(0, len(self._actions) - _KEEP_ACTIONS)]:
            del self._actions[k]

    def invalid(self, kind: str, why: str) -> None:
        """A message that failed the schema: the ``validationError`` warning."""
        self._error(
            "validationError", f"{kind}: {why}", [{"referenceKey": "topic", "referenceValue": kind}]
        )

    # --- time ------------------------------------------------------------------------------
    @property
    def executing(self) -> bool:
        """Nodes left, a move in progress or a cancel running."""
        return bool(self._nodes) or self._into is not None or self._cancel is not None

    def due(self) -> float | None:
        """When (s) the move in progress ends; None: standing."""
        return self._t1 if self._into is not None else None

    def advance(self, now: float) -> bool:
        """Move on to time ``now`` (s): end the move due, start the next. True: the state
        changed (a node reached, driving changed, an action finished)."""
        changed = False
        if self._into is not None and now >= self._t1:
            node, self._into = self._into, None
            self.last_cell, self.last_seq = node.cell, node.seq
            self._nodes = [n for n in self._nodes if n.seq != node.seq]
            self._edges = [e for e in self._edges if e.seq != node.seq - 1]
            changed = True
        if self._into is None:
            for attr in ("_cancel", "_pause"):
                aid = getattr(self, attr)
                if aid is not None:
                    self._actions[aid]["actionStatus"] = "FINISHED"
                    setattr(self, attr, None)
                    changed = True
            if self._queue and not self.paused:
                node = self._queue.popleft()
                (x0, y0), (x1, y1) = self._frame.xy(self.last_cell), self._frame.xy(node.cell)
                self._theta = math.atan2(y1 - y0, x1 - x0)
                self._into, self._t0, self._t1 = node, now, now + self.step_s
                changed = True
        return changed

    def state(self, now: float) -> dict[str, Any]:
        """The body of the ``state`` message (everything but the header)."""
        x, y = self._frame.xy(self.last_cell)
        if self._into is not None:
            x1, y1 = self._frame.xy(self._into.cell)
            f = min(1.0, max(0.0, (now - self._t0) / (self._t1 - self._t0)))
            x, y = x + f * (x1 - x), y + f * (y1 - y)
        nodes = []
        for n in self._nodes:
            nx, ny = self._frame.xy(n.cell)
            nodes.append(
                {
                    "nodeId": node_id(n.cell),
                    "sequenceId": n.seq,
                    "released": n.released,
                    "nodePosition": {"x": nx, "y": ny, "mapId": self.map_id},
                }
            )
        return {
            "orderId": self.order_id,
            "orderUpdateId": self.update_id,
            "lastNodeId": node_id(self.last_cell),
            "lastNodeSequenceId": self.last_seq,
            "nodeStates": nodes,
            "edgeStates": [
                {"edgeId": e.edge, "sequenceId": e.seq, "released": e.released} for e in self._edges
            ],
            "driving": self._into is not None,
            "paused": self.paused,
            "agvPosition": {
                "x": x,
                "y": y,
                "theta": self._theta,
                "mapId": self.map_id,
                "positionInitialized": True,
            },
            "actionStates": list(self._actions.values()),
            "batteryState": {"batteryCharge": 100.0, "charging": False},
            "operatingMode": "AUTOMATIC",
            "errors": list(self._errors.values()),
            "safetyState": {"eStop": "NONE", "fieldViolation": False},
        }

    # --- inside ----------------------------------------------------------------------------
    def _route(self, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> list[_Node]:
        """The order's nodes, checked: alternating sequence ids, edges joining consecutive
        nodes, adjacent cells, base before horizon, our map, no actions."""
        if not nodes:
            raise ProtocolError("the order has no nodes")
        if len(edges) != len(nodes) - 1:
            raise ProtocolError(f"{len(nodes)} nodes need {len(nodes) - 1} edges, got {len(edges)}")
        out: list[_Node] = []
        for k, n in enumerate(nodes):
            cell = cell_of(n["nodeId"])
            if not 0 <= cell < len(self._neighbors):
                raise ProtocolError(f"node {n['nodeId']} is off the grid")
            pos = n.get("nodePosition")
            if pos is not None and pos["mapId"] != self.map_id:
                raise ProtocolError(
                    f"node {n['nodeId']} is on map {pos['mapId']!r}, not {self.map_id!r}"
                )
            if n["actions"] or (k and edges[k - 1]["actions"]):
                raise ProtocolError(f"node {n['nodeId']}: actions are not supported")
            if out:
                e, prev = edges[k - 1], out[-1]
                if e["sequenceId"] != prev.seq + 1 or n["sequenceId"] != prev.seq + 2:
                    raise ProtocolError(
                        f"sequenceIds around node {n['nodeId']} do not alternate node, edge, node"
                    )
                if (e["startNodeId"], e["endNodeId"]) != (node_id(prev.cell), n["nodeId"]):
                    raise ProtocolError(
                        f"edge {e['edgeId']} does not join {node_id(prev.cell)} to {n['nodeId']}"
                    )
                if cell not in self._neighbors[prev.cell]:
                    raise ProtocolError(
                        f"no route: {node_id(prev.cell)} and {n['nodeId']} are not adjacent"
                    )
                if (n["released"] and not prev.released) or e["released"] != n["released"]:
                    raise ProtocolError(
                        f"node {n['nodeId']}: the base must come before the horizon"
                    )
            elif not n["released"]:
                raise ProtocolError("the first node must be released (base)")
            out.append(_Node(cell, int(n["sequenceId"]), bool(n["released"])))
        return out

    def _take(self, update_id: int, path: list[_Node], edges: list[dict[str, Any]]) -> None:
        self.update_id = update_id
        self._errors.clear()
        self._nodes.extend(path[1:])
        self._edges.extend(
            _Edge(e["edgeId"], int(e["sequenceId"]), bool(e["released"])) for e in edges
        )
        self._queue.extend(n for n in path[1:] if n.released)

    def _error(self, kind: str, text: str, refs: list[dict[str, str]]) -> None:
        self._errors[kind] = {
            "errorType": kind,
            "errorLevel": "WARNING",
            "errorDescription": text,
            "errorReferences": refs,
        }
