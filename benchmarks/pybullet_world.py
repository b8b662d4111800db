"""How fast the PyBullet world steps, against a bare PyBullet loop in the same run.

Prints JSON: world steps per second (wall) for 100 and 1,000 kinematic robots and for 10
wheeled ones, each driving back and forth between its start cell and a neighbour on a
site with racks on every storage cell; and, measured right after, the same number of
steps of a bare loop (the published-style setup: N plain boxes placed with
``resetBasePositionAndOrientation`` and one collision detection per tick; N huskies on a
plane with fixed wheel speeds, ``stepSimulation``), so the ratio does not depend on the
machine. Published reference points: about 860 ticks/s for 1,000 kinematic boxes and
about 80 steps/s for 100 huskies.

    .venv/bin/python benchmarks/pybullet_world.py [--seconds S]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import sys
import time
from collections.abc import Iterator

import pybullet as pb
import pybullet_data
from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.robots.pybullet import make_driver
from logitwin.scenarios.build import scenario_fleet
from logitwin.scenarios.loader import load_scenario

# a site with room for 1,000 robots: demo's layout, more blocks
LAYOUT = ["layout.blocks_x=14", "layout.blocks_y=12"]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Bullet's importers print warnings from C straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def world_run(robots: int, fidelity: str, seconds: float) -> dict[str, float]:
    """Steps per wall second of a world driving ``robots`` for ``seconds`` world s."""
    sc = load_scenario("demo", LAYOUT)
    setup = scenario_fleet(sc, robots=robots, options={"fidelity": fidelity})
    t0 = time.perf_counter()
    world = make_driver(setup)
    build_s = time.perf_counter() - t0
    nb = setup.site.grid.neighbors
    for i, c in enumerate(setup.starts):
        world.send_path(i, [nb[c][0], c] * 200)
    now = [0.0]
    world.bind(lambda: now[0], lambda t: None)
    dt = getattr(world, "tick_s", None) or getattr(world, "period_s", 0.05)
    t0 = time.perf_counter()
    while now[0] < seconds:
        now[0] += dt
        world.progress()
    wall = time.perf_counter() - t0
    steps = world.steps
    contacts = len(world.contacts)
    world.close()
    return {"build_s": round(build_s, 2), "steps": steps, "wall_s": wall, "contacts": contacts}


def bare_boxes(n: int, ticks: int) -> float:
    """Wall seconds for ``ticks`` ticks of ``n`` boxes placed and collision-checked."""
    cid = pb.connect(pb.DIRECT)
    col = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=(0.3, 0.3, 0.125), physicsClientId=cid)
    side = math.ceil(math.sqrt(n))
    bodies = [
        pb.createMultiBody(1.0, col, -1, (2.0 * (k % side), 2.0 * (k // side), 0.13),
                           physicsClientId=cid)
        for k in range(n)
    ]  # fmt: skip
    t0 = time.perf_counter()
    for t in range(ticks):
        dx = 0.5 * math.sin(t * 0.1)
        for k, b in enumerate(bodies):
            pos = (2.0 * (k % side) + dx, 2.0 * (k // side), 0.13)
            pb.resetBasePositionAndOrientation(b, pos, (0, 0, 0, 1), physicsClientId=cid)
        pb.performCollisionDetection(physicsClientId=cid)
        pb.getContactPoints(physicsClientId=cid)
    wall = time.perf_counter() - t0
    pb.disconnect(physicsClientId=cid)
    return wall


def bare_huskies(n: int, steps: int, scale: float = 0.5) -> float:
    """Wall seconds for ``steps`` physics steps of ``n`` huskies driving on a plane."""
    cid = pb.connect(pb.DIRECT)
    pb.setGravity(0, 0, -9.81, physicsClientId=cid)
    data = pybullet_data.getDataPath()
    pb.loadURDF(os.path.join(data, "plane.urdf"), physicsClientId=cid)
    bodies = [
        pb.loadURDF(os.path.join(data, "husky", "husky.urdf"), (2.0 * k, 0, 0.05),
                    globalScaling=scale, physicsClientId=cid)
        for k in range(n)
    ]  # fmt: skip
    for b in bodies:
        pb.setJointMotorControlArray(b, [2, 3, 4, 5], pb.VELOCITY_CONTROL,
                                     targetVelocities=[8.0, 10.0, 8.0, 10.0], forces=[50.0] * 4,
                                     physicsClientId=cid)  # fmt: skip
    t0 = time.perf_counter()
    for _ in range(steps):
        pb.stepSimulation(physicsClientId=cid)
    wall = time.perf_counter() - t0
    pb.disconnect(physicsClientId=cid)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="world seconds per case")
    args = ap.parse_args()
    runs = []
    with _quiet():
        for robots, fidelity in ((100, "kinematic"), (1000, "kinematic"), (10, "wheeled")):
            r = world_run(robots, fidelity, args.seconds)
            if fidelity == "kinematic":
                bare = bare_boxes(robots, r["steps"])
                baseline = "bare loop: boxes placed + one collision detection per tick"
            else:
                bare = bare_huskies(robots, r["steps"])
                baseline = "bare loop: huskies on a plane, stepSimulation"
            rate, bare_rate = r["steps"] / r["wall_s"], r["steps"] / bare
            runs.append(
                {
                    "robots": robots,
                    "fidelity": fidelity,
                    "world_s": args.seconds,
                    "build_s": r["build_s"],
                    "steps": r["steps"],
                    "steps_per_s": round(rate, 1),
                    "real_time_factor": round(args.seconds / r["wall_s"], 2),
                    "contacts": r["contacts"],  # no executor here: robots may meet
                    "baseline": baseline,
                    "baseline_steps_per_s": round(bare_rate, 1),
                    "ratio_vs_baseline": round(rate / bare_rate, 3),
                }
            )
    print(
        json.dumps(
            {
                "machine": f"{cpu_name()}, {os.cpu_count()} cores",
                "python": platform.python_version(),
                "pybullet_api": pb.getAPIVersion(),
                "published": {"kinematic_1000_ticks_per_s": 860, "husky_100_steps_per_s": 80},
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
