"""VRPTW solver for Solomon-style instances: OR-Tools routing or PyVRP behind one ``solve``.

Distances follow the convention of the BKS the result is compared with
(``../shared/benchmarks/vrp/SOURCES.md``):

* objective ``"distance"``: DIMACS, each arc truncated to 0.1 and travel time equal to it.
  Scaled by 10, every distance and time is an exact integer, so the solver's model is the
  benchmark's model.
* objective ``"hierarchical"``: vehicles first, then double-precision distance. Arcs are
  scaled by 100; the cost is rounded, the travel *time* rounded up, so a solution feasible
  in the model is feasible in double precision. A fixed cost per vehicle larger than any
  route set's distance makes one vehicle fewer always worth more than any distance.

The result is checked again by :mod:`logitwin.tms.check`, which shares no code with this
module.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from logitwin.tms.solomon import VrptwData

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "OBJECTIVES",
    "OrtoolsParams",
    "Solution",
    "SolverStats",
    "solve",
]

Backend = Literal["ortools", "pyvrp"]
Objective = Literal["distance", "hierarchical"]
BACKENDS: tuple[Backend, ...] = ("ortools", "pyvrp")
OBJECTIVES: tuple[Objective, ...] = ("distance", "hierarchical")
#: Chosen by measurement: see ``benchmarks/vrptw_solomon.py`` and docs/architecture.md.
DEFAULT_BACKEND: Backend = "pyvrp"

_FIRST_SOLUTIONS = (
    "PARALLEL_CHEAPEST_INSERTION",
    "PATH_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_INSERTION",
    "SAVINGS",
    "CHRISTOFIDES",
    "AUTOMATIC",
)
_METAHEURISTICS = ("GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH", "AUTOMATIC")


@dataclass(frozen=True, slots=True)
class OrtoolsParams:
    """Tuning of the OR-Tools backend.

    Attributes:
        first_solution: a ``FirstSolutionStrategy`` name, one of
            PARALLEL_CHEAPEST_INSERTION, PATH_CHEAPEST_ARC, LOCAL_CHEAPEST_INSERTION, SAVINGS,
            CHRISTOFIDES, AUTOMATIC.
        metaheuristic: a ``LocalSearchMetaheuristic`` name, one of GUIDED_LOCAL_SEARCH,
            SIMULATED_ANNEALING, TABU_SEARCH, AUTOMATIC.
        gls_lambda: guided local search penalty coefficient, in (0, 10].
    """

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1

    def __post_init__(self) -> None:
        if self.first_solution not in _FIRST_SOLUTIONS:
            raise ValueError(
                f"first_solution={self.first_solution!r}; use one of {', '.join(_FIRST_SOLUTIONS)}"
            )
        if self.metaheuristic not in _METAHEURISTICS:
            raise ValueError(
                f"metaheuristic={self.metaheuristic!r}; use one of {', '.join(_METAHEURISTICS)}"
            )
        if not 0 < self.gls_lambda <= 10:
            raise ValueError(f"gls_lambda={self.gls_lambda}; use a value in (0, 10]")


@dataclass(frozen=True, slots=True)
class SolverStats:
    """How a solve went.

    Attributes:
        backend: ``"ortools"`` or ``"pyvrp"``.
        wall_s: wall time of the whole call, model building included (s).
        status: the backend's final status in words.
        iterations: search iterations (PyVRP), or 0 where the backend does not say.
    """

    backend: str
    wall_s: float
    status: str
    iterations: int = 0


@dataclass(frozen=True, slots=True)
class Solution:
    """Routes found for a :class:`VrptwData` instance.

    Attributes:
        routes: customer numbers per used vehicle, depot excluded at both ends.
        distance: total distance in the objective's convention (DIMACS for ``"distance"``,
            double precision for ``"hierarchical"``), as the solver computes it.
        vehicles: routes used.
        feasible: the backend's own claim; check it with :func:`logitwin.tms.check`.
        objective: ``"distance"`` or ``"hierarchical"``.
        stats: solver statistics.
    """

    routes: tuple[tuple[int, ...], ...]
    distance: float
    vehicles: int
    feasible: bool
    objective: Objective
    stats: SolverStats = field(compare=False)


def _scaled(data: VrptwData, objective: Objective) -> tuple[int, list[list[int]], list[list[int]]]:
    """Scale factor, integer cost matrix and integer travel-time matrix."""
    n = len(data.x)
    scale = 10 if objective == "distance" else 100
    cost = [[0] * n for _ in range(n)]
    travel = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            dx = data.x[i] - data.x[j]
            dy = data.y[i] - data.y[j]
            if objective == "distance":
                d2 = dx * dx + dy * dy
                # floor(10 * euclid), exactly, for integer coordinates.
                c = math.isqrt(round(100 * d2)) if d2 == int(d2) else math.floor(10 * math.sqrt(d2))
                cost[i][j] = travel[i][j] = c
            else:
                d = math.hypot(dx, dy) * scale
                cost[i][j] = round(d)
                travel[i][j] = math.ceil(d - 1e-9)
    return scale, cost, travel


def _distance(data: VrptwData, routes: tuple[tuple[int, ...], ...], objective: Objective) -> float:
    if objective == "distance":
        _, cost, _ = _scaled(data, "distance")
        return sum(cost[a][b] for r in routes for a, b in zip((0, *r), (*r, 0), strict=True)) / 10
    return math.fsum(
        math.hypot(data.x[a] - data.x[b], data.y[a] - data.y[b])
        for r in routes
        for a, b in zip((0, *r), (*r, 0), strict=True)
    )


def _fixed_cost(cost: list[list[int]]) -> int:
    # Serving every customer on its own vehicle bounds any solution's distance from above.
    return sum(cost[0][i] + cost[i][0] for i in range(1, len(cost))) + 1


def _solve_ortools(
    data: VrptwData, time_limit_s: float, objective: Objective, params: OrtoolsParams
) -> tuple[tuple[tuple[int, ...], ...], bool, str, int]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    scale, cost, travel = _scaled(data, objective)
    n = len(data.x)
    service = [round(s * scale) for s in data.service]
    manager = pywrapcp.RoutingIndexManager(n, data.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    arc = routing.RegisterTransitMatrix(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    if objective == "hierarchical":
        routing.SetFixedCostOfAllVehicles(_fixed_cost(cost))
    demand = routing.RegisterUnaryTransitVector(list(data.demand))
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [data.capacity] * data.vehicles, True, "load"
    )
    step = routing.RegisterTransitMatrix(
        [[service[i] + travel[i][j] for j in range(n)] for i in range(n)]
    )
    horizon = math.floor(data.due[0] * scale)
    routing.AddDimension(step, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        tdim.CumulVar(manager.NodeToIndex(node)).SetRange(
            math.ceil(data.ready[node] * scale), math.floor(data.due[node] * scale)
        )
    for v in range(data.vehicles):
        tdim.CumulVar(routing.Start(v)).SetRange(math.ceil(data.ready[0] * scale), horizon)
        tdim.CumulVar(routing.End(v)).SetRange(math.ceil(data.ready[0] * scale), horizon)
        # Leave as late as possible: minimal waiting, no effect on distance.
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, params.first_solution
    )
    sp.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    sp.guided_local_search_lambda_coefficient = params.gls_lambda
    sp.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    sol = routing.SolveWithParameters(sp)
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status())
    if sol is None:
        return (), False, status, 0
    routes: list[tuple[int, ...]] = []
    for v in range(data.vehicles):
        idx = routing.Start(v)
        stops: list[int] = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            stops.append(manager.IndexToNode(idx))
            idx = sol.Value(routing.NextVar(idx))
        if stops:
            routes.append(tuple(stops))
    return tuple(routes), True, status, 0


def _solve_pyvrp(
    data: VrptwData, time_limit_s: float, seed: int, objective: Objective
) -> tuple[tuple[tuple[int, ...], ...], bool, str, int]:
    try:
        from pyvrp import Model
        from pyvrp.stop import MaxRuntime
    except ImportError:
        raise ImportError(
            "backend='pyvrp' needs the pyvrp package: pip install 'pyvrp>=0.14,<0.15', "
            "or use backend='ortools'"
        ) from None

    scale, cost, travel = _scaled(data, objective)
    n = len(data.x)
    m = Model()
    locs = [m.add_location(data.x[i], data.y[i], name=str(i)) for i in range(n)]
    m.add_vehicle_type(
        num_available=data.vehicles,
        capacity=data.capacity,
        fixed_cost=_fixed_cost(cost) if objective == "hierarchical" else 0,
        tw_early=math.ceil(data.ready[0] * scale),
        tw_late=math.floor(data.due[0] * scale),
    )
    m.add_depot(
        locs[0],
        tw_early=math.ceil(data.ready[0] * scale),
        tw_late=math.floor(data.due[0] * scale),
    )
    for i in range(1, n):
        m.add_client(
            locs[i],
            delivery=data.demand[i],
            service_duration=round(data.service[i] * scale),
            tw_early=math.ceil(data.ready[i] * scale),
            tw_late=math.floor(data.due[i] * scale),
        )
    for i in range(n):
        for j in range(n):
            m.add_edge(locs[i], locs[j], distance=cost[i][j], duration=travel[i][j])
    res = m.solve(stop=MaxRuntime(time_limit_s), seed=seed, display=False, collect_stats=False)
    best: Any = res.best
    # A route iterates over scheduled activities; a client's idx counts clients from 0.
    routes = tuple(
        stops for r in best.routes() if (stops := tuple(int(a.idx) + 1 for a in r if a.is_client()))
    )
    feasible = bool(best.is_feasible()) and best.is_complete()
    status = "feasible" if feasible else "infeasible"
    return routes, feasible, status, int(res.num_iterations)


def solve(
    data: VrptwData,
    time_limit_s: float,
    seed: int = 0,
    backend: Backend = DEFAULT_BACKEND,
    objective: Objective = "distance",
    ortools: OrtoolsParams | None = None,
) -> Solution:
    """Route every customer of ``data`` within the time limit.

    Args:
        data: the instance.
        time_limit_s: search time (s), model building excluded; > 0.
        seed: PyVRP's random seed. OR-Tools routing search is deterministic and ignores it.
        backend: ``"ortools"`` or ``"pyvrp"``.
        objective: ``"distance"`` (DIMACS) or ``"hierarchical"`` (vehicles, then distance).
        ortools: OR-Tools tuning (default :class:`OrtoolsParams`).

    Returns:
        The best solution found; ``feasible`` is False when the backend found none that
        serves every customer within its limits.
    """
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s={time_limit_s}; give a positive number of seconds")
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}; use one of {', '.join(BACKENDS)}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective={objective!r}; use one of {', '.join(OBJECTIVES)}")
    t0 = time.perf_counter()
    if backend == "ortools":
        routes, ok, status, iters = _solve_ortools(
            data, time_limit_s, objective, ortools or OrtoolsParams()
        )
    else:
        routes, ok, status, iters = _solve_pyvrp(data, time_limit_s, seed, objective)
    wall = time.perf_counter() - t0
    return Solution(
        routes=routes,
        distance=_distance(data, routes, objective),
        vehicles=len(routes),
        feasible=ok,
        objective=objective,
        stats=SolverStats(backend, wall, status, iters),
    )
