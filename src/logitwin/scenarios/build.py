"""Build a runnable twin from a scenario: site, actors and their wiring."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from logitwin.actors.allocator import Allocator
from logitwin.actors.disruptions import Disruptions, ScheduledEvent
from logitwin.actors.dock import Dock, InboundTruck, Truck
from logitwin.actors.journal import Journal
from logitwin.actors.messages import ChargerOut, DockDoor, StationState
from logitwin.actors.receiving import Receiving
from logitwin.actors.release import OrderRelease
from logitwin.actors.robot import Robot
from logitwin.actors.runtime import LocalSystem, Runtime
from logitwin.actors.shipping import Shipping, TruckTrip
from logitwin.actors.station import Station
from logitwin.actors.traffic import RobotDriver, TrafficController
from logitwin.actors.yard import Yard
from logitwin.control.forecast import ForecastParams
from logitwin.control.pibt import PIBT
from logitwin.control.policies import make_policy, parse_spec
from logitwin.control.replenish import ReplenishParams
from logitwin.control.slotting import SiteView
from logitwin.control.stock import StockLedger
from logitwin.errors import ScenarioError
from logitwin.robots.fleet import FleetSetup, fleet_starts
from logitwin.robots.floor import DelayModel
from logitwin.robots.model import LinearBattery, step_duration
from logitwin.robots.registry import make_driver
from logitwin.scenarios.dock_plan import cpsat_params
from logitwin.scenarios.plan import DayPlan, build_site, plan_day, truck_schedule
from logitwin.scenarios.schema import Scenario
from logitwin.scenarios.transport import spawn_transport
from logitwin.sim.demand import Demand, DemandParams
from logitwin.sim.orders_csv import OrderFeed
from logitwin.site import DistanceOracle, Site
from logitwin.site.distance import distances_around

__all__ = [
    "Twin",
    "build_site",
    "build_twin",
    "demand_params",
    "fleet_setup",
    "scenario_fleet",
    "spawn",
    "truck_schedule",
]


@dataclass
class Twin:
    """A built twin, ready to :meth:`Runtime.run`."""

    scenario: Scenario
    site: Site
    system: Runtime
    step_s: float
    horizon_s: float
    plan: DayPlan | None = None


def build_twin(
    scenario: Scenario,
    journal: Journal | None,
    runtime: Callable[[int, float, Journal | None], Runtime] | None = None,
    driver: Callable[[FleetSetup], RobotDriver] | None = None,
    policies: dict[str, Any] | None = None,
) -> Twin:
    """Plan ``scenario``'s day (:func:`plan_day`) and :func:`spawn` it on a runtime.

    Args:
        scenario: the validated scenario.
        journal: where the run's events go (``None``: not journalled).
        runtime: makes the runtime from (seed, lookahead, journal); default
            :class:`LocalSystem`.
        driver: makes the robot driver (live robots behind a bridge); default the
            scenario's ``floor.driver`` (the grid floor or a PyBullet world).
        policies: decision kind (``slotting``, ``dispatch``) → the policy object that
            makes those decisions instead of the scenario's (an RL environment's
            stepping policy); it is journalled as ``external``.
    """
    plan = plan_day(scenario)
    if plan.orders is None:
        _check_demand(scenario, len(plan.site.stations), plan.horizon_s)
    _check_disruptions(scenario, plan)
    make = runtime if runtime is not None else LocalSystem
    system = make(scenario.seed, scenario.runtime.lookahead_s, journal)
    spawn(system, plan, driver=driver, policies=policies)
    return Twin(scenario, plan.site, system, plan.step_s, plan.horizon_s, plan)


def spawn(
    system: Runtime,
    plan: DayPlan,
    driver: Callable[[FleetSetup], RobotDriver] | None = None,
    policies: dict[str, Any] | None = None,
) -> None:
    """Create every actor of ``plan`` on ``system``.

    Spawn order is fixed, so every entity gets the same random stream on every run of
    the same plan, on any runtime.
    """
    sc, site, step_s = plan.scenario, plan.site, plan.step_s
    grid = site.grid
    oracle = DistanceOracle(grid)
    robots = plan.robot_cells
    n = len(robots)
    stations = tuple(f"station:{s.id}" for s in site.stations)
    trucks = plan.trucks
    stock = plan.stock
    receiving = "receiving" if stock is not None else None

    system.spawn(
        TrafficController,
        "traffic",
        dist_to=oracle.dist_list,
        robots=robots,
        step_s=step_s,
        planner=PIBT(grid, n, system.rng("traffic"), rotation=False, cycles=False),
        driver=(driver or _floor_driver(sc))(fleet_setup(sc, site, system, robots, step_s)),
        around=functools.partial(distances_around, grid),
        lost_after_s=sc.floor.lost_after_s,
    )
    system.spawn(
        Allocator,
        "allocator",
        dist_from=oracle.dist_list,
        robots=robots,
        pod_cells=list(plan.pod_cells),
        sku_pods=[list(p) for p in plan.sku_pods],
        storage=list(site.storage),
        chargers=site.chargers,
        station_limit=dict.fromkeys(stations, sc.stations.robots_per_station),
        station_cells={f"station:{s.id}": s.pick_cell for s in site.stations},
        **_policies(
            sc,
            site,
            system,
            oracle.dist_list,
            plan.sku_pods,
            plan.popularity,
            len(plan.pod_cells),
            n,
            policies or {},
        ),
        **_stock_args(plan),
    )
    system.spawn(
        OrderRelease,
        "release",
        stations=stations,
        slots=sc.stations.order_slots,
        allocator="allocator",
        demand_to=receiving,
        **_waves(sc, trucks),
    )
    system.spawn(Shipping, "shipping", trucks=trucks)
    _spawn_docks(system, plan, notify=spawn_transport(system, sc), receiving=receiving)
    if stock is not None and sc.stock is not None:
        system.spawn(
            Receiving,
            "receiving",
            trips=plan.inbound,
            initial=stock.initial,
            prior_rate=stock.rate,
            sku_class=stock.sku_class,
            params=replenish_params(sc),
        )
    for s in site.stations:
        system.spawn(
            Station,
            f"station:{s.id}",
            pick_cell=s.pick_cell,
            queue=s.queue,
            line_s=sc.stations.line_s,
            present_s=sc.stations.present_s,
        )
    b = sc.fleet.battery
    battery = LinearBattery(
        capacity_wh=b.capacity_wh,
        wh_per_m=b.wh_per_m,
        cell_m=sc.floor.cell_m,
        charge_w=b.charge_w,
        low=b.low,
        full_level=b.full,
    )
    for r in plan.robots:
        system.spawn(Robot, r.id, battery=battery, lift_s=sc.fleet.lift_s, soc=r.soc, model=r.model)
    _spawn_disruptions(system, sc, site, list(robots), list(trucks), plan.horizon_s)
    dem = sc.demand
    cutoffs = [t.cutoff for t in trucks]
    if plan.orders is not None:
        system.spawn(
            OrderFeed,
            "demand",
            orders=list(plan.orders),
            cutoffs=cutoffs,
            min_lead_s=dem.min_lead_s,
            pack_s=dem.pack_s,
            quantities=stock is not None,
        )
        return
    params = demand_params(sc)
    qty_rng = system.rng("demand.qty") if sc.stock is not None else None
    system.spawn(
        Demand, "demand", params=params, cutoffs=cutoffs, rng=system.rng("demand"), qty_rng=qty_rng
    )


def replenish_params(sc: Scenario) -> ReplenishParams:
    """The replenishment policy of the scenario's ``stock:`` section."""
    st = sc.stock
    if st is None:
        raise ScenarioError("replenish_params: the scenario has no stock section")
    bucket_s = st.bucket_min * 60.0
    return ReplenishParams(
        review_s=st.review_min * 60.0,
        bucket_s=bucket_s,
        lead_time_s=st.lead_time_h * 3600.0,
        service_level=st.service_level,
        cycle_s=st.cycle_h * 3600.0,
        case_units=st.case_units,
        cases_per_pallet=st.cases_per_pallet,
        forecast=ForecastParams(st.forecast, season=max(1, round(st.season_h * 3600.0 / bucket_s))),
        cross_dock=st.cross_dock,
    )


