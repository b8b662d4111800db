"""The transport controller: orders off the line-haul trucks become delivery routes.

When an outbound truck departs it tells the controller which orders are on board
(:class:`~logitwin.actors.delivery.OutboundDeparted`). Each order's shipment (customer,
weight, volume) is drawn from a stream keyed by the order, so it is the same on every run
and runtime. The controller then plans routes for every waiting order with the vehicles
at the depot (:func:`logitwin.tms.routes.solve_routes`: capacities, customer windows,
service times, hours of service) from now, and hands each route to its vehicle
(:class:`~logitwin.actors.delivery.DeliveryVehicle`).

An order no route takes waits for the next vehicle back and the next planning round; when
a round with the whole fleet free sends out no route, or the order is heavier or bigger
than any truck, or its window closes before a truck could get there, it is *refused*: its
``delivery:ORDER`` row says so, with the reason. No order is dropped silently: every
order that departs has a ``delivery`` row from that moment (``shipped``, then
``planned``, ``delivered`` or ``refused``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby, pairwise

from logitwin.actors.delivery import DriveRoute, OutboundDeparted, VehicleBack, VehicleSpec
from logitwin.actors.runtime import Actor, System, handles
from logitwin.tms.customers import Network, Shipment, draw_shipment
from logitwin.tms.hos import HosRules
from logitwin.tms.routes import Order, PlannedRoute, RouteProblem, TruckType, solve_routes

__all__ = ["RoutingParams", "Transport"]


@dataclass(frozen=True, slots=True)
class RoutingParams:
    """How hard the route solver works per planning round.

    Attributes:
        time_limit_s: wall-clock cap per solve (s), > 0.
        solution_limit: solutions per solve (>= 1); the limit that makes a run determinate
            as long as the time cap is not reached first.
        max_breaks_per_route: break intervals the solver may place per route (>= 0).
    """

    time_limit_s: float = 2.0
    solution_limit: int = 100
    max_breaks_per_route: int = 3

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s={self.time_limit_s}; give a positive number of seconds")
        if self.solution_limit < 1:
            raise ValueError(f"solution_limit={self.solution_limit}; use 1 or more")
        if self.max_breaks_per_route < 0:
            raise ValueError(f"max_breaks_per_route={self.max_breaks_per_route}; use 0 or more")


class Transport(Actor):
    """Plans delivery routes at each departure and when a vehicle comes back.

    Args:
        network: the depot and customers.
        fleet: the delivery vehicles (types consecutive), all at the depot at the start.
        rules: hours-of-service rules, or None.
        weight: each order's weight as a lognormal (mean kg, cv).
        volume: each order's volume as a lognormal (mean m³, cv).
        service_s: unloading time per stop (s).
        routing: solver limits.
    """

    kind = "transport"

    def __init__(
        self,
        system: System,
        aid: str,
        network: Network,
        fleet: tuple[VehicleSpec, ...],
        rules: HosRules | None,
        weight: tuple[float, float],
        volume: tuple[float, float],
        service_s: float,
        routing: RoutingParams | None = None,
    ) -> None:
        super().__init__(system, aid)
        if not fleet:
            raise ValueError(f"{aid}: a transport controller needs at least one vehicle")
        if not service_s >= 0:
            raise ValueError(f"{aid}: service_s={service_s}; must be >= 0")
        self.network = network
        self.fleet = fleet
        self.rules = rules
        self.weight, self.volume = weight, volume
        self.service_s = service_s
        self.routing = routing or RoutingParams()
        self._idle = {v.id for v in fleet}
        self._pending: dict[str, tuple[Shipment, str]] = {}
        self._routes = 0
        self._refused = 0

    def on_start(self) -> None:
        self.set(pending=0, routes=0, refused=0)

    def _row(self, oid: str, /, **fields: object) -> None:
        self.system.record(f"delivery:{oid}", "delivery", fields)

    def _refuse(self, order: str, reason: str) -> None:
        del self._pending[order]
        self._refused += 1
        self._row(order, status="refused", reason=reason)

    @handles(OutboundDeparted)
    def _departed(self, msg: OutboundDeparted, sender: str) -> None:
        n = len(self.network.customers)
        for o in msg.orders:
            sh = draw_shipment(self.system.rng(f"{o}.shipment"), o, n, self.weight, self.volume)
            self._pending[o] = (sh, msg.truck)
            self._row(
                o,
                status="shipped",
                order=o,
                truck=msg.truck,
                customer=self.network.customers[sh.customer - 1].id,
                weight_kg=sh.weight_kg,
                volume_m3=sh.volume_m3,
            )
        self._plan()

    @handles(VehicleBack)
    def _back(self, msg: VehicleBack, sender: str) -> None:
        self._idle.add(msg.vehicle)
        self._plan()

    def _plan(self) -> None:
        now, net = self.now, self.network
        for o, (sh, _) in list(self._pending.items()):
            c = net.customers[sh.customer - 1]
            if not any(
                sh.weight_kg <= v.max_weight_kg and sh.volume_m3 <= v.max_volume_m3
                for v in self.fleet
            ):
                self._refuse(o, "heavier or bigger than any truck of the fleet")
            elif c.close_s < now + net.drive_s(0, sh.customer):
                self._refuse(o, "its window closes before a truck could get there")
        free = [v for v in self.fleet if v.id in self._idle]
        if self._pending and free:
            self._solve(free)
        self.set(pending=len(self._pending), routes=self._routes, refused=self._refused)

    def _solve(self, free: list[VehicleSpec]) -> None:
        now, net = self.now, self.network
        items = list(self._pending.items())
        locs = [0, *dict.fromkeys(sh.customer for _, (sh, _) in items)]
        at = {loc: k for k, loc in enumerate(locs)}
        dist, drive = net.matrices(locs)
        orders = tuple(
            Order(
                o,
                at[sh.customer],
                sh.weight_kg,
                sh.volume_m3,
                net.customers[sh.customer - 1].open_s,
                net.customers[sh.customer - 1].close_s,
                self.service_s,
            )
            for o, (sh, _) in items
        )
        types = tuple(
            TruckType(name, len(vs := list(group)), vs[0].max_weight_kg, vs[0].max_volume_m3,
                      vs[0].fixed_cost)
            for name, group in groupby(free, key=lambda v: v.truck_type)
        )  # fmt: skip
        close = max(now, max(o.due_s for o in orders)) + 24 * 3600.0
        problem = RouteProblem(
            dist, drive, orders, types, depot_open_s=now, depot_close_s=close, rules=self.rules,
            names=tuple("depot" if k == 0 else net.customers[k - 1].id for k in locs),
        )  # fmt: skip
        r = self.routing
        plan = solve_routes(
            problem, r.time_limit_s, r.max_breaks_per_route, r.solution_limit, prefer_early=True
        )
        for route in plan.routes:
            self._dispatch(route, free[route.vehicle], locs, drive, dist)
        # What no route took waits for a vehicle to come back and the next round; only a
        # round in which the whole fleet was free and no route left refuses it, so every
        # round makes progress and an order is never kept forever.
        if not plan.routes and len(free) == len(self.fleet):
            for o in plan.unassigned:
                self._refuse(o, "no truck can serve it within its window, capacity and hours")

    def _dispatch(
        self,
        route: PlannedRoute,
        vehicle: VehicleSpec,
        locs: list[int],
        drive: tuple[tuple[int, ...], ...],
        dist: tuple[tuple[int, ...], ...],
    ) -> None:
        net = self.network
        self._routes += 1
        rid = f"route:{self._routes}"
        ships = [self._pending.pop(o) for o in route.orders]
        seq = [0, *(locs.index(sh.customer) for sh, _ in ships), 0]
        legs = list(pairwise(seq))
        customers = tuple(net.customers[sh.customer - 1] for sh, _ in ships)
        msg = DriveRoute(
            route=rid,
            truck=",".join(dict.fromkeys(t for _, t in ships)),
            start_s=route.timeline[0].start_s if route.timeline else self.now,
            orders=route.orders,
            customers=tuple(c.id for c in customers),
            drive_s=tuple(float(drive[a][b]) for a, b in legs),
            km=tuple(dist[a][b] / 1000.0 for a, b in legs),
            direct_km=tuple(net.km(0, sh.customer) for sh, _ in ships),
            ready_s=tuple(c.open_s for c in customers),
            due_s=tuple(c.close_s for c in customers),
            service_s=(self.service_s,) * len(ships),
            weight_kg=tuple(sh.weight_kg for sh, _ in ships),
            volume_m3=tuple(sh.volume_m3 for sh, _ in ships),
            planned_breaks=sum(1 for a in route.timeline if a.kind == "break"),
            planned_end_s=route.timeline[-1].end_s if route.timeline else self.now,
        )
        self._idle.discard(vehicle.id)
        for o in route.orders:
            self._row(o, status="planned", route=rid, vehicle=vehicle.id)
        self.send(vehicle.id, msg)
