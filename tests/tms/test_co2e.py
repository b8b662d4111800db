"""CO2e by the GLEC method, against numbers worked out by hand."""

import math

import pytest

from logitwin.tms.co2e import (
    DIESEL_EN16258,
    EmissionFactor,
    allocate_by_tkm,
    emissions,
    fuel_litres,
)


def test_diesel_factors_are_en16258_per_litre():
    assert DIESEL_EN16258.ttw_kg_per_l == pytest.approx(2.67)
    assert DIESEL_EN16258.wtw_kg_per_l == pytest.approx(3.24)
    assert DIESEL_EN16258.wtt_kg_per_l == pytest.approx(0.57)
    assert "EN 16258" in DIESEL_EN16258.source


def test_fuel_is_linear_in_the_payload_share():
    # 100 km at 20 l/100 km empty, 30 full: empty 20 l, half full 25 l, full 30 l.
    assert fuel_litres(100, 0, 1000, 20, 30) == pytest.approx(20.0)
    assert fuel_litres(100, 500, 1000, 20, 30) == pytest.approx(25.0)
    assert fuel_litres(100, 1000, 1000, 20, 30) == pytest.approx(30.0)
    # 42 km with a quarter load: 0.42 * 22.5 = 9.45 l.
    assert fuel_litres(42, 250, 1000, 20, 30) == pytest.approx(9.45)


def test_emissions_of_ten_litres():
    e = emissions(10.0)
    assert e.ttw_kg == pytest.approx(26.7)
    assert e.wtt_kg == pytest.approx(5.7)
    assert e.wtw_kg == pytest.approx(32.4)


def test_a_two_drop_trip_by_hand():
    # Depot -> A (10 km) -> B (10 km further) -> depot (20 km); A takes 400 kg at 10 km
    # from the depot, B 600 kg at 20 km. Truck: 1000 kg, 20 l/100 km empty, 30 full.
    legs = [(10, 1000), (10, 600), (20, 0)]
    fuel = sum(fuel_litres(km, kg, 1000, 20, 30) for km, kg in legs)
    assert fuel == pytest.approx(3.0 + 2.6 + 4.0)
    co2e = emissions(fuel).wtw_kg
    assert co2e == pytest.approx(9.6 * 3.24)
    share = allocate_by_tkm(co2e, {"A": (400, 10), "B": (600, 20)})
    # tonne-km: A 0.4 * 10 = 4, B 0.6 * 20 = 12; shares 1/4 and 3/4.
    assert share["A"] == pytest.approx(co2e / 4)
    assert share["B"] == pytest.approx(co2e * 3 / 4)
    assert math.fsum(share.values()) == pytest.approx(co2e)
    # intensity: kg CO2e over 16 tkm
    assert co2e * 1000 / 16 == pytest.approx(1944.0)


def test_zero_tonne_km_shares_equally_and_bad_input_raises():
    assert allocate_by_tkm(6.0, {"a": (0, 5), "b": (10, 0), "c": (0, 0)}) == {
        "a": 2.0,
        "b": 2.0,
        "c": 2.0,
    }
    with pytest.raises(ValueError, match="load_kg"):
        fuel_litres(10, 1200, 1000, 20, 30)
    with pytest.raises(ValueError, match="empty <= full"):
        fuel_litres(10, 0, 1000, 30, 20)
    with pytest.raises(ValueError, match="wtt_kg_per_l"):
        EmissionFactor("x", -1.0, 2.0, "nowhere")