def _stock_args(plan: DayPlan) -> dict[str, Any]:
    """The allocator's stock ledger and door cells (nothing when stock is not tracked)."""
    if plan.stock is None or plan.scenario.stock is None:
        return {}
    return {
        "stock": StockLedger(plan.stock.initial),
        "door_cells": {d.id: d.cell for d in plan.doors},
        "cross_dock": plan.scenario.stock.cross_dock,
    }


def _waves(sc: Scenario, trucks: Sequence[TruckTrip]) -> dict[str, Any]:
    """The release's wave settings (none for continuous release, as before waves)."""
    if sc.release.mode == "continuous":
        return {}
    return {"wave_lead_s": sc.release.wave_lead_min * 60.0, "cutoffs": [t.cutoff for t in trucks]}


def _spawn_docks(system: Runtime, plan: DayPlan, notify: str | None, receiving: str | None) -> None:
    """The doors, the outbound and inbound trucks, and with a ``docks:`` section the
    yard that hands the doors out. Outbound trucks tell ``notify`` (transport) when they
    leave, inbound ones tell ``receiving`` what they unloaded."""
    yard = None
    if plan.yard is not None:
        yard = "yard"
        sc = plan.scenario
        params = cpsat_params(sc.docks, sc.seed) if sc.docks is not None else None
        system.spawn(Yard, yard, plan=plan.yard, params=params)
    for d in plan.doors:
        system.spawn(Dock, d.id, **({"yard": yard} if yard else {}))
    for trip in plan.trucks:
        system.spawn(
            Truck,
            trip.id,
            dock=trip.dock,
            arrive=trip.arrive,
            cutoff=trip.cutoff,
            depart=trip.depart,
            capacity=trip.capacity,
            delay=trip.delay,
            notify=notify,
            **({"yard": yard} if yard else {}),
        )
    due = {}
    if plan.yard is not None:
        due = {t.id: float(t.due_s) for t in plan.yard.problem.trucks}
    for inb in plan.inbound:
        system.spawn(
            InboundTruck,
            inb.id,
            dock=inb.dock,
            arrive=inb.arrive,
            pallets=inb.pallets,
            unload_s=inb.unload_s,
            delay=inb.delay,
            notify=receiving,
            **({"yard": yard, "due": due[inb.id]} if yard else {}),
        )


