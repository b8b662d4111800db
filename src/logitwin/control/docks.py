"""Dock doors: which truck gets which door, and when.

A :class:`DockProblem` holds the doors, the day's truck visits and the horizon, all in
whole seconds. A solver turns it into a :class:`DockSchedule`: each truck's door, start
and end, with the waiting and lateness KPIs. Two solvers meet that contract:

* :func:`fcfs`, the baseline: trucks in arrival order, each on the compatible door that
  frees first; no door is ever left idle on purpose.
* :func:`logitwin.control.docks_cpsat.cpsat`: OR-Tools CP-SAT, minimising weighted
  waiting plus weighted lateness, hinted so it is never worse than FCFS; and
  :func:`logitwin.control.docks_cpsat.resolve` to re-plan when a truck is late.

:func:`logitwin.control.docks_check.check` verifies a schedule and shares no code with
either solver. :func:`logitwin.control.docks_peak.peak_day` makes benchmark days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DIRECTIONS",
    "DOOR_KINDS",
    "Assignment",
    "DockProblem",
    "DockSchedule",
    "Door",
    "TruckVisit",
    "compare",
    "fcfs",
]

DoorKind = Literal["inbound", "outbound", "both"]
Direction = Literal["inbound", "outbound"]
DOOR_KINDS: tuple[DoorKind, ...] = ("inbound", "outbound", "both")
DIRECTIONS: tuple[Direction, ...] = ("inbound", "outbound")


def _seconds(owner: str, name: str, value: object, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{owner}: {name}={value!r} is not whole seconds; pass an int")
    if value < minimum:
        raise ValueError(f"{owner}: {name}={value} s; use a value >= {minimum} s")


@dataclass(frozen=True, slots=True)
class Door:
    """A dock door.

    Args:
        id: the door's name.
        kind: ``"inbound"``, ``"outbound"`` or ``"both"``: which truck directions it serves.
        accepts: the truck classes it can take (e.g. no 53 ft trailers at a van door);
            ``None`` takes every class.
    """

    id: str
    kind: DoorKind = "both"
    accepts: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in DOOR_KINDS:
            raise ValueError(f"door {self.id!r}: kind={self.kind!r}; use one of {DOOR_KINDS}")
        if self.accepts is not None:
            object.__setattr__(self, "accepts", frozenset(self.accepts))
            if not self.accepts:
                raise ValueError(
                    f"door {self.id!r}: accepts is empty, so no truck could use it; "
                    "list its truck classes or pass None for all"
                )

    def takes(self, truck: TruckVisit) -> bool:
        """Whether ``truck`` may use this door (direction and class)."""
        return (self.kind == "both" or self.kind == truck.direction) and (
            self.accepts is None or truck.truck_class in self.accepts
        )


@dataclass(frozen=True, slots=True)
class TruckVisit:
    """One truck's visit to the dock.

    Args:
        id: the truck's name.
        direction: ``"inbound"`` (unloading) or ``"outbound"`` (loading).
        truck_class: e.g. ``"trailer"``, ``"van"``; matched against :attr:`Door.accepts`.
        arrive_s: arrival at the yard, the earliest start (s).
        due_s: the latest finish wanted (s); every second past it is lateness.
        service_s: time at the door (s), at least 1.
        weight: priority, 1 to 1000; multiplies both waiting and lateness.
    """

    id: str
    direction: Direction
    truck_class: str
    arrive_s: int
    due_s: int
    service_s: int
    weight: int = 1

    def __post_init__(self) -> None:
        owner = f"truck {self.id!r}"
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{owner}: direction={self.direction!r}; use one of {DIRECTIONS}")
        _seconds(owner, "arrive_s", self.arrive_s)
        _seconds(owner, "due_s", self.due_s)
        _seconds(owner, "service_s", self.service_s, minimum=1)
        if isinstance(self.weight, bool) or not isinstance(self.weight, int):
            raise ValueError(f"{owner}: weight={self.weight!r}; use an int in 1..1000")
        if not 1 <= self.weight <= 1000:
            raise ValueError(f"{owner}: weight={self.weight}; use an int in 1..1000")


def _ceil_to(t: int, slot: int) -> int:
    return -(-t // slot) * slot


@dataclass(frozen=True, slots=True)
class DockProblem:
    """Doors, truck visits and the planning horizon (all times in whole seconds).

    Args:
        doors: the doors, in tie-break order (FCFS prefers the first listed).
        trucks: the truck visits; a schedule lists them in this order.
        horizon_s: every truck must finish by then (s).
        slot_s: starts are multiples of it (s), 1 to ``horizon_s``; e.g. 300 for 5 min slots.
        lateness_weight: lambda in ``sum(weight * waiting) + lambda * sum(weight * lateness)``,
            0 to 10,000: what a second late costs, in seconds of waiting.
    """

    doors: tuple[Door, ...]
    trucks: tuple[TruckVisit, ...]
    horizon_s: int
    slot_s: int = 1
    lateness_weight: int = 5
    #: for each truck, the indices of the doors that take it (ascending)
    compatible: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "doors", tuple(self.doors))
        object.__setattr__(self, "trucks", tuple(self.trucks))
        if not self.doors:
            raise ValueError("DockProblem: no doors; add at least one Door")
        _seconds("DockProblem", "horizon_s", self.horizon_s, minimum=1)
        _seconds("DockProblem", "slot_s", self.slot_s, minimum=1)
        if self.slot_s > self.horizon_s:
            raise ValueError(
                f"DockProblem: slot_s={self.slot_s}; use 1..horizon_s={self.horizon_s}"
            )
        lam = self.lateness_weight
        if isinstance(lam, bool) or not isinstance(lam, int) or not 0 <= lam <= 10_000:
            raise ValueError(f"DockProblem: lateness_weight={lam!r}; use an int in 0..10000")
        for what, ids in (
            ("door", [d.id for d in self.doors]),
            ("truck", [t.id for t in self.trucks]),
        ):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"DockProblem: {what} ids {dup} appear twice; make them unique")
        compatible = []
        for t in self.trucks:
            fit = tuple(d for d, door in enumerate(self.doors) if door.takes(t))
            if not fit:
                raise ValueError(
                    f"truck {t.id!r} ({t.direction}, class {t.truck_class!r}): no door takes it; "
                    f"add a door of kind {t.direction!r} or 'both' that accepts {t.truck_class!r}"
                )
            end = _ceil_to(t.arrive_s, self.slot_s) + t.service_s
            if end > self.horizon_s:
                raise ValueError(
                    f"truck {t.id!r}: arrive_s={t.arrive_s} + service_s={t.service_s} ends at "
                    f"{end} s, past horizon_s={self.horizon_s}; extend the horizon or drop it"
                )
            compatible.append(fit)
        object.__setattr__(self, "compatible", tuple(compatible))

    def index(self, truck_id: str) -> int:
        """The position of truck ``truck_id`` in :attr:`trucks`."""
        for i, t in enumerate(self.trucks):
            if t.id == truck_id:
                return i
        raise ValueError(f"unknown truck {truck_id!r}; the problem has {len(self.trucks)} trucks")


@dataclass(frozen=True, slots=True)
class Assignment:
    """One truck at one door: ``[start_s, end_s)`` (s)."""

    truck: str
    door: str
    start_s: int
    end_s: int


@dataclass(frozen=True, slots=True)
class DockSchedule:
    """A schedule and its KPIs (times in s). Build one with :meth:`build`.

    Attributes:
        assignments: one per truck, in the problem's truck order.
        method: who made it (``"fcfs"``, ``"cpsat"``, ...).
        status: the solver's word: ``"fcfs"``, ``"optimal"``, ``"feasible"``, or
            ``"hint"`` where CP-SAT found nothing better than its warm start.
        feasible: every truck placed once and finished within the horizon.
        total_wait_s, mean_wait_s, max_wait_s: waiting = start - arrival.
        weighted_wait: ``sum(weight * waiting)``.
        total_lateness_s, weighted_lateness, late_trucks: lateness = max(0, end - due).
        objective: ``weighted_wait + lateness_weight * weighted_lateness``.
        door_utilisation: per door (problem order), busy time / horizon.
        solve_s: wall time spent solving (s).
    """

    assignments: tuple[Assignment, ...]
    method: str
    status: str
    feasible: bool
    total_wait_s: int
    mean_wait_s: float
    max_wait_s: int
    weighted_wait: int
    total_lateness_s: int
    weighted_lateness: int
    late_trucks: int
    objective: int
    door_utilisation: tuple[float, ...]
    solve_s: float = 0.0

    @classmethod
    def build(
        cls,
        problem: DockProblem,
        assignments: Iterable[Assignment],
        method: str,
        status: str,
        solve_s: float = 0.0,
    ) -> DockSchedule:
        """A schedule with its KPIs computed from ``assignments`` (any order)."""
        by_truck = {a.truck: a for a in assignments}
        rows = tuple(by_truck[t.id] for t in problem.trucks if t.id in by_truck)
        trucks = {t.id: t for t in problem.trucks}
        waits = [a.start_s - trucks[a.truck].arrive_s for a in rows]
        lates = [max(0, a.end_s - trucks[a.truck].due_s) for a in rows]
        weights = [trucks[a.truck].weight for a in rows]
        busy = {d.id: 0 for d in problem.doors}
        for a in rows:
            busy[a.door] = busy.get(a.door, 0) + a.end_s - a.start_s
        ww = sum(w * x for w, x in zip(weights, waits, strict=True))
        wl = sum(w * x for w, x in zip(weights, lates, strict=True))
        return cls(
            assignments=rows,
            method=method,
            status=status,
            feasible=len(rows) == len(problem.trucks)
            and all(a.end_s <= problem.horizon_s for a in rows),
            total_wait_s=sum(waits),
            mean_wait_s=sum(waits) / len(rows) if rows else 0.0,
            max_wait_s=max(waits, default=0),
            weighted_wait=ww,
            total_lateness_s=sum(lates),
            weighted_lateness=wl,
            late_trucks=sum(1 for x in lates if x > 0),
            objective=ww + problem.lateness_weight * wl,
            door_utilisation=tuple(busy[d.id] / problem.horizon_s for d in problem.doors),
            solve_s=solve_s,
        )

    def of(self, truck_id: str) -> Assignment:
        """Truck ``truck_id``'s assignment."""
        for a in self.assignments:
            if a.truck == truck_id:
                return a
        raise ValueError(f"truck {truck_id!r} is not in this schedule")

    def kpis(self) -> dict[str, float]:
        """The KPIs as a flat dict (for JSON and the what-if report)."""
        util = self.door_utilisation
        return {
            "total_wait_s": self.total_wait_s,
            "mean_wait_s": self.mean_wait_s,
            "max_wait_s": self.max_wait_s,
            "weighted_wait": self.weighted_wait,
            "total_lateness_s": self.total_lateness_s,
            "weighted_lateness": self.weighted_lateness,
            "late_trucks": self.late_trucks,
            "objective": self.objective,
            "mean_door_utilisation": sum(util) / len(util) if util else 0.0,
            "solve_s": self.solve_s,
        }


