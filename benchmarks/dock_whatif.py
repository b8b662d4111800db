"""The dock what-if in the twin: ``dock_peak`` with CP-SAT against FCFS on the same seeds.

Each seed runs the built-in ``dock_peak`` twice (``docks.scheduler=fcfs``, then
``cpsat``), the whole twin with late trucks, the yard and its re-plans, and reports
truck waiting (total, mean, p95, max), lateness, trucks served and re-plans per arm, the
change per seed, pooled over seeds and the mean with a 95% t-interval. Prints JSON.
Target (issue #21): at least 30% less truck waiting than FCFS at a peak.

    .venv/bin/python benchmarks/dock_whatif.py                  # seeds 11-15, ~30 min
    .venv/bin/python benchmarks/dock_whatif.py --seeds 11 12
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import run_scenario

TARGET_WAIT_REDUCTION = 30.0
KPIS = ("truck_wait_total_h", "truck_wait_mean_min", "truck_wait_p95_min",
        "truck_wait_max_min", "truck_lateness_total_h", "trucks_served", "yard_resolves",
        "orders_picked")  # fmt: skip
# Two-sided 95% t quantiles for n - 1 degrees of freedom.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262}  # fmt: skip


def arm(scheduler: str, seed: int, out: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    sc = load_scenario("dock_peak", [f"docks.scheduler={scheduler}", f"seed={seed}"])
    k = run_scenario(sc, out / f"{seed}-{scheduler}").kpis
    return {**{x: k.get(x) for x in KPIS}, "wall_s": round(time.perf_counter() - t0, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    args = ap.parse_args()
    runs: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            base, best = arm("fcfs", seed, Path(tmp)), arm("cpsat", seed, Path(tmp))
            change = 100.0 * (best["truck_wait_total_h"] / base["truck_wait_total_h"] - 1)
            runs[seed] = {"fcfs": base, "cpsat": best, "wait_change_pct": round(change, 1)}
            print(f"seed {seed}: FCFS {base['truck_wait_total_h']:.2f} h, CP-SAT "
                  f"{best['truck_wait_total_h']:.2f} h ({change:+.1f}%)",
                  file=sys.stderr)  # fmt: skip
    changes = [r["wait_change_pct"] for r in runs.values()]
    pooled = 100.0 * (
        sum(r["cpsat"]["truck_wait_total_h"] for r in runs.values())
        / sum(r["fcfs"]["truck_wait_total_h"] for r in runs.values())
        - 1
    )
    mean = statistics.fmean(changes)
    ci = None  # one seed has no interval
    if len(changes) > 1:
        half = _T95.get(len(changes) - 1, 1.96) * statistics.stdev(changes) / len(changes) ** 0.5
        ci = [round(mean - half, 1), round(mean + half, 1)]
    print(json.dumps({
        "benchmark": "dock_whatif",
        "scenario": "dock_peak",
        "machine": {"cpu": cpu_name(), "python": platform.python_version()},
        "runs": runs,
        "wait_change_pooled_pct": round(pooled, 1),
        "wait_change_mean_pct": round(mean, 1),
        "wait_change_ci95_pct": ci,
        "target_reduction_pct": TARGET_WAIT_REDUCTION,
        "meets_target_pooled": -pooled >= TARGET_WAIT_REDUCTION,
    }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
