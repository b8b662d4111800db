"""The ``logitwin`` command: run, validate and list scenarios; replay journals."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from logitwin import __version__
from logitwin.errors import LogitwinError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="logitwin", description="logitwin: digital twin of a logistics site"
    )
    p.add_argument("--version", action="version", version=f"logitwin {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and report its KPIs")
    run.add_argument("scenario", help="built-in scenario name or path to a YAML file")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. --set fleet.robots=60 (repeatable)",
    )
    run.add_argument("--out", type=Path, help="output folder (default: runs/NAME-seedN-TIME)")
    run.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    sub.add_parser("scenarios", help="list the built-in scenarios")

    val = sub.add_parser("validate", help="check a scenario file without running it")
    val.add_argument("scenario", help="built-in scenario name or path to a YAML file")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")

    rep = sub.add_parser("replay", help="rebuild final state and KPIs from a run's journal")
    rep.add_argument("journal", type=Path, help="journal.sqlite of a run (or its folder)")
    rep.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    rep.add_argument("--check-paths", action="store_true", help="validate the robots' paths")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    console = Console()
    err = Console(stderr=True)
    try:
        if args.command == "scenarios":
            return _scenarios(console)
        if args.command == "validate":
            return _validate(args, console)
        if args.command == "run":
            return _run(args, console)
        if args.command == "replay":
            return _replay(args, console)
    except LogitwinError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        return 2
    return 2  # pragma: no cover - argparse rejects unknown commands


def _scenarios(console: Console) -> int:
    from rich.table import Table

    from logitwin.scenarios.loader import builtin_names, load_scenario

    table = Table(title="built-in scenarios")
    for col in ("name", "hours", "robots", "stations", "description"):
        table.add_column(col)
    for name in builtin_names():
        sc = load_scenario(name)
        table.add_row(
            name,
            f"{sc.horizon_h:g}",
            str(sc.fleet.robots),
            str(sc.layout.stations),
            " ".join(sc.description.split()),
        )
    console.print(table)
    return 0


def _validate(args: argparse.Namespace, console: Console) -> int:
    from logitwin.scenarios.build import build_twin
    from logitwin.scenarios.loader import load_scenario

    sc = load_scenario(args.scenario, args.overrides)
    twin = build_twin(sc, journal=None)  # builds the site and fleet: catches layout errors
    console.print(
        f"{args.scenario}: ok — {sc.name}, {sc.horizon_h:g} h, {sc.fleet.robots} robots, "
        f"{len(twin.site.stations)} stations, {len(twin.site.storage)} storage cells"
    )
    return 0


def _run(args: argparse.Namespace, console: Console) -> int:
    from logitwin.scenarios.loader import load_scenario
    from logitwin.scenarios.report import render_kpis
    from logitwin.scenarios.runner import run_scenario

    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    sc = load_scenario(args.scenario, overrides)
    out = args.out or Path("runs") / f"{sc.name}-seed{sc.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    result = run_scenario(sc, out, progress=not args.no_progress and not args.json)
    if args.json:
        print(json.dumps(json.loads((out / "kpis.json").read_text()), indent=2))
        return 0
    console.print(render_kpis(result.kpis, title=f"{sc.name} (seed {sc.seed})"))
    console.print(
        f"{result.sim_s / 3600:g} h simulated in {result.wall_s:.1f} s wall; "
        f"outputs in [bold]{out}[/] (kpis.json, timeseries.csv, journal.sqlite, scenario.yaml)"
    )
    return 0


def _replay(args: argparse.Namespace, console: Console) -> int:
    from logitwin.scenarios.report import render_kpis
    from logitwin.scenarios.runner import JOURNAL, check_paths, replay

    path = args.journal / JOURNAL if args.journal.is_dir() else args.journal
    proj = replay(path)
    if args.json:
        print(json.dumps(proj.kpis, indent=2, default=str))
    else:
        console.print(render_kpis(proj.kpis, title=f"replay of {path}"))
        kinds: dict[str, int] = {}
        for kind in proj.kinds.values():
            kinds[kind] = kinds.get(kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        console.print(f"final state rebuilt for {len(proj.state)} entities ({summary})")
    if args.check_paths:
        steps, conflicts = check_paths(path)
        if conflicts:
            for c in conflicts[:20]:
                console.print(f"[red]conflict:[/] {c}")
            console.print(f"{len(conflicts)} conflicts in {steps} steps")
            return 1
        console.print(f"paths valid: {steps} steps, no vertex, swap, jump or obstacle conflict")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