def compare(baseline: DockSchedule, candidate: DockSchedule) -> dict[str, float | None]:
    """Each KPI's reduction from ``baseline`` to ``candidate`` in % (positive = better).

    Where the baseline's KPI is zero the reduction is 0.0 if the candidate's is zero too,
    else ``None`` (no percentage of zero).
    """
    out: dict[str, float | None] = {}
    b, c = baseline.kpis(), candidate.kpis()
    for k in ("total_wait_s", "max_wait_s", "weighted_wait", "total_lateness_s", "objective"):
        if b[k] == 0:
            out[k] = 0.0 if c[k] == 0 else None
        else:
            out[k] = 100.0 * (b[k] - c[k]) / b[k]
    return out


@dataclass(frozen=True, slots=True)
class _Frame:
    """What a (re-)plan starts from: each truck's earliest start and the fixed trucks."""

    earliest: tuple[int, ...]
    fixed: Mapping[int, Assignment]

    @staticmethod
    def at(
        problem: DockProblem, now_s: int = 0, fixed: Mapping[int, Assignment] | None = None
    ) -> _Frame:
        slot = problem.slot_s
        return _Frame(
            earliest=tuple(_ceil_to(max(t.arrive_s, now_s), slot) for t in problem.trucks),
            fixed=dict(fixed or {}),
        )


