"""Live runs end to end: the twin on the wall clock (20x) driving robots in other
processes over the zmq link; a robot process killed mid-task."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logitwin.errors import JournalError
from logitwin.scenarios import load_scenario
from logitwin.scenarios.live import run_live
from logitwin.scenarios.runner import check_paths, resume_run

SPEEDUP = 20.0
ROBOTS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def link() -> Iterator[tuple[dict[str, str], list[subprocess.Popen[bytes]]]]:
    opts = {"endpoint": f"tcp://127.0.0.1:{free_port()}",
            "telemetry": f"tcp://127.0.0.1:{free_port()}"}  # fmt: skip
    procs: list[subprocess.Popen[bytes]] = []
    yield opts, procs
    for p in procs:
        if p.poll() is None:
            p.terminate()
        p.wait(10)


def start_robots(opts: dict[str, str], procs: list[subprocess.Popen[bytes]], per: int) -> None:
    for j in range(0, ROBOTS, per):
        only = ",".join(str(i) for i in range(j, min(ROBOTS, j + per)))
        cmd = [sys.executable, "-m", "logitwin.bridge.zmq.robots", "--scenario", "tiny",
               "--robots", str(ROBOTS), "--only", only, "--speedup", str(SPEEDUP),
               "--endpoint", opts["endpoint"], "--telemetry", opts["telemetry"]]  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))


def test_a_live_shift_over_the_zmq_link(link: Any, tmp_path: Path) -> None:
    opts, procs = link
    start_robots(opts, procs, per=5)
    sc = load_scenario("tiny", [f"fleet.robots={ROBOTS}"])
    result = run_live(sc, tmp_path / "live", "zmq", opts, until_s=420, speedup=SPEEDUP)
    k = result.kpis
    assert k["orders_picked"] >= 4, k
    assert result.sim_s == pytest.approx(420)
    moves, problems = check_paths(tmp_path / "live" / "journal.sqlite")
    assert moves > 50 and problems == []
    with pytest.raises(JournalError, match="live run cannot be re-executed"):
        resume_run(tmp_path / "live")


def test_a_robot_process_killed_mid_task_has_its_task_reassigned(link: Any, tmp_path: Path) -> None:
    opts, procs = link
    start_robots(opts, procs, per=2)  # robots 2j and 2j+1 share process j
    sc = load_scenario("tiny", [f"fleet.robots={ROBOTS}"])
    killed: list[int] = []

    def watch(twin: Any) -> None:
        robots = [twin.system._actors[f"robot:{i}"] for i in range(ROBOTS)]

        def kill_a_busy_one() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                for i, r in enumerate(robots):
                    if r.status == "to_pod" and r.task is not None:
                        os.kill(procs[i // 2].pid, signal.SIGKILL)
                        killed.append(i)
                        return
                time.sleep(0.01)

        threading.Thread(target=kill_a_busy_one, daemon=True).start()

    result = run_live(sc, tmp_path / "live", "zmq", {**opts, "offline_after_s": "1.0"},
                      until_s=600, speedup=SPEEDUP, on_start=watch)  # fmt: skip
    assert killed, "no robot was ever sent to a pod"
    robots = [result.twin.system._actors[f"robot:{i}"] for i in range(ROBOTS)]
    victim = robots[killed[0]]
    assert victim.cancelled >= 1  # its task was taken back ...
    assert victim.status == "offline"
    k = result.kpis
    # ... and done by another robot: every order released early enough is picked.
    assert k["orders_picked"] >= k["orders_created"] - 3, k
    assert k["orders_picked"] >= 5
    assert check_paths(tmp_path / "live" / "journal.sqlite")[1] == []
