"""The scenario file schema (YAML, validated by pydantic).

Every model forbids unknown fields, so a typo is an error that names the field and lists
the allowed ones. Units are in the field names: ``_s`` seconds, ``_h`` hours, ``_m``
metres, ``_mps`` metres per second, ``_wh`` watt-hours, ``_w`` watts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BatterySpec",
    "ChargerOutage",
    "CustomerRegion",
    "DelaySpec",
    "DeliveryTruckType",
    "DemandSpec",
    "DemandSurge",
    "DisruptionsSpec",
    "DockClosure",
    "DocksSpec",
    "DoorSpec",
    "FleetSpec",
    "FloorSpec",
    "InboundSpec",
    "InventorySpec",
    "LateTrucks",
    "LayoutSpec",
    "Lognormal",
    "ReleaseSpec",
    "RobotBreakdowns",
    "RobotModel",
    "RoutingSpec",
    "RuntimeSpec",
    "Scenario",
    "StaffingShift",
    "StationClosure",
    "StationsSpec",
    "StockSpec",
    "TransportSpec",
    "TrucksSpec",
]

Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
Frac = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayoutSpec(_Strict):
    """A generated goods-to-person layout (see :class:`logitwin.site.LayoutParams`)."""

    blocks_x: int = Field(8, ge=1, le=100, description="storage blocks along x")
    blocks_y: int = Field(6, ge=1, le=100, description="storage blocks along y")
    block_width: int = Field(5, ge=1, le=50, description="cells per block along x")
    block_depth: int = Field(2, ge=1, le=10, description="cells per block along y")
    aisle_width: int = Field(1, ge=1, le=10, description="cells between blocks")
    stations: int = Field(6, ge=1, le=100, description="pick stations (west wall)")
    queue_length: int = Field(4, ge=1, le=20, description="queue cells per station")
    chargers: int = Field(10, ge=1, le=500, description="chargers (north wall)")
    docks: int = Field(3, ge=1, le=100, description="outbound docks (east wall)")


class DelaySpec(_Strict):
    """Execution delays (the League of Robot Runners 2026 models), off by default.

    Each move is delayed with ``probability`` for a duration between ``min_s`` and
    ``max_s``: ``uniform``, or ``gaussian`` around ``min_s + gauss_mean * (max_s -
    min_s)`` with standard deviation ``gauss_std * (max_s - min_s)``, clipped. Each robot
    drives at its own speed: a factor drawn uniformly from ``speed_factor`` (1: the
    floor's speed).
    """

    probability: Frac = Field(0.0, description="chance that a move is delayed")
    min_s: NonNeg = Field(1.0, description="shortest delay (s)")
    max_s: NonNeg = Field(5.0, description="longest delay (s)")
    duration: Literal["uniform", "gaussian"] = "uniform"
    gauss_mean: Frac = Field(0.5, description="gaussian mean, relative to the range")
    gauss_std: NonNeg = Field(0.25, description="gaussian standard deviation, relative")
    speed_factor: tuple[
        Annotated[float, Field(gt=0, le=10)], Annotated[float, Field(gt=0, le=10)]
    ] = Field((1.0, 1.0), description="each robot's speed factor, drawn uniformly from [lo, hi]")

    @model_validator(mode="after")
    def _range(self) -> DelaySpec:
        if self.min_s > self.max_s:
            raise ValueError(f"min_s ({self.min_s}) must not exceed max_s ({self.max_s})")
        if self.speed_factor[0] > self.speed_factor[1]:
            raise ValueError(f"speed_factor {list(self.speed_factor)}: expected [lo, hi], lo <= hi")
        return self


class FloorSpec(_Strict):
    """Grid geometry and driving speed; one step lasts ``cell_m / speed_mps`` seconds."""

    cell_m: Pos = 1.25
    speed_mps: Pos = 1.25
    driver: Literal["grid", "pybullet"] = Field(
        "grid",
        description="what moves the robots in a what-if: the grid floor, or a PyBullet "
        "world of kinematic robots (slower; reports physical contacts)",
    )
    delays: DelaySpec = DelaySpec()
    lost_after_s: Pos | None = Field(
        60.0,
        description="a robot whose move is not reported done this long (s) after it "
        "started is offline: its task goes to another robot until it reports again "
        "(null: never)",
    )


class BatterySpec(_Strict):
    """A linear battery (see :class:`logitwin.robots.LinearBattery`)."""

    capacity_wh: Pos = 600.0
    wh_per_m: Pos = 0.08
    charge_w: Pos = 1200.0
    low: Frac = 0.25
    full: Frac = 0.95

    @model_validator(mode="after")
    def _levels(self) -> BatterySpec:
        if self.low >= self.full:
            raise ValueError(f"low ({self.low}) must be below full ({self.full})")
        return self


class RobotModel(_Strict):
    """A robot model in a mixed fleet: its name and how many robots are of it."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    robots: int = Field(ge=1)


class FleetSpec(_Strict):
    """The robot fleet."""

    robots: int = Field(50, ge=1, le=20_000)
    lift_s: NonNeg = 2.0
    battery: BatterySpec = BatterySpec()
    initial_soc: tuple[Frac, Frac] = Field(
        (0.5, 1.0), description="initial state of charge drawn uniformly from [lo, hi]"
    )
    models: tuple[RobotModel, ...] = Field(
        (), description="split of the fleet by model (default: one model, 'default')"
    )

    @model_validator(mode="after")
    def _models(self) -> FleetSpec:
        if self.models:
            total = sum(m.robots for m in self.models)
            if total != self.robots:
                raise ValueError(f"models have {total} robots in all; robots is {self.robots}")
            names = [m.name for m in self.models]
            if len(set(names)) != len(names):
                raise ValueError(f"model names repeat: {names}")
        return self

    def model_names(self) -> list[str]:
        """Each robot's model, robots of a model spread evenly through the fleet."""
        if not self.models:
            return ["default"] * self.robots
        slots = sorted(
            ((k + 0.5) / m.robots, i, m.name) for i, m in enumerate(self.models)
            for k in range(m.robots)
        )  # fmt: skip
        return [name for _, _, name in slots]


class StationsSpec(_Strict):
    """Pick station work."""

    line_s: Pos = Field(6.0, description="picking time per line (s)")
    present_s: NonNeg = Field(4.0, description="time to present and release a pod (s)")
    order_slots: int = Field(12, ge=1, le=500, description="put-wall order bins per station")
    robots_per_station: int = Field(
        10, ge=1, le=1000, description="most robots fetching, queueing or presenting for it"
    )


class DemandSpec(_Strict):
    """Order arrivals over the run."""

    orders_per_hour: tuple[NonNeg, ...] = Field(
        (600.0,), min_length=1, description="rate per hour from t=0; the last value holds on"
    )
    mean_lines: float = Field(2.0, ge=1, le=100)
    max_lines: int = Field(10, ge=1, le=500)
    zipf_s: float = Field(1.0, ge=0, le=5)
    # Every shift scenario here is calibrated with 900 s. An hour would make every order
    # skip the next truck when trucks leave hourly (its cutoff is always under an hour
    # away): the on-time share then says little about the floor, and in a short run more
    # promises fall after the horizon, so fewer orders are due.
    min_lead_s: NonNeg = Field(
        900.0,
        description="promise an order the first truck whose cutoff is at least this long "
        "(s) after it arrives; 15 minutes promises most orders the next truck, so the "
        "on-time share measures whether the floor keeps up",
    )
    pack_s: NonNeg = 90.0
    stop_h: Pos | None = Field(None, description="no arrivals after this hour (default: horizon)")
    orders_csv: str | None = Field(
        None,
        description="replay orders from this CSV of order history instead of generating "
        "them (see README); a relative path is taken from the scenario file's folder",
    )


class InventorySpec(_Strict):
    """Pods and SKUs in storage."""

    skus: int = Field(5000, ge=1, le=10_000_000)
    fill: float = Field(0.85, gt=0, lt=1, description="share of storage cells holding a pod")
    max_pod_share: float = Field(
        0.002,
        gt=0,
        le=1,
        description="fast movers get a copy in another pod per this share of all lines",
    )


class TrucksSpec(_Strict):
    """Outbound trucks: one departure every ``every_h`` hours, docks taken in turn."""

    first_departure_h: Pos = 2.0
    every_h: Pos = 1.0
    last_departure_h: Pos | None = Field(None, description="default: the horizon")
    dwell_min: Pos = Field(60.0, description="time at the door before departure (min)")
    cutoff_min: NonNeg = Field(20.0, description="cutoff before departure (min)")
    capacity: int = Field(400, ge=1, le=1_000_000, description="orders per truck")

    @model_validator(mode="after")
    def _cutoff(self) -> TrucksSpec:
        if self.cutoff_min > self.dwell_min:
            raise ValueError(
                f"cutoff_min ({self.cutoff_min}) must not exceed dwell_min ({self.dwell_min})"
            )
        return self


class _Window(_Strict):
    """A span of the run, in hours from its start."""

    start_h: NonNeg
    end_h: Pos

    @model_validator(mode="after")
    def _order(self) -> _Window:
        if self.end_h <= self.start_h:
            raise ValueError(f"end_h ({self.end_h}) must be after start_h ({self.start_h})")
        return self


class RobotBreakdowns(_Strict):
    """Robots of ``model`` (every robot when omitted) fail after exponential times with
    mean ``mtbf_h`` and are repaired after exponential times with mean ``mttr_min``."""

    model: str | None = Field(None, description="a name in fleet.models; default: all")
    mtbf_h: Pos = Field(description="mean time between failures of one robot (h)")
    mttr_min: Pos = Field(description="mean time to repair (min)")


class ChargerOutage(_Window):
    """A charger out of order; ``charger`` is its number (1..layout.chargers), or all."""

    charger: int | None = Field(None, ge=1, description="default: every charger")


class StationClosure(_Window):
    """A pick station closed (no pods brought, no picks): ``station`` 1..layout.stations."""

    station: int = Field(ge=1)


class StaffingShift(_Window):
    """Fewer (or more) pickers: pick times multiplied by ``pick_time_factor``."""

    pick_time_factor: Pos = Field(description="1.5: picks take 50% longer")
    station: int | None = Field(None, ge=1, description="default: every station")


class DockClosure(_Window):
    """A dock door closed: its trucks cannot load; what they could not take by cutoff
    goes on a later truck, late."""

    dock: int = Field(ge=1, description="1..layout.docks")


class DemandSurge(_Window):
    """Order arrivals multiplied by ``multiplier`` (generated demand only)."""

    multiplier: Pos


class LateTrucks(_Strict):
    """Each truck is late with ``probability``, by an exponential delay with mean
    ``mean_delay_min`` (arrival, cutoff and departure all move)."""

    probability: Frac
    mean_delay_min: Pos


class DisruptionsSpec(_Strict):
    """What goes wrong during the run (all optional)."""

    robot_breakdowns: RobotBreakdowns | tuple[RobotBreakdowns, ...] | None = None
    charger_outages: tuple[ChargerOutage, ...] = ()
    station_closures: tuple[StationClosure, ...] = ()
    staffing: tuple[StaffingShift, ...] = ()
    dock_closures: tuple[DockClosure, ...] = ()
    demand_surges: tuple[DemandSurge, ...] = ()
    late_trucks: LateTrucks | None = None


class InboundSpec(_Strict):
    """Inbound trucks from suppliers: one arrival every ``every_h`` hours from
    ``first_arrival_h``; each brings up to ``pallets`` pallets, unloaded in ``unload_min``
    each. Absent (``every_h`` not set): no inbound trucks."""

    every_h: Pos | None = Field(None, description="hours between arrivals; default none")
    first_arrival_h: NonNeg = 1.0
    last_arrival_h: Pos | None = Field(None, description="default: the horizon")
    pallets: int = Field(26, ge=1, le=200, description="pallets per truck, at most")
    pallets_min: int | None = Field(
        None,
        ge=1,
        le=200,
        description="each truck brings a number drawn uniformly from pallets_min..pallets "
        "(default: every truck brings pallets)",
    )
    unload_min: Pos = Field(1.5, description="unloading time per pallet (min)")
    late: LateTrucks | None = Field(None, description="how late trucks come (delay draw)")

    @model_validator(mode="after")
    def _pallets(self) -> InboundSpec:
        if self.pallets_min is not None and self.pallets_min > self.pallets:
            raise ValueError(
                f"pallets_min ({self.pallets_min}) must not exceed pallets ({self.pallets})"
            )
        return self


TruckClass = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]


