"""Sweeps: grid parsing, expansion with common random numbers, CIs, and Ray execution that
survives a worker killed mid-run."""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from logitwin.errors import ScenarioError
from logitwin.experiments.sweep import (
    expand,
    parse_grid,
    run_job,
    run_sweep,
    summarise,
    t_quantile_975,
)
from logitwin.scenarios.loader import load_scenario


def test_parse_grid_values_are_yaml_scalars() -> None:
    grid = parse_grid(["fleet.robots=3,4", "stations.line_s=5.5,6"])
    assert grid == {"fleet.robots": [3, 4], "stations.line_s": [5.5, 6]}


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ("fleet.robots", "expected path.to.field=v1,v2"),
        ("=3,4", "empty field path"),
        ("fleet..robots=3", "empty field path"),
        ("fleet.robots=3,,4", "empty value"),
        ("fleet.robots=3,3", "listed twice"),
    ],
)
def test_parse_grid_errors_name_the_item(item: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle):
        parse_grid([item])


def test_parse_grid_rejects_a_path_given_twice() -> None:
    with pytest.raises(ScenarioError, match="already on the grid"):
        parse_grid(["fleet.robots=3", "fleet.robots=4"])


def test_expand_uses_common_random_numbers_across_cells() -> None:
    base = load_scenario("tiny").model_dump(mode="json")
    jobs = expand(base, parse_grid(["fleet.robots=3,4"]), reps=3)
    assert [(j.cell, j.rep) for j in jobs] == [(c, r) for c in range(2) for r in range(3)]
    seeds = {(j.cell, j.rep): j.seed for j in jobs}
    assert [seeds[(0, r)] for r in range(3)] == [seeds[(1, r)] for r in range(3)] == [7, 8, 9]
    assert jobs[3].scenario["fleet"]["robots"] == 4 and jobs[3].scenario["seed"] == 7


def test_expand_names_the_cell_and_field_of_an_invalid_value() -> None:
    base = load_scenario("tiny").model_dump(mode="json")
    with pytest.raises(ScenarioError, match=r"(?s)cell 1: fleet.robots=-2.*fleet.robots: Input"):
        expand(base, parse_grid(["fleet.robots=3,-2"]), reps=1)
    with pytest.raises(ScenarioError, match="fleet.robotz"):
        expand(base, parse_grid(["fleet.robotz=3"]), reps=1)
    with pytest.raises(ScenarioError, match="--reps"):
        expand(base, {}, reps=0)


def test_summary_mean_and_student_t_interval() -> None:
    rows = [{"cell": 0, "rep": r, "seed": r, "x": 1.0, "k": v} for r, v in enumerate([1, 2, 3, 6])]
    (k,) = [s for s in summarise(rows, ["x"]) if s["kpi"] == "k"]
    sd = math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + 0 + (6 - 3) ** 2) / 3)
    assert k["n"] == 4 and k["mean"] == 3 and k["std"] == pytest.approx(sd)
    assert k["ci95_high"] - 3 == pytest.approx(3.182 * sd / 2)
    assert t_quantile_975(1) == 12.706 and t_quantile_975(1000) == 1.96


def test_sweep_on_ray_survives_a_killed_worker(tmp_path: Path) -> None:
    """A worker SIGKILLed mid-run: Ray retries the task, every run lands exactly once."""
    base = load_scenario("tiny", ["horizon_h=2"]).model_dump(mode="json")
    jobs = expand(base, parse_grid(["fleet.robots=3,4"]), reps=3)
    out = tmp_path / "sweep"
    killed: list[tuple[str, int]] = []
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set() and not killed:
            for pid_file in (out / "runs").glob("*.partial/attempt.pid"):
                try:
                    pid = int(pid_file.read_text())
                    os.kill(pid, signal.SIGKILL)
                except (OSError, ValueError):
                    continue
                killed.append((pid_file.parent.name, pid))
                break
            time.sleep(0.005)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    arrived: list[tuple[int, int]] = []
    try:
        result = run_sweep(
            jobs,
            out,
            ["fleet.robots"],
            workers=2,
            progress=False,
            on_result=lambda row: arrived.append((row["cell"], row["rep"])),
        )
    finally:
        stop.set()
        thread.join()
    assert killed, "the killer never saw a run in progress"
    assert sorted(arrived) == [(c, r) for c in range(2) for r in range(3)]  # once each
    with open(out / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["cell"]), int(r["rep"])) for r in rows] == sorted(arrived)
    assert not list((out / "runs").glob("*.partial"))
    assert all((out / "runs" / j.name / "journal.sqlite").is_file() for j in jobs)
    # The retried run equals a clean run of the same job.
    name = killed[0][0].removesuffix(".partial")
    job = next(j for j in jobs if j.name == name)
    clean = run_job(job, str(tmp_path / "clean"))
    retried = next(r for r in result.rows if (r["cell"], r["rep"]) == (job.cell, job.rep))
    assert {k: v for k, v in retried.items() if k != "wall_s"} == {
        k: v for k, v in clean.items() if k != "wall_s"
    }
    assert len(result.summary) == 2 * (len(rows[0]) - 4)  # every KPI of both cells


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logitwin.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--grid", "fleet.robots"], "expected path.to.field"),
        (["--grid", "fleet.robotz=3,4"], "fleet.robotz"),
        (["--reps", "0"], "--reps must be >= 1"),
        (["--runtime", "spark"], "expected ray or ray:ADDRESS"),
        (["--workers", "0"], "--workers must be >= 1"),
    ],
)
def test_cli_sweep_bad_arguments_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    proc = _cli("sweep", "tiny", "--out", str(tmp_path / "s"), "--no-progress", *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
