"""Sweeps: every cell of a parameter grid x every replication, run as Ray tasks.

A sweep takes a scenario, a grid of ``path.to.field`` values and a number of
replications. Replication ``r`` of every cell runs with seed ``scenario.seed + r``
(common random numbers: cells differ only in their parameters, so their differences are
not drowned in seed noise). Every (cell, replication) is one Ray task; a task whose worker
dies is retried by Ray, and the driver keys results by (cell, replication), so each lands
exactly once. Locally (no address) a Ray instance with ``workers`` CPUs is started and
stopped; with an address the sweep runs on that cluster, whose workers must see ``out``
(shared storage) if the runs' journals are wanted.

Output folder::

    sweep.json            the scenario, grid, replications and seeds
    runs.csv              one row per run: cell, rep, seed, parameters, scalar KPIs, wall_s
    summary.csv           per cell and KPI: n, mean, std, 95% CI (Student t)
    runs/c003-r07/        each run's outputs (scenario.yaml, journal.sqlite, kpis.json, ...)
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from logitwin.errors import ScenarioError
from logitwin.scenarios.loader import apply_overrides, parse_scenario

__all__ = [
    "Job",
    "SweepResult",
    "expand",
    "mean_ci",
    "parse_grid",
    "run_job",
    "run_sweep",
    "summarise",
    "t_quantile_975",
]

# Two-sided 95% Student t quantiles for 1..30 degrees of freedom; the normal 1.96 beyond.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    if df <= 60:
        return 2.000 + (2.042 - 2.000) * (60 - df) / 30  # t(40)=2.021, t(60)=2.000
    if df <= 120:
        return 1.980 + (2.000 - 1.980) * (120 - df) / 60
    return 1.960


@dataclass(frozen=True)
class Job:
    """One run of a sweep: a cell of the grid and a replication."""

    cell: int
    rep: int
    seed: int
    params: tuple[tuple[str, Any], ...]  # (path, value) of this cell
    scenario: dict[str, Any] = field(hash=False, compare=False)  # resolved plain data

    @property
    def name(self) -> str:
        """The run's folder name under ``runs/``."""
        return f"c{self.cell:03d}-r{self.rep:02d}"


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["fleet.robots=30,40", "stations.count=4,6"]`` → ``{path: [values]}``.

    Values are comma-separated and parsed as YAML scalars (``30`` is an int, ``0.5`` a
    float, ``true`` a bool); errors name the offending item.
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(f"--grid {item!r}: expected path.to.field=v1,v2,...")
        path, raw = item.split("=", 1)
        path = path.strip()
        if not path or any(not part for part in path.split(".")):
            raise ScenarioError(f"--grid {item!r}: empty field path")
        if path in grid:
            raise ScenarioError(f"--grid {item!r}: {path} is already on the grid")
        values = []
        for text in raw.split(","):
            if not text.strip():
                raise ScenarioError(f"--grid {item!r}: empty value in the list")
            try:
                values.append(yaml.safe_load(text))
            except yaml.YAMLError:
                raise ScenarioError(f"--grid {item!r}: {text!r} is not a valid value") from None
        if len(set(map(repr, values))) != len(values):
            raise ScenarioError(f"--grid {item!r}: a value is listed twice")
        grid[path] = values
    return grid


def expand(
    base: dict[str, Any], grid: dict[str, list[Any]], reps: int, source: str = "scenario"
) -> list[Job]:
    """Every (cell, replication) of the sweep, cells in grid order, validated up front.

    Raises:
        ScenarioError: ``reps`` < 1, or a cell's parameters make an invalid scenario (the
            message names the cell and the field).
    """
    if reps < 1:
        raise ScenarioError(f"--reps must be >= 1, got {reps}")
    paths = list(grid)
    cells = list(itertools.product(*(grid[p] for p in paths))) if paths else [()]
    jobs: list[Job] = []
    for ci, values in enumerate(cells):
        params = tuple(zip(paths, values, strict=True))
        label = ", ".join(f"{p}={v}" for p, v in params) or "base"
        overrides = [f"{p}={json.dumps(v)}" for p, v in params]
        data = apply_overrides(base, overrides)
        scenario = parse_scenario(data, f"{source} [cell {ci}: {label}]")
        seed0 = scenario.seed
        for r in range(reps):
            resolved = scenario.model_copy(update={"seed": seed0 + r}).model_dump(mode="json")
            jobs.append(Job(ci, r, seed0 + r, params, resolved))
    return jobs