class DoorSpec(_Strict):
    """One dock door: the trucks it serves and the truck classes that fit it."""

    kind: Literal["inbound", "outbound", "both"] = Field(
        "both", description="which trucks it serves: inbound, outbound or both"
    )
    accepts: tuple[TruckClass, ...] | None = Field(
        None, min_length=1, description="truck classes it takes (default: every class)"
    )


class DocksSpec(_Strict):
    """The yard: door kinds, truck classes and who schedules the doors.

    Absent, trucks take the doors in turn at fixed times (no yard). Given, the day's
    inbound and outbound trucks are scheduled onto doors by ``scheduler`` and a yard
    actor hands the doors out at run time, re-planning when a truck is late.
    """

    doors: tuple[DoorSpec, ...] = Field(
        (), description="one entry per door (layout.docks of them); default: all 'both'"
    )
    outbound_class: TruckClass = Field("trailer", description="class of the outbound trucks")
    inbound_class: TruckClass = Field("trailer", description="class of the inbound trucks")
    scheduler: Literal["fcfs", "cpsat"] = Field(
        "cpsat",
        description="fcfs: trucks take the first free door in arrival order; cpsat: "
        "OR-Tools CP-SAT plans the doors (weighted waiting + lateness) and re-plans",
    )
    time_limit_s: float = Field(
        30.0, gt=0, le=600, description="CP-SAT wall-clock cap per (re-)plan (s)"
    )
    work_limit: float = Field(
        0.5,
        gt=0,
        le=100,
        description="CP-SAT deterministic time per sub-solve; with one worker the plan "
        "depends on it, not on the machine's load",
    )
    resolve_after_min: NonNeg = Field(
        10.0, description="re-plan when a truck is this late (min) and has not come"
    )
    slot_min: float = Field(1.0, ge=1 / 60, le=60, description="door start grid (min)")
    lateness_weight: int = Field(
        5, ge=0, le=10_000, description="a second late costs this many seconds of waiting"
    )
    inbound_window_min: NonNeg = Field(
        120.0, description="an inbound truck is due this long after its unloading could end"
    )

    def door_kinds(self, n: int) -> tuple[DoorSpec, ...]:
        """The ``n`` doors' specs (all ``both`` when none are listed)."""
        return self.doors or (DoorSpec(),) * n


