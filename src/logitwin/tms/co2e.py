"""Greenhouse-gas emissions of delivery routes by the GLEC Framework / ISO 14083 method.

The method, for one vehicle trip (a *transport chain element*):

1. fuel from the distance driven on each leg and a load-dependent consumption, linear
   between the vehicle's empty and full figures (l/100 km) in the leg's payload share;
2. emissions = fuel x a well-to-wheel factor (kg CO2e/l), where WTW = WTT (well-to-tank:
   producing and delivering the fuel) + TTW (tank-to-wheel: burning it);
3. the trip's emissions are allocated to its shipments by tonne-km, each shipment's
   tonne-km being its mass x the distance from the origin to its destination (the shortest
   feasible distance, so a shipment's share does not depend on the stop order), as the
   GLEC Framework (v3, section on allocation) and ISO 14083:2023 prescribe for
   multi-drop trips. Intensity is the trip's CO2e over its summed tonne-km.

All masses of CO2e are kg; distances km; fuel litres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "DIESEL_EN16258",
    "EmissionFactor",
    "Emissions",
    "allocate_by_tkm",
    "emissions",
    "fuel_litres",
]


@dataclass(frozen=True, slots=True)
class EmissionFactor:
    """A fuel's greenhouse-gas factors per litre.

    Attributes:
        name: the fuel.
        wtt_kg_per_l: well-to-tank (upstream) kg CO2e per litre.
        ttw_kg_per_l: tank-to-wheel (combustion) kg CO2e per litre.
        source: where the numbers come from.
    """

    name: str
    wtt_kg_per_l: float
    ttw_kg_per_l: float
    source: str

    def __post_init__(self) -> None:
        for f in ("wtt_kg_per_l", "ttw_kg_per_l"):
            v = getattr(self, f)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{self.name}: {f}={v}; give a finite number >= 0")

    @property
    def wtw_kg_per_l(self) -> float:
        """Well-to-wheel kg CO2e per litre (WTT + TTW)."""
        return self.wtt_kg_per_l + self.ttw_kg_per_l


# EN 16258:2012, Annex A, Table A.1, diesel without biofuel: TTW 3.21 and WTW 3.90 kg
# CO2e per kg at a density of 0.832 kg/l, i.e. 2.67 and 3.24 kg CO2e per litre. The
# GLEC Framework (v2 and v3, fuel emission factors for Europe) adopts the EN 16258 /
# ISO 14083 values; its v3 regional tables give slightly lower WTW figures for
# diesel blended with biofuel (B7), which a user can pass as their own EmissionFactor.
DIESEL_EN16258 = EmissionFactor(
    name="diesel (EN 16258, no biofuel)",
    wtt_kg_per_l=3.24 - 2.67,
    ttw_kg_per_l=2.67,
    source="EN 16258:2012 Annex A (as used by the GLEC Framework v3 / ISO 14083:2023)",
)


@dataclass(frozen=True, slots=True)
class Emissions:
    """Fuel and CO2e of a trip or leg.

    Attributes:
        fuel_l: fuel burnt (l).
        wtt_kg: well-to-tank CO2e (kg).
        ttw_kg: tank-to-wheel CO2e (kg).
    """

    fuel_l: float
    wtt_kg: float
    ttw_kg: float

    @property
    def wtw_kg(self) -> float:
        """Well-to-wheel CO2e (kg), what the GLEC Framework reports."""
        return self.wtt_kg + self.ttw_kg


def fuel_litres(
    distance_km: float,
    load_kg: float,
    max_load_kg: float,
    empty_l_per_100km: float,
    full_l_per_100km: float,
) -> float:
    """Fuel for one leg driven with a constant load (l).

    Consumption is linear in the payload share ``load_kg / max_load_kg`` between the empty
    and the full figure.

    Raises:
        ValueError: a negative distance or load, a load above ``max_load_kg``, or a full
            consumption below the empty one.
    """
    if not distance_km >= 0:
        raise ValueError(f"distance_km={distance_km}; must be >= 0")
    if not max_load_kg > 0:
        raise ValueError(f"max_load_kg={max_load_kg}; must be > 0")
    if not 0 <= load_kg <= max_load_kg * (1 + 1e-9):
        raise ValueError(f"load_kg={load_kg}; must be within [0, max_load_kg={max_load_kg}]")
    if not 0 <= empty_l_per_100km <= full_l_per_100km:
        raise ValueError(
            f"consumption empty={empty_l_per_100km}, full={full_l_per_100km} l/100 km; "
            "need 0 <= empty <= full"
        )
    share = min(1.0, load_kg / max_load_kg)
    per_100 = empty_l_per_100km + (full_l_per_100km - empty_l_per_100km) * share
    return distance_km / 100.0 * per_100


def emissions(fuel_l: float, factor: EmissionFactor = DIESEL_EN16258) -> Emissions:
    """CO2e of burning ``fuel_l`` litres of the fuel ``factor`` describes."""
    if not fuel_l >= 0:
        raise ValueError(f"fuel_l={fuel_l}; must be >= 0")
    return Emissions(fuel_l, fuel_l * factor.wtt_kg_per_l, fuel_l * factor.ttw_kg_per_l)


def allocate_by_tkm(
    total_kg: float, shipments: Mapping[str, tuple[float, float]]
) -> dict[str, float]:
    """Share a trip's CO2e among its shipments by tonne-km.

    Args:
        total_kg: the trip's CO2e (kg).
        shipments: shipment id -> (mass (kg), origin-to-destination distance (km)).

    Returns:
        shipment id -> its CO2e (kg); the shares sum to ``total_kg``. When every shipment
        has zero tonne-km, the trip is shared equally.
    """
    if not total_kg >= 0:
        raise ValueError(f"total_kg={total_kg}; must be >= 0")
    tkm = {}
    for sid, (kg, km) in shipments.items():
        if not (kg >= 0 and km >= 0):
            raise ValueError(f"shipment {sid}: mass {kg} kg, distance {km} km; both must be >= 0")
        tkm[sid] = kg / 1000.0 * km
    total = math.fsum(tkm.values())
    if total <= 0:
        return {sid: total_kg / len(tkm) for sid in tkm} if tkm else {}
    return {sid: total_kg * v / total for sid, v in tkm.items()}
