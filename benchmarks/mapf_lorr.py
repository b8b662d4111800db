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
    .venv/bin/python benchmarks/mapf_lorr.py maze-example_40 room-example_150  # 2026 rules

2026 examples run under the 2026 rules at the start kit's default timing for 5,000 ticks
(``--steps`` counts ticks), beside the start kit 3.1.0 default planner and executor.
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

# LoRR 2026 rules (issue #18): the examples, and the start kit 3.1.0 default planner and
# executor at 5,000 ticks with every timing option at its default (tasks finished, wall s).
INSTANCES_2026 = {
    "maze-example_40": ("lorr2026_examples/maze.domain/maze-example_40.json", 271, 441),
    "room-example_150": ("lorr2026_examples/room.domain/room-example_150.json", 382, 443),
    "random-example_400": ("lorr2026_examples/random.domain/random-example_400.json", 3344, 446),
    "fulfill-example_2500": (
        "lorr2026_examples/warehouse.domain/fulfill-example_2500.json",
        8070,
        470,
    ),
}
TICKS_2026 = 5000  # the 3.x start kit's default --simulationTime


def run_2026_one(name: str, ticks: int | None) -> dict[str, object]:
    """A 2026 example under its rules at the start kit's default timing."""
    from logitwin.mapf.planner2026 import PibtPlanner2026
    from logitwin.mapf.rules2026 import Timing, run_2026
    from logitwin.mapf.validate2026 import validate_2026

    rel, default, default_wall = INSTANCES_2026[name]
    problem = load_lorr_problem(DATA / rel)
    n = ticks if ticks is not None else TICKS_2026
    timing = Timing()
    res = run_2026(problem, PibtPlanner2026(problem, timing.interval_ticks), n, timing)
    out = res.output
    report = validate_2026(out, problem)
    times = out["plannerTimes"] or [0.0]
    done = out["numTaskFinished"]
    full = n == TICKS_2026
    return {
        "instance": name,
        "rules": "2026",
        "robots": problem.team_size,
        "ticks": n,
        "tasks_finished": done,
        "start_kit_default": default,
        "ratio_to_default": round(done / default, 3) if full else None,
        "planner_timeouts": out["numEntryTimeouts"],
        "executor_timeouts": out["numExecutorTimeouts"],
        "refused_actions": out["numPlannerErrors"],
        "schedule_errors": out["numScheduleErrors"],
        "collisions": len(report.collisions),
        "plan_ms_mean": round(1000 * sum(times) / len(times), 2),
        "plan_ms_max": round(1000 * max(times), 2),
        "validator_ok": report.ok,
        "wall_s": round(res.wall_s, 1),
        "start_kit_wall_s": default_wall,
    }


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
    ap.add_argument("instances", nargs="*", default=[*INSTANCES, *INSTANCES_2026])
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
        if name in INSTANCES_2026:
            row26 = run_2026_one(name, args.steps)
            rows.append(row26)
            print(
                f"{name:20} 2026  {row26['robots']:>6} robots {row26['ticks']:>5} ticks  "
                f"tasks {row26['tasks_finished']:>7}  default {row26['start_kit_default']}  "
                f"x default {row26['ratio_to_default']}  timeouts "
                f"{row26['planner_timeouts']}/{row26['executor_timeouts']}  refused "
                f"{row26['refused_actions']}  collisions {row26['collisions']}  plan "
                f"{row26['plan_ms_mean']}/{row26['plan_ms_max']} ms  valid "
                f"{row26['validator_ok']}  wall {row26['wall_s']} s",
                file=sys.stderr,
                flush=True,
            )
            continue
        if name not in INSTANCES:
            known = ", ".join([*INSTANCES, *INSTANCES_2026])
            sys.exit(f"unknown instance {name!r}; known: {known}")
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