class ReleaseSpec(_Strict):
    """How orders reach the stations: ``continuous`` (as soon as a slot is free,
    earliest cutoff first) or ``waves`` (an order waits until the wave of its truck
    opens, ``wave_lead_min`` before that truck's cutoff)."""

    mode: Literal["continuous", "waves"] = "continuous"
    wave_lead_min: Pos = Field(
        60.0, description="a wave opens this long (min) before its truck's cutoff"
    )


class StockSpec(_Strict):
    """Stock per SKU and its replenishment (absent: pods never run out).

    Each SKU starts with ``initial_cover_h`` hours of its expected demand. An order line
    takes units (generated demand: 1 + Poisson(``units_per_line`` - 1); the order CSV's
    quantity column); a line whose SKU lacks the units waits (a backorder). Every
    ``review_min`` the replenishment policy compares each SKU's inventory position with
    its reorder point ``s`` and orders up to ``S`` (both from a forecast of the run's own
    demand, refit each bucket), booking purchase orders onto the first inbound trips at
    least ``lead_time_h`` away that have room.
    """

    initial_cover_h: NonNeg = Field(
        8.0, description="hours of expected demand each SKU starts with"
    )
    units_per_line: float = Field(
        1.5, ge=1, le=1000, description="mean units per generated order line"
    )
    case_units: int = Field(6, ge=1, le=100_000, description="units per case (order multiple)")
    cases_per_pallet: int = Field(40, ge=1, le=10_000, description="cases on one pallet")
    lead_time_h: NonNeg = Field(
        1.0, description="a PO rides only trips due at least this long after it is placed"
    )
    review_min: Pos = Field(15.0, description="minutes between replenishment reviews")
    bucket_min: Pos = Field(60.0, description="forecast bucket (min)")
    forecast: Literal["naive", "moving_average", "seasonal_naive", "ses", "holt_damped"] = Field(
        "naive", description="forecast method (see benchmarks/forecast_backtest.py)"
    )
    season_h: Pos = Field(24.0, description="season of seasonal_naive (h)")
    service_level: float = Field(
        0.95, gt=0.5, lt=1, description="cycle service level the safety stock is set for"
    )
    cycle_h: Pos = Field(2.0, description="order-up-to S covers this much demand beyond s (h)")
    cross_dock: bool = Field(
        True, description="received units that backordered lines wait for skip storage"
    )


