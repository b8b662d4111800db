"""The ``logitwin`` command: run, validate and list scenarios; replay journals."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from logitwin import __version__
from logitwin.errors import ActorError, LogitwinError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="logitwin", description="logitwin: digital twin of a logistics site"
    )
    p.add_argument("--version", action="version", version=f"logitwin {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    live = sub.add_parser(
        "live", help="run a scenario on the wall clock with its robots behind a bridge"
    )
    live.add_argument("scenario", help="built-in scenario name or path to a YAML file")
    live.add_argument("--robots", required=True, choices=["zmq", "pybullet", "ros2", "vda5050"])
    live.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="override a scenario field (repeatable)",
    )  # fmt: skip
    live.add_argument("--minutes", type=float, help="stop after this long (default: the horizon)")
    live.add_argument("--out", type=Path, help="output folder (default: runs/NAME-live-TIME)")
    live.add_argument("--option", dest="options", action="append", default=[], metavar="KEY=VALUE",
                      help="driver option: endpoint=, telemetry= (zmq, pybullet), "
                      "broker=HOST:PORT (vda5050), domain=, network=, goals= (ros2), "
                      "offline_after_s= (all)")  # fmt: skip
    live.add_argument("--connect-s", type=float, default=30.0,
                      help="how long to wait for every robot to connect")  # fmt: skip
    live.add_argument("--speedup", type=float, default=1.0,
                      help="twin seconds per wall second (demos, tests)")  # fmt: skip
    live.add_argument("--json", action="store_true", help="print the KPIs as JSON")

    rsim = sub.add_parser(
        "robot-sim", help="start stand-in robots in their own processes (for live runs)"
    )
    rsim.add_argument("--backend", required=True, choices=["zmq", "pybullet", "ros2", "vda5050"])
    rsim.add_argument("--scenario", default="tiny", help="the site and fleet the robots are in")
    rsim.add_argument("--robots", type=int, help="fleet size (default: the scenario's)")
    rsim.add_argument("--processes", type=int, default=1,
                      help="split the robots over this many processes (not pybullet)")  # fmt: skip
    rsim.add_argument("rest", nargs=argparse.REMAINDER,
                      help="backend options after --, e.g. -- --broker 127.0.0.1:1883")  # fmt: skip

    run = sub.add_parser("run", help="run a scenario and report its KPIs")
    run.add_argument("scenario", nargs="?", help="built-in scenario name or path to a YAML file")
    run.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="finish the run in DIR that was killed or stopped (re-executes it from its "
        "journal; the result is the journal an uninterrupted run writes)",
    )
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
    run.add_argument(
        "--floor",
        choices=["grid", "pybullet"],
        help="what moves the robots: the grid floor or a PyBullet world (= --set floor.driver=)",
    )
    run.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--runtime",
        metavar="local|ray[:ADDRESS]",
        help="local (one process, the default), ray (a local Ray instance) or ray:ADDRESS",
    )
    run.add_argument(
        "--placement",
        metavar="sharded:N|per_entity",
        help="with --runtime ray: N host actors (default 4) or one Ray actor per entity",
    )

    sw = sub.add_parser(
        "sweep", help="run a scenario over a parameter grid with replications (on Ray)"
    )
    sw.add_argument("scenario", help="built-in scenario name or path to a YAML file")
    sw.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="PATH=V1,V2",
        help="a parameter and its values, e.g. --grid fleet.robots=30,40,50 (repeatable)",
    )
    sw.add_argument("--reps", type=int, default=5, help="replications per cell (default 5)")
    sw.add_argument("--seed", type=int, help="seed of replication 0 (rep r uses seed + r)")
    sw.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    sw.add_argument("--out", type=Path, help="results folder (default: runs/sweep-NAME-TIME)")
    _ray_arguments(sw)

    cmp = sub.add_parser(
        "compare", help="differences between sweep cells or runs, with CIs, and an HTML report"
    )
    cmp.add_argument("results", nargs="+", type=Path, help="sweep folders or run folders")
    cmp.add_argument(
        "--html", type=Path, help="report file (default: compare.html in the first folder)"
    )

    an = sub.add_parser("animate", help="render a run's floor from its journal as a GIF")
    an.add_argument("run", type=Path, help="a run folder (or its journal.sqlite)")
    an.add_argument("--out", type=Path, help="GIF file (default: RUN/floor.gif)")
    an.add_argument(
        "--from-min", type=float, help="start (simulated minutes; default 60, or 0 if short)"
    )
    an.add_argument("--minutes", type=float, default=10.0, help="span shown (default 10)")
    an.add_argument("--every", type=float, default=2.0, help="simulated seconds per frame")
    an.add_argument("--fps", type=int, default=12, help="frames per second of the GIF")

    opt = sub.add_parser(
        "optimize", help="smallest value of an integer field that meets a service target"
    )
    opt.add_argument("scenario", help="built-in scenario name or path to a YAML file")
    opt.add_argument("--minimize", required=True, metavar="PATH", help="e.g. fleet.robots")
    opt.add_argument(
        "--subject-to", required=True, metavar="'KPI OP VALUE'", help='e.g. "on_time >= 0.99"'
    )
    opt.add_argument(
        "--reps",
        type=int,
        default=5,
        help="replications per value, and per batch added (default 5)",
    )
    opt.add_argument(
        "--max-reps",
        type=int,
        help="most replications per value while its 95%% interval straddles the target "
        "(default 4x --reps); a value still undecided counts as missing the target",
    )
    opt.add_argument("--range", metavar="LO:HI", help="values to search (default 1:4x current)")
    opt.add_argument("--seed", type=int, help="seed of replication 0 (rep r uses seed + r)")
    opt.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    opt.add_argument("--out", type=Path, help="evidence folder (default: runs/optimize-...)")
    _ray_arguments(opt)

    sub.add_parser("scenarios", help="list the built-in scenarios")

    val = sub.add_parser("validate", help="check a scenario file without running it")
    val.add_argument("scenario", help="built-in scenario name or path to a YAML file")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")

    rep = sub.add_parser("replay", help="rebuild final state and KPIs from a run's journal")
    rep.add_argument("journal", type=Path, help="journal.sqlite of a run (or its folder)")
    rep.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    rep.add_argument("--check-paths", action="store_true", help="validate the robots' paths")
    rep.add_argument(
        "--partial",
        action="store_true",
        help="accept the journal of a run that did not finish (KPIs up to where it stops)",
    )

    mapf = sub.add_parser("mapf", help="League of Robot Runners problems: run and validate")
    msub = mapf.add_subparsers(dest="mapf_command", required=True)
    mrun = msub.add_parser("run", help="simulate a LoRR problem with logitwin's planner")
    mrun.add_argument("problem", type=Path, help="LoRR problem JSON (2023, 2024 or 2026 format)")
    mrun.add_argument(
        "--steps",
        type=int,
        help="timesteps; for 2026 problems execution ticks, the start kit's --simulationTime "
        "(default: simulation_time.json beside the problem, else 5000 for 2026)",
    )
    mrun.add_argument(
        "--step-budget-ms", type=float, default=1000.0, help="2023/2024: planning time per step"
    )
    for flag, default, what in (
        ("--tick-ms", 100.0, "--actionMoveTimeLimit: one execution tick, the executor's budget"),
        ("--plan-ms", 1000.0, "--planCommTimeLimit: the planner's budget and the time between "
         "plan adoptions"),
        ("--initial-plan-ms", 1000.0, "--initialPlanTimeLimit: the first plan's budget"),
        ("--executor-ms", 100.0, "--executorProcessPlanTimeLimit: staging a plan"),
        ("--preprocess-ms", 30000.0, "--preprocessTimeLimit: precomputation before tick 0"),
    ):  # fmt: skip
        mrun.add_argument(
            flag, type=float, default=default, help=f"2026: {what} (default {default:g})"
        )
    mrun.add_argument(
        "--planner",
        choices=("pibt", "epibt"),
        help="epibt (multi-action operations; maps up to 5,000 free cells) or pibt "
        "(default: epibt on such maps with robots on over 20%% of the cells, else pibt)",
    )
    mrun.add_argument(
        "--refine-ms",
        type=float,
        help="refinement per step, at most 80%% of the budget: EPIBT's rounds (default "
        "500) or the windowed LNS after PIBT (default 500; 0 on near-full maps); 0: none",
    )
    mrun.add_argument("--seed", type=int, default=0)
    mrun.add_argument("--out", type=Path, default=Path("result.json"), help="LoRR output JSON")
    mval = msub.add_parser("validate", help="replay a result and check it against its problem")
    mval.add_argument("result", type=Path)
    mval.add_argument("problem", type=Path)
    from logitwin.rl.cli import add_parsers as rl_parsers
    from logitwin.tms.cli import add_parser as vrp_parser

    rl_parsers(sub)  # train, policies
    vrp_parser(sub)  # vrp solve / check
    return p


def _ray_arguments(p: argparse.ArgumentParser) -> None:
    """Where a batch of runs goes: --workers N (a local Ray instance) or --runtime."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local Ray instance with N CPUs (default all)")
    where.add_argument(
        "--runtime",
        default=None,
        metavar="ray[:ADDRESS]",
        help="ray (a local instance) or ray:ADDRESS to run on a cluster",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    console = Console()
    err = Console(stderr=True)
    commands = {
        "scenarios": lambda: _scenarios(console),
        "validate": lambda: _validate(args, console),
        "run": lambda: _run(args, console),
        "sweep": lambda: _sweep(args, console),
        "compare": lambda: _compare(args, console),
        "animate": lambda: _animate(args, console),
        "optimize": lambda: _optimize(args, console),
        "replay": lambda: _replay(args, console),
        "mapf": lambda: _mapf(args, console),
        "live": lambda: _live(args, console),
        "robot-sim": lambda: _robot_sim(args),
        "train": lambda: _rl(args),
        "policies": lambda: _rl(args),
        "vrp": lambda: _vrp(args),
    }
    try:
        return commands[args.command]()
    except ActorError as exc:  # a bug in the twin, not bad input: 1, as a failed run
        err.print(
            f"[bold red]error: the run failed:[/] {escape(str(exc))}; what it did up to "
            "then is in its journal (replay --partial)",
            highlight=False,
        )
        return 1
    except LogitwinError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return 2


def _plain(*cells: str) -> list[Text]:
    """Table cells shown as they are: user text such as ``[bold]`` is not markup."""
    return [Text(c) for c in cells]


def _scenarios(console: Console) -> int:
    from rich.table import Table

    from logitwin.scenarios.loader import builtin_names, load_scenario

    table = Table(title="built-in scenarios")
    for col in ("name", "hours", "robots", "stations", "description"):
        table.add_column(col)
    for name in builtin_names():
        sc = load_scenario(name)
        table.add_row(
            *_plain(
                name,
                f"{sc.horizon_h:g}",
                str(sc.fleet.robots),
                str(sc.layout.stations),
                " ".join(sc.description.split()),
            )
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
        f"{len(twin.site.stations)} stations, {len(twin.site.storage)} storage cells",
        markup=False,
    )
    return 0


def _run(args: argparse.Namespace, console: Console) -> int:
    from logitwin.scenarios.loader import load_scenario
    from logitwin.scenarios.report import render_kpis
    from logitwin.scenarios.runner import resume_run, run_scenario

    explicit = {"runtime": args.runtime is not None, "placement": args.placement is not None}
    if args.placement is not None and not (args.runtime or "local").startswith("ray"):
        raise LogitwinError(
            f"--placement {args.placement} places entities on Ray hosts; add --runtime ray "
            "(or ray:ADDRESS), or drop --placement"
        )
    progress = not args.no_progress and not args.json
    if args.resume is not None:
        given = [f"--{k}" for k, v in explicit.items() if v]
        given += ["a scenario"] if args.scenario else []
        given += ["--set"] if args.overrides else []
        given += [
            o
            for o, v in (("--seed", args.seed), ("--out", args.out), ("--floor", args.floor))
            if v is not None
        ]
        if given:
            raise LogitwinError(
                f"--resume {args.resume} continues a run as it was started; drop {', '.join(given)}"
            )
        result = resume_run(args.resume, progress=progress)
        sc, out = result.twin.scenario, result.out_dir
    else:
        if not args.scenario:
            raise LogitwinError("run: name a scenario (or --resume DIR)")
        overrides = list(args.overrides)
        if args.seed is not None:
            overrides.append(f"seed={args.seed}")
        if args.floor is not None:
            overrides.append(f"floor.driver={args.floor}")
        sc = load_scenario(args.scenario, overrides)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = args.out or Path("runs") / f"{sc.name}-seed{sc.seed}-{stamp}"
        result = run_scenario(
            sc,
            out,
            progress=progress,
            runtime=args.runtime or "local",
            placement=args.placement or "sharded:4",
        )
    if args.json:
        print(json.dumps(json.loads((out / "kpis.json").read_text()), indent=2))
        return 0
    console.print(render_kpis(result.kpis, title=f"{sc.name} (seed {sc.seed})"))
    console.print(
        f"{result.sim_s / 3600:g} h simulated in {result.wall_s:.1f} s wall; "
        f"outputs in [bold]{escape(str(out))}[/] "
        "(kpis.json, timeseries.csv, journal.sqlite, scenario.yaml)"
    )
    return 0


def _live(args: argparse.Namespace, console: Console) -> int:
    from logitwin.scenarios.live import run_live
    from logitwin.scenarios.loader import load_scenario
    from logitwin.scenarios.report import render_kpis

    options = {}
    for o in args.options:
        key, eq, value = o.partition("=")
        if not eq or not key:
            raise LogitwinError(f"--option {o!r}: expected KEY=VALUE")
        options[key] = value
    sc = load_scenario(args.scenario, args.overrides)
    out = args.out or Path("runs") / f"{sc.name}-live-{time.strftime('%Y%m%d-%H%M%S')}"
    until = None if args.minutes is None else args.minutes * 60.0
    result = run_live(
        sc, out, args.robots, options, until, connect_s=args.connect_s, speedup=args.speedup
    )
    if args.json:
        print(json.dumps(json.loads((out / "kpis.json").read_text()), indent=2))
        return 0
    console.print(render_kpis(result.kpis, title=f"{sc.name} live ({args.robots})"))
    console.print(f"{result.sim_s:.0f} s live; outputs in [bold]{escape(str(out))}[/]")
    return 0


def _rl(args: argparse.Namespace) -> int:
    from logitwin.rl.cli import run

    return run(args)


def _vrp(args: argparse.Namespace) -> int:
    from logitwin.tms.cli import run

    return run(args)


def _robot_sim(args: argparse.Namespace) -> int:
    import signal
    import subprocess
    import sys

    from logitwin.robots.registry import robot_sim_main
    from logitwin.scenarios.build import scenario_fleet
    from logitwin.scenarios.loader import load_scenario

    rest = [a for a in args.rest if a != "--"]
    n = scenario_fleet(load_scenario(args.scenario), robots=args.robots).n
    base = ["--scenario", args.scenario, "--robots", str(n), *rest]
    k = max(1, min(args.processes, n))
    if k == 1 or args.backend == "pybullet":  # one world: contacts need every robot in it
        return robot_sim_main(args.backend)(base)
    parts = [",".join(str(i) for i in range(j, n, k)) for j in range(k)]
    cmd = [sys.executable, "-m", "logitwin.cli", "robot-sim", "--backend", args.backend]
    procs = [subprocess.Popen([*cmd, "--", *base, "--only", only]) for only in parts]
    try:
        return max(p.wait() for p in procs)
    except KeyboardInterrupt:
        for p in procs:
            p.send_signal(signal.SIGINT)
        return max(p.wait() for p in procs)


def _runtime_address(spec: str | None) -> str | None:
    """``ray`` → None (a local instance); ``ray:ADDRESS`` → ADDRESS."""
    if spec is None or spec == "ray":
        return None
    kind, _, address = spec.partition(":")
    if kind != "ray" or not address:
        raise LogitwinError(f"--runtime {spec!r}: expected ray or ray:ADDRESS")
    return address


def _sweep(args: argparse.Namespace, console: Console) -> int:
    from rich.table import Table

    from logitwin.experiments.sweep import expand, parse_grid, run_sweep
    from logitwin.scenarios.loader import load_scenario

    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    address = _runtime_address(args.runtime)
    base = load_scenario(args.scenario, overrides)
    grid = parse_grid(args.grid)
    jobs = expand(base.model_dump(mode="json"), grid, args.reps, source=str(args.scenario))
    out = args.out or Path("runs") / f"sweep-{base.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    result = run_sweep(
        jobs,
        out,
        list(grid),
        address=address,
        workers=args.workers,
        progress=not args.no_progress,
        meta={"scenario": base.model_dump(mode="json"), "grid": grid, "reps": args.reps},
    )
    shown = ("orders_per_hour", "made_truck_share", "order_cycle_p95_min", "robot_idle_share")
    table = Table(title=Text(f"{base.name}: {len(jobs)} runs, mean and 95% CI per cell"))
    for col in ("cell", *grid, *shown):
        table.add_column(Text(col))
    cells: dict[int, dict[str, str]] = {}
    for s in result.summary:
        if s["kpi"] in shown:
            cell = cells.setdefault(s["cell"], {p: str(s[p]) for p in grid})
            cell[s["kpi"]] = f"{s['mean']:.3g} ± {(s['ci95_high'] - s['mean']):.2g}"
    for c, vals in cells.items():
        table.add_row(*_plain(str(c), *(vals.get(k, "") for k in (*grid, *shown))))
    console.print(table)
    console.print(
        f"{len(jobs)} runs in {result.wall_s:.1f} s on {result.workers} workers; "
        f"results in [bold]{escape(str(result.out_dir))}[/] (runs.csv, summary.csv, runs/)"
    )
    return 0


