"""Typed messages and the one msgpack codec that serves the runtime, the journal and the bridge.

A message is a frozen, slotted dataclass registered by name with :func:`message`. On the
wire it is ``[name, [field values in declaration order]]``; decoding checks the name and
every field's type and raises :class:`~logitwin.errors.ProtocolError` naming both.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, cast, dataclass_transform

import msgpack

from logitwin.errors import ProtocolError

__all__ = ["Message", "decode", "decode_fields", "encode", "encode_fields", "message", "registry"]


class Message:
    """Marker base class of every message; subclasses are made by :func:`message`."""

    __slots__ = ()


M = TypeVar("M", bound=type[Message])

_REGISTRY: dict[str, type[Message]] = {}
# Per message type: (field name, checker) in declaration order.
_FIELDS: dict[type[Message], tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def registry() -> dict[str, type[Message]]:
    """Return a copy of the name → message type registry."""
    return dict(_REGISTRY)


def _checker(tp: Any, where: str) -> Callable[[Any], Any]:
    """Build a function that validates (and normalises) a decoded value of type ``tp``."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return lambda v: v
    if tp is float:

        def check_float(v: Any) -> float:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"expected a number, got {type(v).__name__} {v!r}")
            return float(v)

        return check_float
    if tp in (int, str, bool, bytes):

        def check_exact(v: Any) -> Any:
            if not isinstance(v, tp) or (tp is int and isinstance(v, bool)):
                raise TypeError(f"expected {tp.__name__}, got {type(v).__name__} {v!r}")
            return v

        return check_exact
    if origin in (types.UnionType, typing.Union):
        options = [_checker(a, where) for a in typing.get_args(tp) if a is not type(None)]
        allows_none = type(None) in typing.get_args(tp)

        def check_union(v: Any) -> Any:
            if v is None and allows_none:
                return None
            errors = []
            for opt in options:
                try:
                    return opt(v)
                except TypeError as exc:
                    errors.append(str(exc))
            raise TypeError("; ".join(errors) or f"unexpected {v!r}")

        return check_union
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            inner = _checker(args[0], where)

            def check_tuple(v: Any) -> tuple[Any, ...]:
                if not isinstance(v, (list, tuple)):
                    raise TypeError(f"expected a list, got {type(v).__name__} {v!r}")
                return tuple(inner(x) for x in v)

            return check_tuple
        inners = [_checker(a, where) for a in args]

        def check_fixed(v: Any) -> tuple[Any, ...]:
            if not isinstance(v, (list, tuple)) or len(v) != len(inners):
                raise TypeError(f"expected a list of {len(inners)}, got {v!r}")
            return tuple(f(x) for f, x in zip(inners, v, strict=True))

        return check_fixed
    raise TypeError(f"{where}: field type {tp!r} is not supported by the codec")


@dataclass_transform(frozen_default=True)
def message(cls: M) -> M:
    """Class decorator: make a :class:`Message` subclass a frozen slotted dataclass, by name.

    Field types are limited to ``int``, ``float``, ``str``, ``bool``, ``bytes``, ``Any``,
    ``X | None`` and tuples of those, so that every message crosses msgpack unchanged.
    """
    name = cls.__name__
    if name in _REGISTRY:
        raise ProtocolError(f"message type {name!r} is registered twice")
    if not issubclass(cls, Message):
        raise ProtocolError(f"message type {name} must subclass logitwin.actors.Message")
    dc = cast(M, dataclasses.dataclass(frozen=True, slots=True)(cls))
    hints = typing.get_type_hints(dc)
    _FIELDS[dc] = tuple(
        (f.name, _checker(hints[f.name], f"{name}.{f.name}"))
        for f in dataclasses.fields(cast(Any, dc))
    )
    _REGISTRY[name] = dc
    return dc


def encode_fields(msg: Message) -> list[Any]:
    """Return the field values of ``msg`` in declaration order (the wire body)."""
    try:
        fields = _FIELDS[type(msg)]
    except KeyError:
        raise ProtocolError(
            f"{type(msg).__name__} is not a registered message; decorate it with @message"
        ) from None
    return [getattr(msg, f) for f, _ in fields]


def encode(msg: Message) -> bytes:
    """Encode one message to msgpack bytes: ``[type name, [field values]]``."""
    return cast(bytes, msgpack.packb([type(msg).__name__, encode_fields(msg)], use_bin_type=True))


def decode_fields(name: Any, body: Any) -> Message:
    """Build a message from its type name and field list, validating every field."""
    if not isinstance(name, str):
        raise ProtocolError(f"message type name must be a string, got {name!r}")
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ProtocolError(f"unknown message type {name!r}; known: {sorted(_REGISTRY)}")
    fields = _FIELDS[cls]
    if isinstance(body, dict):
        unknown = set(body) - {f for f, _ in fields}
        if unknown:
            raise ProtocolError(f"{name}: unknown field(s) {sorted(unknown)}")
        missing = [f for f, _ in fields if f not in body]
        if missing:
            raise ProtocolError(f"{name}: missing field(s) {missing}")
        body = [body[f] for f, _ in fields]
    if not isinstance(body, (list, tuple)) or len(body) != len(fields):
        raise ProtocolError(
            f"{name}: expected {len(fields)} fields {[f for f, _ in fields]}, got {body!r}"
        )
    values = {}
    for (field, check), value in zip(fields, body, strict=True):
        try:
            values[field] = check(value)
        except TypeError as exc:
            raise ProtocolError(f"{name}.{field}: {exc}") from None
    return cls(**values)


def decode(data: bytes) -> Message:
    """Decode msgpack bytes made by :func:`encode`, validating type name and fields."""
    try:
        obj = msgpack.unpackb(data, raw=False, use_list=True)
    except Exception as exc:
        raise ProtocolError(f"not a msgpack message: {exc}") from None
    if not isinstance(obj, list) or len(obj) != 2:
        raise ProtocolError(f"a message is [type, fields], got {obj!r}")
    return decode_fields(obj[0], obj[1])
