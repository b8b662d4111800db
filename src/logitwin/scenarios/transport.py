"""Wire a scenario's ``transport:`` section into actors: customers, fleet, controller."""

from __future__ import annotations

from logitwin.actors.delivery import DeliveryVehicle, VehicleSpec
from logitwin.actors.runtime import Runtime, keyed_rng
from logitwin.actors.transport import RoutingParams, Transport
from logitwin.errors import ScenarioError
from logitwin.scenarios.schema import Scenario, TransportSpec
from logitwin.tms.customers import Network, generate_customers, read_customers_csv
from logitwin.tms.hos import EU561, FMCSA, HosRules

__all__ = ["TRANSPORT", "make_network", "spawn_transport", "vehicle_specs"]

TRANSPORT = "transport"
_RULES: dict[str, HosRules | None] = {"fmcsa": FMCSA, "eu561": EU561, "none": None}


def make_network(scenario: Scenario) -> Network:
    """The scenario's customers and roads (generated from the ``transport.customers`` stream,
    or read from ``transport.region.customers_csv``).

    Raises:
        ScenarioError: no ``transport:`` section, or a customers file that cannot be read.
    """
    t = scenario.transport
    if t is None:
        raise ScenarioError("transport: the scenario has no transport section")
    r = t.region
    if r.customers_csv is not None:
        try:
            customers = read_customers_csv(r.customers_csv, scenario.horizon_h + 24.0)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"transport.region.customers_csv: {exc}") from None
    else:
        customers = generate_customers(
            keyed_rng(scenario.seed, "transport.customers"),
            r.customers,
            r.radius_km,
            r.open_h,
            r.window_h,
        )
    return Network(customers, r.road_factor, r.speed_kmh)


def vehicle_specs(spec: TransportSpec) -> tuple[VehicleSpec, ...]:
    """The delivery fleet, type by type: ``vehicle:TYPE.K`` for K in 1..count."""
    return tuple(
        VehicleSpec(
            f"vehicle:{t.name}.{k}",
            t.name,
            t.max_weight_kg,
            t.max_volume_m3,
            t.fuel_l_per_100km_empty,
            t.fuel_l_per_100km_full,
            t.fixed_cost,
        )
        for t in spec.fleet
        for k in range(1, t.count + 1)
    )


def spawn_transport(system: Runtime, scenario: Scenario) -> str | None:
    """Spawn the transport controller and its vehicles; return the controller's id for the
    outbound trucks to notify, or None when the scenario has no ``transport:`` section."""
    t = scenario.transport
    if t is None:
        return None
    network = make_network(scenario)
    fleet = vehicle_specs(t)
    rules = _RULES[t.hos]
    system.spawn(
        Transport,
        TRANSPORT,
        network=network,
        fleet=fleet,
        rules=rules,
        weight=(t.weight_kg.mean, t.weight_kg.cv),
        volume=(t.volume_m3.mean, t.volume_m3.cv),
        service_s=t.service_min * 60.0,
        routing=RoutingParams(
            t.routing.time_limit_s, t.routing.solution_limit, t.routing.max_breaks_per_route
        ),
    )
    for v in fleet:
        system.spawn(
            DeliveryVehicle,
            v.id,
            spec=v,
            rules=rules,
            noise_sigma=t.travel_time_sigma,
            transport=TRANSPORT,
        )
    return TRANSPORT
