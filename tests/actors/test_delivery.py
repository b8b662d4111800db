"""The transport controller and delivery vehicles on a real LocalSystem: long routes with
hours of service, noisy legs, refusals, a fleet that is out, determinism."""

import math

import pytest

from logitwin.actors.delivery import DeliveryVehicle, OutboundDeparted, VehicleSpec
from logitwin.actors.journal import Journal
from logitwin.actors.runtime import Actor, LocalSystem
from logitwin.actors.transport import RoutingParams, Transport
from logitwin.tms.customers import Customer, Network
from logitwin.tms.hos import EU561, FMCSA, Activity, check_hos

H = 3600.0
# Six customers 80-220 km out at 60 km/h: legs of 1.5-4 h, so drivers need breaks.
FAR = Network(
    tuple(
        Customer(f"C{k}", r * math.cos(a), r * math.sin(a), 0.0, 30 * H)
        for k, (r, a) in enumerate(
            [(80, 0.0), (120, 0.4), (160, 0.8), (200, 2.5), (220, 3.0), (100, 4.5)], start=1
        )
    ),
    road_factor=1.2,
    speed_kmh=60.0,
)


class Linehaul(Actor):
    """Stands in for the outbound truck: departs at ``at`` with ``orders``."""

    kind = "probe"

    def __init__(self, system, aid, orders, at=0.0):
        super().__init__(system, aid)
        self.orders, self.at = tuple(orders), at

    def on_start(self):
        self.send("transport", OutboundDeparted(self.id, self.orders), delay=self.at)


def run(rules=EU561, sigma=0.4, vehicles=2, weight=(60.0, 0.5), orders=12, seed=5, max_kg=1000.0):
    journal = Journal(None)
    system = LocalSystem(seed, 0.25, journal)
    fleet = tuple(
        VehicleSpec(f"vehicle:rigid.{k}", "rigid", max_kg, 20.0, 16.0, 22.0, 10_000)
        for k in range(1, vehicles + 1)
    )
    system.spawn(
        Transport,
        "transport",
        network=FAR,
        fleet=fleet,
        rules=rules,
        weight=weight,
        volume=(0.2, 0.5),
        service_s=900.0,
        routing=RoutingParams(time_limit_s=10.0, solution_limit=10),
    )
    for v in fleet:
        system.spawn(
            DeliveryVehicle, v.id, spec=v, rules=rules, noise_sigma=sigma, transport="transport"
        )
    system.spawn(Linehaul, "truck:1", [f"order:{k}" for k in range(1, orders + 1)])
    system.run(until=3 * 24 * H)
    rows = [r for r in journal.rows() if r.kind == "state"]
    state: dict[str, dict] = {}
    for r in rows:
        state.setdefault(r.entity, {}).update(r.body)
    return system, rows, state


@pytest.fixture(scope="module")
def eu_run():
    return run()


def test_every_route_is_legal_on_its_executed_timeline(eu_run):
    _, _, state = eu_run
    routes = {e: s for e, s in state.items() if e.startswith("route:")}
    assert len(routes) >= 3  # two vehicles, so some drive twice
    for rid, r in routes.items():
        assert r["status"] == "done"
        timeline = [Activity(k, t, d, stop) for k, t, d, stop in r["timeline"]]
        assert check_hos(timeline, EU561) == [], rid
        assert sum(a.duration_s for a in timeline if a.kind == "drive") == pytest.approx(
            r["drive_s"]
        )
        assert timeline[0].start_s == pytest.approx(r["start_s"])
        assert timeline[-1].end_s == pytest.approx(r["end_s"])
    assert sum(r["breaks"] for r in routes.values()) > 0  # long legs: drivers took breaks


def test_capacity_holds_and_every_order_is_delivered_or_refused(eu_run):
    _, _, state = eu_run
    for r in (s for e, s in state.items() if e.startswith("route:")):
        assert r["weight_kg"] <= r["max_weight_kg"] + 1e-6
        assert r["volume_m3"] <= r["max_volume_m3"] + 1e-6
    deliveries = {e: s for e, s in state.items() if e.startswith("delivery:")}
    assert set(deliveries) == {f"delivery:order:{k}" for k in range(1, 13)}
    assert {d["status"] for d in deliveries.values()} <= {"delivered", "refused"}
    delivered = [d for d in deliveries.values() if d["status"] == "delivered"]
    assert delivered
    for d in delivered:
        assert d["on_time"] == (d["service_at"] <= d["due"] + 1e-6)
        assert d["co2e_kg"] > 0
    # CO2e of each route is shared out whole among its shipments
    for rid, r in ((e, s) for e, s in state.items() if e.startswith("route:")):
        shares = [d["co2e_kg"] for d in delivered if d["route"] == rid]
        assert math.fsum(shares) == pytest.approx(r["co2e_kg"])


def test_the_same_seed_gives_the_same_journal(eu_run):
    _, rows, _ = eu_run
    _, again, _ = run()
    assert [(r.time, r.entity, r.body) for r in rows] == [(r.time, r.entity, r.body) for r in again]


def test_without_noise_routes_run_to_plan_and_on_time():
    _, _, state = run(rules=FMCSA, sigma=0.0)
    routes = [s for e, s in state.items() if e.startswith("route:")]
    for r in routes:
        assert r["end_s"] == pytest.approx(r["planned_end_s"], abs=2.0)
        assert r["breaks"] == r["planned_breaks"]
        timeline = [Activity(k, t, d, stop) for k, t, d, stop in r["timeline"]]
        assert check_hos(timeline, FMCSA) == []
    delivered = [
        s for e, s in state.items() if e.startswith("delivery:") and s["status"] == "delivered"
    ]
    assert delivered and all(d["on_time"] for d in delivered)


def test_noise_makes_some_deliveries_late():
    tight = run(sigma=1.0, seed=3)[2]
    ds = [s for e, s in tight.items() if e.startswith("delivery:") and s["status"] == "delivered"]
    arrivals = [d["arrived_at"] for d in ds]
    calm = run(sigma=0.0, seed=3)[2]
    calm_arrivals = [
        s["arrived_at"]
        for e, s in calm.items()
        if e.startswith("delivery:") and s["status"] == "delivered"
    ]
    assert arrivals != calm_arrivals  # legs took other times than planned


def test_orders_too_heavy_for_every_truck_are_refused_with_a_reason():
    system, _, state = run(max_kg=1.0, orders=4)
    ds = [s for e, s in state.items() if e.startswith("delivery:")]
    assert len(ds) == 4
    assert all(d["status"] == "refused" and "heavier" in d["reason"] for d in ds)
    assert system.actor("transport").refused == 4
    assert not any(e.startswith("route:") for e in state)
