"""Solomon VRPTW instances and CVRPLIB solution files.

A Solomon file names the instance, the fleet (``NUMBER  CAPACITY``) and one row per node
(``CUST NO. XCOORD. YCOORD. DEMAND READY TIME DUE DATE SERVICE TIME``), node 0 being the
depot. A CVRPLIB solution lists one ``Route #k: c1 c2 ...`` line per vehicle (customer
numbers, depot implicit at both ends) and a ``Cost x`` line.

Errors name the file, the line and the field, and raise :class:`InstanceError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logitwin.errors import SiteError

__all__ = [
    "InstanceError",
    "SolutionFile",
    "VrptwData",
    "parse_solomon",
    "parse_solution",
    "read_solomon",
    "read_solution",
    "write_solution",
]

_NODE_FIELDS = (
    "CUST NO.",
    "XCOORD.",
    "YCOORD.",
    "DEMAND",
    "READY TIME",
    "DUE DATE",
    "SERVICE TIME",
)


class InstanceError(SiteError):
    """A VRP instance or solution file is invalid; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class VrptwData:
    """An immutable VRPTW instance: node 0 is the depot, nodes 1..n the customers.

    Coordinates are in distance units; times are in the same units as distance (the
    Solomon convention: travel time equals distance).

    Attributes:
        name: instance name (first line of the file).
        vehicles: vehicles available.
        capacity: capacity of each vehicle (demand units).
        x: x coordinate per node.
        y: y coordinate per node.
        demand: demand per node (0 at the depot).
        ready: earliest service start per node (the depot's opening time).
        due: latest service start per node (the depot's closing time).
        service: service duration per node.
    """

    name: str
    vehicles: int
    capacity: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    demand: tuple[int, ...]
    ready: tuple[float, ...]
    due: tuple[float, ...]
    service: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.x)
        for field in ("y", "demand", "ready", "due", "service"):
            if len(getattr(self, field)) != n:
                raise ValueError(
                    f"{self.name}: {field} has {len(getattr(self, field))} entries, x has {n}; "
                    "give one value per node, depot first"
                )
        if n < 2:
            raise ValueError(f"{self.name}: needs a depot and at least one customer, got {n} nodes")
        if self.vehicles < 1 or self.capacity < 1:
            raise ValueError(
                f"{self.name}: vehicles={self.vehicles}, capacity={self.capacity}; "
                "both must be >= 1"
            )

    @property
    def num_customers(self) -> int:
        """Customers (nodes other than the depot)."""
        return len(self.x) - 1


@dataclass(frozen=True, slots=True)
class SolutionFile:
    """A CVRPLIB solution: routes of customer numbers and the stated cost (None if absent)."""

    routes: tuple[tuple[int, ...], ...]
    cost: float | None


