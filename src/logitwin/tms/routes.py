"""Outbound delivery routes: a fleet of truck types, weight and volume, time windows, and
drivers' hours of service as hard constraints, on OR-Tools routing.

The model:

* arc cost: distance (m); a fixed cost per truck used (its type's ``fixed_cost``).
* ``weight`` and ``volume`` dimensions: per-truck capacities (demand rounded up, capacity
  down, to whole kg and litres).
* ``time`` dimension: transit = service at the origin + drive time; slack is waiting; an
  order's cumul is the start of its service, within ``[ready_s, due_s]``.
* hours of service (when ``rules`` is given): a ``drive`` dimension caps a route's driving
  at the daily limit; the route's span is capped at the duty window; optional break
  intervals on the time dimension with ``SetBreakDistanceDurationOfVehicle`` allow no
  more than the driving-before-break limit of *elapsed* time between breaks. Elapsed time
  bounds driving time, so every route is legal under the driving-time rules, which
  :func:`logitwin.tms.hos.check_hos` confirms on the timeline with the breaks placed.
* an order that no truck can serve legally is refused (left unassigned, with a penalty
  larger than any route's cost) rather than making the whole problem infeasible.

Routes are single-shift: a truck leaves the depot and is back within one duty window; the
daily rest happens after the route. The model is conservative where OR-Tools' break
constraints measure elapsed rather than driving time: the whole route, unloading included,
fits in the duty window (FMCSA would allow work, not driving, after the 14th hour), and
unloading never stands in for a break (FMCSA would count 30 min of it). A route it returns
is legal; a route it refuses may, rarely, have been legal.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from logitwin.tms.hos import Activity, HosRules, check_hos, place_breaks

__all__ = ["Order", "PlannedRoute", "RoutePlan", "RouteProblem", "TruckType", "solve_routes"]


@dataclass(frozen=True, slots=True)
class Order:
    """An outbound order delivered at one location.

    Attributes:
        name: order id.
        location: index into the problem's matrices (0 is the depot; orders use 1..).
        weight_kg: weight (kg), >= 0.
        volume_m3: volume (m³), >= 0.
        ready_s: earliest service start (s).
        due_s: latest service start (s).
        service_s: unloading time (s).
    """

    name: str
    location: int
    weight_kg: float
    volume_m3: float
    ready_s: float
    due_s: float
    service_s: float

    def __post_init__(self) -> None:
        if self.location < 1:
            raise ValueError(
                f"order {self.name}: location={self.location}; 0 is the depot, use 1.."
            )
        for f in ("weight_kg", "volume_m3", "service_s", "ready_s"):
            if not getattr(self, f) >= 0:
                raise ValueError(f"order {self.name}: {f}={getattr(self, f)}; must be >= 0")
        if not self.due_s >= self.ready_s:
            raise ValueError(
                f"order {self.name}: due_s={self.due_s} before ready_s={self.ready_s}; "
                "give a window with due_s >= ready_s"
            )


@dataclass(frozen=True, slots=True)
class TruckType:
    """A kind of truck in the fleet.

    Attributes:
        name: type name.
        count: trucks of this type available (>= 1).
        max_weight_kg: payload (kg).
        max_volume_m3: cargo volume (m³).
        fixed_cost: cost of using one truck, in metres of distance.
    """

    name: str
    count: int
    max_weight_kg: float
    max_volume_m3: float
    fixed_cost: int = 0

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"truck type {self.name}: count={self.count}; use 1 or more")
        if not (self.max_weight_kg > 0 and self.max_volume_m3 > 0):
            raise ValueError(
                f"truck type {self.name}: max_weight_kg={self.max_weight_kg}, "
                f"max_volume_m3={self.max_volume_m3}; both must be > 0"
            )
        if self.fixed_cost < 0:
            raise ValueError(f"truck type {self.name}: fixed_cost={self.fixed_cost}; must be >= 0")


@dataclass(frozen=True, slots=True)
class RouteProblem:
    """Immutable delivery problem: depot 0, orders at locations 1.., a mixed fleet.

    Attributes:
        distance_m: distance matrix (m), square, location 0 the depot.
        drive_s: drive-time matrix (s), same shape.
        orders: the orders.
        trucks: truck types.
        depot_open_s: earliest departure (s).
        depot_close_s: latest return (s).
        rules: hours-of-service rules enforced as hard constraints, or None.
        names: a name per location for the plan (default ``"depot"``, ``"L1"``, ...).
    """

    distance_m: tuple[tuple[int, ...], ...]
    drive_s: tuple[tuple[int, ...], ...]
    orders: tuple[Order, ...]
    trucks: tuple[TruckType, ...]
    depot_open_s: float = 0.0
    depot_close_s: float = 24 * 3600.0
    rules: HosRules | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.distance_m)
        for label, m in (("distance_m", self.distance_m), ("drive_s", self.drive_s)):
            if len(m) != n or any(len(row) != n for row in m):
                raise ValueError(f"{label} must be {n}x{n} like distance_m; fix its shape")
            if any(v < 0 for row in m for v in row):
                raise ValueError(f"{label} has a negative entry; distances and times are >= 0")
        for o in self.orders:
            if o.location >= n:
                raise ValueError(
                    f"order {o.name}: location={o.location}, but the matrices have {n} locations"
                )
        if not self.trucks:
            raise ValueError("no truck types; give at least one TruckType")
        if not self.depot_close_s > self.depot_open_s:
            raise ValueError(
                f"depot_close_s={self.depot_close_s} not after depot_open_s={self.depot_open_s}"
            )
        if self.names and len(self.names) != n:
            raise ValueError(f"names has {len(self.names)} entries; give one per location ({n})")

    def name_of(self, location: int) -> str:
        """The location's name."""
        if self.names:
            return self.names[location]
        return "depot" if location == 0 else f"L{location}"


