"""The PyBullet world: both fidelities pass the driver checker, contacts are seen when
robots do touch, the speed profile's timing, and a what-if run through the world."""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from typing import Any

import pybullet as pb
import pytest

from logitwin.robots.conformance import check_driver
from logitwin.robots.fleet import FleetSetup
from logitwin.robots.pybullet import (
    KinematicWorld,
    WheeledWorld,
    WorldParams,
    make_driver,
    plan_motion,
)
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import scenario_fleet
from logitwin.scenarios.runner import run_scenario


@pytest.fixture(scope="module")
def setup() -> FleetSetup:
    return scenario_fleet(load_scenario("tiny"), robots=4)


class _Clock:
    """A hand-driven clock: the test sets the time and calls progress."""

    def __init__(self, driver: Any) -> None:
        self.t = 0.0
        self.driver = driver
        driver.bind(lambda: self.t, lambda t: None)

    def run(self, until: float, dt: float = 0.05) -> list[Any]:
        done = []
        while self.t < until - 1e-9:
            self.t = min(until, self.t + dt)
            done.extend(self.driver.progress())
        return done


def _path(setup: FleetSetup, a: int, b: int) -> list[int]:
    """Shortest path of cells from a to b (b included, a not)."""
    nb = setup.site.grid.neighbors
    parent = {a: -1}
    q = deque([a])
    while q:
        c = q.popleft()
        for d in nb[c]:
            if d not in parent:
                parent[d] = c
                q.append(d)
    out = []
    while b != a:
        out.append(b)
        b = parent[b]
    return out[::-1]


# --- the driver contract ----------------------------------------------------------------
def test_kinematic_world_passes_the_driver_check(setup: FleetSetup) -> None:
    report = check_driver(make_driver, setup)
    assert len(report.passed) == 6
    assert report.not_applicable == ["offline detected"]


def test_kinematic_world_with_delays_and_speeds_passes(setup: FleetSetup) -> None:
    from logitwin.robots.floor import DelayModel

    varied = dataclasses.replace(setup, delays=DelayModel(0.5, 0.5, 3.0), speed=(0.7, 1, 1.3, 1))
    assert len(check_driver(make_driver, varied).passed) == 6


def test_wheeled_world_passes_the_driver_check(setup: FleetSetup) -> None:
    wheeled = dataclasses.replace(setup, options={"fidelity": "wheeled"})
    assert isinstance(make_driver(wheeled), WheeledWorld)
    assert len(check_driver(make_driver, wheeled).passed) == 6


def test_bad_options_are_refused_by_name(setup: FleetSetup) -> None:
    with pytest.raises(ValueError, match="accel_mps2='fast'"):
        make_driver(dataclasses.replace(setup, options={"accel_mps2": "fast"}))
    with pytest.raises(ValueError, match="fidelity 'soft'"):
        WorldParams.from_options({"fidelity": "soft"})
    with pytest.raises(ValueError, match="could not stop within"):
        KinematicWorld(setup, WorldParams(accel_mps2=0.1))


# --- contacts ------------------------------------------------------------------------------
@pytest.mark.parametrize("fidelity", ["kinematic", "wheeled"])
def test_a_robot_driven_into_another_is_a_contact(setup: FleetSetup, fidelity: str) -> None:
    world = make_driver(dataclasses.replace(setup, options={"fidelity": fidelity}))
    clock = _Clock(world)
    path = _path(setup, setup.starts[0], setup.starts[1])
    world.send_path(0, path[:-1])  # up to the cell before robot 1: no contact yet
    clock.run(3.0 * len(path))
    assert world.contacts == []
    world.send_path(0, path[-1:])  # into robot 1's cell
    clock.run(clock.t + 6.0)
    assert [(c.a, c.b) for c in world.contacts][:1] == [("robot:0", "robot:1")]
    world.close()


def test_a_robot_on_a_rack_leg_is_a_contact(setup: FleetSetup) -> None:
    world = KinematicWorld(setup)
    scene = world.scene
    cell = setup.site.storage[0]
    x, y = setup.frame.xy(cell)
    leg = 0.42 * scene.shelf_scale
    pb.resetBasePositionAndOrientation(
        scene.robots[2], (x + leg, y + leg, 0.2), (0, 0, 0, 1), physicsClientId=scene.cid
    )
    scene.check(1.0)
    assert [(c.t, c.a, c.b, c.with_rack) for c in world.contacts] == [
        (1.0, "robot:2", f"rack@{cell}", True)
    ]
    scene.check(2.0)  # still touching: the same contact, not a new one
    assert len(world.contacts) == 1
    world.close()


