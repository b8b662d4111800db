"""The VDA 5050 test vehicle's order logic (no broker): acceptance, stitching, horizon,
rejections, cancel and pause, and the schemas its messages are checked against."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from logitwin.bridge.vda5050.agv import Agv
from logitwin.bridge.vda5050.wire import (
    VERSION,
    Schemas,
    Topics,
    cell_of,
    edge_id,
    find_schemas,
    node_id,
)
from logitwin.errors import ProtocolError
from logitwin.robots.fleet import CellFrame

# A 1x6 corridor: cells 0..5 in a row.
NEIGHBORS = [[1], [0, 2], [1, 3], [2, 4], [3, 5], [4]]
FRAME = CellFrame(6, 1, 1.0)


@pytest.fixture(scope="module")
def schemas() -> Schemas:
    return Schemas()


def order(
    oid: str, update: int, cells: list[int], seq0: int = 0, horizon: int = 0
) -> dict[str, Any]:
    """An order through ``cells`` (the first one's sequenceId ``seq0``), the last
    ``horizon`` nodes not released."""
    n = len(cells)
    nodes = [{"nodeId": node_id(c), "sequenceId": seq0 + 2 * k, "released": k < n - horizon,
              "nodePosition": {"x": FRAME.xy(c)[0], "y": 0.5, "mapId": "floor"}, "actions": []}
             for k, c in enumerate(cells)]  # fmt: skip
    edges = [{"edgeId": edge_id(a, b), "sequenceId": seq0 + 2 * k + 1,
              "released": k + 1 < n - horizon, "startNodeId": node_id(a),
              "endNodeId": node_id(b), "actions": []}
             for k, (a, b) in enumerate(itertools.pairwise(cells))]  # fmt: skip
    return {"headerId": 0, "timestamp": "2026-01-01T00:00:00.000Z", "version": VERSION,
            "manufacturer": "logitwin", "serialNumber": "robot:0", "orderId": oid,
            "orderUpdateId": update, "nodes": nodes, "edges": edges}  # fmt: skip


def instant(*kinds: str) -> dict[str, Any]:
    return {"headerId": 0, "timestamp": "2026-01-01T00:00:00.000Z", "version": VERSION,
            "manufacturer": "logitwin", "serialNumber": "robot:0",
            "actions": [{"actionId": f"a{k}", "actionType": t, "blockingType": "NONE"}
                        for k, t in enumerate(kinds)]}  # fmt: skip


def drive(agv: Agv, until: float, t: float = 0.0) -> float:
    """Advance ``agv`` in 0.1 s steps from ``t`` to ``until``."""
    while t < until - 1e-9:
        t = round(t + 0.1, 6)
        agv.advance(t)
    return t


def errors(agv: Agv) -> set[str]:
    return {e["errorType"] for e in agv.state(0.0)["errors"]}


def test_order_then_stitched_updates_are_driven_to_the_end() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 0, [0, 1]))
    agv.advance(0.0)
    assert agv.state(0.0)["driving"]
    agv.order(order("A", 1, [1, 2, 3], seq0=2))  # stitched while driving to node 1
    t = drive(agv, 3.0)
    assert (agv.last_cell, agv.last_seq) == (3, 6)
    agv.order(order("A", 2, [3, 4], seq0=6))  # stitched after the base was done
    drive(agv, 4.5, t)
    st = agv.state(4.5)
    assert (st["lastNodeId"], st["lastNodeSequenceId"], st["orderUpdateId"]) == ("c4", 8, 2)
    assert st["nodeStates"] == st["edgeStates"] == st["errors"] == []
    assert not st["driving"]


def test_vehicle_stops_at_the_decision_point_and_the_update_replaces_the_horizon() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 0, [0, 1, 2, 3], horizon=2))  # base 0-1, horizon 2-3
    t = drive(agv, 3.0)
    st = agv.state(t)
    assert st["lastNodeId"] == "c1" and not st["driving"]
    assert [(n["nodeId"], n["released"]) for n in st["nodeStates"]] == [
        ("c2", False),
        ("c3", False),
    ]
    agv.order(order("A", 1, [1, 2], seq0=2))  # releases c2, drops the horizon c3
    drive(agv, 5.0, t)
    st = agv.state(5.0)
    assert (st["lastNodeId"], st["nodeStates"]) == ("c2", [])


@pytest.mark.parametrize(
    ("second", "error"),
    [
        (order("A", 1, [1, 2], seq0=2), None),  # the same orderUpdateId: a resend, ignored
        (order("A", 0, [1, 2], seq0=2), "orderUpdateError"),  # orderUpdateId going back
        (order("B", 0, [2, 3]), "orderError"),  # a new order not starting where it stands
        (order("A", 2, [2, 3], seq0=4), "orderUpdateError"),  # not from the decision point
        (order("A", 2, [1, 2], seq0=4), "orderUpdateError"),  # right node, wrong sequenceId
        (order("A", 2, [1, 3], seq0=2), "orderError"),  # cells not adjacent
    ],
)
def test_bad_orders_are_refused_with_errors(second: dict[str, Any], error: str | None) -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 1, [0, 1]))
    drive(agv, 1.5)
    agv.order(second)
    assert errors(agv) == ({error} if error else set())
    assert (agv.order_id, agv.update_id, agv.last_cell) == ("A", 1, 1)
    assert not agv.executing


def test_update_id_going_backwards_is_refused_and_the_order_goes_on() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 3, [0, 1, 2]))
    agv.advance(0.0)
    agv.order(order("A", 2, [2, 3], seq0=4))
    assert errors(agv) == {"orderUpdateError"}
    drive(agv, 2.0)
    assert agv.last_cell == 2
    agv.order(order("A", 4, [2, 3], seq0=4))  # a good update clears the warning
    assert errors(agv) == set()


def test_new_order_while_executing_is_refused() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 0, [0, 1, 2]))
    agv.advance(0.0)
    agv.order(order("B", 0, [0, 1]))
    assert errors(agv) == {"orderError"} and agv.order_id == "A"


def test_cancel_finishes_the_move_in_progress_then_reports_finished() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 0, [0, 1, 2, 3]))
    agv.advance(0.0)
    agv.instant(instant("cancelOrder"))
    assert agv.state(0.5)["actionStates"][0]["actionStatus"] == "RUNNING"
    drive(agv, 3.0)
    st = agv.state(3.0)
    assert (st["lastNodeId"], st["nodeStates"], st["orderId"]) == ("c1", [], "A")
    assert st["actionStates"][0]["actionStatus"] == "FINISHED"
    agv.order(order("A", 1, [1, 2], seq0=2))  # a cancelled order takes no update
    assert errors(agv) == {"orderUpdateError"}
    agv.order(order("B", 0, [1, 2]))
    drive(agv, 4.5, 3.0)
    assert agv.last_cell == 2 and errors(agv) == set()


def test_cancel_without_an_order_fails_with_a_warning() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.instant(instant("cancelOrder"))
    st = agv.state(0.0)
    assert st["actionStates"][0]["actionStatus"] == "FAILED"
    assert [(e["errorType"], e["errorLevel"]) for e in st["errors"]] == [
        ("noOrderToCancel", "WARNING")
    ]
    assert st["errors"][0]["errorReferences"] == [
        {"referenceKey": "actionId", "referenceValue": "a0"}
    ]


def test_pause_starts_no_move_and_stop_pause_goes_on() -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.instant(instant("startPause"))
    agv.order(order("A", 0, [0, 1]))
    drive(agv, 2.0)
    assert agv.state(2.0)["paused"] and agv.last_cell == 0
    agv.instant(instant("stopPause"))
    drive(agv, 3.5, 2.0)
    assert agv.last_cell == 1 and not agv.state(3.5)["paused"]


def test_states_validate_against_both_schema_versions(schemas: Schemas) -> None:
    agv = Agv(0, 1.0, NEIGHBORS, FRAME, "floor")
    agv.order(order("A", 0, [0, 1, 2], horizon=1))
    agv.instant(instant("startPause", "stopPause", "cancelOrder", "factsheetRequest"))
    agv.advance(0.3)
    header = {"headerId": 1, "timestamp": "2026-01-01T00:00:00.000Z", "version": VERSION,
              "manufacturer": "logitwin", "serialNumber": "robot:0"}  # fmt: skip
    schemas.check_sent("state", {**header, **agv.state(0.5)})
    schemas.check_sent("order", order("A", 0, [0, 1, 2], horizon=1))


def test_schema_decode_names_the_reason(schemas: Schemas) -> None:
    with pytest.raises(ProtocolError) as bad:
        schemas.decode("state", b"{not json")
    assert bad.value.args[1] == "malformed JSON"
    with pytest.raises(ProtocolError) as bad:
        schemas.decode("state", b'{"version": "3.0.0"}')
    assert bad.value.args[1] == "unsupported version"
    with pytest.raises(ProtocolError, match="headerId") as bad:
        schemas.decode("order", b'{"version": "2.1.0"}')
    assert bad.value.args[1] == "schema-invalid"


def test_wire_names() -> None:
    assert (node_id(12), edge_id(12, 13), cell_of("c12")) == ("c12", "c12-c13", 12)
    with pytest.raises(ProtocolError, match="'n12'"):
        cell_of("n12")
    t = Topics("uagv", "acme")
    assert t.of("robot:0", "state") == "uagv/v2/acme/robot:0/state"
    assert t.split("uagv/v2/acme/robot:0/state") == ("robot:0", "state")
    with pytest.raises(ProtocolError, match="uagv/v2/acme/SERIAL/KIND"):
        t.split("uagv/v1/acme/robot:0/state")
    with pytest.raises(ValueError, match="manufacturer"):
        Topics("uagv", "a/b")
    with pytest.raises(ProtocolError, match="LOGITWIN_VDA5050_SCHEMAS"):
        find_schemas("/nonexistent")
