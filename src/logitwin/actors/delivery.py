"""Delivery vehicles: drive a planned route in the twin's time, with hours of service.

A :class:`DeliveryVehicle` waits at the depot until the transport controller
(:mod:`logitwin.actors.transport`) hands it a route (:class:`DriveRoute`). It leaves at
the planned time and drives leg by leg: each leg takes its planned drive time times a
noise factor drawn when the leg starts (a lognormal with mean 1, from the route's own
keyed stream), so it may arrive late. The driver's hours are kept by a
:class:`logitwin.tms.driving.HosClock`: breaks fall where the rules need them (where the
plan put them when the route runs on time, later or earlier when it does not) and a
daily rest when the daily driving or the duty window is used up, so a driver never breaks
the law; it waits for a window to open, unloads, and drives on. Back at the depot it
reports to the controller.

Journal rows (besides its own ``vehicle`` row, ``status`` and ``routes``):

* ``delivery:ORDER`` (kind ``delivery``) when an order is unloaded: ``status="delivered"``,
  ``arrived_at``, ``service_at``, ``due``, ``on_time`` (service started by the due time),
  ``route``, ``route_km`` (km driven on the route so far), and at the route's end its
  share of the route's CO2e (``co2e_kg``, by tonne-km, GLEC).
* ``ROUTE`` (kind ``route``) at departure (``status="driving"``, planned figures) and at
  return (``status="done"``, ``km``, ``drive_s``, ``duty_s``, ``fuel_l``, ``co2e_kg``
  (well-to-wheel), ``co2e_ttw_kg``, ``tkm``, ``breaks``, ``rests``, ``late`` and the
  executed ``timeline`` as ``(kind, start_s, duration_s, stop)`` rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from logitwin.actors.codec import Message, message
from logitwin.actors.runtime import Actor, System, handles
from logitwin.tms.co2e import DIESEL_EN16258, EmissionFactor, allocate_by_tkm, emissions
from logitwin.tms.co2e import fuel_litres as _fuel
from logitwin.tms.driving import HosClock
from logitwin.tms.hos import HosRules

__all__ = [
    "DeliveryVehicle",
    "DriveRoute",
    "LegDone",
    "OutboundDeparted",
    "RouteStart",
    "ServiceDone",
    "VehicleBack",
    "VehicleSpec",
]


@message
class OutboundDeparted(Message):
    """An outbound (line-haul) truck left the dock with these orders on board."""

    truck: str
    orders: tuple[str, ...]


@message
class DriveRoute(Message):
    """A route for a vehicle (one entry per stop, in visiting order, unless noted).

    Fields: the route's id; the line-haul truck its orders came on; the planned departure
    from the depot (s); the orders and their customers; each leg's planned drive time (s)
    and road distance (km), one more than the stops (the last is the way back); each
    order's depot-to-customer distance (km, for allocating CO2e), window (s), service time
    (s), weight (kg) and volume (m³); the breaks the plan has; its planned return (s).
    """

    route: str
    truck: str
    start_s: float
    orders: tuple[str, ...]
    customers: tuple[str, ...]
    drive_s: tuple[float, ...]
    km: tuple[float, ...]
    direct_km: tuple[float, ...]
    ready_s: tuple[float, ...]
    due_s: tuple[float, ...]
    service_s: tuple[float, ...]
    weight_kg: tuple[float, ...]
    volume_m3: tuple[float, ...]
    planned_breaks: int
    planned_end_s: float


@message
class VehicleBack(Message):
    """A vehicle is back at the depot and free."""

    vehicle: str


@message
class RouteStart(Message):
    """A vehicle's own timer: time to leave the depot."""


@message
class LegDone(Message):
    """A vehicle's own timer: the leg being driven ends now."""


@message
class ServiceDone(Message):
    """A vehicle's own timer: the unloading at the current stop ends now."""


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    """A delivery vehicle of the fleet.

    Attributes:
        id: actor id.
        truck_type: its type's name.
        max_weight_kg: payload (kg).
        max_volume_m3: cargo volume (m³).
        fuel_empty_l_per_100km, fuel_full_l_per_100km: consumption empty and fully loaded.
        fixed_cost: cost of using it, in metres of distance (for the route solver).
    """

    id: str
    truck_type: str
    max_weight_kg: float
    max_volume_m3: float
    fuel_empty_l_per_100km: float
    fuel_full_l_per_100km: float
    fixed_cost: int = 0

    def __post_init__(self) -> None:
        if not (self.max_weight_kg > 0 and self.max_volume_m3 > 0):
            raise ValueError(
                f"{self.id}: max_weight_kg={self.max_weight_kg}, "
                f"max_volume_m3={self.max_volume_m3}; both must be > 0"
            )
        if not 0 <= self.fuel_empty_l_per_100km <= self.fuel_full_l_per_100km:
            raise ValueError(
                f"{self.id}: fuel empty={self.fuel_empty_l_per_100km}, "
                f"full={self.fuel_full_l_per_100km} l/100 km; need 0 <= empty <= full"
            )


