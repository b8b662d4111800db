"""Comparing arms: paired and Welch intervals, folder loading, and the CLI's HTML report."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from logitwin.errors import LogitwinError
from logitwin.experiments.compare import Arm, differences, load_arms


def _arm(label: str, seeds: list[int], xs: list[float]) -> Arm:
    return Arm(label, {}, seeds, [{"orders_per_hour": x} for x in xs])


def test_paired_difference_uses_common_seeds() -> None:
    base = _arm("a", [1, 2, 3, 4], [10, 20, 30, 40])
    better = _arm("b", [1, 2, 3, 4], [11, 21.5, 30.5, 41])  # +1, +1.5, +0.5, +1
    (d,) = differences([base, better], ["orders_per_hour"])
    assert d.paired and d.diff == pytest.approx(1.0)
    sd = math.sqrt((0 + 0.25 + 0.25 + 0) / 3)
    assert d.ci_high - d.diff == pytest.approx(3.182 * sd / 2)
    assert d.significant  # seed noise (10..40) cancels out when paired


def test_welch_when_seeds_differ_and_noise_hides_the_same_shift() -> None:
    base = _arm("a", [1, 2, 3, 4], [10, 20, 30, 40])
    other = _arm("b", [5, 6, 7, 8], [11, 21.5, 30.5, 41])
    (d,) = differences([base, other], ["orders_per_hour"])
    assert not d.paired and d.diff == pytest.approx(1.0)
    assert not d.significant


def test_single_runs_have_no_interval() -> None:
    (d,) = differences([_arm("a", [1], [5.0]), _arm("b", [2], [6.0])], ["orders_per_hour"])
    assert d.diff == 1.0 and math.isnan(d.ci_low) and not d.significant


def test_load_arms_rejects_a_folder_that_holds_no_results(tmp_path: Path) -> None:
    with pytest.raises(LogitwinError, match="not a sweep folder"):
        load_arms([tmp_path])
    with pytest.raises(LogitwinError, match="at least one"):
        load_arms([])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logitwin.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_sweep_then_compare_writes_a_report_with_every_plot(tmp_path: Path) -> None:
    sweep = tmp_path / "robots"
    p = _cli(
        "sweep", "tiny", "--grid", "fleet.robots=1,4", "--reps", "3", "--workers", "2",
        "--no-progress", "--out", str(sweep),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    run = tmp_path / "single"
    assert _cli("run", "tiny", "--json", "--out", str(run)).returncode == 0
    html_path = tmp_path / "report.html"
    p = _cli("compare", str(sweep), str(run), "--html", str(html_path))
    assert p.returncode == 0, p.stderr
    assert "robots idle" in p.stdout and "better" in p.stdout  # 4 robots: faster cycles
    page = html_path.read_text()
    for heading in ("Arms", "Differences to the baseline", "KPIs", "Over the shift",
                    "Robot time", "Floor congestion", "Order cycle times"):  # fmt: skip
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<svg") == 5 and "<script" not in page and "http" not in page.split("<svg")[0]
    assert "robots=1" in page and "single" in page
    # Arms come back in order: the two sweep cells, then the run folder.
    arms = load_arms([sweep, run])
    assert [len(a.kpis) for a in arms] == [3, 3, 1]
    assert json.loads((run / "kpis.json").read_text())["robots"] == 4
