"""optimize: the smallest fleet meeting a service target, with the runs as evidence."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from logitwin.errors import ScenarioError
from logitwin.experiments.optimize import Constraint, parse_constraint


def test_constraints_parse_with_aliases() -> None:
    assert parse_constraint("on_time >= 0.99") == Constraint("made_truck_share", ">=", 0.99)
    assert parse_constraint(" cycle_p95<=30 ") == Constraint("order_cycle_p95_min", "<=", 30.0)
    assert parse_constraint("station_utilisation > 0.5").holds(0.6)
    assert not parse_constraint("on_time >= 0.99").holds(float("nan"))


@pytest.mark.parametrize(
    ("text", "needle"), [("on_time", "expected KPI OP VALUE"), ("ontime >= 1", "unknown KPI")]
)
def test_bad_constraints_are_explained(text: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle):
        parse_constraint(text)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logitwin.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_optimize_finds_the_smallest_fleet_and_keeps_the_evidence(tmp_path: Path) -> None:
    out = tmp_path / "opt"
    p = _cli("optimize", "tiny", "--minimize", "fleet.robots", "--subject-to",
             "cycle_p95 <= 3", "--reps", "3", "--workers", "2", "--no-progress",
             "--out", str(out))  # fmt: skip
    assert p.returncode == 0, p.stderr
    result = json.loads((out / "optimize.json").read_text())
    evals = {e["value"]: e for e in result["evaluations"]}
    best = result["best"]
    # The answer meets the target and the value below it was tried and missed.
    assert evals[best]["feasible"] and evals[best]["mean"] <= 3
    assert best - 1 in evals and not evals[best - 1]["feasible"]
    with open(out / "evaluations.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(evals)
    for row in rows:  # every evaluation is a sweep folder of its runs
        assert (out / row["folder"] / "runs.csv").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--minimize", "fleet.robotz", "--subject-to", "on_time >= 0.9"], "no such field"),
        (["--minimize", "stations.line_s", "--subject-to", "on_time >= 0.9"], "integer field"),
        (["--minimize", "fleet.robots", "--subject-to", "on_time 0.9"], "expected KPI OP"),
        (["--minimize", "fleet.robots", "--subject-to", "on_time >= 1", "--range", "9"], "LO:HI"),
        (["--minimize", "fleet.robots", "--subject-to", "on_time >= 1", "--reps", "0"], "--reps"),
    ],
)
def test_optimize_bad_arguments_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    p = _cli("optimize", "tiny", "--out", str(tmp_path / "o"), "--no-progress", *args)
    assert p.returncode == 2, p.stdout + p.stderr
    assert needle in p.stderr