def _compare(args: argparse.Namespace, console: Console) -> int:
    import math

    from rich.table import Table

    from logitwin.experiments.compare import HEADLINE, differences, load_arms
    from logitwin.experiments.report_html import write_report

    arms = load_arms(list(args.results))
    diffs = differences(arms)
    labels = {k: label for k, label, _ in HEADLINE}
    better = {k: up for k, _, up in HEADLINE}
    table = Table(
        title=Text(f"against the baseline: 1. {arms[0].label} ({len(arms[0].kpis)} runs)")
    )
    table.add_column("arm", overflow="fold", min_width=12)
    for col in ("KPI", "baseline", "arm value", "difference [95% CI]", "verdict"):
        table.add_column(col)
    for d in diffs:
        if d.significant:
            good = (d.diff > 0) == better[d.kpi]
            verdict = "[green]better[/]" if good else "[red]worse[/]"
        elif math.isfinite(d.ci_low):
            verdict = "not significant"
        else:
            verdict = "too few runs"
        table.add_row(
            Text(d.arm),
            labels[d.kpi],
            f"{d.baseline:.4g}",
            f"{d.value:.4g}",
            f"{d.diff:+.4g} [{d.ci_low:+.3g}, {d.ci_high:+.3g}]",
            verdict,
        )
    console.print(table)
    out = args.html or args.results[0] / "compare.html"
    title = "logitwin comparison: " + ", ".join(str(p) for p in args.results)
    write_report(arms, diffs, out, title)
    console.print(f"report: [bold]{escape(str(out))}[/] (one self-contained HTML file)")
    return 0


