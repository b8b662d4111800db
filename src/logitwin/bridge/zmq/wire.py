"""The zmq link's wire protocol, version 1: typed messages in msgpack (the twin's codec).

A frame is ``[version, type name, [fields]]``. Commands go twin → robots over ROUTER /
DEALER and are acknowledged; robots' events (a move started, a cell reached) come back
the same way, in order; telemetry (pose, speed, battery, the cell and the move, errors)
comes over PUB / SUB and doubles as the heartbeat.

Sequence numbers: every command carries the twin's ``session`` (random per twin start)
and a per-robot ``seq`` (1, 2, ...); a robot applies ``seq == last + 1``, re-acknowledges
a repeat without applying it again (retries are idempotent) and refuses a gap. Robots'
telemetry and events carry their ``boot`` (random per robot process start) and a
per-robot ``seq``; the twin refuses a repeat or an older one (replayed, out of order).
"""

from __future__ import annotations

from typing import Any

import msgpack

from logitwin.actors.codec import Message, decode_fields, encode_fields, message
from logitwin.errors import ProtocolError

__all__ = [
    "MAX_FRAME",
    "VERSION",
    "Ack",
    "Cancel",
    "Charge",
    "Event",
    "Hello",
    "Path",
    "Pause",
    "Telemetry",
    "pack",
    "unpack",
]

VERSION = 1
MAX_FRAME = 1 << 16  # bytes; a path of thousands of cells fits


@message
class Hello(Message):
    """Robot → twin: a robot process hosts ``robot`` (its name, e.g. ``robot:3``)."""

    robot: str
    boot: int


@message
class Path(Message):
    """Twin → robot: drive through ``cells`` (each adjacent to the one before)."""

    robot: str
    session: int
    seq: int
    cells: tuple[int, ...]


@message
class Cancel(Message):
    """Twin → robot: drop the moves not begun (one in progress finishes)."""

    robot: str
    session: int
    seq: int


@message
class Pause(Message):
    """Twin → robot: start no new move (``on``) or go on (not ``on``)."""

    robot: str
    session: int
    seq: int
    on: bool


@message
class Charge(Message):
    """Twin → robot: start (``on``) or stop charging where it stands."""

    robot: str
    session: int
    seq: int
    on: bool


@message
class Ack(Message):
    """Robot → twin: command ``seq`` of ``session`` applied (``ok``) or refused (``reason``)."""

    robot: str
    boot: int
    session: int
    seq: int
    ok: bool
    reason: str


@message
class Event(Message):
    """Robot → twin: the robot ``started`` moving into, or ``reached``, ``cell``."""

    robot: str
    boot: int
    seq: int
    kind: str
    cell: int


@message
class Telemetry(Message):
    """Robot → twin, periodically: where the robot is and how it is.

    Args:
        robot: its name.
        boot: its process's boot id.
        seq: per-robot telemetry sequence number.
        x: position (m) in the site frame (:class:`logitwin.robots.fleet.CellFrame`).
        y: position (m).
        yaw: heading (rad).
        speed: speed (m/s).
        battery: state of charge (0..1).
        cell: the cell it is in (the last it reached).
        moving_into: the cell it is entering, -1 standing.
        progress: cells reached since boot.
        error: what is wrong, empty if nothing.
        stamp: when it was sent (s since the epoch, the robot's clock).
    """

    robot: str
    boot: int
    seq: int
    x: float
    y: float
    yaw: float
    speed: float
    battery: float
    cell: int
    moving_into: int
    progress: int
    error: str
    stamp: float


COMMANDS = (Path, Cancel, Pause, Charge)


def pack(msg: Message) -> bytes:
    """One frame: ``[VERSION, type name, [fields]]``."""
    out: bytes = msgpack.packb([VERSION, type(msg).__name__, encode_fields(msg)], use_bin_type=True)
    return out


def unpack(data: Any) -> Message:
    """The message in one frame, validated.

    Raises:
        ProtocolError: not bytes, too long, not msgpack, not a frame, another version, an
            unknown type or a field of the wrong type; the message says which.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtocolError(f"a frame is bytes, got {type(data).__name__}")
    if len(data) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(data)} bytes is over the {MAX_FRAME} byte limit")
    try:
        obj = msgpack.unpackb(bytes(data), raw=False, use_list=True, strict_map_key=True)
    except Exception as exc:
        raise ProtocolError(f"not msgpack: {exc}") from None
    if not isinstance(obj, list) or len(obj) != 3:
        raise ProtocolError(f"a frame is [version, type, fields], got {str(obj)[:80]}")
    version, name, fields = obj
    if version != VERSION:
        raise ProtocolError(f"unknown protocol version {version!r}; this twin speaks {VERSION}")
    if name not in _NAMES:
        raise ProtocolError(f"unknown message type {name!r}; the link has {sorted(_NAMES)}")
    msg = decode_fields(name, fields)
    for f in ("x", "y", "yaw", "speed", "battery", "stamp"):
        v = getattr(msg, f, 0.0)
        if v != v or v in (float("inf"), float("-inf")):
            raise ProtocolError(f"{name}.{f}: not a finite number ({v})")
    return msg


_NAMES = {c.__name__ for c in (Hello, Path, Cancel, Pause, Charge, Ack, Event, Telemetry)}