def _check_disruptions(sc: Scenario, plan: DayPlan) -> None:
    if sc.disruptions.demand_surges and plan.orders is not None:
        raise ScenarioError(
            "disruptions.demand_surges: a surge scales generated demand; with "
            "demand.orders_csv, put the extra orders in the file"
        )


# A run keeps every order in memory; demand far beyond what the floor can pick only
# grows that (about 14 MB/s on `tiny` at a million orders an hour) without telling the
# planner more than "overloaded".
_OVERLOAD = 10.0
_MAX_ORDERS = 2_000_000


def _check_demand(sc: Scenario, stations: int, horizon_s: float) -> None:
    """Refuse generated demand the site cannot possibly serve (see ``_OVERLOAD``)."""
    dem = sc.demand
    stop_s = min(horizon_s, (dem.stop_h or math.inf) * 3600.0)
    rates = dem.orders_per_hour
    expected = 0.0
    for h in range(math.ceil(stop_s / 3600.0)):
        span = min(3600.0, stop_s - h * 3600.0) / 3600.0
        lo, hi = h, h + span
        surges = sc.disruptions.demand_surges
        boost = max((w.multiplier for w in surges if w.start_h < hi and w.end_h > lo), default=1)
        expected += rates[min(h, len(rates) - 1)] * span * max(1.0, boost)
    # The most a station can pick: one line every line_s, never pausing; an order has a line.
    pickable = stations * horizon_s / sc.stations.line_s
    if expected > _OVERLOAD * pickable or expected > _MAX_ORDERS:
        raise ScenarioError(
            f"demand.orders_per_hour: about {expected:,.0f} orders arrive over the "
            f"{sc.horizon_h:g} h run, but its {stations} stations can pick at most "
            f"{pickable:,.0f} (one line every stations.line_s = {sc.stations.line_s:g} s); "
            f"a run holds every order in memory, so more than {_OVERLOAD:g}x that (or "
            f"{_MAX_ORDERS:,} orders) is refused. Lower demand.orders_per_hour or add "
            "stations (layout.stations)"
        )


