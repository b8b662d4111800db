"""How fast the twin simulates, against bare SimPy in the same run.

Runs a built-in scenario (default ``demo``) and prints JSON: wall time, simulated seconds
per wall second, entity events (delivered messages + state changes) per second, and the
wall time of the same number of bare SimPy timeouts measured right after, so the ratio
(the actor layer's overhead factor) does not depend on the machine.

    .venv/bin/python benchmarks/sim_speed.py [demo|peak_day|tiny ...] [--set path=value]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import simpy
from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import run_scenario

# Issue #2: demo under 30 s, peak_day under 3 minutes, on one core of the dev machine.
TARGET_WALL_S = {"demo": 30.0, "peak_day": 180.0}


def bare_simpy(n: int) -> float:
    """Wall seconds for ``n`` timeouts in one SimPy process."""
    env = simpy.Environment()

    def proc(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield env.timeout(1)

    env.process(proc(env))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", default=["demo"])
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    results = []
    for name in args.scenarios:
        sc = load_scenario(name, args.overrides)
        with tempfile.TemporaryDirectory() as tmp:
            r = run_scenario(sc, tmp)
        bare = bare_simpy(r.messages)
        results.append(
            {
                "scenario": name,
                "robots": sc.fleet.robots,
                "sim_hours": r.sim_s / 3600,
                "wall_s": round(r.wall_s, 3),  # build + simulate + journal writes
                "target_wall_s": TARGET_WALL_S.get(name),
                "sim_s_per_wall_s": round(r.sim_s / r.wall_s, 1),
                "messages": r.messages,
                "journal_rows": r.journal_rows,
                # every delivered message and every state change is one journal row
                "entity_events_per_s": round(r.journal_rows / r.wall_s),
                "messages_per_s": round(r.messages / r.wall_s),
                "bare_simpy_wall_s_same_count": round(bare, 3),
                "overhead_factor_vs_bare_simpy": round(r.wall_s / bare, 1),
                "orders_created": r.kpis["orders_created"],
                "traffic_steps": r.twin.system.actor("traffic").steps,  # type: ignore[attr-defined]
            }
        )
    print(
        json.dumps(
            {
                "machine": f"{cpu_name()}, {os.cpu_count()} cores",
                "python": platform.python_version(),
                "runs": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
