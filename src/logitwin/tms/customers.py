"""Customers around the depot, the road network between them, and each order's shipment.

Locations are planar (km, depot at the origin). Road distance is the straight line times
a road factor; drive time is road distance over an average speed. Customer time windows
are in seconds from the start of the run. Every random draw takes a generator the caller
keys by what it is for (the customers, one order's shipment), so adding an order changes
no other order's shipment.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "Customer",
    "Network",
    "Shipment",
    "draw_shipment",
    "generate_customers",
    "lognormal",
    "read_customers_csv",
]


@dataclass(frozen=True, slots=True)
class Customer:
    """A delivery address.

    Attributes:
        id: customer id.
        x_km, y_km: position relative to the depot (km).
        open_s, close_s: the window in which service may start (s from the run's start).
    """

    id: str
    x_km: float
    y_km: float
    open_s: float
    close_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x_km) and math.isfinite(self.y_km)):
            raise ValueError(f"customer {self.id}: position ({self.x_km}, {self.y_km}) km")
        if not 0 <= self.open_s <= self.close_s:
            raise ValueError(
                f"customer {self.id}: window [{self.open_s}, {self.close_s}] s; need "
                "0 <= open <= close"
            )


@dataclass(frozen=True, slots=True)
class Network:
    """The depot (location 0) and its customers (location ``k`` is ``customers[k - 1]``).

    Attributes:
        customers: the customers.
        road_factor: road distance over straight-line distance (>= 1).
        speed_kmh: average driving speed (km/h).
    """

    customers: tuple[Customer, ...]
    road_factor: float = 1.3
    speed_kmh: float = 50.0

    def __post_init__(self) -> None:
        if not self.customers:
            raise ValueError("a network needs at least one customer")
        if not (math.isfinite(self.road_factor) and self.road_factor >= 1):
            raise ValueError(f"road_factor={self.road_factor}; roads are never shorter, use >= 1")
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise ValueError(f"speed_kmh={self.speed_kmh}; give a positive speed")

    def _xy(self, loc: int) -> tuple[float, float]:
        if loc == 0:
            return 0.0, 0.0
        c = self.customers[loc - 1]
        return c.x_km, c.y_km

    def km(self, a: int, b: int) -> float:
        """Road distance from location ``a`` to ``b`` (km)."""
        (xa, ya), (xb, yb) = self._xy(a), self._xy(b)
        return self.road_factor * math.hypot(xa - xb, ya - yb)

    def drive_s(self, a: int, b: int) -> float:
        """Drive time from ``a`` to ``b`` at the average speed (s)."""
        return self.km(a, b) / self.speed_kmh * 3600.0

    def matrices(
        self, locations: Sequence[int]
    ) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
        """Distance (whole m) and drive-time (whole s) matrices over ``locations``, in
        that order (the first should be the depot, 0)."""
        dist = tuple(tuple(round(self.km(a, b) * 1000) for b in locations) for a in locations)
        drive = tuple(tuple(round(self.drive_s(a, b)) for b in locations) for a in locations)
        return dist, drive


@dataclass(frozen=True, slots=True)
class Shipment:
    """What one order ships: to whom, how heavy, how big.

    Attributes:
        order: the order id.
        customer: its customer's location (1..).
        weight_kg: weight (kg).
        volume_m3: volume (m³).
    """

    order: str
    customer: int
    weight_kg: float
    volume_m3: float


def lognormal(rng: np.random.Generator, mean: float, cv: float) -> float:
    """One draw of a lognormal with the given mean and coefficient of variation (0: the
    mean itself)."""
    if not (mean > 0 and cv >= 0):
        raise ValueError(f"mean={mean}, cv={cv}; need mean > 0 and cv >= 0")
    if cv == 0:
        return float(mean)
    s2 = math.log1p(cv * cv)
    return float(rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2)))


def draw_shipment(
    rng: np.random.Generator,
    order: str,
    n_customers: int,
    weight: tuple[float, float],
    volume: tuple[float, float],
) -> Shipment:
    """The shipment of ``order``: a customer uniformly at random, a weight and a volume
    from lognormals given as (mean, cv). ``rng`` should be keyed by the order."""
    if n_customers < 1:
        raise ValueError(f"n_customers={n_customers}; need at least one")
    customer = int(rng.integers(1, n_customers + 1))
    return Shipment(order, customer, lognormal(rng, *weight), lognormal(rng, *volume))


def generate_customers(
    rng: np.random.Generator,
    n: int,
    radius_km: float,
    open_h: tuple[float, float],
    window_h: float,
) -> tuple[Customer, ...]:
    """``n`` customers uniformly over a disc of ``radius_km`` around the depot, each with a
    window of ``window_h`` hours opening uniformly within ``open_h`` (hours from the run's
    start)."""
    if n < 1 or not radius_km > 0 or not window_h > 0:
        raise ValueError(f"n={n}, radius_km={radius_km}, window_h={window_h}; all must be > 0")
    lo, hi = open_h
    if not 0 <= lo <= hi:
        raise ValueError(f"open_h={list(open_h)}; need 0 <= lo <= hi")
    out = []
    for k in range(n):
        r = radius_km * math.sqrt(float(rng.random()))
        a = 2 * math.pi * float(rng.random())
        opens = float(rng.uniform(lo, hi)) * 3600.0
        out.append(
            Customer(
                f"C{k + 1}", r * math.cos(a), r * math.sin(a), opens, opens + window_h * 3600.0
            )
        )
    return tuple(out)


def read_customers_csv(path: str | Path, default_close_h: float) -> tuple[Customer, ...]:
    """Customers from a CSV with columns ``id, x_km, y_km`` and optional ``open_h,
    close_h`` (hours from the run's start; default: open from 0 to ``default_close_h``).

    Raises:
        ValueError: naming the file, the line and the bad column.
    """
    path = Path(path)
    out = []
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or ())
        missing = {"id", "x_km", "y_km"} - cols
        if missing:
            raise ValueError(f"{path}: missing column(s) {sorted(missing)}; need id, x_km, y_km")
        for line, row in enumerate(reader, start=2):
            try:
                out.append(
                    Customer(
                        row["id"],
                        float(row["x_km"]),
                        float(row["y_km"]),
                        float(row.get("open_h") or 0.0) * 3600.0,
                        float(row.get("close_h") or default_close_h) * 3600.0,
                    )
                )
            except ValueError as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
    if not out:
        raise ValueError(f"{path}: no customers")
    return tuple(out)
