"""The twin on Ray against the twin in one process, and sweeps on 1 vs 2 Ray workers.

Part 1, one run: the same scenario on ``LocalSystem`` and on ``RaySystem`` with each
placement asked for; wall time, delivered messages per wall second, windows, and peak
memory (driver plus every host process, from /proc VmHWM). KPIs must be equal to the
local run's; the script says so per run.

Part 2, a sweep: ``--sweep-runs`` replications of a scenario as Ray tasks on a local Ray
instance with 1 and then 2 CPUs: wall time, runs per minute, speed-up and efficiency.

Prints a table to stderr and JSON to stdout.

    .venv/bin/python benchmarks/ray_runtime.py                     # demo, as in issue #4
    .venv/bin/python benchmarks/ray_runtime.py --scenario tiny --placements sharded:1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ray
from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.actors.journal import Journal
from logitwin.actors.ray_runtime import RaySystem
from logitwin.experiments.sweep import expand, run_sweep
from logitwin.scenarios.build import build_twin
from logitwin.scenarios.kpis import project
from logitwin.scenarios.loader import load_scenario


def _peak_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one_run(name: str, overrides: list[str], placement: str | None) -> dict[str, Any]:
    sc = load_scenario(name, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite")
        holder: dict[str, RaySystem] = {}

        def make(seed: int, lookahead: float, j: Journal | None) -> RaySystem:
            holder["s"] = RaySystem(seed, lookahead, j, placement or "sharded:1")
            return holder["s"]

        t0 = time.perf_counter()
        twin = build_twin(sc, journal, make if placement else None)
        twin.system.run(until=twin.horizon_s)
        journal.flush()
        wall = time.perf_counter() - t0
        proj = project(journal.rows(), twin.horizon_s, sc.floor.cell_m)
        driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        hosts_mb = 0.0
        n_hosts = 0
        windows = None
        system = holder.get("s")
        if system is not None:
            pids = ray.get([h.pid.remote() for h in system.hosts.values()])
            hosts_mb = sum(_peak_mb(p) for p in pids)
            n_hosts = len(pids)
            windows = system.windows
            system.close()
        journal.close()
    return {
        "scenario": name,
        "overrides": overrides,
        "runtime": "local" if placement is None else f"ray {placement}",
        "hosts": n_hosts,
        "wall_s": round(wall, 2),
        "messages": twin.system.delivered,
        "messages_per_s": round(twin.system.delivered / wall),
        "windows": windows,
        "peak_mb_driver": round(driver_mb),
        "peak_mb_hosts": round(hosts_mb),
        "kpis": proj.kpis,
    }


def live(name: str, overrides: list[str], placement: str, factor: float) -> dict[str, Any]:
    """A live run paced to the wall clock: how far behind it ever falls."""
    sc = load_scenario(name, overrides)
    system = RaySystem(sc.seed, sc.runtime.lookahead_s, None, placement, realtime=factor)
    twin = build_twin(sc, None, lambda *_: system)
    t0 = time.perf_counter()
    twin.system.run(until=twin.horizon_s)
    wall = time.perf_counter() - t0
    system.close()
    return {
        "scenario": name,
        "overrides": overrides,
        "runtime": f"ray {placement} live x{factor:g}",
        "sim_s": twin.horizon_s,
        "wall_s": round(wall, 2),
        "expected_wall_s": round(twin.horizon_s / factor, 2),
        "messages": system.delivered,
        "lag_max_sim_s": round(system.lag_max_s, 3),
        "lag_max_wall_s": round(system.lag_max_s / factor, 4),
    }


def sweep(name: str, overrides: list[str], runs: int, workers: int) -> dict[str, Any]:
    base = load_scenario(name, overrides).model_dump(mode="json")
    jobs = expand(base, {}, runs)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_sweep(jobs, Path(tmp) / "sweep", [], workers=workers, progress=False)
        total = time.perf_counter() - t0
    return {
        "workers": workers,
        "runs": runs,
        "wall_s": round(result.wall_s, 2),  # from Ray up to the last result
        "wall_with_ray_start_s": round(total, 2),
        "runs_per_min": round(60 * runs / result.wall_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="demo")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--placements", default="sharded:1,sharded:2", help="comma-separated")
    ap.add_argument("--per-entity-scenario", default="tiny", help="'' to skip per_entity")
    ap.add_argument("--per-entity-set", action="append", help="default: horizon_h=0.5")
    ap.add_argument("--live-factor", type=float, default=30.0, help="0 to skip the live run")
    ap.add_argument("--live-set", action="append", help="default: horizon_h=0.2")
    ap.add_argument("--sweep-scenario", default="demo")
    ap.add_argument("--sweep-runs", type=int, default=8, help="0 to skip the sweep")
    args = ap.parse_args()
    args.per_entity_set = args.per_entity_set or ["horizon_h=0.5"]
    args.live_set = args.live_set or ["horizon_h=0.2"]

    # Ray's own warnings (worker start-up and the like) go to stdout; keep stdout for the
    # JSON.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    runs: list[dict[str, Any]] = []
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        plan: list[tuple[str, list[str], str | None]] = [(args.scenario, args.overrides, None)]
        plan += [(args.scenario, args.overrides, p) for p in args.placements.split(",") if p]
        if args.per_entity_scenario:
            plan += [(args.per_entity_scenario, args.per_entity_set, None)]
            plan += [(args.per_entity_scenario, args.per_entity_set, "per_entity")]
        local: dict[str, dict[str, Any]] = {}
        for name, overrides, placement in plan:
            r = one_run(name, overrides, placement)
            key = f"{name} {overrides}"
            if placement is None:
                local[key] = r
            else:
                base = local[key]
                same = json.dumps(r["kpis"], sort_keys=True) == json.dumps(
                    base["kpis"], sort_keys=True
                )
                r["kpis_equal_local"] = same
                r["wall_vs_local"] = round(r["wall_s"] / base["wall_s"], 1)
            runs.append(r)
            print(
                f"{r['scenario']:<6} {r['runtime']:<18} hosts {r['hosts']:>3}  wall "
                f"{r['wall_s']:>8.1f} s  {r['messages_per_s']:>8} msg/s  peak MB driver "
                f"{r['peak_mb_driver']:>5} hosts {r['peak_mb_hosts']:>6}  "
                f"same KPIs: {r.get('kpis_equal_local', '-')}",
                file=sys.stderr,
                flush=True,
            )
        if args.live_factor:
            placement = args.placements.split(",")[-1]
            r = live(args.scenario, args.live_set, placement, args.live_factor)
            runs.append(r)
            print(
                f"{r['scenario']:<6} {r['runtime']:<18} {r['sim_s']:.0f} s simulated in "
                f"{r['wall_s']} s wall (paced: {r['expected_wall_s']} s); most behind the "
                f"wall clock: {r['lag_max_wall_s'] * 1000:.1f} ms",
                file=sys.stderr,
                flush=True,
            )
    finally:
        ray.shutdown()
    sweeps = []
    if args.sweep_runs:
        for w in (1, 2):
            sweeps.append(sweep(args.sweep_scenario, args.overrides, args.sweep_runs, w))
            s = sweeps[-1]
            print(
                f"sweep of {s['runs']} {args.sweep_scenario} runs on {w} worker(s): "
                f"{s['wall_s']:.1f} s, {s['runs_per_min']} runs/min",
                file=sys.stderr,
                flush=True,
            )
        speedup = sweeps[0]["wall_s"] / sweeps[1]["wall_s"]
        sweeps[1]["speedup"] = round(speedup, 2)
        sweeps[1]["efficiency"] = round(speedup / 2, 2)
    for r in runs:
        r.pop("kpis", None)
    sys.stdout = real_stdout
    print(
        json.dumps(
            {"cpu": cpu_name(), "cores": os.cpu_count(), "runs": runs, "sweeps": sweeps}, indent=2
        )
    )


if __name__ == "__main__":
    main()
