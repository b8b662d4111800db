"""Entity and controller actors on a real LocalSystem, with a probe actor standing in
for the counterpart each test is not about."""

import math

import numpy as np
import pytest

from logitwin.actors.dock import Dock, Truck
from logitwin.actors.journal import Journal
from logitwin.actors.messages import (
    Arrived,
    AtPick,
    Goto,
    Join,
    LinePicked,
    Loaded,
    NewOrder,
    OrderPicked,
    PickDone,
    PickLines,
    Released,
    Ship,
    Shipped,
    Slot,
    Stage,
    Staged,
)
from logitwin.actors.order import Order
from logitwin.actors.release import OrderRelease
from logitwin.actors.runtime import Actor, LocalSystem
from logitwin.actors.shipping import Shipping, TruckTrip
from logitwin.actors.station import Station
from logitwin.actors.traffic import TrafficController
from logitwin.control.pibt import PIBT
from logitwin.errors import ActorError
from logitwin.robots.floor import GridFloor
from logitwin.site import DistanceOracle, Grid


class Probe(Actor):
    """Records every message it receives."""

    kind = "probe"

    def __init__(self, system, aid):
        super().__init__(system, aid)
        self.got = []

    def receive(self, msg, sender):
        self.got.append((self.now, sender, msg))


def _system(*probes, journal=None):
    s = LocalSystem(seed=0, lookahead=0.25, journal=journal)
    return s, [s.spawn(Probe, p) for p in probes]


def test_station_queue_places_waiting_robots_and_picks():
    s, (r1, r2, r3, o) = _system("r1", "r2", "r3", "order:1")
    st = s.spawn(Station, "st", pick_cell=10, queue=(11,), line_s=5.0, present_s=2.0)
    for r in ("r1", "r2", "r3"):
        s.send(r, "st", Join(0))
    s.run(until=1)
    assert r1.got[-1][2] == Slot(10, True)
    assert r2.got[-1][2] == Slot(11, False)
    assert r3.got == []  # lane full: waits where it is
    assert st._waiting == ["r3"]
    s.send("r1", "st", AtPick(4, ("order:1", "order:1"), (7, 8)))
    s.run(until=20)
    assert [m for _, _, m in o.got] == [LinePicked(7), LinePicked(8)]
    assert r1.got[-1][2] == PickDone(2)
    done_at = r1.got[-1][0]
    assert done_at == pytest.approx(1.25 + 2.0 + 2 * 5.0 + 0.25)
    assert r2.got[-1][2] == Slot(10, True) and r3.got[-1][2] == Slot(11, False)
    with pytest.raises(ActorError, match="out of turn"):
        s.send("r3", "st", AtPick(5, ("order:1",), (9,)))
        s.run(until=30)


def test_truck_loads_on_arrival_and_ships_at_departure():
    s, (o1, o2) = _system("order:1", "order:2")
    s.spawn(Dock, "dock:1")
    truck = s.spawn(
        Truck, "truck:1", dock="dock:1", arrive=10.0, cutoff=20.0, depart=30.0, capacity=2
    )
    s.send("order:1", "truck:1", Stage("order:1"))
    s.run(until=15)
    assert [m for _, _, m in o1.got] == [Loaded("truck:1")]
    s.send("order:2", "truck:1", Stage("order:2"))
    s.run(until=35)
    assert [m for _, _, m in o2.got] == [Loaded("truck:1"), Shipped("truck:1")]
    assert truck.status == "departed" and s.actor("dock:1").departed == 1
    with pytest.raises(ValueError, match="arrive <= cutoff <= depart"):
        s.spawn(Truck, "truck:x", dock="dock:1", arrive=5.0, cutoff=1.0, depart=9.0, capacity=1)


def test_truck_refuses_staging_after_cutoff_and_beyond_capacity():
    s, _ = _system("order:1", "order:2")
    s.spawn(Dock, "dock:1")
    s.spawn(Truck, "truck:1", dock="dock:1", arrive=0.0, cutoff=5.0, depart=9.0, capacity=1)
    s.send("order:1", "truck:1", Stage("order:1"))
    s.send("order:2", "truck:1", Stage("order:2"))
    with pytest.raises(ActorError, match="beyond capacity 1"):
        s.run(until=1)


def test_shipping_uses_the_promised_truck_or_the_next_with_room():
    s, (o1, o2, o3, t1, _t2) = _system("order:1", "order:2", "order:3", "truck:1", "truck:2")
    trucks = (
        TruckTrip("truck:1", "dock:1", 50.0, 100.0, 110.0, 1),
        TruckTrip("truck:2", "dock:1", 150.0, 200.0, 210.0, 5),
    )
    s.spawn(Shipping, "shipping", trucks=trucks)
    s.send("order:1", "shipping", Ship("order:1", 100.0))
    s.send("order:2", "shipping", Ship("order:2", 100.0))  # truck 1 full → truck 2
    s.send("order:3", "shipping", Ship("order:3", 200.0))  # ready early, waits for its own
    s.run(until=1)
    assert o1.got[-1][2] == Staged("truck:1", "dock:1", 100.0)
    assert o2.got[-1][2] == Staged("truck:2", "dock:1", 200.0)
    assert o3.got[-1][2] == Staged("truck:2", "dock:1", 200.0)
    assert [m for _, _, m in t1.got] == [Stage("order:1")]
    s.run(until=150)
    s.send("order:1", "shipping", Ship("order:9", math.inf))
    s.run(until=151)
    assert s.actor("shipping").unassigned == 1


