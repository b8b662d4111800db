import msgpack
import pytest

from logitwin.actors.codec import Message, decode, encode, message
from logitwin.actors.messages import Goto, PodTask
from logitwin.errors import ProtocolError


def test_round_trip_keeps_types():
    msg = PodTask(3, 7, 120, "station:A", ("order:1", "order:2"), (5, 9))
    assert decode(encode(msg)) == msg
    assert decode(encode(Goto(-1, False))) == Goto(-1, False)


def test_unknown_type_is_named():
    with pytest.raises(ProtocolError, match="unknown message type 'Teleport'"):
        decode(msgpack.packb(["Teleport", [1]]))


def test_wrong_field_type_names_type_and_field():
    with pytest.raises(ProtocolError, match=r"Goto\.cell: expected int"):
        decode(msgpack.packb(["Goto", ["12", True]]))


def test_wrong_field_count_and_dict_form():
    with pytest.raises(ProtocolError, match="expected 2 fields"):
        decode(msgpack.packb(["Goto", [1]]))
    assert decode(msgpack.packb(["Goto", {"cell": 4, "hold": True}])) == Goto(4, True)
    with pytest.raises(ProtocolError, match=r"unknown field\(s\) \['speed'\]"):
        decode(msgpack.packb(["Goto", {"cell": 4, "hold": True, "speed": 2}]))


def test_garbage_bytes():
    with pytest.raises(ProtocolError):
        decode(b"\xc1\xff")


def test_messages_are_frozen_and_must_subclass_message():
    with pytest.raises(AttributeError):
        Goto(1, False).cell = 2  # type: ignore[misc]
    assert not hasattr(Goto(1, False), "__dict__")  # slotted
    with pytest.raises(ProtocolError, match="must subclass"):

        @message
        class NotAMessage:
            x: int

    with pytest.raises(ProtocolError, match="registered twice"):

        @message
        class Arrived(Message):
            cell: int
