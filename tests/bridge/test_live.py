"""Live shifts end to end, one per backend: the twin on the wall clock (at 20x) driving
10 robots that live in other processes and speak the backend's own protocol; and a
robot process killed mid-task."""

from __future__ import annotations

import json
import os
import random
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
from logitwin.scenarios.runner import RunResult, check_paths, resume_run

SPEEDUP = 20.0
ROBOTS = 10
STEP_S = 1.0 / SPEEDUP  # tiny's move (1.25 m at 1.25 m/s) on the wall clock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    running: list[subprocess.Popen[bytes]] = []
    yield running
    for p in running:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def spawn(procs: list[subprocess.Popen[bytes]], module: str, *args: str) -> None:
    cmd = [sys.executable, "-m", module, "--scenario", "tiny", "--robots", str(ROBOTS), *args]
    procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE))


def zmq_options() -> dict[str, str]:
    return {"endpoint": f"tcp://127.0.0.1:{free_port()}",
            "telemetry": f"tcp://127.0.0.1:{free_port()}"}  # fmt: skip


def link_args(opts: dict[str, str]) -> list[str]:
    return ["--endpoint", opts["endpoint"], "--telemetry", opts["telemetry"],
            "--speedup", str(SPEEDUP)]  # fmt: skip


def shift(backend: str, opts: dict[str, str], out: Path, until_s: float = 420,
          **kw: Any) -> RunResult:  # fmt: skip
    sc = load_scenario("tiny", [f"fleet.robots={ROBOTS}"])
    return run_live(sc, out, backend, opts, until_s=until_s, speedup=SPEEDUP, **kw)


def assert_a_good_shift(result: RunResult, out: Path) -> None:
    k = result.kpis
    assert k["orders_picked"] >= 4, k
    assert result.sim_s == pytest.approx(420)
    moves, problems = check_paths(out / "journal.sqlite")
    assert moves > 50 and problems == []


def test_live_shift_over_the_zmq_link(procs: list[Any], tmp_path: Path) -> None:
    opts = zmq_options()
    for only in ("0,1,2,3,4", "5,6,7,8,9"):
        spawn(procs, "logitwin.bridge.zmq.robots", "--only", only, *link_args(opts))
    result = shift("zmq", opts, tmp_path / "live")
    assert_a_good_shift(result, tmp_path / "live")
    with pytest.raises(JournalError, match="live run cannot be re-executed"):
        resume_run(tmp_path / "live")


def test_live_shift_in_a_pybullet_world_without_contacts(procs: list[Any], tmp_path: Path) -> None:
    opts = zmq_options()
    spawn(procs, "logitwin.robots.pybullet.robots", *link_args(opts))
    result = shift("pybullet", opts, tmp_path / "live", connect_s=60)
    assert_a_good_shift(result, tmp_path / "live")
    world = procs[0]
    world.send_signal(signal.SIGTERM)
    out, err = world.communicate(timeout=30)
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["robots"] == ROBOTS and summary["steps"] > 1000, err.decode()[-2000:]
    assert summary["contacts"] == []


def test_live_shift_with_vda5050_vehicles(
    procs: list[Any], mosquitto_broker: str, tmp_path: Path
) -> None:
    for only in ("0,1,2,3,4", "5,6,7,8,9"):
        spawn(procs, "logitwin.bridge.vda5050.vehicle", "--only", only, "--broker",
              mosquitto_broker, "--step-s", str(STEP_S))  # fmt: skip
    result = shift("vda5050", {"broker": mosquitto_broker}, tmp_path / "live")
    assert_a_good_shift(result, tmp_path / "live")


def test_live_shift_with_ros2_robots_over_dds(procs: list[Any], tmp_path: Path) -> None:
    domain = str(random.randint(1, 200))
    for only in ("0,1,2,3,4", "5,6,7,8,9"):
        spawn(procs, "logitwin.bridge.ros2.robots", "--only", only, "--domain", domain,
              "--network", "loopback", "--step-s", str(STEP_S))  # fmt: skip
    opts = {"domain": domain, "network": "loopback"}
    result = shift("ros2", opts, tmp_path / "live", connect_s=60)
    assert_a_good_shift(result, tmp_path / "live")


def test_a_robot_process_killed_mid_task_has_its_task_reassigned(
    procs: list[Any], tmp_path: Path
) -> None:
    opts = zmq_options()
    for j in range(0, ROBOTS, 2):  # robots 2j and 2j+1 share process j
        spawn(procs, "logitwin.bridge.zmq.robots", "--only", f"{j},{j + 1}", *link_args(opts))
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

    result = shift("zmq", {**opts, "offline_after_s": "1.0"}, tmp_path / "live", until_s=600,
                   on_start=watch)  # fmt: skip
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