def _optimize(args: argparse.Namespace, console: Console) -> int:
    from logitwin.experiments.optimize import minimize, parse_constraint
    from logitwin.scenarios.loader import load_scenario

    constraint = parse_constraint(args.subject_to)
    if args.reps < 1:
        raise LogitwinError(f"--reps must be >= 1, got {args.reps}")
    if args.workers is not None and args.workers < 1:
        raise LogitwinError(f"--workers must be >= 1, got {args.workers}")
    lo, hi = 1, None
    if args.range:
        try:
            a, b = args.range.split(":")
            lo, hi = int(a), int(b)
        except ValueError:
            raise LogitwinError(f"--range {args.range!r}: expected LO:HI, e.g. 20:80") from None
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    address = _runtime_address(args.runtime)
    base = load_scenario(args.scenario, overrides)
    out = args.out or Path("runs") / f"optimize-{base.name}-{time.strftime('%Y%m%d-%H%M%S')}"

    marks = {
        "meets": "[green]meets[/]",
        "misses": "[red]misses[/]",
        "undecided": "[yellow]undecided (counted as missing)[/]",
    }

    def show(e: Any) -> None:
        console.print(
            f"{escape(args.minimize)}={e.value}: {constraint.kpi} {e.mean:.4g} ± {e.ci95:.2g} "
            f"over {e.n} runs: {marks[e.verdict]} {escape(str(constraint))}"
        )

    best, history = minimize(
        base.model_dump(mode="json"),
        args.minimize,
        constraint,
        args.reps,
        out,
        lo,
        hi,
        address,
        args.workers,
        progress=not args.no_progress,
        on_eval=show,
        max_reps=args.max_reps,
    )
    runs = sum(e.runs for e in history)
    undecided = ", ".join(str(e.value) for e in history if not e.decided)
    caveat = f"; undecided at --max-reps, counted as missing: {undecided}" if undecided else ""
    if best is None:
        console.print(
            f"[red]no value up to {history[-1].value} clearly meets {escape(str(constraint))}[/] "
            f"({runs} runs{caveat}; evidence in {escape(str(out))})"
        )
        return 1
    console.print(
        f"smallest {escape(args.minimize)} clearly meeting {escape(str(constraint))}: "
        f"[bold]{best.value}[/] "
        f"({constraint.kpi} {best.mean:.4g} ± {best.ci95:.2g}); {len(history)} values, "
        f"{runs} runs{caveat}; evidence in [bold]{escape(str(out))}[/] "
        "(evaluations.csv, optimize.json, runs)"
    )
    return 0