def test_release_serves_earliest_cutoff_first_within_station_slots():
    s, (alloc, _o1, _o2, o3) = _system("allocator", "order:1", "order:2", "order:3")
    s.spawn(OrderRelease, "release", stations=("st",), slots=1, allocator="allocator")
    s.send("order:1", "release", NewOrder("order:1", (1,), 300.0))
    s.run(until=1)
    s.send("order:2", "release", NewOrder("order:2", (2,), 500.0))
    s.send("order:3", "release", NewOrder("order:3", (3,), 200.0))
    s.run(until=2)
    assert [m.order for _, _, m in alloc.got] == ["order:1"]
    s.send("order:1", "release", OrderPicked("order:1", "st"))
    s.run(until=3)
    assert [m.order for _, _, m in alloc.got] == ["order:1", "order:3"]
    assert o3.got[-1][2] == Released("st")
    assert alloc.got[-1][2] == PickLines("order:3", "st", (3,))


def test_order_lifecycle_and_late_flag():
    s, (rel, ship) = _system("release", "shipping")
    order = s.spawn(Order, "order:1", skus=(4, 5), cutoff=100.0, pack_s=30.0)
    s.send("release", "order:1", Released("st"))
    s.send("st", "order:1", LinePicked(4))
    s.run(until=5)
    assert order.status == "picking"
    s.run(until=101)
    assert order.late  # not staged by its cutoff
    s.send("st", "order:1", LinePicked(5))
    s.run(until=200)
    assert order.status == "packed"
    assert rel.got[-1][2] == OrderPicked("order:1", "st")
    assert ship.got[-1][2] == Ship("order:1", 100.0)
    s.send("shipping", "order:1", Staged("truck:2", "dock:1", 200.0))
    s.send("truck:2", "order:1", Loaded("truck:2"))
    s.send("truck:2", "order:1", Shipped("truck:2"))
    s.run(until=300)
    assert order.status == "shipped" and order.truck == "truck:2"
    with pytest.raises(ActorError, match="beyond the order's lines"):
        s.send("st", "order:1", LinePicked(6))
        s.run(until=301)


def test_traffic_moves_robots_reports_arrivals_and_journals_moves():
    grid = Grid.from_strings(["....", "...."])
    journal = Journal(None)
    s, (r0, r1) = _system("robot:0", "robot:1", journal=journal)
    oracle = DistanceOracle(grid)
    traffic = s.spawn(
        TrafficController,
        "traffic",
        dist_to=oracle.dist_list,
        robots={"robot:0": 0, "robot:1": 1},
        step_s=1.0,
        planner=PIBT(grid, 2, np.random.default_rng(0), rotation=False),
        driver=GridFloor(grid.neighbors, [0, 1], 1.0),
    )
    s.send("robot:0", "traffic", Goto(3, True))
    s.run(until=20)
    arrived = r0.got[-1][2]
    assert isinstance(arrived, Arrived) and arrived.cell == 3
    assert arrived.moved >= 3
    assert traffic.cell(0) == 3 and traffic.pinned[0]
    assert r1.got == []  # robot 1 was only pushed aside, it had no goal
    # The journalled moves replayed from the start positions give the final positions,
    # which are where the floor has the robots.
    pos = [0, 1]
    for row in journal.rows():
        if row.kind == "state" and "done" in row.body:
            done = row.body["done"]
            for k in range(0, len(done), 3):
                assert row.time - done[k + 2] == 1.0  # each move took one step
                pos[done[k]] = done[k + 1]
    assert pos == [traffic.cell(0), traffic.cell(1)] == traffic.driver.pos
    s.spawn(Probe, "robot:9")
    s.send("robot:9", "traffic", Goto(2, False))
    with pytest.raises(ActorError, match="not a robot of this floor"):
        s.run(until=30)


def test_order_staged_on_a_later_truck_than_promised_is_late():
    s, _ = _system("release", "shipping")
    order = s.spawn(Order, "order:1", skus=(4,), cutoff=100.0, pack_s=1.0)
    s.send("shipping", "order:1", Staged("truck:1", "dock:1", 100.0))
    s.run(until=1)
    assert not order.late
    other = s.spawn(Order, "order:2", skus=(4,), cutoff=100.0, pack_s=1.0)
    s.send("shipping", "order:2", Staged("truck:2", "dock:1", 200.0))
    s.run(until=2)
    assert other.late  # its own truck was full


def test_dock_frees_the_door_before_the_next_truck_arrives_at_the_same_time():
    s, _ = _system("order:1")
    dock = s.spawn(Dock, "dock:1")
    for k, t in enumerate((0.0, 10.0), start=9):  # truck:10 sorts before truck:9 as a string
        s.spawn(
            Truck, f"truck:{k}", dock="dock:1", arrive=t, cutoff=t + 5, depart=t + 10, capacity=1
        )
    s.run(until=30)
    assert dock.departed == 2