def _num(text: str, where: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InstanceError(f"{where}: field {field!r} is {text!r}, expected a number") from None


def parse_solomon(text: str, source: str = "<string>") -> VrptwData:
    """Parse a Solomon-format instance.

    Args:
        text: the file's content (CRLF or LF line endings).
        source: file name used in error messages.

    Raises:
        InstanceError: naming the file, the line and the field that is wrong.
    """
    lines = text.splitlines()
    nonblank = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    if not nonblank:
        raise InstanceError(f"{source}: empty file, expected a Solomon instance")
    name = nonblank[0][1]
    # Fleet: the line after "NUMBER ... CAPACITY".
    fleet_at = next(
        (k for k, (_, ln) in enumerate(nonblank) if ln.upper().startswith("NUMBER")), None
    )
    if fleet_at is None or fleet_at + 1 >= len(nonblank):
        raise InstanceError(f"{source}: no 'NUMBER CAPACITY' header followed by the fleet line")
    lineno, fleet = nonblank[fleet_at + 1]
    parts = fleet.split()
    where = f"{source} line {lineno}"
    if len(parts) != 2:
        raise InstanceError(f"{where}: expected 'NUMBER CAPACITY' (2 fields), got {fleet!r}")
    vehicles = _num(parts[0], where, "NUMBER")
    capacity = _num(parts[1], where, "CAPACITY")
    if vehicles != int(vehicles) or vehicles < 1:
        raise InstanceError(f"{where}: field 'NUMBER' is {parts[0]!r}, expected an integer >= 1")
    if capacity != int(capacity) or capacity < 1:
        raise InstanceError(f"{where}: field 'CAPACITY' is {parts[1]!r}, expected an integer >= 1")
    head_at = next(
        (k for k, (_, ln) in enumerate(nonblank) if ln.upper().startswith("CUST NO")), None
    )
    if head_at is None:
        raise InstanceError(f"{source}: no 'CUST NO.' header before the node table")
    rows: list[list[float]] = []
    for lineno, ln in nonblank[head_at + 1 :]:
        where = f"{source} line {lineno}"
        parts = ln.split()
        if len(parts) != len(_NODE_FIELDS):
            raise InstanceError(
                f"{where}: expected {len(_NODE_FIELDS)} fields ({', '.join(_NODE_FIELDS)}), "
                f"got {len(parts)}: {ln!r}"
            )
        row = [_num(p, where, f) for p, f in zip(parts, _NODE_FIELDS, strict=True)]
        if row[0] != len(rows):
            raise InstanceError(
                f"{where}: field 'CUST NO.' is {parts[0]}, expected {len(rows)} "
                "(nodes numbered 0, 1, 2, ... with the depot first)"
            )
        if row[3] < 0 or row[3] != int(row[3]):
            raise InstanceError(
                f"{where}: field 'DEMAND' is {parts[3]!r}, expected an integer >= 0"
            )
        if row[5] < row[4]:
            raise InstanceError(
                f"{where}: field 'DUE DATE' is {parts[5]}, before 'READY TIME' {parts[4]}"
            )
        if row[6] < 0:
            raise InstanceError(f"{where}: field 'SERVICE TIME' is {parts[6]}, expected >= 0")
        rows.append(row)
    if len(rows) < 2:
        raise InstanceError(f"{source}: the node table needs the depot and at least one customer")
    return VrptwData(
        name=name,
        vehicles=int(vehicles),
        capacity=int(capacity),
        x=tuple(r[1] for r in rows),
        y=tuple(r[2] for r in rows),
        demand=tuple(int(r[3]) for r in rows),
        ready=tuple(r[4] for r in rows),
        due=tuple(r[5] for r in rows),
        service=tuple(r[6] for r in rows),
    )


def read_solomon(path: str | Path) -> VrptwData:
    """Read a Solomon-format instance file (see :func:`parse_solomon`)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise InstanceError(f"{p}: cannot read the instance: {e.strerror}") from None
    return parse_solomon(text, str(p))


_ROUTE = re.compile(r"^Route\s*#\s*(\d+)\s*:(.*)$", re.IGNORECASE)


def parse_solution(text: str, source: str = "<string>") -> SolutionFile:
    """Parse a CVRPLIB solution (``Route #1: 3 5 7`` lines, then ``Cost 828.94``).

    Raises:
        InstanceError: naming the file, the line and the field that is wrong.
    """
    routes: list[tuple[int, ...]] = []
    cost: float | None = None
    for i, raw in enumerate(text.splitlines(), start=1):
        ln = raw.strip()
        if not ln:
            continue
        where = f"{source} line {i}"
        m = _ROUTE.match(ln)
        if m:
            stops: list[int] = []
            for tok in m.group(2).split():
                if not tok.isdigit():
                    raise InstanceError(
                        f"{where}: route #{m.group(1)} has customer {tok!r}, expected an integer"
                    )
                stops.append(int(tok))
            routes.append(tuple(stops))
        elif ln.lower().startswith("cost"):
            parts = ln.split()
            if len(parts) != 2:
                raise InstanceError(f"{where}: expected 'Cost <number>', got {ln!r}")
            cost = _num(parts[1], where, "Cost")
        else:
            raise InstanceError(
                f"{where}: expected 'Route #k: c1 c2 ...' or 'Cost x', got {ln[:40]!r}"
            )
    return SolutionFile(routes=tuple(routes), cost=cost)


def read_solution(path: str | Path) -> SolutionFile:
    """Read a CVRPLIB solution file (see :func:`parse_solution`)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise InstanceError(f"{p}: cannot read the solution: {e.strerror}") from None
    return parse_solution(text, str(p))


def write_solution(path: str | Path, routes: Sequence[Sequence[int]], cost: float) -> None:
    """Write routes (customer numbers, without the depot) in CVRPLIB format."""
    lines = [
        f"Route #{k}: {' '.join(str(c) for c in r)}"
        for k, r in enumerate((r for r in routes if r), start=1)
    ]
    lines.append(f"Cost {cost:.10g}")
    Path(path).write_text("\n".join(lines) + "\n")