def _fcfs(problem: DockProblem, frame: _Frame) -> list[Assignment]:
    """FCFS list scheduling of the trucks not fixed in ``frame``."""
    free = [0] * len(problem.doors)
    for a in frame.fixed.values():
        d = next(k for k, door in enumerate(problem.doors) if door.id == a.door)
        free[d] = max(free[d], a.end_s)
    out = dict(frame.fixed)
    order = sorted(
        (i for i in range(len(problem.trucks)) if i not in frame.fixed),
        key=lambda i: (problem.trucks[i].arrive_s, i),
    )
    for i in order:
        t = problem.trucks[i]
        start, d = min(
            (_ceil_to(max(free[d], frame.earliest[i]), problem.slot_s), d)
            for d in problem.compatible[i]
        )
        free[d] = start + t.service_s
        out[i] = Assignment(t.id, problem.doors[d].id, start, start + t.service_s)
    return [out[i] for i in range(len(problem.trucks))]


def fcfs(problem: DockProblem) -> DockSchedule:
    """First come, first served: the baseline.

    Trucks in arrival order (ties: problem order) each take the compatible door where they
    can start first (ties: the first listed door); a door never idles while a truck it takes
    is waiting.
    """
    return DockSchedule.build(problem, _fcfs(problem, _Frame.at(problem)), "fcfs", "fcfs")