class DeliveryVehicle(Actor):
    """A delivery truck and its driver (see the module docstring).

    Args:
        spec: the vehicle.
        rules: hours-of-service rules, or None.
        noise_sigma: sigma of the lognormal travel-time factor (0: legs take their plan).
        transport: id of the transport controller to report back to.
        fuel: the fuel's emission factors.
    """

    kind = "vehicle"

    def __init__(
        self,
        system: System,
        aid: str,
        spec: VehicleSpec,
        rules: HosRules | None,
        noise_sigma: float,
        transport: str,
        fuel: EmissionFactor = DIESEL_EN16258,
    ) -> None:
        super().__init__(system, aid)
        if not (math.isfinite(noise_sigma) and noise_sigma >= 0):
            raise ValueError(f"{aid}: noise_sigma={noise_sigma}; must be >= 0")
        self.spec = spec
        self.rules = rules
        self.noise_sigma = noise_sigma
        self.transport = transport
        self.fuel = fuel
        self._route: DriveRoute | None = None
        self._clock: HosClock | None = None
        self._leg = 0
        self._km = 0.0
        self._fuel_l = 0.0
        self._late = 0
        self._routes = 0

    def on_start(self) -> None:
        self.set(status="idle", routes=0, truck_type=self.spec.truck_type)

    @handles(DriveRoute)
    def _assigned(self, msg: DriveRoute, sender: str) -> None:
        if self._route is not None:
            raise ValueError(f"{self.id}: route {msg.route} given while on {self._route.route}")
        self._route = msg
        self.set(status="assigned", route=msg.route)
        self.timer(max(0.0, msg.start_s - self.now), RouteStart())

    @handles(RouteStart)
    def _start(self, msg: RouteStart, sender: str) -> None:
        r = self._route
        if r is None:
            raise ValueError(f"{self.id}: no route to start")
        self._clock = HosClock(self.now, self.rules)
        self._rng = self.system.rng(f"{r.route}.travel")
        self._leg, self._km, self._fuel_l, self._late = 0, 0.0, 0.0, 0
        self.system.record(
            r.route,
            "route",
            {
                "status": "driving",
                "vehicle": self.id,
                "truck_type": self.spec.truck_type,
                "truck": r.truck,
                "orders": r.orders,
                "start_s": self.now,
                "planned_km": math.fsum(r.km),
                "planned_end_s": r.planned_end_s,
                "planned_breaks": r.planned_breaks,
                "weight_kg": math.fsum(r.weight_kg),
                "volume_m3": math.fsum(r.volume_m3),
                "max_weight_kg": self.spec.max_weight_kg,
                "max_volume_m3": self.spec.max_volume_m3,
                # the shift a route's time is a share of: the duty window, or a day
                "shift_s": self.rules.max_duty_window_s if self.rules else 24 * 3600.0,
            },
        )
        self._routes += 1
        self.set(status="driving", routes=self._routes)
        self._drive_leg()

    def _drive_leg(self) -> None:
        r, clock, k = self._route, self._clock, self._leg
        if r is None or clock is None:
            raise ValueError(f"{self.id}: driving without a route")
        # The payload on board on this leg: every order not yet unloaded.
        load = math.fsum(r.weight_kg[k:])
        self._fuel_l += _fuel(
            r.km[k],
            min(load, self.spec.max_weight_kg),
            self.spec.max_weight_kg,
            self.spec.fuel_empty_l_per_100km,
            self.spec.fuel_full_l_per_100km,
        )
        self._km += r.km[k]
        factor = 1.0
        if self.noise_sigma > 0:
            s = self.noise_sigma
            factor = float(self._rng.lognormal(-s * s / 2, s))
        clock.drive(r.drive_s[k] * factor, r.customers[k] if k < len(r.orders) else "depot")
        self.timer(max(0.0, clock.t - self.now), LegDone())

    @handles(LegDone)
    def _arrived(self, msg: LegDone, sender: str) -> None:
        r, clock, k = self._route, self._clock, self._leg
        if r is None or clock is None:
            raise ValueError(f"{self.id}: a leg ended without a route")
        if k == len(r.orders):
            self._back(r, clock)
            return
        self._arrived_at = self.now
        if self.now < r.ready_s[k]:
            clock.pause(r.ready_s[k] - self.now, r.customers[k])
        clock.work(r.service_s[k], r.customers[k], r.due_s[k])
        self._service_at = clock.activities[-1].start_s
        self.timer(max(0.0, clock.t - self.now), ServiceDone())

    @handles(ServiceDone)
    def _served(self, msg: ServiceDone, sender: str) -> None:
        r, k = self._route, self._leg
        if r is None:
            raise ValueError(f"{self.id}: service ended without a route")
        on_time = self._service_at <= r.due_s[k] + 1e-6
        self._late += not on_time
        self.system.record(
            f"delivery:{r.orders[k]}",
            "delivery",
            {
                "status": "delivered",
                "route": r.route,
                "customer": r.customers[k],
                "arrived_at": self._arrived_at,
                "service_at": self._service_at,
                "due": r.due_s[k],
                "on_time": on_time,
                "route_km": self._km,
                "direct_km": r.direct_km[k],
            },
        )
        self._leg += 1
        self._drive_leg()

    def _back(self, r: DriveRoute, clock: HosClock) -> None:
        e = emissions(self._fuel_l, self.fuel)
        tkm = math.fsum(w / 1000.0 * d for w, d in zip(r.weight_kg, r.direct_km, strict=True))
        share = allocate_by_tkm(
            e.wtw_kg,
            {o: (w, d) for o, w, d in zip(r.orders, r.weight_kg, r.direct_km, strict=True)},
        )
        for o in r.orders:
            self.system.record(f"delivery:{o}", "delivery", {"co2e_kg": share[o]})
        self.system.record(
            r.route,
            "route",
            {
                "status": "done",
                "end_s": self.now,
                "km": self._km,
                "drive_s": clock.drive_s,
                "duty_s": clock.duty_s,
                "fuel_l": self._fuel_l,
                "co2e_kg": e.wtw_kg,
                "co2e_ttw_kg": e.ttw_kg,
                "tkm": tkm,
                "breaks": clock.breaks,
                "rests": clock.rests,
                "late": self._late,
                "timeline": tuple(
                    (a.kind, a.start_s, a.duration_s, a.stop) for a in clock.activities
                ),
            },
        )
        self._route, self._clock = None, None
        self.set(status="idle", route=None)
        self.send(self.transport, VehicleBack(self.id))
