"""Animation of a run's floor from its journal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from logitwin.experiments.animate import frames
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import run_scenario


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "run"
    run_scenario(load_scenario("tiny"), out)
    return out


def test_frames_follow_the_journal(tiny_run: Path) -> None:
    fr, site = frames(tiny_run / "journal.sqlite", 300.0, 1500.0, 4.0)
    assert len(fr) == 300
    assert [f.time for f in fr] == pytest.approx([300.0 + 4 * k for k in range(300)])
    free = set(site.grid.free_cells.tolist())
    for f in fr:
        assert len(f.cells) == 4 and len(set(f.cells.tolist())) == 4
        assert set(f.cells.tolist()) <= free
        assert set(f.groups) <= {"idle", "working", "carrying", "charging"}
    assert fr[-1].picked >= fr[0].picked
    assert np.all(fr[-1].heat >= 0) and fr[-1].heat.sum() > 0
    assert len({c for f in fr for c in f.cells.tolist()}) > 20  # robots get around


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logitwin.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_writes_a_gif_with_one_frame_per_interval(tiny_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "floor.gif"
    p = _cli("animate", str(tiny_run), "--from-min", "5", "--minutes", "1", "--every", "2",
             "--out", str(out))  # fmt: skip
    assert p.returncode == 0, p.stderr
    with Image.open(out) as im:
        assert im.n_frames == 30 and im.size[0] >= 400


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--from-min", "90"], "--from-min must be less"),
        (["--fps", "0"], "--fps must be >= 1"),
        (["--every", "0"], "positive frame interval"),
    ],
)
def test_cli_bad_arguments_exit_2(tiny_run: Path, tmp_path: Path, args: list[str], needle: str):
    p = _cli("animate", str(tiny_run), "--out", str(tmp_path / "x.gif"), *args)
    assert p.returncode == 2 and needle in p.stderr


def test_cli_missing_journal_exits_2(tmp_path: Path) -> None:
    p = _cli("animate", str(tmp_path))
    assert p.returncode == 2 and "journal" in p.stderr