def fleet_setup(
    sc: Scenario, site: Site, system: Runtime, robots: dict[str, int], step_s: float
) -> FleetSetup:
    """What the robot driver is made from: the site, the fleet, its speeds and delays."""
    d = sc.floor.delays
    model = DelayModel(d.probability, d.min_s, d.max_s, d.duration, d.gauss_mean, d.gauss_std)
    lo, hi = d.speed_factor
    # Each robot's own streams: a robot more or a delay setting changes no other stream.
    speed = tuple(1.0 if lo == hi == 1.0 else float(system.rng(f"{r}.speed").uniform(lo, hi))
                  for r in robots)  # fmt: skip
    return FleetSetup(
        site, sc.floor.cell_m, step_s, tuple(robots), tuple(robots.values()), speed, model,
        system.rng,
    )  # fmt: skip


def scenario_fleet(
    scenario: Scenario, robots: int | None = None, options: dict[str, str] | None = None
) -> FleetSetup:
    """The scenario's fleet as a driver gets it, without a twin: what a stand-in robot
    process and the driver checks are made from (``robots`` overrides the fleet size)."""
    site = build_site(scenario)
    n = scenario.fleet.robots if robots is None else robots
    try:
        starts = fleet_starts(site, n)
    except ValueError as exc:
        raise ScenarioError(f"fleet.robots: {exc}") from None
    sc = scenario.model_copy(update={"fleet": scenario.fleet.model_copy(update={"robots": n})})
    step_s = step_duration(sc.floor.cell_m, sc.floor.speed_mps)
    system = LocalSystem(sc.seed)
    setup = fleet_setup(sc, site, system, {f"robot:{i}": c for i, c in enumerate(starts)}, step_s)
    return dataclasses.replace(setup, options=dict(options or {}))


def site_view(
    site: Site,
    dist_from: Callable[[int], Sequence[int]],
    sku_pods: Sequence[Sequence[int]],
    popularity: Sequence[float],
    n_pods: int,
    robots: int,
) -> SiteView:
    """What policies know of the site: distances, storage, stations, each pod's share
    of demand (a SKU's share split over its copies)."""
    turnover = [0.0] * n_pods
    for sku, pods in enumerate(sku_pods):
        for p in pods:
            turnover[p] += float(popularity[sku]) / len(pods)
    stations = tuple(st.pick_cell for st in site.stations)
    return SiteView(dist_from, tuple(site.storage), stations, tuple(turnover), robots)


def _policies(
    sc: Scenario,
    site: Site,
    system: Runtime,
    dist_from: Callable[[int], Sequence[int]],
    sku_pods: Sequence[Sequence[int]],
    popularity: Sequence[float],
    n_pods: int,
    robots: int,
    given: dict[str, Any],
) -> dict[str, Any]:
    """The allocator's policies from the scenario's ``policies:`` section, each drawing
    from its own keyed stream."""
    view = site_view(site, dist_from, sku_pods, popularity, n_pods, robots)
    p = sc.policies
    out: dict[str, Any] = {"names": {}, "shadow": {}}
    unknown = set(given) - {"slotting", "dispatch"}
    if unknown:
        raise ValueError(f"policies for unknown decision kinds {sorted(unknown)}")
    for kind in ("slotting", "dispatch"):
        spec = parse_spec(kind, getattr(p, kind))
        rng = system.rng(f"policy.{kind}")
        out[kind] = given[kind] if kind in given else make_policy(spec, view, rng)
        out["names"][kind] = "external" if kind in given else str(spec)
        shadow = getattr(p.shadow, kind)
        if shadow is not None:
            sspec = parse_spec(kind, shadow)
            out["shadow"][kind] = make_policy(sspec, view, system.rng(f"policy.{kind}.shadow"))
            out["names"][f"shadow_{kind}"] = str(sspec)
    return out


def _floor_driver(sc: Scenario) -> Callable[[FleetSetup], RobotDriver]:
    return functools.partial(make_driver, sc.floor.driver)