class RuntimeSpec(_Strict):
    """Actor runtime settings."""

    lookahead_s: float = Field(0.25, gt=0, le=60, description="min latency between entities")


def _check_policies(spec: Any) -> None:
    from logitwin.control.policies import parse_spec

    for kind in ("slotting", "dispatch"):
        value = getattr(spec, kind)
        if value is not None:
            parse_spec(kind, value)  # ValueError names the allowed ones


class ShadowSpec(_Strict):
    """Policies that decide beside the active ones without acting (journalled)."""

    slotting: str | None = None
    dispatch: str | None = None

    @model_validator(mode="after")
    def _known(self) -> ShadowSpec:
        _check_policies(self)
        return self


class PoliciesSpec(_Strict):
    """Who makes each decision: a heuristic or a learned policy ``policy:NAME@VERSION``."""

    slotting: str = Field(
        "nearest_free",
        description="where returning pods go: nearest_free | random | class_based | "
        "policy:NAME@VERSION",
    )
    dispatch: str = Field(
        "nearest_idle",
        description="which idle robot fetches a pod: nearest_idle | fifo | assignment | "
        "policy:NAME@VERSION",
    )
    shadow: ShadowSpec = ShadowSpec()

    @model_validator(mode="after")
    def _known(self) -> PoliciesSpec:
        _check_policies(self)
        return self


