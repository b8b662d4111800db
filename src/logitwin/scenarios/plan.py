"""The plan of a site's day: everything a twin is built from, decided before any actor
exists.

:func:`plan_day` is a pure function of the scenario: it lays out the floor, places the
robots, pods and SKUs, and schedules the day's trucks at their doors, each from its own
keyed random stream (:func:`logitwin.actors.runtime.keyed_rng`), so the same scenario
always gives the same plan and a plan can be inspected, compared or replaced (a dock
scheduler instead of doors in turn) before :func:`logitwin.scenarios.build.spawn` turns
it into actors. Every record is frozen; nothing in a plan is a positional tuple.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from logitwin.actors.runtime import keyed_rng
from logitwin.actors.shipping import InboundTrip, TruckTrip
from logitwin.control.inventory import spread_skus
from logitwin.control.replenish import abc_classes
from logitwin.errors import ScenarioError
from logitwin.robots.fleet import fleet_starts
from logitwin.robots.model import step_duration
from logitwin.scenarios.dock_plan import YardPlan, schedule_docks
from logitwin.scenarios.schema import Scenario
from logitwin.sim.demand import zipf_weights
from logitwin.sim.orders_csv import CsvOrder, load_orders_csv
from logitwin.site import LayoutParams, Site, generate_layout

__all__ = [
    "DayPlan",
    "DoorPlan",
    "RobotPlan",
    "StockPlan",
    "build_site",
    "inbound_schedule",
    "plan_day",
    "truck_schedule",
]


@dataclass(frozen=True, slots=True)
class RobotPlan:
    """One robot of the fleet: where it starts, its model and its charge."""

    id: str
    cell: int
    model: str
    soc: float


@dataclass(frozen=True, slots=True)
class DoorPlan:
    """A dock door: its actor id, the cell it opens on, which trucks it serves
    (``inbound``, ``outbound`` or ``both``) and the truck classes it takes (``None``:
    every class)."""

    id: str
    cell: int
    kind: str = "both"
    accepts: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StockPlan:
    """The stock the day starts with (``stock:``).

    Attributes:
        initial: units of each SKU on hand at the start.
        rate: each SKU's expected demand (units/s): the scenario's mean order rate,
            lines per order and units per line, split by popularity (for an order file,
            its own lines and units over the horizon: the sales mix a site knows).
        sku_class: each SKU's class for the forecast (0 = A; by popularity).
    """

    initial: tuple[int, ...]
    rate: tuple[float, ...]
    sku_class: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DayPlan:
    """Everything the twin's actors are made from.

    Attributes:
        scenario: the validated scenario.
        site: the floor.
        step_s: one move of a robot (s).
        horizon_s: the run's length (s).
        robots: the fleet, in id order.
        pod_cells: the cell each pod starts in (pod ``i`` at ``pod_cells[i]``).
        sku_pods: for each SKU, the pods holding it.
        popularity: each SKU's share of lines (sums to 1).
        orders: the order file's orders, or ``None`` for generated demand.
        doors: the dock doors.
        trucks: the day's outbound trucks, each at its door, with its planned times and
            the delay it will actually have (``TruckTrip.delay``).
        inbound: the day's inbound trucks, each at its door.
        stock: the initial stock, or ``None`` when stock is not tracked.
        yard: with a ``docks:`` section, the dock problem and its planned schedule that
            the yard actor hands the doors out by; ``None``: doors in turn, no yard.
    """

    scenario: Scenario
    site: Site
    step_s: float
    horizon_s: float
    robots: tuple[RobotPlan, ...]
    pod_cells: tuple[int, ...]
    sku_pods: tuple[tuple[int, ...], ...]
    popularity: tuple[float, ...]
    orders: tuple[CsvOrder, ...] | None
    doors: tuple[DoorPlan, ...]
    trucks: tuple[TruckTrip, ...]
    inbound: tuple[InboundTrip, ...] = ()
    stock: StockPlan | None = None
    yard: YardPlan | None = None

    @property
    def robot_cells(self) -> dict[str, int]:
        """Robot id -> start cell, in id order."""
        return {r.id: r.cell for r in self.robots}


def build_site(scenario: Scenario) -> Site:
    """The scenario's floor alone (layout, stations, chargers, docks): what replays,
    path checks and animations need, without the orders or any actor."""
    try:
        return generate_layout(LayoutParams(**scenario.layout.model_dump()))
    except ValueError as exc:
        raise ScenarioError(f"layout: {exc}") from None


def plan_day(scenario: Scenario, site: Site | None = None) -> DayPlan:
    """The plan of ``scenario``'s day (see the module docstring).

    Raises:
        ScenarioError: naming the setting the site cannot meet (too many robots, no free
            storage for returning pods, trucks that would share a door).
    """
    sc = scenario
    site = site if site is not None else build_site(sc)
    step_s = step_duration(sc.floor.cell_m, sc.floor.speed_mps)
    horizon_s = sc.horizon_h * 3600.0
    lost = sc.floor.lost_after_s
    if lost is not None and lost <= step_s:
        raise ScenarioError(
            f"floor.lost_after_s: {lost:g} s is not longer than one move ({step_s:g} s); "
            "every robot would be lost at once"
        )

    # Robots start spread over the aisle cells (not storage, stations, chargers or docks).
    try:
        starts = fleet_starts(site, sc.fleet.robots)
    except ValueError as exc:
        raise ScenarioError(f"fleet.robots: {exc}") from None
    lo, hi = sorted(sc.fleet.initial_soc)
    robots = tuple(
        RobotPlan(rid, cell, model, float(keyed_rng(sc.seed, f"{rid}.soc").uniform(lo, hi)))
        for rid, cell, model in zip(
            (f"robot:{i}" for i in range(len(starts))), starts, sc.fleet.model_names(), strict=True
        )
    )

    # Pods on a random share of storage cells; SKUs spread over pods.
    layout_rng = keyed_rng(sc.seed, "layout")
    storage = list(site.storage)
    n_pods = max(1, int(len(storage) * sc.inventory.fill))
    if n_pods >= len(storage):
        raise ScenarioError("inventory.fill leaves no free storage cell for returning pods")
    pod_cells = tuple(
        storage[int(i)] for i in layout_rng.choice(len(storage), n_pods, replace=False)
    )
    orders = None
    if sc.demand.orders_csv is not None:
        orders = tuple(load_orders_csv(sc.demand.orders_csv, horizon_s, sc.inventory.skus))
        # The file's own SKU mix (SKU ids are its popularity ranks) places the pods.
        counts = np.bincount([k for o in orders for k in o.skus], minlength=sc.inventory.skus)
        popularity = counts / counts.sum()
    else:
        popularity = zipf_weights(sc.inventory.skus, sc.demand.zipf_s)
    sku_pods = spread_skus(popularity.tolist(), n_pods, sc.inventory.max_pod_share, layout_rng)

    door_ids = [f"dock:{d.id}" for d in site.docks]
    yard = None
    if sc.docks is None:
        doors = tuple(DoorPlan(i, d.cell) for i, d in zip(door_ids, site.docks, strict=True))
        trucks = truck_schedule(sc, door_ids)
        inbound = inbound_schedule(sc, door_ids)
    else:
        kinds = sc.docks.door_kinds(len(door_ids))
        doors = tuple(
            DoorPlan(i, d.cell, k.kind, k.accepts)
            for i, d, k in zip(door_ids, site.docks, kinds, strict=True)
        )
        trucks, inbound, yard = schedule_docks(
            sc.docks,
            sc.seed,
            door_ids,
            truck_schedule(sc, door_ids, one_per_door=False),
            inbound_schedule(sc, door_ids),
        )
    return DayPlan(
        scenario=sc,
        site=site,
        step_s=step_s,
        horizon_s=horizon_s,
        robots=robots,
        pod_cells=pod_cells,
        sku_pods=tuple(tuple(p) for p in sku_pods),
        popularity=tuple(float(x) for x in popularity),
        orders=orders,
        doors=doors,
        trucks=tuple(trucks),
        inbound=tuple(inbound),
        yard=yard,
        stock=stock_plan(sc, popularity, horizon_s, orders),
    )


def stock_plan(
    scenario: Scenario,
    popularity: np.ndarray,
    horizon_s: float,
    orders: tuple[CsvOrder, ...] | None,
) -> StockPlan | None:
    """Each SKU's expected demand and the initial stock covering ``initial_cover_h`` of
    it (rounded up to whole units), or ``None`` without a ``stock:`` section."""
    spec = scenario.stock
    if spec is None:
        return None
    if orders is not None:
        units = sum(sum(o.qty) for o in orders)
        lines = sum(len(o.skus) for o in orders)
        units_per_s = units / horizon_s
        per_line = units / lines
    else:
        dem = scenario.demand
        stop_s = min(horizon_s, (dem.stop_h or math.inf) * 3600.0)
        rates = dem.orders_per_hour
        n_orders = math.fsum(
            rates[min(h, len(rates) - 1)] * min(3600.0, stop_s - h * 3600.0) / 3600.0
            for h in range(math.ceil(stop_s / 3600.0))
        )
        per_line = spec.units_per_line
        units_per_s = n_orders * dem.mean_lines * per_line / horizon_s
    rate = np.asarray(popularity, dtype=float) * units_per_s
    initial = np.ceil(rate * spec.initial_cover_h * 3600.0 - 1e-9).astype(int)
    return StockPlan(
        initial=tuple(int(x) for x in initial),
        rate=tuple(float(x) for x in rate),
        sku_class=tuple(int(c) for c in abc_classes(popularity)),
    )


def truck_schedule(
    scenario: Scenario, docks: list[str], one_per_door: bool = True
) -> list[TruckTrip]:
    """The day's outbound trucks: one every ``trucks.every_h`` from the first departure,
    doors taken in turn; each is at its door ``dwell_min`` before it leaves and takes
    orders until ``cutoff_min`` before. A late truck (``disruptions.late_trucks``) draws
    its delay from its own stream.

    Raises:
        ScenarioError: with ``one_per_door``, two trucks would share a door (a dock
            scheduler instead queues them in the yard).
    """
    t = scenario.trucks
    last = t.last_departure_h if t.last_departure_h is not None else scenario.horizon_h
    out = []
    k = 0
    dep_h = t.first_departure_h
    late = scenario.disruptions.late_trucks
    late_rng = keyed_rng(scenario.seed, "disruptions.late_trucks")
    while dep_h <= last + 1e-9:
        depart = dep_h * 3600.0
        dock = docks[k % len(docks)]
        arrive = max(0.0, depart - t.dwell_min * 60.0)
        cutoff = max(arrive, depart - t.cutoff_min * 60.0)
        delay = 0.0
        if late is not None and late_rng.random() < late.probability:
            delay = float(late_rng.exponential(late.mean_delay_min * 60.0))
        out.append(TruckTrip(f"truck:{k + 1}", dock, arrive, cutoff, depart, t.capacity, delay))
        k += 1
        dep_h = t.first_departure_h + k * t.every_h
    if not one_per_door:
        return out
    # A dock door holds one truck at a time.
    last_at: dict[str, TruckTrip] = {}
    for trip in out:
        prev = last_at.get(trip.dock)
        if prev is not None and trip.arrive < prev.depart - 1e-9:
            spacing = t.every_h * len(docks) * 60.0
            raise ScenarioError(
                f"trucks: {trip.id} would arrive at {trip.dock} at {trip.arrive / 3600:.2f} h "
                f"while {prev.id} is at the door until {prev.depart / 3600:.2f} h; with "
                f"{len(docks)} docks and a truck every {t.every_h:g} h, trucks.dwell_min must "
                f"be at most {spacing:g} (or add docks with layout.docks)"
            )
        last_at[trip.dock] = trip
    return out


def inbound_schedule(scenario: Scenario, docks: list[str]) -> list[InboundTrip]:
    """The day's inbound trucks (``inbound:``): one every ``every_h`` from the first
    arrival, doors taken in turn; a late one (``inbound.late``) draws its delay, and with
    ``pallets_min`` each its load, from its own stream."""
    spec = scenario.inbound
    if spec.every_h is None:
        return []
    last = spec.last_arrival_h if spec.last_arrival_h is not None else scenario.horizon_h
    rng = keyed_rng(scenario.seed, "inbound.late")
    loads = keyed_rng(scenario.seed, "inbound.pallets")
    out = []
    k = 0
    at_h = spec.first_arrival_h
    while at_h < last + 1e-9 and at_h < scenario.horizon_h:
        delay = 0.0
        if spec.late is not None and rng.random() < spec.late.probability:
            delay = float(rng.exponential(spec.late.mean_delay_min * 60.0))
        out.append(
            InboundTrip(
                f"inbound:{k + 1}",
                docks[k % len(docks)],
                at_h * 3600.0,
                spec.pallets
                if spec.pallets_min is None
                else int(loads.integers(spec.pallets_min, spec.pallets + 1)),
                spec.unload_min * 60.0,
                delay,
            )
        )
        k += 1
        at_h = spec.first_arrival_h + k * spec.every_h
    return out
