"""A run survives its own crash: killed at any moment (SIGKILL, from inside the process or
from outside it, also while it resumes), it resumes to the journal of an uninterrupted run."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from logitwin.actors.journal import JournalReader, read_status
from logitwin.cli import main
from logitwin.errors import ActorError, JournalError
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.runner import IncompleteJournal, replay, resume_run, run_scenario

# Long enough (about 2 s here) to be killed at many moments; small commits so that the
# moments leave journals of many different lengths, most of them cut inside a timestamp.
OVERRIDES = ["horizon_h=1.5"]
ROWS = 1500


def _scenario():
    return load_scenario("demo", OVERRIDES)


def _run_child(out: str, delay: float) -> None:  # pragma: no cover - runs in a forked child
    threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL)).start()
    run_scenario(_scenario(), out, commit_rows=ROWS)
    os._exit(0)


_SCRIPT = (
    "import sys; from logitwin.scenarios import runner, loader\n"
    "if sys.argv[1] == 'run':\n"
    f"    runner.run_scenario(loader.load_scenario('demo', {OVERRIDES!r}), sys.argv[2],"
    f" commit_rows={ROWS})\n"
    "else:\n"
    f"    runner.resume_run(sys.argv[2], commit_rows={ROWS})\n"
)


def _subprocess(what: str, out: Path, delay: float) -> None:
    """Start ``what`` (run or resume) in a new interpreter and SIGKILL it after ``delay``."""
    p = subprocess.Popen([sys.executable, "-c", _SCRIPT, what, str(out)])
    try:
        p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()


def _started(out: Path) -> bool:
    """Whether the run got as far as its metadata (else nothing can be resumed)."""
    try:
        with JournalReader(out / "journal.sqlite") as j:
            return "scenario" in j.meta()
    except JournalError:
        return False


def _fingerprint(out: Path) -> str:
    with JournalReader(out / "journal.sqlite") as j:
        return j.fingerprint()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "run"
    t0 = time.perf_counter()
    run_scenario(_scenario(), out)
    return out, time.perf_counter() - t0


def test_killed_at_20_random_moments_resumes_to_the_same_journal(clean, tmp_path):
    clean_out, wall = clean
    want = _fingerprint(clean_out)
    kpis = json.loads((clean_out / "kpis.json").read_text())
    rng = np.random.default_rng(16)
    fork = multiprocessing.get_context("fork")
    cuts = []
    for k in range(20):
        out = tmp_path / f"k{k}"
        if k < 10:  # the process kills itself, from a timer thread, mid-run
            child = fork.Process(target=_run_child, args=(str(out), rng.uniform(0.05, 0.6 * wall)))
            child.start()
            child.join()
        elif k < 16:  # killed from outside; starting the interpreter takes part of the delay
            _subprocess("run", out, rng.uniform(0.5, 0.6 * wall + 0.8))
        else:  # killed early, then killed again while it resumes
            _subprocess("run", out, rng.uniform(0.5, 0.4 * wall + 0.8))
            before = read_status(out / "journal.sqlite") if _started(out) else None
            if before is not None and not before.complete:
                _subprocess("resume", out, rng.uniform(0.5, 0.6 * wall + 0.8))
                assert read_status(out / "journal.sqlite").rows >= before.rows
        if _started(out):
            status = read_status(out / "journal.sqlite")
            cuts.append(status.rows if not status.complete else -1)
            if not (out / "kpis.json").exists():  # killed after the last row: outputs only
                resume_run(out)
        else:  # killed before it wrote its metadata: the same command starts it again
            cuts.append(-2)
            run_scenario(_scenario(), out)
        assert _fingerprint(out) == want, f"kill {k} at {status.rows} rows"
        assert json.loads((out / "kpis.json").read_text()) == kpis
        assert read_status(out / "journal.sqlite").complete
    # The kills really landed mid-run, at many different points.
    print("rows at the kills (-1: complete, -2: not started):", cuts, f"clean run {wall:.2f} s")
    assert sum(c >= 0 for c in cuts) >= 15 and len(set(cuts)) >= 10, cuts


def test_an_incomplete_journal_says_so_and_replays_only_when_asked(tmp_path, capsys):
    out = tmp_path / "killed"
    child = multiprocessing.get_context("fork").Process(target=_run_child, args=(str(out), 0.6))
    child.start()
    child.join()
    status = read_status(out / "journal.sqlite")
    assert not status.complete and status.rows > 0
    assert 0 < status.reached_s < status.horizon_s == 5400.0
    with pytest.raises(IncompleteJournal, match=r"incomplete: the run stops at 00:\d\d:\d\d"):
        replay(out / "journal.sqlite")
    assert main(["replay", str(out)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "of 01:30:00" in err and f"--resume {out}" in err
    assert main(["replay", str(out), "--partial", "--json", "--check-paths"]) == 0
    captured = capsys.readouterr()
    assert "warning: incomplete" in captured.err and "paths valid" in captured.out
    partial = replay(out / "journal.sqlite", partial=True).kpis
    assert partial["horizon_h"] == pytest.approx(status.reached_s / 3600, abs=1e-4)
    # Resuming through the command line finishes it; a second resume has nothing to do.
    assert main(["run", "--resume", str(out), "--no-progress"]) == 0
    assert read_status(out / "journal.sqlite").complete
    assert main(["run", "--resume", str(out)]) == 2
    assert "nothing to resume" in " ".join(capsys.readouterr().err.split())


def test_resume_refuses_a_journal_that_the_run_does_not_reproduce(tmp_path):
    import sqlite3

    # Killed before its first commit (a slow start: a clean clone's first compiles), the
    # journal holds no row 700 to tamper with; the next run starts warm.
    usable = False
    for attempt, delay in enumerate((0.6, 0.6, 1.0)):
        out = tmp_path / f"run{attempt}"
        ctx = multiprocessing.get_context("fork")
        child = ctx.Process(target=_run_child, args=(str(out), delay))
        child.start()
        child.join()
        try:
            with closing(sqlite3.connect(out / "journal.sqlite")) as db:
                rows = db.execute("SELECT COUNT(*) FROM events WHERE seq >= 700").fetchone()[0]
        except sqlite3.Error:
            rows = 0
        usable = rows > 0 and not read_status(out / "journal.sqlite").complete
        if usable:
            break
    assert usable, "no killed run left an incomplete journal that reached row 700"
    db = sqlite3.connect(out / "journal.sqlite")
    db.execute("UPDATE events SET time = time + 1 WHERE seq = 700")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="diverged from the journal at row 700"):
        resume_run(out)


def test_a_failing_run_keeps_a_readable_journal_with_its_error(tmp_path, monkeypatch, capsys):
    from logitwin.actors.station import Station

    def broken(self, msg, sender):
        raise RuntimeError("station invariant broken")

    monkeypatch.setitem(Station._handlers, next(iter(Station._handlers)), broken)
    out = tmp_path / "run"
    with pytest.raises(ActorError, match=r"station:station-\d failed handling \w+ from "):
        run_scenario(load_scenario("tiny"), out)
    status = read_status(out / "journal.sqlite")
    assert not status.complete and status.rows > 0
    assert status.failure is not None and status.failure.startswith("ActorError: station:")
    assert status.failure.endswith("RuntimeError: station invariant broken")
    assert "it failed: ActorError" in status.describe()
    replay(out / "journal.sqlite", partial=True)
    # The command line says so without a traceback, and exits 1 (a failed run).
    assert main(["run", "tiny", "--out", str(tmp_path / "cli"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "error: the run failed: station:station-" in err and "Traceback" not in err


def test_commits_happen_on_a_wall_clock_too(tmp_path):
    """A slow trickle of rows (a live twin) is committed every commit_s, not only per batch."""
    from logitwin.actors.journal import Journal

    j = Journal(tmp_path / "j.sqlite", batch=1_000_000, commit_s=0.05)
    j.state(0.0, "a", "thing", {"x": 1})
    time.sleep(0.06)
    j.state(1.0, "a", "thing", {"x": 2})
    with JournalReader(tmp_path / "j.sqlite") as r:  # another connection sees both
        assert [row.body for row in r.rows()] == [{"x": 1}, {"x": 2}]
    j.state(2.0, "a", "thing", {"x": 3})
    time.sleep(0.06)
    j.tick()
    with JournalReader(tmp_path / "j.sqlite") as r:
        assert len(list(r.rows())) == 3
    j.close()


def test_a_run_killed_before_its_metadata_starts_again_with_the_same_command(tmp_path):
    from logitwin.actors.journal import Journal

    out = tmp_path / "run"
    out.mkdir()
    Journal(out / "journal.sqlite").close()  # created, then killed: no metadata, no rows
    with pytest.raises(JournalError, match="before it wrote its metadata; start it again"):
        resume_run(out)
    run_scenario(load_scenario("tiny"), out)
    assert read_status(out / "journal.sqlite").complete
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "journal.sqlite").write_text("not mine to delete")
    with pytest.raises(JournalError, match="already holds a run"):
        run_scenario(load_scenario("tiny"), tmp_path / "other")
    assert (tmp_path / "other" / "journal.sqlite").read_text() == "not mine to delete"


def test_a_journal_cut_short_while_its_tables_were_made_is_started_again(tmp_path):
    """Journals used to create their tables one statement at a time: a kill in between
    left a database no reader opens; the same command now starts such a run again."""
    import sqlite3

    out = tmp_path / "run"
    out.mkdir()
    db = sqlite3.connect(out / "journal.sqlite")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.commit()
    db.close()
    sc = load_scenario("tiny", ["horizon_h=0.05"])
    result = run_scenario(sc, out)
    assert read_status(out / "journal.sqlite").complete
    assert result.kpis["orders_created"] >= 0