class CustomerRegion(_Strict):
    """Where the customers are: ``customers`` spread uniformly over a disc of
    ``radius_km`` around the depot, or the rows of ``customers_csv`` (columns ``id, x_km,
    y_km`` and optional ``open_h, close_h``). Road distance is the straight line times
    ``road_factor``; trucks drive at ``speed_kmh`` on average."""

    customers: int = Field(40, ge=1, le=100_000, description="generated customers")
    radius_km: Pos = Field(25.0, le=2000, description="generated customers within (km)")
    customers_csv: str | None = Field(
        None, description="customer locations instead of generated ones (see above)"
    )
    road_factor: float = Field(1.3, ge=1, le=5, description="road over straight-line distance")
    speed_kmh: float = Field(45.0, gt=0, le=150, description="average driving speed (km/h)")
    open_h: tuple[NonNeg, NonNeg] = Field(
        (0.0, 4.0), description="each window opens uniformly within [lo, hi] h of the run"
    )
    window_h: Pos = Field(10.0, description="each customer's window length (h)")

    @model_validator(mode="after")
    def _open(self) -> CustomerRegion:
        if self.open_h[0] > self.open_h[1]:
            raise ValueError(f"open_h {list(self.open_h)}: expected [lo, hi], lo <= hi")
        return self


class Lognormal(_Strict):
    """A positive quantity drawn from a lognormal with this mean and coefficient of
    variation (0: always the mean)."""

    mean: Pos
    cv: float = Field(0.5, ge=0, le=5)


