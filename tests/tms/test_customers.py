"""Customers, roads and shipments: deterministic, keyed draws and clear errors."""

import math

import numpy as np
import pytest

from logitwin.actors.runtime import keyed_rng
from logitwin.tms.customers import (
    Customer,
    Network,
    draw_shipment,
    generate_customers,
    lognormal,
    read_customers_csv,
)


def test_network_distance_and_time():
    net = Network((Customer("A", 3, 4, 0, 3600), Customer("B", -3, -4, 0, 3600)), 1.5, 60.0)
    assert net.km(0, 1) == pytest.approx(7.5)
    assert net.km(1, 2) == pytest.approx(15.0)
    assert net.drive_s(0, 1) == pytest.approx(7.5 * 60)
    dist, drive = net.matrices([0, 2, 1])
    assert dist == ((0, 7500, 7500), (7500, 0, 15000), (7500, 15000, 0))
    assert drive[0][1] == 450


def test_generated_customers_are_in_the_disc_and_reproducible():
    a = generate_customers(keyed_rng(3, "transport.customers"), 50, 20.0, (1.0, 2.0), 3.0)
    b = generate_customers(keyed_rng(3, "transport.customers"), 50, 20.0, (1.0, 2.0), 3.0)
    assert a == b
    for c in a:
        assert math.hypot(c.x_km, c.y_km) <= 20.0
        assert 3600 <= c.open_s <= 7200
        assert c.close_s - c.open_s == pytest.approx(3 * 3600)


def test_an_orders_shipment_depends_on_its_key_alone():
    def draw(order):
        return draw_shipment(keyed_rng(7, f"{order}.shipment"), order, 40, (25, 0.5), (0.1, 0.5))

    first = [draw(f"order:{k}") for k in range(1, 20)]
    # Drawn in another order, and with an extra order among them: the same shipments.
    again = {f"order:{k}": draw(f"order:{k}") for k in [*range(19, 0, -1), 99]}
    assert [again[s.order] for s in first] == first
    assert all(1 <= s.customer <= 40 and s.weight_kg > 0 for s in first)


def test_lognormal_mean_and_zero_cv():
    rng = np.random.default_rng(0)
    xs = [lognormal(rng, 20.0, 0.5) for _ in range(20_000)]
    assert np.mean(xs) == pytest.approx(20.0, rel=0.02)
    assert lognormal(rng, 5.0, 0.0) == 5.0


def test_customers_csv(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("id,x_km,y_km,open_h,close_h\nA,1,2,1,3\nB,-1,0,,\n")
    a, b = read_customers_csv(p, default_close_h=10)
    assert (a.open_s, a.close_s) == (3600, 3 * 3600)
    assert (b.open_s, b.close_s) == (0, 10 * 3600)
    p.write_text("id,x,y\nA,1,2\n")
    with pytest.raises(ValueError, match="missing column"):
        read_customers_csv(p, 10)
    p.write_text("id,x_km,y_km\nA,1,2\nB,east,2\n")
    with pytest.raises(ValueError, match=":3:"):
        read_customers_csv(p, 10)


def test_bad_network_raises():
    with pytest.raises(ValueError, match="road_factor"):
        Network((Customer("A", 0, 1, 0, 1),), road_factor=0.9)
    with pytest.raises(ValueError, match="window"):
        Customer("A", 0, 1, 100, 50)
