"""Run a scenario end to end: build the twin, run it, journal it, project KPIs, write outputs."""

from __future__ import annotations

import csv
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from logitwin import __version__
from logitwin.actors.journal import Journal, JournalReader, read_status
from logitwin.actors.runtime import Runtime
from logitwin.control.move_validator import MoveConflict, find_move_conflicts
from logitwin.errors import JournalError, LogitwinError
from logitwin.robots.model import step_duration
from logitwin.scenarios.build import Twin, build_site, build_twin
from logitwin.scenarios.kpis import Projection, project
from logitwin.scenarios.loader import parse_scenario
from logitwin.scenarios.schema import Scenario

__all__ = [
    "IncompleteJournal",
    "RunResult",
    "check_paths",
    "replay",
    "resume_run",
    "run_scenario",
]

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
    """Write ``timeseries.csv`` and then ``kpis.json`` into ``out_dir``, each by an atomic
    rename: a ``kpis.json`` means both are whole."""
    tmp = out_dir / "timeseries.csv.partial"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(proj.series_columns)
        w.writerows(proj.series)
    tmp.replace(out_dir / "timeseries.csv")
    tmp = out_dir / "kpis.json.partial"
    tmp.write_text(json.dumps(_jsonable(proj.kpis), indent=2) + "\n")
    tmp.replace(out_dir / "kpis.json")


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path,
    progress: bool = False,
    chunks: int = 200,
    runtime: str = "local",
    placement: str = "sharded:4",
    commit_rows: int = 20_000,
    commit_s: float = 2.0,
) -> RunResult:
    """Run ``scenario`` and write its outputs to ``out_dir`` (created; must not hold a run).

    Outputs: ``scenario.yaml`` (resolved), ``journal.sqlite``, ``kpis.json`` and
    ``timeseries.csv`` (one row per simulated minute). The journal is committed every
    ``commit_rows`` rows and at least every ``commit_s`` seconds of wall time; a run killed
    at any moment continues with :func:`resume_run`.

    Args:
        scenario: the validated scenario.
        out_dir: output folder.
        progress: show a progress bar.
        chunks: clock advances of the progress bar.
        runtime: ``local`` (one process), ``ray`` (the running Ray instance, or a local
            one started for the run) or ``ray:ADDRESS`` (join that cluster).
        placement: with Ray, ``sharded:N`` or ``per_entity``.
        commit_rows: journal rows per commit.
        commit_s: longest wall time (s) between journal commits.

    Raises:
        LogitwinError: ``out_dir`` is a file, cannot be created or already holds a run;
            the runtime or placement is invalid; the scenario cannot be built.
    """
    make = _runtime_factory(runtime, placement)
    out = Path(out_dir)
    created = _prepare_out(out)  # the folders made for it, outermost first
    resolved = scenario.model_dump(mode="json")
    horizon_s = scenario.horizon_h * 3600.0
    journal = Journal(out / JOURNAL, batch=commit_rows, commit_s=commit_s)
    # The metadata goes first: a run killed at any later moment can be resumed from it.
    journal.set_meta(
        scenario=json.dumps(resolved, sort_keys=True),
        seed=str(scenario.seed),
        horizon_s=repr(horizon_s),
        step_s=repr(step_duration(scenario.floor.cell_m, scenario.floor.speed_mps)),
        cell_m=repr(scenario.floor.cell_m),
        runtime=runtime,
        placement=placement,
        logitwin=__version__,
    )
    t0 = time.perf_counter()
    try:
        twin = build_twin(scenario, journal, make)
    except BaseException:
        # A scenario the build refuses (a bad order file, a disruption naming a missing
        # station, a fleet too large) leaves nothing behind.
        journal.close()
        for f in out.glob(JOURNAL + "*"):
            f.unlink()
        for d in reversed(created):
            d.rmdir()
        raise
    (out / "scenario.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    return _finish(twin, journal, out, t0, progress, chunks)


def resume_run(
    out_dir: str | Path,
    progress: bool = False,
    chunks: int = 200,
    commit_rows: int = 20_000,
    commit_s: float = 2.0,
) -> RunResult:
    """Finish a run that was killed or failed, from its folder.

    The twin is deterministic, so the run is re-executed from its journal's scenario and
    seed on the runtime it ran on: the rows the journal holds are checked against the
    re-execution (not written again) and the rest are appended. The finished journal is
    identical, row for row, to the one an uninterrupted run writes.

    Raises:
        LogitwinError: the folder holds no journal, its run is complete, or the
            re-execution does not match the journal (the code changed meanwhile).
    """
    out = Path(out_dir)
    path = out / JOURNAL if out.is_dir() else out
    if path.name != JOURNAL or not path.is_file():
        raise JournalError(f"{out_dir}: no {JOURNAL} here; --resume takes a run's folder")
    out = path.parent
    with JournalReader(path) as j:
        meta = j.meta()
        status = j.status()
    if meta.get("mode") == "live":
        raise JournalError(
            f"{path}: a live run cannot be re-executed (its robots were real); "
            "replay --partial reports what it did"
        )
    if status.complete and "scenario" in meta:
        if (out / "kpis.json").is_file():
            raise JournalError(f"{path}: the run is complete; there is nothing to resume")
        # Killed after its last row but before its outputs: they come from the journal.
        t0 = time.perf_counter()
        scenario = parse_scenario(json.loads(meta["scenario"]), f"{path} (its scenario)")
        proj = replay(path)
        write_outputs(proj, out)
        wall = time.perf_counter() - t0
        twin = build_twin(scenario, None)
        return RunResult(proj.kpis, out, wall, twin.horizon_s, 0, status.rows, twin)
    if "scenario" not in meta:
        raise JournalError(
            f"{path}: the run was stopped before it wrote its metadata; start it again "
            "(with the same --out: nothing of it is kept)"
        )
    scenario = parse_scenario(json.loads(meta["scenario"]), f"{path} (its scenario)")
    make = _runtime_factory(meta.get("runtime", "local"), meta.get("placement", "sharded:4"))
    journal = Journal.resume(path, batch=commit_rows, commit_s=commit_s)
    t0 = time.perf_counter()
    try:
        twin = build_twin(scenario, journal, make)
    except BaseException:
        journal.close()
        raise
    if not (out / "scenario.yaml").exists():
        resolved = scenario.model_dump(mode="json")
        (out / "scenario.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    return _finish(twin, journal, out, t0, progress, chunks)


def _finish(
    twin: Twin, journal: Journal, out: Path, t0: float, progress: bool, chunks: int
) -> RunResult:
    """Advance a built twin to its horizon, seal its journal and write the outputs.

    On any error the journal keeps every row so far and the error, and stays readable
    (``replay --partial``) and resumable.
    """
    try:
        try:
            _advance(twin, progress, chunks)
        finally:
            twin.system.close()
    except Exception as exc:
        journal.mark_failed(f"{type(exc).__name__}: {exc}")
        journal.close()
        raise
    except BaseException:  # Ctrl-C: keep what was done, to resume later
        journal.close()
        raise
    journal.mark_complete(twin.horizon_s)
    wall = time.perf_counter() - t0
    proj = project(journal.rows(), twin.horizon_s, twin.scenario.floor.cell_m)
    rows = journal.rows_written
    journal.close()
    write_outputs(proj, out)
    return RunResult(proj.kpis, out, wall, twin.horizon_s, twin.system.delivered, rows, twin)


def _prepare_out(out: Path) -> list[Path]:
    """Make sure ``out`` is a folder that holds no run yet; return the folders made for
    it (outermost first), to remove again if the run cannot start."""
    if out.exists() and not out.is_dir():
        raise LogitwinError(f"--out {out}: is a file, not a folder; name a new folder")
    path = out / JOURNAL
    if path.exists() and _never_started(path):
        # Killed between creating its journal and writing the run's metadata: nothing
        # in it can be resumed, so it is started again.
        for f in out.glob(JOURNAL + "*"):
            f.unlink()
    if path.exists():
        try:
            done = read_status(path).complete
        except JournalError:  # not a journal of ours: not ours to resume either
            done = True
        hint = "" if done else f", or finish it with `logitwin run --resume {out}`"
        raise JournalError(f"{out} already holds a run; choose another --out folder{hint}")
    created = [p for p in (out, *out.parents) if not p.exists()][::-1]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LogitwinError(
            f"--out {out}: cannot create the folder: {exc.strerror or exc}"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise LogitwinError(f"--out {out}: the folder is not writable")
    return created


def _never_started(path: Path) -> bool:
    """An empty file, or a logitwin journal with no metadata and no rows."""
    if path.stat().st_size == 0:
        return True
    try:
        with JournalReader(path) as j:
            return not j.meta() and j.status().rows == 0
    except JournalError:
        return _empty_database(path)


def _empty_database(path: Path) -> bool:
    """A SQLite file holding at most the journal's tables, all empty (a journal whose
    creation was cut short by journals before the schema was one transaction)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            if not set(names) <= {"meta", "inputs", "events"}:
                return False
            return all(db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] == 0 for n in names)
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return False


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
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("sim {task.fields[clock]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(escape(twin.scenario.name), total=horizon, clock="00:00")
        for k in range(1, chunks + 1):
            t = horizon * k / chunks
            twin.system.run(until=t)
            bar.update(task, completed=t, clock=f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}")


def check_paths(journal_path: str | Path, partial: bool = False) -> tuple[int, list[MoveConflict]]:
    """Validate every robot move a journal records as executed against its scenario's floor.

    Returns:
        The number of moves checked and the conflicts found (empty when the paths are
        valid), found by an independent validator, not the planner or the executor.
    """
    proj = replay(journal_path, keep_paths=True, partial=partial)
    with JournalReader(journal_path) as j:
        scenario = parse_scenario(json.loads(j.meta()["scenario"]), str(journal_path))
    grid = build_site(scenario).grid
    moves = proj.moves or []
    return len(moves), find_move_conflicts(grid, proj.starts, moves)


def replay(journal_path: str | Path, keep_paths: bool = False, partial: bool = False) -> Projection:
    """Rebuild final states and KPIs of a run from its journal alone.

    Args:
        journal_path: the run's ``journal.sqlite``.
        keep_paths: also list every executed robot move (``Projection.moves``).
        partial: accept the journal of a run that did not finish; its KPIs then cover
            the time it reached, not the horizon.

    Raises:
        JournalError: not a journal, no run metadata, or (without ``partial``) a run that
            did not finish, with how far it got.
    """
    with JournalReader(journal_path) as j:
        meta = j.meta()
        try:
            horizon_s = float(meta["horizon_s"])
            cell_m = float(meta["cell_m"])
        except (KeyError, ValueError):
            raise JournalError(f"{journal_path}: journal has no run metadata") from None
        status = j.status()
        if not status.complete:
            if not partial:
                raise IncompleteJournal(
                    f"{journal_path}: {status.describe()}. Finish it with "
                    f"`logitwin run --resume {Path(journal_path).parent}`, or pass --partial "
                    "for the KPIs of what it holds"
                )
            horizon_s = min(horizon_s, status.reached_s)
        return project(j.rows(), horizon_s, cell_m, keep_paths=keep_paths)


class IncompleteJournal(JournalError):
    """The journal is of a run that did not finish (killed, or stopped by an error)."""