def _animate(args: argparse.Namespace, console: Console) -> int:
    from logitwin.experiments.animate import render_gif

    out = args.out or (args.run if args.run.is_dir() else args.run.parent) / "floor.gif"
    path, n = render_gif(args.run, out, args.from_min, args.minutes, args.every, args.fps)
    console.print(f"{n} frames ({args.every:g} s each) in [bold]{escape(str(path))}[/]")
    return 0


def _replay(args: argparse.Namespace, console: Console) -> int:
    from logitwin.actors.journal import read_status
    from logitwin.scenarios.report import render_kpis
    from logitwin.scenarios.runner import JOURNAL, check_paths, replay

    path = args.journal / JOURNAL if args.journal.is_dir() else args.journal
    proj = replay(path, partial=args.partial)
    status = read_status(path)
    if not status.complete:  # only with --partial: say so before any figure
        Console(stderr=True).print(f"warning: {status.describe()}", markup=False)
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
        moves, conflicts = check_paths(path, partial=args.partial)
        if conflicts:
            for c in conflicts[:20]:
                console.print(f"[red]conflict:[/] {escape(str(c))}")
            console.print(f"{len(conflicts)} conflicts in {moves} executed moves")
            return 1
        console.print(
            f"paths valid: {moves} executed moves, no two robots in one cell at once, "
            "no jump or obstacle"
        )
    return 0


