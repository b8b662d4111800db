"""Run a scenario end to end: build the twin, run it, journal it, project KPIs, write outputs."""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from logitwin import __version__
from logitwin.actors.journal import Journal, JournalReader
from logitwin.actors.runtime import Runtime
from logitwin.control.validator import Conflict, find_conflicts
from logitwin.errors import JournalError, LogitwinError
from logitwin.scenarios.build import Twin, build_site, build_twin
from logitwin.scenarios.kpis import Projection, project
from logitwin.scenarios.loader import parse_scenario
from logitwin.scenarios.schema import Scenario

__all__ = ["RunResult", "check_paths", "replay", "run_scenario"]

JOURNAL = "journal.sqlite"


@dataclass
class RunResult:
    """Outcome of one run: KPIs, where the outputs are, and how long it took."""

    kpis: dict[str, Any]
    out_dir: Path
    wall_s: float
    sim_s: float
    messages: int
    journal_rows: int
    twin: Twin


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def write_outputs(proj: Projection, out_dir: Path) -> None:
    """Write ``kpis.json`` and ``timeseries.csv`` into ``out_dir``."""
    (out_dir / "kpis.json").write_text(json.dumps(_jsonable(proj.kpis), indent=2) + "\n")
    with open(out_dir / "timeseries.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(proj.series_columns)
        w.writerows(proj.series)


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path,
    progress: bool = False,
    chunks: int = 200,
    runtime: str = "local",
    placement: str = "sharded:4",
) -> RunResult:
    """Run ``scenario`` and write its outputs to ``out_dir`` (created; must not hold a run).

    Outputs: ``scenario.yaml`` (resolved), ``journal.sqlite``, ``kpis.json`` and
    ``timeseries.csv`` (one row per simulated minute).

    Args:
        scenario: the validated scenario.
        out_dir: output folder.
        progress: show a progress bar.
        chunks: clock advances of the progress bar.
        runtime: ``local`` (one process), ``ray`` (the running Ray instance, or a local
            one started for the run) or ``ray:ADDRESS`` (join that cluster).
        placement: with Ray, ``sharded:N`` or ``per_entity``.
    """
    make = _runtime_factory(runtime, placement)
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    if (out / JOURNAL).exists():
        raise JournalError(f"{out} already holds a run; choose another --out folder")
    resolved = scenario.model_dump(mode="json")
    journal = Journal(out / JOURNAL)
    t0 = time.perf_counter()
    try:
        twin = build_twin(scenario, journal, make)
    except BaseException:
        # A scenario the build refuses (a bad order file, a disruption naming a missing
        # station, a fleet too large) leaves nothing behind.
        journal.close()
        for f in out.glob(JOURNAL + "*"):
            f.unlink()
        if created:
            out.rmdir()
        raise
    (out / "scenario.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    journal.set_meta(
        scenario=json.dumps(resolved, sort_keys=True),
        seed=str(scenario.seed),
        horizon_s=repr(twin.horizon_s),
        step_s=repr(twin.step_s),
        cell_m=repr(scenario.floor.cell_m),
        logitwin=__version__,
    )
    try:
        _advance(twin, progress, chunks)
    finally:
        stop = getattr(twin.system, "shutdown", None)
        if stop is not None:
            stop()
    journal.flush()
    wall = time.perf_counter() - t0
    proj = project(journal.rows(), twin.horizon_s, scenario.floor.cell_m)
    rows = journal.rows_written
    journal.close()
    write_outputs(proj, out)
    return RunResult(proj.kpis, out, wall, twin.horizon_s, twin.system.delivered, rows, twin)


def _runtime_factory(
    runtime: str, placement: str
) -> Callable[[int, float, Journal | None], Runtime] | None:
    if runtime == "local":
        return None
    kind, _, address = runtime.partition(":")
    if kind != "ray" or (runtime.startswith("ray:") and not address):
        raise LogitwinError(f"runtime {runtime!r}: expected local, ray or ray:ADDRESS")
    from logitwin.actors.ray_runtime import Placement, RaySystem

    where = Placement.parse(placement)  # bad placements fail before anything starts

    def make(seed: int, lookahead: float, journal: Journal | None) -> Runtime:
        return RaySystem(seed, lookahead, journal, where, address or None)

    return make


def _advance(twin: Twin, progress: bool, chunks: int) -> None:
    horizon = twin.horizon_s
    if not progress:
        twin.system.run(until=horizon)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("sim {task.fields[clock]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(twin.scenario.name, total=horizon, clock="00:00")
        for k in range(1, chunks + 1):
            t = horizon * k / chunks
            twin.system.run(until=t)
            bar.update(task, completed=t, clock=f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}")


def check_paths(journal_path: str | Path) -> tuple[int, list[Conflict]]:
    """Validate every robot step recorded in a journal against its scenario's floor.

    Returns:
        The number of steps checked and the conflicts found (empty when the paths are
        valid), found by the independent validator, not the planner.
    """
    proj = replay(journal_path, keep_paths=True)
    with JournalReader(journal_path) as j:
        scenario = parse_scenario(json.loads(j.meta()["scenario"]), str(journal_path))
    grid = build_site(scenario).grid
    paths: Any = proj.paths if proj.paths is not None and proj.paths.size else []
    steps = max(0, len(paths) - 1)
    return steps, find_conflicts(grid, paths)


def replay(journal_path: str | Path, keep_paths: bool = False) -> Projection:
    """Rebuild final states and KPIs of a run from its journal alone."""
    with JournalReader(journal_path) as j:
        meta = j.meta()
        try:
            horizon_s = float(meta["horizon_s"])
            cell_m = float(meta["cell_m"])
        except (KeyError, ValueError):
            raise JournalError(f"{journal_path}: journal has no run metadata") from None
        return project(j.rows(), horizon_s, cell_m, keep_paths=keep_paths)
