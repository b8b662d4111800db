"""The (s, S) levels, order quantities and the booking of POs onto feasible trips."""

import math

import numpy as np
import pytest

from logitwin.control.replenish import (
    ReplenishParams,
    TripRoom,
    abc_classes,
    book,
    order_quantity,
    reorder_levels,
)


def test_levels_by_hand():
    p = ReplenishParams(review_s=1800, bucket_s=3600, lead_time_s=5400, service_level=0.95,
                        cycle_s=7200)  # fmt: skip
    s, S = reorder_levels(np.array([10.0]), np.array([4.0]), p)
    cover = 2.0  # (1.5 h lead + 0.5 h review) / 1 h buckets
    assert s[0] == pytest.approx(10 * cover + 1.6448536 * 4 * math.sqrt(cover))
    assert S[0] == pytest.approx(s[0] + 20)


def test_order_quantity_in_whole_cases():
    assert order_quantity(5, s=10, S=30, case_units=6) == 30  # 25 -> 5 cases
    assert order_quantity(11, s=10, S=30, case_units=6) == 0
    assert order_quantity(-4, s=0, S=0, case_units=6) == 6  # backorders: at least S


def test_book_only_on_trips_far_enough_and_with_room():
    trips = [TripRoom("a", 600, 10), TripRoom("b", 1200, 10, booked=8), TripRoom("c", 1800, 10)]
    got = book(trips, now=0, lead_time_s=1000, cases=5)  # "a" is too soon
    assert [(b.trip, b.cases) for b in got] == [("b", 2), ("c", 3)]
    assert [t.booked for t in trips] == [0, 10, 3]
    assert book(trips, now=700, lead_time_s=1000, cases=20)[0].cases == 7  # "c" only
    assert book(trips, now=700, lead_time_s=1000, cases=1) == []  # all full


def test_classes_by_cumulative_share():
    # Demand before each SKU: 0, .4, .6, .8, .9 (A below 50%, B below 80%).
    assert abc_classes([0.4, 0.2, 0.2, 0.1, 0.1]).tolist() == [0, 0, 1, 2, 2]


def test_params_name_the_bad_field():
    with pytest.raises(ValueError, match="service_level"):
        ReplenishParams(review_s=1, bucket_s=1, lead_time_s=0, service_level=1.0)
    with pytest.raises(ValueError, match="lead_time_s"):
        ReplenishParams(review_s=1, bucket_s=1, lead_time_s=-1)