@dataclass(frozen=True, slots=True)
class PlannedRoute:
    """One truck's route.

    Attributes:
        truck: the truck type's name.
        vehicle: index of the truck in the fleet (types in order, ``count`` each).
        orders: order names in visiting order.
        timeline: drives, waits, services (``"work"``) and breaks, with times (s).
        distance_m: route distance (m).
        weight_kg: load (kg).
        volume_m3: load (m³).
        hos_violations: what :func:`logitwin.tms.hos.check_hos` finds (empty: legal).
    """

    truck: str
    vehicle: int
    orders: tuple[str, ...]
    timeline: tuple[Activity, ...]
    distance_m: int
    weight_kg: float
    volume_m3: float
    hos_violations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """The result of :func:`solve_routes`.

    Attributes:
        routes: routes of the trucks used.
        unassigned: orders no truck could serve within the constraints.
        distance_m: total distance (m).
        wall_s: solve wall time (s).
        status: OR-Tools' final status.
    """

    routes: tuple[PlannedRoute, ...]
    unassigned: tuple[str, ...]
    distance_m: int
    wall_s: float
    status: str


def _timeline(
    p: RouteProblem,
    stops: Sequence[int],
    starts: Sequence[int],
    breaks: Sequence[tuple[int, int]],
    service: Sequence[int],
    due: Sequence[float],
) -> tuple[Activity, ...]:
    """Drives, waits, work and breaks from the node sequence (locations), the service start
    at each node and the break intervals (start, duration)."""
    out: list[Activity] = []
    for k in range(len(stops) - 1):
        a, b = stops[k], stops[k + 1]
        dep = starts[k] + service[k]
        arr = starts[k + 1]
        if k > 0 and service[k] > 0:
            out.append(Activity("work", starts[k], service[k], p.name_of(a), latest_start_s=due[k]))
        t, left, where = float(dep), float(p.drive_s[a][b]), p.name_of(b)
        # Drive as early as possible around the breaks that OR-Tools put in this leg.
        for bs, bd in sorted(x for x in breaks if dep <= x[0] < arr):
            chunk = min(left, bs - t)
            if chunk > 0:
                out.append(Activity("drive", t, chunk, where))
                t += chunk
                left -= chunk
            if bs > t:
                out.append(Activity("wait", t, bs - t, where))
            out.append(Activity("break", float(bs), float(bd), where))
            t = float(bs + bd)
        if left > 0:
            out.append(Activity("drive", t, left, where))
            t += left
        if arr > t:
            out.append(Activity("wait", t, arr - t, where))
    return tuple(out)


