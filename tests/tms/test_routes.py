import pytest

from logitwin.tms.hos import EU561, FMCSA
from logitwin.tms.routes import Order, RouteProblem, TruckType, solve_routes

H = 3600


def line(*hours):
    """Locations on a line at these drive times (h) from the depot; 1 s of drive = 20 m."""
    pos = (0, *hours)
    drive = tuple(tuple(round(abs(a - b) * H) for b in pos) for a in pos)
    return tuple(tuple(20 * d for d in row) for row in drive), drive


def order(name, loc, kg=100, m3=1.0, ready=0, due=24 * H, service=0.25 * H):
    return Order(name, loc, kg, m3, ready, due, service)


VAN = TruckType("van", 1, 1000, 10)


def kinds(route):
    return [(a.kind, a.start_s / H, a.duration_s / H) for a in route.timeline]


def test_eu_route_gets_its_45_min_break():
    dist, drive = line(3)
    p = RouteProblem(dist, drive, (order("o1", 1, service=0.5 * H),), (VAN,), rules=EU561)
    plan = solve_routes(p, 1)
    (r,) = plan.routes
    assert plan.unassigned == () and r.hos_violations == ()
    k = kinds(r)
    start = k[0][1]
    assert k == [
        ("drive", start, 3), ("work", start + 3, 0.5), ("drive", start + 3.5, 1.5),
        ("break", start + 5, 0.75), ("drive", start + 5.75, 1.5),
    ]  # fmt: skip


def test_fmcsa_route_gets_its_30_min_break_after_8_h():
    dist, drive = line(5)
    p = RouteProblem(dist, drive, (order("o1", 1),), (VAN,), rules=FMCSA)
    (r,) = solve_routes(p, 1).routes
    start = r.timeline[0].start_s / H
    assert ("break", start + 8.25, 0.5) in kinds(r) and r.hos_violations == ()


def test_route_beyond_the_14_h_window_is_refused():
    dist, drive = line(5)
    # 10 h driving (legal) but 5 h unloading: 15 h on duty in one shift.
    p = RouteProblem(dist, drive, (order("far", 1, service=5 * H),), (VAN,), rules=FMCSA)
    plan = solve_routes(p, 1)
    assert plan.unassigned == ("far",) and plan.routes == ()
    # Without hours of service the same route is planned.
    free = RouteProblem(dist, drive, (order("far", 1, service=5 * H),), (VAN,))
    assert solve_routes(free, 1).unassigned == ()


def test_long_day_split_over_two_trucks():
    dist, drive = line(3, 3.1)
    orders = (order("a", 1, service=4 * H), order("b", 2, service=4 * H))
    two_vans = TruckType("van", 2, 1000, 10)
    # One truck: 6.2 h driving + 8 h unloading > 14 h; two trucks: 6 h + 4 h each.
    plan = solve_routes(RouteProblem(dist, drive, orders, (two_vans,), rules=FMCSA), 2)
    assert plan.unassigned == () and sorted(r.orders for r in plan.routes) == [("a",), ("b",)]


def test_weight_and_volume_both_bind():
    dist, drive = line(1, 1, 1, 1)
    orders = (
        order("heavy1", 1, kg=600, m3=1), order("heavy2", 2, kg=600, m3=1),
        order("bulky1", 3, kg=10, m3=4.5), order("bulky2", 4, kg=10, m3=4.5),
    )  # fmt: skip
    vans = TruckType("van", 2, max_weight_kg=1000, max_volume_m3=6)
    plan = solve_routes(RouteProblem(dist, drive, orders, (vans,)), 1)
    assert plan.unassigned == ()
    assert sorted(sorted(r.orders) for r in plan.routes) == [
        ["bulky1", "heavy1"], ["bulky2", "heavy2"]
    ] or sorted(sorted(r.orders) for r in plan.routes) == [
        ["bulky1", "heavy2"], ["bulky2", "heavy1"]
    ]  # fmt: skip
    for r in plan.routes:
        assert r.weight_kg <= 1000 and r.volume_m3 <= 6


def test_truck_types_heavy_order_goes_to_the_big_truck():
    dist, drive = line(1, 1)
    orders = (order("pallets", 1, kg=5000, m3=20), order("parcel", 2, kg=5, m3=0.1))
    fleet = (TruckType("van", 1, 1000, 10), TruckType("tractor", 1, 24000, 80, fixed_cost=100))
    plan = solve_routes(RouteProblem(dist, drive, orders, fleet), 1)
    assert plan.unassigned == ()
    assert {o: r.truck for r in plan.routes for o in r.orders}["pallets"] == "tractor"


def test_time_windows_respected_with_waiting():
    dist, drive = line(1)
    o = order("late", 1, ready=3 * H, due=3.5 * H)
    (r,) = solve_routes(RouteProblem(dist, drive, (o,), (VAN,), rules=EU561), 1).routes
    (w,) = [a for a in r.timeline if a.kind == "work"]
    assert 3 * H <= w.start_s <= 3.5 * H and r.hos_violations == ()


def test_problem_validation_names_the_value():
    dist, drive = line(1)
    with pytest.raises(ValueError, match="order o: due_s=1 before ready_s=2"):
        Order("o", 1, 1, 1, 2, 1, 0)
    with pytest.raises(ValueError, match="order o: location=5, but the matrices have 2"):
        RouteProblem(dist, drive, (order("o", 5),), (VAN,))
    with pytest.raises(ValueError, match="truck type van: count=0"):
        TruckType("van", 0, 1, 1)


def test_prefer_early_leaves_at_opening_and_a_solution_limit_repeats():
    dist, drive = line(1, 2, 3)
    orders = tuple(order(f"o{k}", k) for k in (1, 2, 3))
    p = RouteProblem(dist, drive, orders, (TruckType("van", 2, 1000, 10),), 2 * H, 30 * H)
    a = solve_routes(p, 10, solution_limit=20, prefer_early=True)
    b = solve_routes(p, 10, solution_limit=20, prefer_early=True)
    assert a.unassigned == ()
    assert all(r.timeline[0].start_s == 2 * H for r in a.routes)
    assert [(r.orders, r.timeline) for r in a.routes] == [(r.orders, r.timeline) for r in b.routes]
    with pytest.raises(ValueError, match="solution_limit"):
        solve_routes(p, 1, solution_limit=0)
