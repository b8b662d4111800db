"""What-if throughput: N replications of a scenario with CIs, on 1 and on 2 Ray workers.

Issue #5's target: 30 replications of ``demo`` in under 5 minutes on this 2-core
machine. Prints a table to stderr and JSON to stdout: wall time and runs per minute per
worker count, the speed-up of 2 workers over 1, and the headline KPIs' mean and 95% CI
(identical on both, since every replication is deterministic).

    .venv/bin/python benchmarks/whatif.py                 # demo, 30 replications
    .venv/bin/python benchmarks/whatif.py --scenario tiny --reps 8
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.experiments.compare import HEADLINE
from logitwin.experiments.sweep import expand, run_sweep
from logitwin.scenarios.loader import load_scenario

TARGET_S = 300.0  # 30 replications of demo


def one(name: str, reps: int, workers: int) -> dict[str, Any]:
    jobs = expand(load_scenario(name).model_dump(mode="json"), {}, reps)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_sweep(jobs, Path(tmp) / "s", [], workers=workers, progress=False)
        total = time.perf_counter() - t0
    ci = {
        s["kpi"]: {"mean": s["mean"], "ci95_low": s["ci95_low"], "ci95_high": s["ci95_high"]}
        for s in res.summary
        if s["kpi"] in {k for k, _, _ in HEADLINE}
    }
    return {
        "workers": workers,
        "runs": reps,
        "wall_s": round(total, 1),
        "runs_per_min": round(60 * reps / total, 2),
        "kpis": ci,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="demo")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    real_stdout, sys.stdout = sys.stdout, sys.stderr  # Ray's warnings go to stdout
    results = []
    for w in (1, 2):
        r = one(args.scenario, args.reps, w)
        results.append(r)
        print(
            f"{args.reps} x {args.scenario} on {w} worker(s): {r['wall_s']:.1f} s "
            f"(Ray start included), {r['runs_per_min']} runs/min",
            file=sys.stderr,
            flush=True,
        )
    speedup = results[0]["wall_s"] / results[1]["wall_s"]
    same = json.dumps(results[0]["kpis"], sort_keys=True) == json.dumps(
        results[1]["kpis"], sort_keys=True
    )
    for k, v in results[1]["kpis"].items():
        print(
            f"  {k:<24} {v['mean']:10.4g}  [{v['ci95_low']:.4g}, {v['ci95_high']:.4g}]",
            file=sys.stderr,
        )
    sys.stdout = real_stdout
    target = TARGET_S if args.scenario == "demo" and args.reps == 30 else None
    print(
        json.dumps(
            {
                "cpu": cpu_name(),
                "cores": os.cpu_count(),
                "scenario": args.scenario,
                "results": results,
                "speedup_2_over_1": round(speedup, 2),
                "efficiency": round(speedup / 2, 2),
                "same_kpis_on_1_and_2_workers": same,
                "target_wall_s": target,
                "best_wall_vs_target": round(results[1]["wall_s"] / target, 2) if target else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