def _mapf(args: argparse.Namespace, console: Console) -> int:
    from logitwin.mapf.runner import LorrRunner, horizon_for
    from logitwin.mapf.validate import validate_result
    from logitwin.site.io import load_lorr_problem

    if args.mapf_command == "validate":
        problem = load_lorr_problem(args.problem)
        try:
            result = json.loads(args.result.read_text())
        except (OSError, ValueError) as exc:
            raise LogitwinError(f"{args.result}: cannot read a result JSON: {exc}") from None
        if not isinstance(result, dict):
            raise LogitwinError(f"{args.result}: a result is a JSON object")
        if problem.version == 2026:
            from logitwin.mapf.validate2026 import validate_2026

            report26 = validate_2026(result, problem)
            print(json.dumps(report26.to_dict(), indent=2))
            return 0 if report26.ok else 1
        report = validate_result(result, problem)
        print(json.dumps(report.to_dict(), indent=2))
        return 0 if report.ok else 1
    _check_output_file(args.out)
    problem = load_lorr_problem(args.problem)
    if problem.version == 2026:
        return _mapf_2026(args, problem, console)
    steps = args.steps if args.steps is not None else horizon_for(problem)
    if steps is None:
        raise LogitwinError(
            f"{args.problem}: no horizon for {problem.name} in a simulation_time.json beside "
            "it; pass --steps"
        )
    if steps < 0 or args.step_budget_ms <= 0:
        raise LogitwinError("--steps must be >= 0 and --step-budget-ms > 0")
    if args.refine_ms is not None and args.refine_ms < 0:
        raise LogitwinError(f"--refine-ms must be >= 0, got {args.refine_ms}")
    try:
        runner = LorrRunner(
            problem,
            step_budget_s=args.step_budget_ms / 1000.0,
            seed=args.seed,
            refine_s=None if args.refine_ms is None else args.refine_ms / 1000.0,
            planner=args.planner,
        )
    except ValueError as exc:
        raise LogitwinError(f"{args.problem}: {exc}") from None
    t0 = time.perf_counter()
    result = runner.run(steps)
    wall = time.perf_counter() - t0
    _save_result(json.dumps(result), args.out)
    times = result["plannerTimes"] or [0.0]
    console.print(
        f"{problem.name}: {problem.team_size} robots, {steps} steps, {runner.planner}: "
        f"{result['numTaskFinished']} tasks finished; planning mean "
        f"{1000 * sum(times) / len(times):.1f} ms, max {1000 * max(times):.1f} ms per step; "
        f"{runner.overruns} overruns, {len(result['errors'])} invalid steps; "
        f"{wall:.1f} s wall; result in {args.out}",
        markup=False,
    )
    return 0


