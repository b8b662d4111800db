"""The stand-in robot process for the PyBullet world (``logitwin robot-sim --backend
pybullet``): builds a scenario's world and runs it on the wall clock.

Minimal for now: the twin's link to this process (the zmq bridge) does not exist yet, so
the robots take no commands; the process builds the world, runs it for ``--seconds`` (or
until interrupted) and prints one JSON line: world and wall seconds, steps, contacts, the worst lag.
Connecting a link means handing its commands to the world's driver methods and its
``on_done`` reports back, inside :func:`~logitwin.robots.pybullet.run_realtime`.
"""

from __future__ import annotations

import argparse
import json

from logitwin.robots.pybullet.params import FIDELITIES

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Run the world: ``--scenario NAME --robots N [--fidelity kinematic|wheeled]
    [--rate-factor F] [--seconds S]``. Returns the exit status."""
    ap = argparse.ArgumentParser(prog="logitwin robot-sim --backend pybullet")
    ap.add_argument("--scenario", required=True, help="built-in scenario name or YAML path")
    ap.add_argument("--robots", type=int, default=None, help="fleet size (default: scenario)")
    ap.add_argument("--fidelity", choices=FIDELITIES, default="kinematic")
    ap.add_argument("--rate-factor", type=float, default=1.0, help="world s per wall s")
    ap.add_argument("--seconds", type=float, default=float("inf"), help="world s to run")
    args = ap.parse_args(argv)

    from logitwin.robots.pybullet import make_driver, run_realtime
    from logitwin.scenarios import load_scenario
    from logitwin.scenarios.build import scenario_fleet

    setup = scenario_fleet(
        load_scenario(args.scenario), robots=args.robots, options={"fidelity": args.fidelity}
    )
    world = make_driver(setup)
    try:
        stats = run_realtime(world, args.seconds, rate=args.rate_factor)
    except KeyboardInterrupt:
        return 130
    finally:
        world.close()
    out = {
        "robots": setup.n,
        "fidelity": args.fidelity,
        "world_s": round(stats.world_s, 3),
        "wall_s": round(stats.wall_s, 3),
        "steps": world.steps,
        "contacts": len(world.contacts),
        "max_lag_s": round(stats.max_lag_s, 4),
    }
    print(json.dumps(out))
    return 0
