"""logitwin's lifelong MAPF planner on the League of Robot Runners benchmark.

For each instance: tasks finished in the horizon, mean and max planning time per step,
overruns of the 1 s budget, the independent validator's verdict, and beside them the
published numbers for the same instance (best known, and the start-kit default), with our
result as a ratio of each. Prints a table to stderr and JSON to stdout.

    .venv/bin/python benchmarks/mapf_lorr.py                   # all instances (hours)
    .venv/bin/python benchmarks/mapf_lorr.py RANDOM-01 RANDOM-02
    .venv/bin/python benchmarks/mapf_lorr.py WAREHOUSE --steps 200   # a shorter horizon
    .venv/bin/python benchmarks/mapf_lorr.py RANDOM-01 --refine-ms 0  # PIBT alone
    .venv/bin/python benchmarks/mapf_lorr.py RANDOM-03 --planner pibt  # PIBT + LNS
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.mapf.runner import LorrRunner, horizon_for
from logitwin.mapf.validate import validate_result
from logitwin.site.io import load_lorr_problem

DATA = (
    Path(
        os.environ.get(
            "LOGITWIN_BENCHMARKS", Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
        )
    )
    / "mapf"
)

# (problem file, best published, start-kit default) — tasks finished in the horizon,
# LoRR 2024 main round (issue #3).
INSTANCES = {
    "RANDOM-01": ("lorr2024_main/random.domain/RANDOM-01.json", 696, 489),
    "RANDOM-02": ("lorr2024_main/random.domain/RANDOM-02.json", 1260, 794),
    "RANDOM-03": ("lorr2024_main/random.domain/RANDOM-03.json", 2368, 995),
    "RANDOM-04": ("lorr2024_main/random.domain/RANDOM-04.json", 2585, 727),
    "RANDOM-05": ("lorr2024_main/random.domain/RANDOM-05.json", 3050, 1113),
    "WAREHOUSE": ("lorr2024_main/warehouse.domain/WAREHOUSE.json", 154834, 63924),
    "SORTATION": ("lorr2024_main/warehouse.domain/SORTATION.json", 152714, 85039),
    "warehouse_small_10": ("lorr2023_small/warehouse.domain/warehouse_small_10.json", None, None),
    "warehouse_small_50": ("lorr2023_small/warehouse.domain/warehouse_small_50.json", None, None),
    "warehouse_small_100": ("lorr2023_small/warehouse.domain/warehouse_small_100.json", None, None),
    "warehouse_small_200": ("lorr2023_small/warehouse.domain/warehouse_small_200.json", None, None),
}
SMALL_2023_STEPS = 5000  # the 2023 start kit's default simulation time for its examples


def run_one(
    name: str,
    steps: int | None,
    budget_s: float,
    refine_s: float | None,
    lanes: bool = True,
    planner: str | None = None,
) -> dict[str, object]:
    rel, best, default = INSTANCES[name]
    problem = load_lorr_problem(DATA / rel)
    horizon = horizon_for(problem) or SMALL_2023_STEPS
    n_steps = steps if steps is not None else horizon
    runner = LorrRunner(
        problem, step_budget_s=budget_s, refine_s=refine_s, guidance=lanes, planner=planner
    )
    t0 = time.perf_counter()
    result = runner.run(n_steps)
    wall = time.perf_counter() - t0
    report = validate_result(result, problem)
    times = result["plannerTimes"] or [0.0]
    done = result["numTaskFinished"]
    full = n_steps == horizon
    return {
        "instance": name,
        "planner": runner.planner,
        "lanes": runner.lanes is not None,
        "refine_ms": 1000 * (runner.refine_s or 0.0) if runner.state_tables else 0.0,
        "active_density": runner.active_density,
        "congestion_penalty": runner.congestion_penalty,
        "robots": problem.team_size,
        "steps": n_steps,
        "horizon": horizon,
        "tasks_finished": done,
        "best_published": best,
        "start_kit_default": default,
        "ratio_to_best": round(done / best, 3) if best and full else None,
        "ratio_to_default": round(done / default, 3) if default and full else None,
        "plan_ms_mean": round(1000 * sum(times) / len(times), 2),
        "plan_ms_max": round(1000 * max(times), 2),
        "overruns": runner.overruns,
        "invalid_steps": len(result["errors"]),
        "validator_ok": report.ok,
        "wall_s": round(wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*", default=list(INSTANCES))
    ap.add_argument("--steps", type=int, help="override the horizon (ratios are then omitted)")
    ap.add_argument("--budget-ms", type=float, default=1000.0)
    ap.add_argument(
        "--planner",
        choices=("pibt", "epibt"),
        help="as `logitwin mapf run --planner` (default: chosen per instance)",
    )
    ap.add_argument(
        "--refine-ms",
        type=float,
        help="refinement per step, at most 80%% of the budget (default as `mapf run`)",
    )
    ap.add_argument(
        "--lanes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one-way rows and columns on large and near-full maps (default: on, as `mapf run`)",
    )
    args = ap.parse_args()
    refine = None if args.refine_ms is None else args.refine_ms / 1000
    rows = []
    for name in args.instances:
        if name not in INSTANCES:
            sys.exit(f"unknown instance {name!r}; known: {', '.join(INSTANCES)}")
        try:
            row = run_one(
                name, args.steps, args.budget_ms / 1000.0, refine, args.lanes, args.planner
            )
        except ValueError as exc:
            sys.exit(f"{name}: {exc}")
        rows.append(row)
        print(
            f"{name:20} {row['planner']:5} {row['robots']:>6} robots {row['steps']:>5} steps  "
            f"tasks {row['tasks_finished']:>7}  best {row['best_published']}  "
            f"default {row['start_kit_default']}  x best {row['ratio_to_best']}  "
            f"x default {row['ratio_to_default']}  plan {row['plan_ms_mean']}/"
            f"{row['plan_ms_max']} ms  valid {row['validator_ok']}",
            file=sys.stderr,
            flush=True,
        )
    out = {
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "budget_ms": args.budget_ms,
        "refine_ms": "auto" if args.refine_ms is None else args.refine_ms,
        "results": rows,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