def _spawn_disruptions(
    system: Runtime,
    sc: Scenario,
    site: Site,
    robots: list[str],
    trucks: list[TruckTrip],
    horizon_s: float,
) -> None:
    """Turn the scenario's disruptions into scheduled events and a breakdown process."""
    d = sc.disruptions
    events: list[ScheduledEvent] = []

    def pick(index: int | None, n: int, where: str) -> list[int]:
        if index is None:
            return list(range(n))
        if index > n:
            raise ScenarioError(f"disruptions.{where}: there are only {n}; got {index}")
        return [index - 1]

    for k, o in enumerate(d.charger_outages):
        for ci in pick(o.charger, len(site.chargers), f"charger_outages[{k}].charger"):
            cell = site.chargers[ci]
            events.append((o.start_h * 3600, "allocator", ChargerOut(cell, True),
                           f"charger {ci + 1} out"))  # fmt: skip
            events.append((o.end_h * 3600, "allocator", ChargerOut(cell, False),
                           f"charger {ci + 1} back"))  # fmt: skip
    # Stations: the pick time factor over time from closures (0) and staffing shifts.
    n_st = len(site.stations)
    changes: dict[int, set[float]] = {i: set() for i in range(n_st)}
    for k, sc_ in enumerate(d.station_closures):
        for i in pick(sc_.station, n_st, f"station_closures[{k}].station"):
            changes[i] |= {sc_.start_h * 3600, sc_.end_h * 3600}
    for k, f in enumerate(d.staffing):
        for i in pick(f.station, n_st, f"staffing[{k}].station"):
            changes[i] |= {f.start_h * 3600, f.end_h * 3600}

    def factor(i: int, t: float) -> float:
        for cl in d.station_closures:
            if cl.station - 1 == i and cl.start_h * 3600 <= t < cl.end_h * 3600:
                return 0.0
        x = 1.0
        for f in d.staffing:
            if (f.station is None or f.station - 1 == i) and f.start_h * 3600 <= t < f.end_h * 3600:
                x *= f.pick_time_factor
        return x

    for i, times in changes.items():
        sid = f"station:{site.stations[i].id}"
        current = 1.0
        for t in sorted(times):
            x = factor(i, t)
            if x == current or t >= horizon_s:
                continue
            current = x
            what = f"{sid} closed" if x == 0 else f"{sid} pick time x{x:g}"
            for to in (sid, "release", "allocator"):
                events.append((t, to, StationState(sid, x), what))
    docks = [f"dock:{dk.id}" for dk in site.docks]
    for k, dc in enumerate(d.dock_closures):
        (j,) = pick(dc.dock, len(docks), f"dock_closures[{k}].dock")
        for tid, dock in ((t.id, t.dock) for t in trucks):
            if dock == docks[j]:
                events.append((dc.start_h * 3600, tid, DockDoor(False), f"{dock} closed"))
                events.append((dc.end_h * 3600, tid, DockDoor(True), f"{dock} open"))
    specs = d.robot_breakdowns
    if specs is not None and not isinstance(specs, tuple):
        specs = (specs,)
    models = sc.fleet.model_names()
    rates: dict[str, tuple[float, float]] = {}
    for k, spec in enumerate(specs or ()):
        if spec.model is not None and spec.model not in set(models):
            raise ScenarioError(
                f"disruptions.robot_breakdowns[{k}].model: {spec.model!r} is not a model of "
                f"the fleet; models: {', '.join(sorted(set(models)))}"
            )
    for spec in sorted(specs or (), key=lambda x: x.model is not None):  # specific last
        for m in set(models):
            if spec.model in (None, m):
                rates[m] = (spec.mtbf_h * 3600.0, spec.mttr_min * 60.0)
    failing = [(rid, *rates[m]) for rid, m in zip(robots, models, strict=True) if m in rates]
    if not events and not failing:
        return
    system.spawn(
        Disruptions,
        "disruptions",
        events=[e for e in events if e[0] < horizon_s],
        robots=failing,
        rngs=[system.rng(f"{rid}.breakdowns") for rid, *_ in failing],
    )


def demand_params(sc: Scenario) -> DemandParams:
    """The generated demand of ``sc`` (rates, lines, SKU mix, lead and pack times, when it
    stops, surges)."""
    dem = sc.demand
    horizon_s = sc.horizon_h * 3600.0
    return DemandParams(
        orders_per_hour=tuple(dem.orders_per_hour),
        mean_lines=dem.mean_lines,
        max_lines=dem.max_lines,
        n_skus=sc.inventory.skus,
        zipf_s=dem.zipf_s,
        min_lead_s=dem.min_lead_s,
        pack_s=dem.pack_s,
        stop_s=min(horizon_s, (dem.stop_h or math.inf) * 3600.0),
        surges=tuple(
            (w.start_h * 3600.0, w.end_h * 3600.0, w.multiplier)
            for w in sc.disruptions.demand_surges
        ),
        units_per_line=sc.stock.units_per_line if sc.stock is not None else None,
    )
