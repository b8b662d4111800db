"""Dock scheduling at a peak: CP-SAT against first-come-first-served in the same run.

For each truck count and seed, builds a peak day (``logitwin.control.docks_peak``),
schedules it with FCFS and with CP-SAT, checks both with the independent checker, and
reports total / mean / max waiting, lateness, the objective, and CP-SAT's reduction in %.
Target (issue #21): at least 30% less truck waiting than FCFS at a peak.

    .venv/bin/python benchmarks/docks.py                      # 6 doors, 60/90/120 trucks
    .venv/bin/python benchmarks/docks.py --trucks 90 --seeds 0 --time-limit 5
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from typing import Any

from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.control.docks import DockSchedule, compare, fcfs
from logitwin.control.docks_check import check
from logitwin.control.docks_cpsat import CpSatParams, cpsat
from logitwin.control.docks_peak import peak_day

TARGET_WAIT_REDUCTION = 30.0


def row(s: DockSchedule) -> dict[str, Any]:
    k = s.kpis()
    return {
        "total_wait_min": round(k["total_wait_s"] / 60, 1),
        "mean_wait_min": round(k["mean_wait_s"] / 60, 2),
        "max_wait_min": round(k["max_wait_s"] / 60, 1),
        "total_lateness_min": round(k["total_lateness_s"] / 60, 1),
        "late_trucks": k["late_trucks"],
        "objective": k["objective"],
        "mean_door_utilisation": round(k["mean_door_utilisation"], 3),
        "solve_s": round(k["solve_s"], 3),
        "status": s.status,
    }


def mean(gains: list[dict[str, float | None]], key: str) -> float | None:
    """Mean over the seeds where the reduction is defined (baseline not zero)."""
    vals = [v for g in gains if (v := g[key]) is not None]
    return round(statistics.fmean(vals), 1) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doors", type=int, default=6)
    ap.add_argument("--trucks", type=int, nargs="+", default=[60, 90, 120])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--time-limit", type=float, default=10.0, help="CP-SAT limit per day (s)")
    args = ap.parse_args()

    cases, summary = [], []
    for n in args.trucks:
        per_seed = []
        for seed in args.seeds:
            problem = peak_day(args.doors, n, seed)
            base = fcfs(problem)
            best = cpsat(problem, CpSatParams(time_limit_s=args.time_limit, seed=seed))
            gain = compare(base, best)
            case = {
                "trucks": n,
                "seed": seed,
                "fcfs": row(base),
                "cpsat": row(best),
                "violations": {
                    "fcfs": len(check(problem, base)),
                    "cpsat": len(check(problem, best)),
                },
                "reduction_pct": {k: None if v is None else round(v, 1) for k, v in gain.items()},
            }
            cases.append(case)
            per_seed.append(gain)
            pct = case["reduction_pct"]
            print(
                f"{n:4d} trucks seed {seed}: wait {case['fcfs']['total_wait_min']:8.1f} -> "
                f"{case['cpsat']['total_wait_min']:8.1f} min ({pct['total_wait_s']}% less), "
                f"objective {pct['objective']}% less, {best.status}",
                file=sys.stderr,
            )
        waits = [g["total_wait_s"] or 0.0 for g in per_seed]
        summary.append(
            {
                "trucks": n,
                "mean_wait_reduction_pct": mean(per_seed, "total_wait_s"),
                "min_wait_reduction_pct": round(min(waits), 1),
                "mean_weighted_wait_reduction_pct": mean(per_seed, "weighted_wait"),
                "mean_objective_reduction_pct": mean(per_seed, "objective"),
                "mean_lateness_reduction_pct": mean(per_seed, "total_lateness_s"),
                "mean_max_wait_reduction_pct": mean(per_seed, "max_wait_s"),
                "target_met": statistics.fmean(waits) >= TARGET_WAIT_REDUCTION,
            }
        )
    print(
        json.dumps(
            {
                "benchmark": "docks",
                "machine": {"cpu": cpu_name(), "python": platform.python_version()},
                "doors": args.doors,
                "time_limit_s": args.time_limit,
                "target_wait_reduction_pct": TARGET_WAIT_REDUCTION,
                "summary": summary,
                "cases": cases,
                "all_valid": all(c["violations"] == {"fcfs": 0, "cpsat": 0} for c in cases),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