def test_driving_under_a_row_of_racks_touches_nothing(setup: FleetSetup) -> None:
    world = KinematicWorld(setup)
    clock = _Clock(world)
    storage = set(setup.site.storage)
    start = setup.starts[0]
    # the nearest storage cell, then along its row of racks while it lasts
    path = min((_path(setup, start, c) for c in storage), key=len)
    c = path[-1]
    while c + 1 in storage and c + 1 in setup.site.grid.neighbors[c]:
        c += 1
        path.append(c)
    assert len([c for c in path if c in storage]) >= 3
    world.send_path(0, path)
    done = clock.run(3.0 * len(path))
    assert [m.cell for m in done] == path
    assert world.contacts == []
    assert world.pose(0)[:2] == pytest.approx(setup.frame.xy(path[-1]))
    world.close()


# --- timing ---------------------------------------------------------------------------------
def test_a_move_accelerates_cruises_and_brakes() -> None:
    m = plan_motion(0.0, (0.0, 0.0, 0.0), (1.25, 0.0), 0.0, 0.0, top=1.25, accel=2.0,
                    quarter_turn_s=0.5)  # fmt: skip
    assert m.arrive == pytest.approx(1.25 / 1.25 + 1.25 / 2.0)  # d/v + v/a
    assert m.at(m.arrive)[:2] == pytest.approx((1.25, 0.0))
    assert m.at(m.t1)[0] == pytest.approx(1.25**2 / 4)  # v^2 / 2a
    turned = plan_motion(0.0, (0.0, 0.0, 0.0), (0.0, -1.25), 0.0, 0.0, 1.25, 2.0, 0.5)
    assert turned.arrive == pytest.approx(m.arrive + 0.5)
    assert turned.at(0.25) == pytest.approx((0.0, 0.0, -math.pi / 4))
    through = plan_motion(0.0, (0.0, 0.0, 0.0), (1.25, 0.0), 1.25, 1.25, 1.25, 2.0, 0.5, 3.0)
    assert (through.arrive, through.end) == pytest.approx((1.0, 4.0))
    with pytest.raises(ValueError, match="cannot turn in place"):
        plan_motion(0.0, (0.0, 0.0, 0.0), (0.0, 1.25), 1.25, 0.0, 1.25, 2.0, 0.5)


def test_a_straight_path_passes_cells_at_speed(setup: FleetSetup) -> None:
    world = KinematicWorld(setup)
    clock = _Clock(world)
    path = _path(setup, setup.starts[0], setup.starts[0] + 3)  # three cells east
    assert path == [setup.starts[0] + k for k in (1, 2, 3)]
    world.send_path(0, path)
    done = clock.run(10.0, dt=0.01)
    # rest to rest: one braking and one speeding up, cruising between: 3 s + v/a
    assert [m.cell for m in done] == path
    ends = [m.started for m in done[1:]]
    assert ends == pytest.approx([1.0 + 0.3125, 2.0 + 0.3125], abs=1e-9)
    assert world.hard_stops == 0
    world.close()


# --- several worlds, the wall clock, the stand-in process -------------------------------
def test_worlds_are_independent(setup: FleetSetup) -> None:
    a, b = KinematicWorld(setup), KinematicWorld(setup)
    assert a.scene.cid != b.scene.cid
    clock = _Clock(b)
    a.close()
    b.send_path(0, [setup.site.grid.neighbors[setup.starts[0]][0]])
    assert [m.robot for m in clock.run(5.0)] == [0]
    b.close()


# --- a what-if through the world --------------------------------------------------------------
def test_tiny_whatif_through_the_world_completes_orders_without_contacts(tmp_path: Any) -> None:
    sc = load_scenario("tiny", ["horizon_h=0.25", "floor.driver=pybullet"])
    r = run_scenario(sc, tmp_path / "run")
    world = r.twin.system.actor("traffic").driver  # type: ignore[attr-defined]
    assert isinstance(world, KinematicWorld)
    assert r.kpis["orders_picked"] >= 5
    assert world.steps > 1000
    assert world.contacts == []
    assert world.hard_stops == 0
