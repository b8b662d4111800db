"""Independent VRPTW solution checker.

Deliberately shares no code with the solvers (:mod:`logitwin.tms.vrp`): it recomputes
every distance and every arrival time itself from the instance, so a bug in a solver's
distance scaling or time model cannot hide itself from the check.

Two distance conventions (``../shared/benchmarks/vrp/SOURCES.md``):

* ``"dimacs"``: each arc's Euclidean distance truncated to one decimal; travel time equals
  that distance. The convention of the CVRPLIB distance-only BKS.
* ``"double"``: full double precision; the convention of the SINTEF hierarchical BKS.

Violations reported (``Violation.kind``): ``"unknown"`` (a customer number not in the
instance), ``"duplicate"`` (a customer on two routes or twice on one), ``"missing"``,
``"capacity"``, ``"time_window"`` (service would start after the due date; waiting for the
ready time is allowed), ``"depot_return"`` (back after the depot closes), ``"vehicles"``
(more routes than vehicles).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from logitwin.tms.solomon import VrptwData

__all__ = ["CONVENTIONS", "CheckReport", "Convention", "Violation", "check_solution"]

Convention = Literal["dimacs", "double"]
CONVENTIONS: tuple[Convention, ...] = ("dimacs", "double")

# Double-precision arrival times are compared with the due date up to this much (rounding
# noise of summing ~100 square roots); DIMACS times are exact multiples of 0.1.
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong with a solution.

    Attributes:
        kind: see the module docstring.
        route: 1-based route number, or 0 when the violation is not about one route.
        customer: the customer concerned, or 0.
        detail: a sentence naming the values.
    """

    kind: str
    route: int
    customer: int
    detail: str

    def __str__(self) -> str:
        where = f"route #{self.route}: " if self.route else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What :func:`check_solution` found.

    Attributes:
        violations: every violation, empty when the solution is feasible.
        distance: total distance recomputed under ``convention``.
        vehicles: non-empty routes.
        convention: the distance convention used.
    """

    violations: tuple[Violation, ...]
    distance: float
    vehicles: int
    convention: Convention

    @property
    def feasible(self) -> bool:
        """True when there is no violation."""
        return not self.violations


def _arc(data: VrptwData, i: int, j: int, convention: Convention) -> float:
    dx = data.x[i] - data.x[j]
    dy = data.y[i] - data.y[j]
    if convention == "dimacs":
        # Truncation of 10 * sqrt(d2) computed exactly on integers where the coordinates are
        # integers (all Solomon files), so 5.0 stays 5.0 and never 4.9.
        d2 = dx * dx + dy * dy
        if d2 == int(d2):
            return math.isqrt(int(100 * d2)) / 10
        return math.floor(10 * math.sqrt(d2)) / 10
    return math.hypot(dx, dy)


def check_solution(
    data: VrptwData, routes: Sequence[Sequence[int]], convention: Convention = "dimacs"
) -> CheckReport:
    """Check routes against an instance and recompute their distance.

    Args:
        data: the instance.
        routes: customer numbers per route, depot excluded at both ends; empty routes are
            ignored.
        convention: ``"dimacs"`` or ``"double"`` (see the module docstring).

    Returns:
        The violations found, the recomputed distance and the number of vehicles used.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention={convention!r}; use one of {', '.join(CONVENTIONS)}")
    n = len(data.x) - 1
    out: list[Violation] = []
    seen: dict[int, int] = {}
    used = [r for r in routes if len(r) > 0]
    legs: list[float] = []
    for k, route in enumerate(used, start=1):
        load = 0
        t = data.ready[0]
        prev = 0
        for c in route:
            if not 1 <= c <= n:
                out.append(Violation("unknown", k, c, f"customer {c} is not in 1..{n}"))
                continue
            if c in seen:
                first = seen[c]
                where = "twice on this route" if first == k else f"also on route #{first}"
                out.append(Violation("duplicate", k, c, f"customer {c} is {where}"))
            else:
                seen[c] = k
            load += data.demand[c]
            d = _arc(data, prev, c, convention)
            legs.append(d)
            arrive = t + d
            if arrive > data.due[c] + _EPS:
                out.append(
                    Violation(
                        "time_window",
                        k,
                        c,
                        f"arrives at customer {c} at {arrive:.4f}, after its due date "
                        f"{data.due[c]:g}",
                    )
                )
            t = max(arrive, data.ready[c]) + data.service[c]
            prev = c
        d = _arc(data, prev, 0, convention)
        legs.append(d)
        back = t + d
        if back > data.due[0] + _EPS:
            out.append(
                Violation(
                    "depot_return",
                    k,
                    0,
                    f"returns to the depot at {back:.4f}, after it closes at {data.due[0]:g}",
                )
            )
        if load > data.capacity:
            out.append(
                Violation(
                    "capacity", k, 0, f"load {load} exceeds the vehicle capacity {data.capacity}"
                )
            )
    for c in range(1, n + 1):
        if c not in seen:
            out.append(Violation("missing", 0, c, f"customer {c} is on no route"))
    if len(used) > data.vehicles:
        out.append(
            Violation(
                "vehicles",
                0,
                0,
                f"{len(used)} routes, but the instance has {data.vehicles} vehicles",
            )
        )
    # Tenths as integers under DIMACS, so the sum is exact.
    exact = convention == "dimacs"
    distance = sum(round(d * 10) for d in legs) / 10 if exact else math.fsum(legs)
    return CheckReport(tuple(out), distance, len(used), convention)