def solve_routes(
    problem: RouteProblem,
    time_limit_s: float = 5.0,
    max_breaks_per_route: int = 3,
    solution_limit: int | None = None,
    prefer_early: bool = False,
) -> RoutePlan:
    """Group the orders into truck routes with OR-Tools (guided local search).

    Args:
        problem: the delivery problem.
        time_limit_s: search time (s), > 0.
        max_breaks_per_route: optional break intervals per truck (hours of service only).
        solution_limit: stop after this many solutions found (>= 1): a limit on work, not
            time, so the same problem gives the same plan on any machine as long as the
            time limit is not reached first (the twin relies on it).
        prefer_early: also cost each second a truck returns after ``depot_open_s``, so
            routes leave as early as their windows allow instead of anywhere their span
            fits (a dispatcher sending trucks out now).

    Returns:
        The plan; orders that cannot be served legally are in ``unassigned``.
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s={time_limit_s}; give a positive number of seconds")
    if max_breaks_per_route < 0:
        raise ValueError(f"max_breaks_per_route={max_breaks_per_route}; use 0 or more")
    if solution_limit is not None and solution_limit < 1:
        raise ValueError(f"solution_limit={solution_limit}; use 1 or more (or None)")
    t0 = time.perf_counter()
    p = problem
    fleet = [t for t in p.trucks for _ in range(t.count)]
    nodes = [0] + [o.location for o in p.orders]  # node 0 depot, node k order k-1
    n = len(nodes)
    service = [0] + [math.ceil(o.service_s) for o in p.orders]
    dist = [[p.distance_m[nodes[i]][nodes[j]] for j in range(n)] for i in range(n)]
    drive = [[p.drive_s[nodes[i]][nodes[j]] for j in range(n)] for i in range(n)]
    manager = pywrapcp.RoutingIndexManager(n, len(fleet), 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(dist))
    for v, truck in enumerate(fleet):
        routing.SetFixedCostOfVehicle(truck.fixed_cost, v)
    kg = routing.RegisterUnaryTransitVector([0] + [math.ceil(o.weight_kg) for o in p.orders])
    routing.AddDimensionWithVehicleCapacity(
        kg, 0, [math.floor(t.max_weight_kg) for t in fleet], True, "weight"
    )
    litres = routing.RegisterUnaryTransitVector(
        [0] + [math.ceil(o.volume_m3 * 1000) for o in p.orders]
    )
    routing.AddDimensionWithVehicleCapacity(
        litres, 0, [math.floor(t.max_volume_m3 * 1000) for t in fleet], True, "volume"
    )
    step = routing.RegisterTransitMatrix(
        [[service[i] + drive[i][j] for j in range(n)] for i in range(n)]
    )
    horizon = math.floor(p.depot_close_s)
    routing.AddDimension(step, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for k, o in enumerate(p.orders, start=1):
        idx = manager.NodeToIndex(k)
        tdim.CumulVar(idx).SetRange(math.ceil(o.ready_s), min(math.floor(o.due_s), horizon))
        routing.AddDisjunction([idx], 10 * sum(map(sum, dist)) + 10**7)
    solver = routing.solver()
    rules = p.rules
    for v in range(len(fleet)):
        for idx in (routing.Start(v), routing.End(v)):
            tdim.CumulVar(idx).SetRange(math.ceil(p.depot_open_s), horizon)
        # Every second on duty costs as much as a metre: shifts are not stretched by idle
        # time, which also keeps them inside the duty window.
        tdim.SetSpanCostCoefficientForVehicle(1, v)
        if prefer_early:
            tdim.SetCumulVarSoftUpperBound(routing.End(v), math.ceil(p.depot_open_s), 1)
    if rules is not None:
        routing.AddDimension(
            routing.RegisterTransitMatrix(drive),
            0,
            math.floor(rules.max_daily_drive_s),
            True,
            "drive",
        )
        visit = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
        for v in range(len(fleet)):
            tdim.SetSpanUpperBoundForVehicle(math.floor(rules.max_duty_window_s), v)
            intervals = [
                solver.FixedDurationIntervalVar(
                    0, horizon, math.ceil(rules.break_s), True, f"break {v}.{b}"
                )
                for b in range(max_breaks_per_route)
            ]
            tdim.SetBreakIntervalsOfVehicle(intervals, v, visit)
            tdim.SetBreakDistanceDurationOfVehicle(
                math.floor(rules.max_drive_before_break_s), math.ceil(rules.break_s), v
            )
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    sp.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    if solution_limit is not None:
        sp.solution_limit = solution_limit
    sol = routing.SolveWithParameters(sp)
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status())
    if sol is None:
        return RoutePlan((), tuple(o.name for o in p.orders), 0, time.perf_counter() - t0, status)
    performed: dict[int, list[tuple[int, int]]] = {v: [] for v in range(len(fleet))}
    ivs = sol.IntervalVarContainer()
    for i in range(ivs.Size()):
        el = ivs.Element(i)
        if el.PerformedValue():
            v = int(el.Var().Name().split()[1].split(".")[0])
            performed[v].append((el.StartValue(), el.DurationValue()))
    routes: list[PlannedRoute] = []
    served: set[int] = set()
    for v, truck in enumerate(fleet):
        idx = routing.Start(v)
        seq, starts = [0], [sol.Value(tdim.CumulVar(idx))]
        while not routing.IsEnd(idx):
            idx = sol.Value(routing.NextVar(idx))
            node = manager.IndexToNode(idx)
            seq.append(node)
            starts.append(sol.Value(tdim.CumulVar(idx)))
        if len(seq) <= 2:
            continue
        served.update(seq[1:-1])
        ords = [p.orders[k - 1] for k in seq[1:-1]]
        timeline = _timeline(
            p,
            [nodes[k] for k in seq],
            starts,
            performed[v],
            [service[k] for k in seq],
            [math.inf] + [o.due_s for o in ords] + [math.inf],
        )
        if rules is not None:
            # Re-time with the breaks as late as the rules allow (a 45 min break after
            # 4.5 h of driving, not wherever the solver left it); keep the solver's
            # placement where that would miss a time window or the depot's closing.
            legs: list[Activity] = []
            for k in range(len(seq) - 1):
                if k > 0:
                    o = p.orders[seq[k] - 1]
                    here = p.name_of(nodes[seq[k]])
                    legs.append(Activity("work", o.ready_s, o.service_s, here, o.due_s))
                to = p.name_of(nodes[seq[k + 1]])
                legs.append(
                    Activity("drive", starts[0] if k == 0 else 0.0, drive[seq[k]][seq[k + 1]], to)
                )
            late = place_breaks(legs, rules)
            if late.legal and late.activities[-1].end_s <= p.depot_close_s:
                timeline = late.activities
        routes.append(
            PlannedRoute(
                truck=truck.name,
                vehicle=v,
                orders=tuple(o.name for o in ords),
                timeline=timeline,
                distance_m=sum(dist[a][b] for a, b in itertools.pairwise(seq)),
                weight_kg=math.fsum(o.weight_kg for o in ords),
                volume_m3=math.fsum(o.volume_m3 for o in ords),
                hos_violations=tuple(check_hos(timeline, rules)) if rules else (),
            )
        )
    unassigned = tuple(o.name for k, o in enumerate(p.orders, start=1) if k not in served)
    return RoutePlan(
        tuple(routes),
        unassigned,
        sum(r.distance_m for r in routes),
        time.perf_counter() - t0,
        status,
    )
