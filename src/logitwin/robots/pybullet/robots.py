"""The stand-in robot process for the PyBullet world (``logitwin robot-sim --backend
pybullet``): the scenario's world on the wall clock, served to a live twin over the zmq
link (``logitwin live --robots pybullet``).

All robots live in one world (contacts between them must be seen), so one process hosts
the whole fleet. On exit (SIGTERM, SIGINT or ``--seconds``) it prints one JSON line:
robots, world seconds, physics steps and every contact.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal

from logitwin.robots.pybullet.params import FIDELITIES

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Run the world: ``--scenario NAME --robots N [--fidelity kinematic|wheeled]
    [--endpoint E] [--telemetry T] [--speedup F] [--seconds S]``."""
    ap = argparse.ArgumentParser(prog="logitwin robot-sim --backend pybullet")
    ap.add_argument("--scenario", required=True, help="built-in scenario name or YAML path")
    ap.add_argument("--robots", type=int, default=None, help="fleet size (default: scenario)")
    ap.add_argument("--fidelity", choices=FIDELITIES, default="kinematic")
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    ap.add_argument("--telemetry", default="tcp://127.0.0.1:5556")
    ap.add_argument("--speedup", type=float, default=1.0, help="world s per wall s")
    ap.add_argument("--seconds", type=float, default=None, help="world s to run")
    args = ap.parse_args(argv)

    from logitwin.bridge.zmq.robots import LinkRobots
    from logitwin.robots.pybullet import make_driver
    from logitwin.scenarios import load_scenario
    from logitwin.scenarios.build import scenario_fleet

    setup = scenario_fleet(
        load_scenario(args.scenario), robots=args.robots, options={"fidelity": args.fidelity}
    )
    worlds = []

    def world(sub: object) -> object:
        worlds.append(make_driver(sub))  # type: ignore[arg-type]
        return worlds[-1]

    robots = LinkRobots(setup, range(setup.n), args.endpoint, args.telemetry,
                        motion=world, speedup=args.speedup)  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: robots.stop())
    with contextlib.suppress(KeyboardInterrupt):
        robots.run(args.seconds)
    w = worlds[0]
    out = {
        "robots": setup.n,
        "fidelity": args.fidelity,
        "world_s": round(robots.clock(), 3),
        "steps": w.steps,
        "contacts": [[round(c.t, 3), c.a, c.b] for c in w.contacts],
    }
    w.close()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
