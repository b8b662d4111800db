"""Solomon VRPTW benchmark: gap to both BKS conventions, per family, per backend and time limit.

Solves Solomon instances (``../shared/benchmarks/vrp/solomon``) with each backend at each
time limit, checks every solution with the independent checker (``logitwin.tms.check``,
which recomputes the cost) and compares with ``solomon_bks.csv``:

* distance-only BKS (DIMACS: arcs truncated to 0.1): gap of the recomputed DIMACS distance;
* hierarchical BKS (vehicles, then double-precision distance): vehicles over the BKS and
  the gap of the double-precision distance, plus feasibility in double precision; and,
  over the solutions that match the BKS's vehicle count, their distance gap (the
  lexicographic comparison; ``=vehH`` and ``gapH=`` in the table).

Gaps and vehicles are averaged over feasible solutions; ``feas``/``feasD`` count the
solutions feasible under DIMACS / double precision.

Prints a per-family table to stderr and JSON to stdout. Where more than one backend ran,
the JSON compares each backend's average gap with the first backend's in the same run.

    .venv/bin/python benchmarks/vrptw_solomon.py                          # all 56, 10 s + 60 s
    .venv/bin/python benchmarks/vrptw_solomon.py --per-family 2 --time-limit 10 \
        --backend ortools pyvrp
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.tms.check import check_solution
from logitwin.tms.solomon import read_solomon
from logitwin.tms.vrp import OrtoolsParams, solve

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "vrp"
FAMILIES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
#: Issue #21: OR-Tools 9.15 + GLS on this kind of machine, and VROOM's published figure.
REFERENCE = {"ortools_10s": 3.1, "ortools_60s": 1.5, "vroom": 1.6}
TARGET_GAP_60S = 1.0


def family(name: str) -> str:
    """``RC105`` -> ``RC1``."""
    return name[:-2]


def label(backend: str, first: str, lam: float) -> str:
    """The backend, with OR-Tools settings other than the defaults."""
    default = OrtoolsParams()
    if backend != "ortools" or (first, lam) == (default.first_solution, default.gls_lambda):
        return backend
    return f"ortools[{first.lower()},lambda={lam:g}]"


def load_bks(path: Path) -> dict[tuple[str, str], tuple[int, float]]:
    out: dict[tuple[str, str], tuple[int, float]] = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            out[row["instance"], row["objective"]] = (int(row["vehicles"]), float(row["distance"]))
    return out


def run_one(
    path: str, backend: str, limit: float, seed: int, objective: str, first: str, lam: float
) -> dict[str, Any]:
    data = read_solomon(path)
    params = OrtoolsParams(first_solution=first, gls_lambda=lam)
    sol = solve(data, limit, seed, backend, objective, params)  # type: ignore[arg-type]
    dimacs = check_solution(data, sol.routes, "dimacs")
    double = check_solution(data, sol.routes, "double")
    return {
        "instance": data.name,
        "family": family(data.name),
        "backend": backend,
        "label": label(backend, first, lam),
        "time_limit_s": limit,
        "objective": objective,
        "wall_s": round(sol.stats.wall_s, 2),
        "iterations": sol.stats.iterations,
        "vehicles": sol.vehicles,
        "distance_dimacs": dimacs.distance,
        "distance_double": round(double.distance, 4),
        "solver_distance": sol.distance,
        "feasible": dimacs.feasible,
        "feasible_double": double.feasible,
        "violations": [str(v) for v in dimacs.violations[:5]],
    }


def summarize(
    rows: list[dict[str, Any]], bks: dict[tuple[str, str], tuple[int, float]]
) -> dict[str, Any]:
    for r in rows:
        _, dd = bks[r["instance"], "distance_only"]
        hv, hd = bks[r["instance"], "hierarchical"]
        r["gap_distance_pct"] = round(100 * (r["distance_dimacs"] / dd - 1), 3)
        r["vehicles_over_hier"] = r["vehicles"] - hv
        r["gap_hier_distance_pct"] = round(100 * (r["distance_double"] / hd - 1), 3)

    def mean(xs: list[float]) -> float | None:
        return round(math.fsum(xs) / len(xs), 3) if xs else None

    def agg(group: list[dict[str, Any]]) -> dict[str, Any]:
        # Gaps and vehicles over the feasible solutions only; the others are counted.
        ok = [r for r in group if r["feasible"]]
        g = [r["gap_distance_pct"] for r in ok]
        at = [r for r in ok if r["feasible_double"] and r["vehicles_over_hier"] == 0]
        return {
            "instances": len(group),
            "feasible": len(ok),
            "feasible_double": sum(r["feasible_double"] for r in group),
            "avg_gap_distance_pct": mean(g),
            "worst_gap_distance_pct": max(g, default=None),
            "avg_vehicles": mean([r["vehicles"] for r in ok]),
            "avg_vehicles_over_hier": mean([r["vehicles_over_hier"] for r in ok]),
            "worst_vehicles_over_hier": max((r["vehicles_over_hier"] for r in ok), default=None),
            "avg_gap_hier_distance_pct": mean([r["gap_hier_distance_pct"] for r in ok]),
            # Lexicographic comparison: the distance gap means something only where the
            # vehicles match the hierarchical BKS (and the routes hold in double precision).
            "at_hier_vehicles": len(at),
            "avg_gap_hier_at_vehicles_pct": mean([r["gap_hier_distance_pct"] for r in at]),
        }

    out: dict[str, Any] = {}
    for key in sorted({(r["label"], r["time_limit_s"]) for r in rows}):
        sel = [r for r in rows if (r["label"], r["time_limit_s"]) == key]
        fams = {f: [r for r in sel if r["family"] == f] for f in FAMILIES}
        out[f"{key[0]}@{key[1]:g}s"] = {
            "all": agg(sel),
            "families": {f: agg(g) for f, g in fams.items() if g},
        }
    return out


def _f(x: float | None, width: int, unit: str = "") -> str:
    return f"{x:{width}.2f}{unit}" if x is not None else " " * (width - 1) + "-" + " " * len(unit)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("instances", nargs="*", help="instance names (default: all 56)")
    ap.add_argument("--per-family", type=int, help="only the first N instances of each family")
    ap.add_argument("--time-limit", type=float, nargs="+", default=[10.0, 60.0])
    ap.add_argument("--backend", nargs="+", default=["ortools", "pyvrp"],
                    choices=["ortools", "pyvrp"])  # fmt: skip
    ap.add_argument("--objective", default="distance", choices=["distance", "hierarchical"])
    ap.add_argument("--first-solution", default="PARALLEL_CHEAPEST_INSERTION",
                    help="OR-Tools first solution strategy")  # fmt: skip
    ap.add_argument("--gls-lambda", type=float, default=OrtoolsParams().gls_lambda,
                    help="OR-Tools guided local search penalty coefficient")  # fmt: skip
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="processes (the machine is shared)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--merge", type=Path, nargs="+", metavar="JSON",
                    help="solve nothing: report the runs of earlier outputs together")  # fmt: skip
    args = ap.parse_args(argv)
    bks = load_bks(args.data / "solomon_bks.csv")
    if args.merge:
        merged: list[dict[str, Any]] = []
        for f in args.merge:
            old = json.loads(f.read_text())
            for r in old["runs"]:
                r.setdefault("label", label(r["backend"], old["ortools_first_solution"],
                                            old.get("ortools_gls_lambda", 0.1)))  # fmt: skip
                merged.append(r)
        return report(merged, bks, args, [str(f) for f in args.merge], 0.0)

    paths = sorted((args.data / "solomon").glob("*.txt"))
    if args.instances:
        want = {n.upper() for n in args.instances}
        paths = [p for p in paths if p.stem.upper() in want]
    if args.per_family:
        paths = [
            p
            for f in FAMILIES
            for p in [q for q in paths if family(q.stem) == f][: args.per_family]
        ]
    if not paths:
        print(f"no instances under {args.data / 'solomon'} match", file=sys.stderr)
        return 2
    jobs = [
        (str(p), b, t, args.seed, args.objective, args.first_solution, args.gls_lambda)
        for t in args.time_limit
        for b in args.backend
        for p in paths
    ]
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for r in pool.map(run_one, *zip(*jobs, strict=True)):
            rows.append(r)
            print(
                f"{r['instance']:6} {r['backend']:8} {r['time_limit_s']:>4g}s "
                f"veh {r['vehicles']:3} dist {r['distance_dimacs']:9.1f} "
                f"feasible {r['feasible']}",
                file=sys.stderr,
                flush=True,
            )
    return report(rows, bks, args, [p.stem for p in paths], time.perf_counter() - t0)


def report(
    rows: list[dict[str, Any]],
    bks: dict[tuple[str, str], tuple[int, float]],
    args: argparse.Namespace,
    instances: list[str],
    wall_s: float,
) -> int:
    """Print the per-family table (stderr) and the JSON (stdout)."""
    summary = summarize(rows, bks)
    first = rows[0]["label"]
    base = {k.split("@")[1]: v["all"]["avg_gap_distance_pct"] for k, v in summary.items()
            if k.startswith(first + "@")}  # fmt: skip
    versus = {
        k: round(v["all"]["avg_gap_distance_pct"] - base[k.split("@")[1]], 3)
        for k, v in summary.items()
        if not k.startswith(first + "@")
        and base.get(k.split("@")[1]) is not None
        and v["all"]["avg_gap_distance_pct"] is not None
    }
    targets = {
        k: {
            "avg_gap_distance_under_1pct": (v["all"]["avg_gap_distance_pct"] or 0) < TARGET_GAP_60S,
            "all_feasible": v["all"]["feasible"] == v["all"]["instances"],
        }
        for k, v in summary.items()
        if k.endswith("@60s")
    }
    w = max(len(k) for k in summary)
    print(f"\n{'run':{w}} {'family':6} {'n':>3} {'avg gap':>8} {'worst':>7} {'veh':>6} "
          f"{'+veh(H)':>7} {'gapH':>7} {'=vehH':>5} {'gapH=':>7} {'feas':>5} {'feasD':>5}",
          file=sys.stderr)  # fmt: skip
    for k, v in summary.items():
        for f, a in [*v["families"].items(), ("all", v["all"])]:
            print(
                f"{k:{w}} {f:6} {a['instances']:3} {_f(a['avg_gap_distance_pct'], 7, '%')} "
                f"{_f(a['worst_gap_distance_pct'], 6, '%')} {_f(a['avg_vehicles'], 6)} "
                f"{_f(a['avg_vehicles_over_hier'], 7)} "
                f"{_f(a['avg_gap_hier_distance_pct'], 6, '%')} {a['at_hier_vehicles']:5} "
                f"{_f(a['avg_gap_hier_at_vehicles_pct'], 6, '%')} "
                f"{a['feasible']:2}/{a['instances']:<2} "
                f"{a['feasible_double']:2}/{a['instances']:<2}",
                file=sys.stderr,
            )
    json.dump(
        {
            "benchmark": "vrptw_solomon",
            "cpu": cpu_name(),
            "workers": args.workers,
            "objective": args.objective,
            "seed": args.seed,
            "ortools_first_solution": args.first_solution,
            "ortools_gls_lambda": args.gls_lambda,
            "instances": instances,
            "wall_s": round(wall_s, 1),
            "reference_avg_gap_pct": REFERENCE,
            "summary": summary,
            f"avg_gap_minus_{first}_pct": versus,
            "targets_60s": targets,
            "runs": rows,
        },
        sys.stdout,
        indent=1,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