def _mapf_2026(args: argparse.Namespace, problem: Any, console: Console) -> int:
    """Run a 2026 problem under its rules with our planner and executor."""
    from logitwin.mapf.planner2026 import PibtPlanner2026, Planner2026Params
    from logitwin.mapf.rules2026 import Timing, run_2026
    from logitwin.mapf.runner import horizon_for

    ticks = args.steps if args.steps is not None else horizon_for(problem) or 5000
    if ticks < 0:
        raise LogitwinError(f"--steps must be >= 0, got {ticks}")
    try:
        timing = Timing(
            tick_ms=args.tick_ms,
            plan_interval_ms=args.plan_ms,
            initial_plan_ms=args.initial_plan_ms,
            executor_plan_ms=args.executor_ms,
            preprocess_ms=args.preprocess_ms,
        )
    except ValueError as exc:
        raise LogitwinError(f"timing: {exc}") from None
    planner = PibtPlanner2026(problem, timing.interval_ticks, Planner2026Params(seed=args.seed))
    stuck = [i for i, s in enumerate(planner.stuck) if s]
    if stuck:
        shown = ", ".join(map(str, stuck[:10])) + (", ..." if len(stuck) > 10 else "")
        console.print(
            f"warning: {len(stuck)} robots ({shown}) do not fit where they start or overlap "
            f"another there (agentSize {problem.agent_size:g}): they never move, and their "
            "squares collide from tick 0 whatever the plan, so the result cannot validate",
            markup=False,
        )
    res = run_2026(problem, planner, ticks, timing)
    out = res.output
    _save_result(json.dumps(out), args.out)
    times = out["plannerTimes"] or [0.0]
    console.print(
        f"{problem.name}: {problem.team_size} robots, {ticks} ticks (2026 rules, "
        f"{problem.agent_counter} ticks an action): {out['numTaskFinished']} tasks finished; "
        f"{len(times)} plans, mean {1000 * sum(times) / len(times):.1f} ms, max "
        f"{1000 * max(times):.1f} ms; {out['numEntryTimeouts']} planner and "
        f"{out['numExecutorTimeouts']} executor timeouts, {out['numPlannerErrors']} refused "
        f"actions, {out['numScheduleErrors']} schedule errors; {res.wall_s:.1f} s wall; "
        f"result in {args.out}",
        markup=False,
    )
    return 0


def _check_output_file(path: Path) -> None:
    """Refuse an output file that cannot be written, before any work is done."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise LogitwinError(f"--out {path}: is a folder; name a file, e.g. {path / 'result.json'}")
    if not parent.is_dir():
        raise LogitwinError(f"--out {path}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise LogitwinError(f"--out {path}: cannot write there (permission denied)")


def _save_result(text: str, path: Path) -> None:
    """Write a finished result; if that fails after all, keep it in a temporary file."""
    try:
        path.write_text(text)
    except OSError as exc:
        import tempfile

        fd, spare = tempfile.mkstemp(prefix="logitwin-result-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        raise LogitwinError(
            f"--out {path}: cannot write the result ({exc.strerror or exc}); it is saved in {spare}"
        ) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
