"""The ``logitwin vrp`` command: solve Solomon instances and check CVRPLIB solutions.

Wired into :mod:`logitwin.cli` with ``add_parser(sub)`` and, for ``args.command == "vrp"``,
``return run(args)``.

    logitwin vrp solve R101.txt --time-limit 10 --backend pyvrp --out R101.sol
    logitwin vrp check R101.txt R101.sol            # exit 1 on any violation

Exit codes: 0 ok, 1 a violation (check) or no feasible solution (solve), 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from logitwin.tms.check import CONVENTIONS, Convention, check_solution
from logitwin.tms.solomon import InstanceError, read_solomon, read_solution, write_solution
from logitwin.tms.vrp import BACKENDS, DEFAULT_BACKEND, OBJECTIVES, solve

__all__ = ["add_parser", "run"]

# A stated cost may be rounded to 2 decimals (SINTEF); a larger difference is an error.
_COST_TOLERANCE = 0.005 + 1e-9


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``vrp`` command (``solve``, ``check``) to an argparse subparsers object."""
    vrp: argparse.ArgumentParser = subparsers.add_parser(
        "vrp", help="solve and check Solomon VRPTW instances"
    )
    sub = vrp.add_subparsers(dest="vrp_command", required=True)
    s = sub.add_parser("solve", help="solve a Solomon instance, write a CVRPLIB solution")
    s.add_argument("instance", type=Path, help="Solomon-format instance file")
    s.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                   help="search time in seconds (default 10)")  # fmt: skip
    s.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND,
                   help=f"solver (default {DEFAULT_BACKEND})")  # fmt: skip
    s.add_argument("--objective", choices=OBJECTIVES, default="distance",
                   help="distance: DIMACS distance only; hierarchical: vehicles, then "
                   "double-precision distance")  # fmt: skip
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", type=Path, metavar="SOL", help="solution file (default: stdout)")
    c = sub.add_parser("check", help="check a CVRPLIB solution against a Solomon instance")
    c.add_argument("instance", type=Path, help="Solomon-format instance file")
    c.add_argument("solution", type=Path, help="CVRPLIB solution file")
    c.add_argument("--convention", choices=CONVENTIONS, default="dimacs",
                   help="dimacs: arcs truncated to 0.1 (CVRPLIB BKS); double: full precision "
                   "(SINTEF BKS)")  # fmt: skip
    return vrp


def run(args: argparse.Namespace) -> int:
    """Run ``vrp solve`` or ``vrp check``; returns the exit code."""
    try:
        if args.vrp_command == "solve":
            return _solve(args)
        return _check(args)
    except (InstanceError, ValueError) as e:
        print(f"logitwin vrp: {e}", file=sys.stderr)
        return 2


def _solve(args: argparse.Namespace) -> int:
    data = read_solomon(args.instance)
    sol = solve(data, args.time_limit, args.seed, args.backend, args.objective)
    convention: Convention = "dimacs" if args.objective == "distance" else "double"
    report = check_solution(data, sol.routes, convention)
    if args.out:
        write_solution(args.out, sol.routes, report.distance)
    else:
        for k, r in enumerate(sol.routes, start=1):
            print(f"Route #{k}: {' '.join(map(str, r))}")
        print(f"Cost {report.distance:.10g}")
    print(
        f"{data.name}: {report.vehicles} vehicles, distance {report.distance:.10g} ({convention}), "
        f"{'feasible' if report.feasible else 'INFEASIBLE'}, {args.backend} "
        f"{sol.stats.wall_s:.1f} s",
        file=sys.stderr,
    )
    for v in report.violations:
        print(f"  {v}", file=sys.stderr)
    return 0 if report.feasible else 1


def _check(args: argparse.Namespace) -> int:
    data = read_solomon(args.instance)
    sf = read_solution(args.solution)
    convention: Convention = "double" if args.convention == "double" else "dimacs"
    report = check_solution(data, sf.routes, convention)
    problems = [str(v) for v in report.violations]
    if sf.cost is not None and abs(sf.cost - report.distance) > _COST_TOLERANCE:
        problems.append(
            f"cost: the file states {sf.cost:.10g}, recomputed {report.distance:.10g} "
            f"({args.convention})"
        )
    for msg in problems:
        print(msg)
    print(
        f"{data.name}: {report.vehicles} vehicles, distance {report.distance:.10g} "
        f"({args.convention}), {len(problems)} violation(s)"
    )
    return 1 if problems else 0
