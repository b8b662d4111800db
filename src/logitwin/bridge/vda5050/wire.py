"""VDA 5050 on the wire: topics, headers, node ids and the published JSON schemas.

Both sides (the master control in :mod:`logitwin.bridge.vda5050.master` and the test
vehicle in :mod:`logitwin.bridge.vda5050.vehicle`) build and check their JSON here, so
the wire format lives in one module.

- Topics: ``interface/v2/manufacturer/serialNumber/topic`` (the spec's suggestion for a
  local broker); the serial number is the robot's name (``robot:0``: ``:`` is allowed).
- Node ids are cell ids, ``c<cell>`` (``c123``); edge ids ``c<from>-c<to>``.
- Schemas: the VDA 5050 project's own, 2.0.0 and 2.1.0 (MIT), shipped in ``schemas/``
  beside this module (or where ``LOGITWIN_VDA5050_SCHEMAS`` points). What we send is
  checked against both, so a 2.0 and a 2.1 peer accept it; what we receive is checked
  against the schema of the version it names (2.0.x or 2.1.x; others are refused).
  The 2.0.0 ``state.schema`` as published has a trailing comma (not JSON); the loader
  drops trailing commas before ``]``/``}`` in a file that does not parse as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from logitwin.errors import ProtocolError

__all__ = [
    "KINDS",
    "VERSION",
    "Schemas",
    "Topics",
    "cell_of",
    "edge_id",
    "find_schemas",
    "node_id",
    "timestamp",
]

VERSION = "2.0.0"  # the version our messages carry (they also validate as 2.1.0)
KINDS = ("order", "instantActions", "state", "connection")
_SCHEMA_VERSIONS = ("2.0.0", "2.1.0")
_ENV = "LOGITWIN_VDA5050_SCHEMAS"


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names of one fleet.

    Args:
        interface: first topic level (``uagv``).
        manufacturer: the vehicles' manufacturer (third level, and the header field).
    """

    interface: str = "uagv"
    manufacturer: str = "logitwin"

    def __post_init__(self) -> None:
        for name, value in (("interface", self.interface), ("manufacturer", self.manufacturer)):
            if not value or any(ch in value for ch in "/+#$"):
                raise ValueError(f"VDA 5050 {name} {value!r} must be non-empty without / + # $")

    def of(self, serial: str, kind: str) -> str:
        """The topic of message ``kind`` (``order``, ``state``, ...) for vehicle ``serial``."""
        return f"{self.interface}/v2/{self.manufacturer}/{serial}/{kind}"

    def every(self, kind: str) -> str:
        """The subscription to message ``kind`` of every vehicle of the manufacturer."""
        return f"{self.interface}/v2/{self.manufacturer}/+/{kind}"

    def split(self, topic: str) -> tuple[str, str]:
        """``(serial, kind)`` of a topic of this fleet.

        Raises:
            ProtocolError: the topic is not ``interface/v2/manufacturer/serial/kind``.
        """
        parts = topic.split("/")
        if len(parts) != 5 or parts[:3] != [self.interface, "v2", self.manufacturer]:
            raise ProtocolError(
                f"topic {topic!r} is not {self.interface}/v2/{self.manufacturer}/SERIAL/KIND"
            )
        return parts[3], parts[4]


def node_id(cell: int) -> str:
    """The node id of a grid cell: ``c123``."""
    return f"c{int(cell)}"


def edge_id(a: int, b: int) -> str:
    """The edge id of the move from cell ``a`` to cell ``b``."""
    return f"c{int(a)}-c{int(b)}"


def cell_of(node: str) -> int:
    """The cell of node id ``node`` (``c123`` -> 123).

    Raises:
        ProtocolError: not a cell node id (the message quotes it).
    """
    if len(node) < 2 or node[0] != "c" or not node[1:].isdigit():
        raise ProtocolError(f"node id {node!r} is not a cell id like 'c123'")
    return int(node[1:])


def timestamp(now: dt.datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp with milliseconds, ``2017-04-15T11:40:03.123Z``."""
    t = now or dt.datetime.now(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def find_schemas(where: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding ``2.0.0/`` and ``2.1.0/`` of the VDA 5050 schemas: ``where``, else
    ``$LOGITWIN_VDA5050_SCHEMAS``, else the published schemas shipped with this package.

    Raises:
        ProtocolError: no such folder (the message lists where it looked).
    """
    if where is not None:
        looked = [Path(where)]
    elif os.environ.get(_ENV):
        looked = [Path(os.environ[_ENV])]
    else:
        looked = [Path(__file__).resolve().parent / "schemas"]
    for p in looked:
        if all((p / v / "state.schema").is_file() for v in _SCHEMA_VERSIONS):
            return p
    raise ProtocolError(
        f"VDA 5050 schemas ({', '.join(_SCHEMA_VERSIONS)}) not found in "
        f"{', '.join(map(str, looked[:3]))}{' ...' if len(looked) > 3 else ''}; set {_ENV} "
        "to the folder holding 2.0.0/ and 2.1.0/ (logitwin ships them in bridge/vda5050/schemas)"
    )


def _load_json(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))


class Schemas:
    """Validators for the message kinds we use, per schema version.

    Args:
        folder: as for :func:`find_schemas`.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        root = find_schemas(folder)
        self._validators: dict[tuple[str, str], Any] = {}
        for version in _SCHEMA_VERSIONS:
            for kind in KINDS:
                schema = _load_json(root / version / f"{kind}.schema")
                cls = validator_for(schema)
                cls.check_schema(schema)
                self._validators[version, kind] = cls(schema)

    def problem(self, kind: str, message: Mapping[str, Any], version: str) -> str | None:
        """Why ``message`` is not a valid ``kind`` of schema ``version`` (None: valid)."""
        err = best_match(self._validators[version, kind].iter_errors(message))
        if err is None:
            return None
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        return f"{where}: {err.message}"

    def check_sent(self, kind: str, message: Mapping[str, Any]) -> None:
        """Check a message we are about to send against every schema version.

        Raises:
            ProtocolError: it is invalid (a bug on our side); names the kind and field.
        """
        for version in _SCHEMA_VERSIONS:
            why = self.problem(kind, message, version)
            if why is not None:
                raise ProtocolError(f"VDA 5050 {kind} we built is invalid ({version}): {why}")

    def decode(self, kind: str, payload: bytes) -> dict[str, Any]:
        """Parse and check a received message against the schema of the version it names.

        Raises:
            ProtocolError: with ``args[1]`` the refusal reason (``malformed JSON``,
                ``unsupported version``, ``schema-invalid``) and a message naming the field.
        """
        try:
            msg = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProtocolError(f"{kind}: not JSON ({exc})", "malformed JSON") from None
        if not isinstance(msg, dict):
            raise ProtocolError(
                f"{kind}: a JSON {type(msg).__name__}, not an object", "schema-invalid"
            )
        version = msg.get("version")
        schema = next(
            (
                v
                for v in _SCHEMA_VERSIONS
                if isinstance(version, str) and version.split(".")[:2] == v.split(".")[:2]
            ),
            None,
        )
        if schema is None:
            raise ProtocolError(
                f"{kind}: version {version!r} is not 2.0.x or 2.1.x", "unsupported version"
            )
        why = self.problem(kind, msg, schema)
        if why is not None:
            raise ProtocolError(f"{kind} (schema {schema}): {why}", "schema-invalid")
        return msg
