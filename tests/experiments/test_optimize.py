"""optimize: the smallest fleet meeting a service target, with the runs as evidence."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from logitwin.errors import ScenarioError
from logitwin.experiments.optimize import (
    Constraint,
    Verdict,
    minimize,
    parse_constraint,
    replicate,
    search,
)
from logitwin.scenarios.loader import load_scenario


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


def test_the_interval_decides_not_the_mean() -> None:
    c = parse_constraint("cycle_p95 <= 2.6")
    # The 5 robots: mean 2.42, interval +-0.66 over 2 runs, straddling 2.6.
    assert c.judge(2.42, 0.66) is Verdict.UNDECIDED
    assert c.judge(2.42, 0.1) is Verdict.MEETS
    assert c.judge(2.8, 0.1) is Verdict.MISSES
    assert c.judge(2.42, float("nan")) is Verdict.UNDECIDED  # one run: no interval yet
    assert c.judge(float("nan"), float("nan")) is Verdict.MISSES  # the KPI never defined
    on_time = parse_constraint("on_time >= 0.95")
    assert on_time.judge(0.97, 0.01) is Verdict.MEETS
    assert on_time.judge(0.97, 0.03) is Verdict.UNDECIDED
    assert on_time.judge(0.93, 0.01) is Verdict.MISSES
    assert on_time.judge(0.95, 0.0) is Verdict.MEETS  # every run exactly on target
    assert parse_constraint("on_time > 0.95").judge(0.95, 0.0) is Verdict.MISSES


def _batches(kpi: dict[int, list[float]], calls: list[tuple[int, int, int]]):
    """Batch runner over fixed KPI values per value and replication."""

    def batch(value: int, first: int, count: int) -> tuple[list[float], Path]:
        calls.append((value, first, count))
        return kpi[value][first : first + count], Path(f"v{value}-r{first}")

    return batch


def test_replications_are_added_until_the_interval_clears_the_target() -> None:
    c = parse_constraint("cycle_p95 <= 2.6")
    calls: list[tuple[int, int, int]] = []
    # Two runs straddle 2.6 (mean 2.42 +- 0.66); four agree closely enough to decide.
    kpi = {5: [2.368, 2.472, 2.40, 2.44, 9.0, 9.0]}
    e = replicate(5, _batches(kpi, calls), c, reps=2, max_reps=6)
    assert calls == [(5, 0, 2), (5, 2, 2)]  # seeds continue: replications 2 and 3
    assert e.verdict is Verdict.MEETS and e.feasible and e.decided
    assert (e.runs, e.n) == (4, 4) and e.mean + e.ci95 <= 2.6
    assert e.folders == (Path("v5-r0"), Path("v5-r2"))


def test_a_value_undecided_at_the_cap_counts_as_missing() -> None:
    c = parse_constraint("cycle_p95 <= 2.6")
    calls: list[tuple[int, int, int]] = []
    kpi = {4: [2.2, 3.0, 2.3, 2.9, 2.4]}  # mean 2.56: the interval never clears 2.6
    e = replicate(4, _batches(kpi, calls), c, reps=2, max_reps=5)
    assert calls == [(4, 0, 2), (4, 2, 2), (4, 4, 1)]  # the last batch stops at the cap
    assert e.verdict is Verdict.UNDECIDED and not e.decided and not e.feasible
    assert e.runs == 5 and e.mean - e.ci95 < 2.6 < e.mean + e.ci95
    with pytest.raises(ValueError, match="max_reps=1"):
        replicate(4, _batches(kpi, []), c, reps=2, max_reps=1)


def test_search_finds_the_smallest_feasible_value() -> None:
    tried: list[int] = []

    def feasible(v: int) -> bool:
        tried.append(v)
        return v >= 6

    assert search(feasible, start=4, lo=1, hi=16) == 6
    assert tried == [4, 8, 6, 5]
    assert search(lambda v: v >= 3, start=10, lo=1, hi=40) == 3
    assert search(lambda v: False, start=4, lo=1, hi=16) is None


def test_max_reps_below_reps_is_refused(tmp_path: Path) -> None:
    base = load_scenario("tiny").model_dump(mode="json")
    c = parse_constraint("cycle_p95 <= 3")
    with pytest.raises(ScenarioError, match=r"--max-reps must be >= --reps \(3\), got 2"):
        minimize(base, "fleet.robots", c, reps=3, out=tmp_path / "o", max_reps=2)
    assert not (tmp_path / "o").exists()  # refused before anything ran


def test_optimize_decides_by_the_interval_and_keeps_the_evidence(tmp_path: Path) -> None:
    out = tmp_path / "opt"
    target = 2.6
    p = _cli("optimize", "tiny", "--set", "horizon_h=0.25", "--minimize", "fleet.robots",
             "--subject-to", f"cycle_p95 <= {target}", "--reps", "2", "--workers", "2",
             "--no-progress", "--out", str(out))  # fmt: skip
    assert p.returncode in (0, 1), p.stderr
    result = json.loads((out / "optimize.json").read_text())
    assert (result["reps"], result["max_reps"]) == (2, 8)
    evals = {e["value"]: e for e in result["evaluations"]}
    for e in evals.values():  # the interval, not the mean, decides
        if e["feasible"]:
            assert e["verdict"] == "meets" and e["mean"] + e["ci95"] <= target
        elif e["verdict"] == "misses":
            assert e["mean"] - e["ci95"] > target
        else:  # undecided after every replication allowed: counted as missing
            assert e["verdict"] == "undecided" and e["runs"] == 8
        assert e["runs"] in (2, 4, 6, 8) and (e["verdict"] == "undecided") == (
            e["value"] in result["undecided"]
        )
    best = result["best"]
    assert best is not None and evals[best]["feasible"]
    assert best - 1 in evals and not evals[best - 1]["feasible"]
    with open(out / "evaluations.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(evals)
    for row in rows:  # every batch of replications is a sweep folder of its runs
        seeds: list[str] = []
        for name in row["folders"].split(";"):
            with open(out / name / "runs.csv") as f:
                seeds += [r["seed"] for r in csv.DictReader(f)]
        assert sorted(seeds, key=int) == [str(7 + r) for r in range(int(row["runs"]))]


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