def _scalars(kpis: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in kpis.items():
        if isinstance(v, dict):
            out.update(_scalars(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)):  # bools too
            out[prefix + k] = float(v)
        elif v is None:
            out[prefix + k] = math.nan
    return out


def run_job(job: Job, runs_dir: str) -> dict[str, Any]:
    """Run one job into ``runs_dir/<job.name>`` and return its row for ``runs.csv``.

    A folder left by an attempt that died is removed first, and the run is written to a
    ``.partial`` folder renamed into place at the end: a retried job leaves one run.
    """
    from logitwin.scenarios.runner import run_scenario

    final = Path(runs_dir) / job.name
    partial = Path(runs_dir) / f"{job.name}.partial"
    for leftover in (final, partial):
        if leftover.exists():
            shutil.rmtree(leftover)
    partial.mkdir(parents=True)
    (partial / "attempt.pid").write_text(str(os.getpid()))
    t0 = time.perf_counter()
    result = run_scenario(parse_scenario(job.scenario, job.name), partial)
    wall = time.perf_counter() - t0
    (partial / "attempt.pid").unlink()
    os.replace(partial, final)
    row: dict[str, Any] = {"cell": job.cell, "rep": job.rep, "seed": job.seed}
    row.update({p: v for p, v in job.params})
    row.update(_scalars(result.kpis))
    row["wall_s"] = round(wall, 3)
    return row


@dataclass
class SweepResult:
    """Rows of every run (sorted by cell, rep) and where the sweep's outputs are."""

    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    out_dir: Path
    wall_s: float
    workers: int


def mean_ci(xs: Sequence[float]) -> tuple[float, float, float]:
    """Mean, sample standard deviation and the half-width of the Student-t 95% interval
    (NaN where there are too few values: none for the mean, one for the rest)."""
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = math.fsum(xs) / n
    if n < 2:
        return mean, math.nan, math.nan
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    return mean, std, t_quantile_975(n - 1) * std / math.sqrt(n)


def summarise(rows: list[dict[str, Any]], params: Sequence[str]) -> list[dict[str, Any]]:
    """Per cell and scalar KPI: n, mean, sample std and the 95% CI (Student t)."""
    skip = {"cell", "rep", "seed", *params}
    by_cell: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_cell.setdefault(int(row["cell"]), []).append(row)
    out = []
    for cell in sorted(by_cell):
        group = by_cell[cell]
        kpis = [k for k in group[0] if k not in skip]
        for k in kpis:
            xs = [float(r[k]) for r in group if r.get(k) is not None and not math.isnan(r[k])]
            n = len(xs)
            mean, std, half = mean_ci(xs)
            entry: dict[str, Any] = {"cell": cell}
            entry.update({p: group[0][p] for p in params})
            entry.update(
                kpi=k, n=n, mean=mean, std=std, ci95_low=mean - half, ci95_high=mean + half
            )
            out.append(entry)
    return out


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def run_sweep(
    jobs: list[Job],
    out_dir: str | Path,
    params: Sequence[str],
    address: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    meta: dict[str, Any] | None = None,
) -> SweepResult:
    """Run ``jobs`` as Ray tasks and write ``runs.csv``, ``summary.csv`` and ``sweep.json``.

    Args:
        jobs: from :func:`expand`.
        out_dir: the sweep's folder (created; must not hold a sweep already).
        params: the grid's field paths (columns that identify a cell).
        address: a Ray cluster to join (``"auto"``, ``"ray://host:10001"``, ``host:port``);
            ``None`` starts a local instance with ``workers`` CPUs.
        workers: CPUs of the local instance (default: all of this machine's).
        progress: show a progress bar while results stream in.
        on_result: called with each row as it arrives (for tests and live views).
        meta: extra fields for ``sweep.json``.
    """
    import ray

    from logitwin.actors.ray_runtime import connect_ray

    out = Path(out_dir).resolve()
    if (out / "runs.csv").exists():
        raise ScenarioError(f"{out} already holds a sweep; choose another --out folder")
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers must be >= 1, got {workers}")
    # Join (or start) Ray first: a cluster that cannot be reached leaves nothing written.
    started_here = connect_ray(address, workers)
    try:
        runs_dir = out / "runs"
        runs_dir.mkdir(parents=True, exist_ok=True)
        (out / "sweep.json").write_text(
            json.dumps(
                {
                    **(meta or {}),
                    "params": list(params),
                    "runs": [
                        {"name": j.name, "cell": j.cell, "rep": j.rep, "seed": j.seed} for j in jobs
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        t0 = time.perf_counter()
        n_workers = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        task = ray.remote(num_cpus=1, max_retries=3)(run_job)
        pending = {task.remote(j, str(runs_dir)): j for j in jobs}
        results: dict[tuple[int, int], dict[str, Any]] = {}
        bar = _Bar(len(jobs), progress)
        with bar:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    job = pending.pop(ref)
                    row = ray.get(ref)
                    results[(job.cell, job.rep)] = row
                    bar.advance()
                    if on_result is not None:
                        on_result(row)
    finally:
        if started_here:
            ray.shutdown()
    wall = time.perf_counter() - t0
    rows = [results[k] for k in sorted(results)]
    summary = summarise(rows, params)
    _write_csv(out / "runs.csv", rows)
    _write_csv(out / "summary.csv", summary)
    return SweepResult(rows, summary, out, wall, n_workers)


class _Bar:
    """A rich progress bar over the sweep's runs (silent when not wanted)."""

    def __init__(self, total: int, show: bool) -> None:
        self.total = total
        self.show = show
        self._progress: Any = None

    def __enter__(self) -> _Bar:
        if self.show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._progress = Progress(
                "[bold]sweep", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("runs", total=self.total)
        return self

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