class DeliveryTruckType(_Strict):
    """A type of delivery truck: how many, how much they carry, what they burn."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    count: int = Field(ge=1, le=10_000)
    max_weight_kg: Pos = Field(description="payload (kg)")
    max_volume_m3: Pos = Field(description="cargo volume (m³)")
    fixed_cost: int = Field(
        0, ge=0, description="cost of using one truck, in metres of driving it is worth"
    )
    fuel_l_per_100km_empty: NonNeg = Field(description="diesel used empty (l/100 km)")
    fuel_l_per_100km_full: NonNeg = Field(description="diesel used fully loaded (l/100 km)")

    @model_validator(mode="after")
    def _fuel(self) -> DeliveryTruckType:
        if self.fuel_l_per_100km_full < self.fuel_l_per_100km_empty:
            raise ValueError(
                f"fuel_l_per_100km_full ({self.fuel_l_per_100km_full}) must not be below "
                f"fuel_l_per_100km_empty ({self.fuel_l_per_100km_empty})"
            )
        return self


_DEFAULT_FLEET = (
    DeliveryTruckType(
        name="rigid_7t5",
        count=4,
        max_weight_kg=2500.0,
        max_volume_m3=35.0,
        fixed_cost=20_000,
        fuel_l_per_100km_empty=16.0,
        fuel_l_per_100km_full=22.0,
    ),
)


class RoutingSpec(_Strict):
    """How hard the route solver works each time it plans (at a departure, or when a
    truck comes back). The solution limit keeps runs determinate; the time limit is a cap
    (reaching it makes the plan depend on the machine's speed)."""

    time_limit_s: float = Field(2.0, gt=0, le=600, description="cap per solve (s)")
    solution_limit: int = Field(100, ge=1, le=1_000_000, description="solutions per solve")
    max_breaks_per_route: int = Field(3, ge=0, le=20)


class TransportSpec(_Strict):
    """Delivery routes from the depot to customers (absent: orders end at the dock)."""

    region: CustomerRegion = CustomerRegion()
    weight_kg: Lognormal = Field(Lognormal(mean=25.0, cv=0.6), description="per order (kg)")
    volume_m3: Lognormal = Field(Lognormal(mean=0.12, cv=0.6), description="per order (m³)")
    fleet: tuple[DeliveryTruckType, ...] = Field(_DEFAULT_FLEET, min_length=1)
    hos: Literal["fmcsa", "eu561", "none"] = Field(
        "eu561", description="drivers' hours of service: US FMCSA, EU 561/2006, or none"
    )
    travel_time_sigma: float = Field(
        0.15, ge=0, le=2, description="sigma of each leg's lognormal travel-time factor"
    )
    service_min: NonNeg = Field(10.0, le=600, description="unloading time per stop (min)")
    routing: RoutingSpec = RoutingSpec()

    @model_validator(mode="after")
    def _names(self) -> TransportSpec:
        names = [t.name for t in self.fleet]
        if len(set(names)) != len(names):
            raise ValueError(f"fleet type names repeat: {names}")
        return self


class Scenario(_Strict):
    """A what-if scenario: site, fleet, demand and shipping for one run."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    horizon_h: float = Field(gt=0, le=24 * 14)
    layout: LayoutSpec = LayoutSpec()
    floor: FloorSpec = FloorSpec()
    fleet: FleetSpec = FleetSpec()
    stations: StationsSpec = StationsSpec()
    demand: DemandSpec = DemandSpec()
    inventory: InventorySpec = InventorySpec()
    trucks: TrucksSpec = TrucksSpec()
    inbound: InboundSpec = InboundSpec()
    stock: StockSpec | None = None
    docks: DocksSpec | None = Field(
        None, description="door kinds and the dock scheduler (default: doors in turn)"
    )
    release: ReleaseSpec = ReleaseSpec()

    disruptions: DisruptionsSpec = DisruptionsSpec()
    policies: PoliciesSpec = PoliciesSpec()
    runtime: RuntimeSpec = RuntimeSpec()
    transport: TransportSpec | None = Field(
        None, description="delivery routes to customers; absent: orders end at the dock"
    )

    @model_validator(mode="after")
    def _stock_needs_inbound(self) -> Scenario:
        if self.stock is not None and self.inbound.every_h is None:
            raise ValueError(
                "stock: replenishment brings goods on inbound trucks, but there are none; "
                "set inbound.every_h (or remove the stock section)"
            )
        return self

    @model_validator(mode="after")
    def _docks(self) -> Scenario:
        d = self.docks
        if d is None:
            return self
        n = self.layout.docks
        if d.doors and len(d.doors) != n:
            raise ValueError(
                f"docks.doors: {len(d.doors)} doors listed but layout.docks is {n}; list "
                f"one entry per door or set layout.docks to {len(d.doors)}"
            )
        doors = d.door_kinds(n)
        for direction, cls, present in (
            ("outbound", d.outbound_class, True),
            ("inbound", d.inbound_class, self.inbound.every_h is not None),
        ):
            fits = [
                k
                for k, door in enumerate(doors)
                if door.kind in ("both", direction)
                and (door.accepts is None or cls in door.accepts)
            ]
            if present and not fits:
                raise ValueError(
                    f"docks.doors: no door takes {direction} trucks of class {cls!r} "
                    f"(docks.{direction}_class), but {direction} trucks are scheduled; give a "
                    f"door kind '{direction}' or 'both' that accepts {cls!r}"
                )
        if self.disruptions.dock_closures:
            raise ValueError(
                "disruptions.dock_closures: with a docks: section the yard hands out the "
                "doors, and it does not close them yet; drop one of the two"
            )
        return self
