"""Joining a Ray cluster with ``--runtime ray:ADDRESS``: a sweep runs on a two-node
cluster with token authentication (a head without CPUs and a worker node, on loopback,
started the way launch/cluster.yaml starts them), a driver without the token is told
so, and an address where no head answers fails within seconds instead of hanging."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("ray")

RAY = Path(sys.executable).with_name("ray")  # the CLI of the Ray this test imports


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        port: int = s.getsockname()[1]
        return port


def _logitwin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logitwin.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def _clean_env() -> dict[str, str]:
    """This environment without Ray settings that would point a node or driver elsewhere."""
    drop = {"RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"}
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_address_where_no_head_listens_fails_fast_and_writes_nothing(
    tmp_path: Path, command: str
) -> None:
    port = _free_port()  # closed again: nothing listens there
    out = tmp_path / "out"
    extra = ["--reps", "1"] if command == "sweep" else []
    # Ray alone retries such an address for ever; the timeout turns that into a failure.
    p = _logitwin(command, "tiny", "--runtime", f"ray:127.0.0.1:{port}", "--out", str(out), *extra)
    err = " ".join(p.stderr.split())  # rich wraps long lines
    assert p.returncode == 2, p.stderr
    assert f"'127.0.0.1:{port}'" in err and "cannot connect" in err
    assert "ray start --head" in err  # what to check
    assert "Traceback" not in p.stderr
    if command == "sweep":
        assert not out.exists()


@dataclass
class Cluster:
    address: str
    token: str
    head_logs: Path
    worker_logs: Path


def _start_node(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as f:
        # A session of its own: the node's processes (GCS, raylet, workers) share its
        # process group, so the teardown can stop exactly them.
        return subprocess.Popen(
            argv, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_started(proc: subprocess.Popen[bytes], log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Ray runtime started" in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"ray start did not come up:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(procs: list[subprocess.Popen[bytes]], root: Path) -> None:
    """Stop the nodes: their process groups, then anything else naming their temp dir."""
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # what is still shutting down
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if str(root).encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A head with no CPUs and a worker node with 2, both requiring one auth token."""
    token = os.urandom(16).hex()
    env = {**_clean_env(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    # Short: Ray's unix socket paths under it must stay below ~107 characters.
    root = Path(tempfile.mkdtemp(prefix="lt", dir="/tmp"))
    port = _free_port()
    common = ["--block", "--disable-usage-stats"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        head_log = tmp_path / "head.log"
        head = [str(RAY), "start", "--head", f"--port={port}", "--num-cpus=0"]
        head += ["--include-dashboard=false", f"--temp-dir={root / 'h'}", *common]
        procs.append(_start_node(head, env, head_log))
        _wait_started(procs[-1], head_log)
        worker_log = tmp_path / "worker.log"
        worker = [str(RAY), "start", f"--address=127.0.0.1:{port}", "--num-cpus=2"]
        worker += [f"--temp-dir={root / 'w'}", *common]
        procs.append(_start_node(worker, env, worker_log))
        _wait_started(procs[-1], worker_log)
        yield Cluster(
            f"127.0.0.1:{port}",
            token,
            root / "h" / "session_latest" / "logs",
            root / "w" / "session_latest" / "logs",
        )
    finally:
        _stop(procs, root)
        shutil.rmtree(root, ignore_errors=True)


def _run_job_tasks(logs: Path) -> int:
    """Tasks of ``run_job`` that Ray workers of one node started (their stdout logs)."""
    return sum(
        f.read_text(errors="replace").count(":task_name:run_job") for f in logs.glob("worker-*.out")
    )


def test_a_sweep_runs_on_the_worker_node_of_a_cluster_with_token_auth(
    cluster: Cluster, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    env = {**_clean_env(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": cluster.token}
    p = _logitwin(
        "sweep", "tiny", "--reps", "4", "--runtime", f"ray:{cluster.address}", "--out",
        str(out), "--no-progress", env=env,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr[-3000:]
    with (out / "runs.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["rep"]) for r in rows) == [0, 1, 2, 3]
    assert len(list((out / "runs").iterdir())) == 4
    assert "on 2 workers" in p.stdout  # the cluster's CPUs: the worker node's 2, the head's 0
    # Every run was a task on the worker node; the head ran none.
    deadline = time.monotonic() + 10  # workers' stdout files may lag a moment
    while _run_job_tasks(cluster.worker_logs) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _run_job_tasks(cluster.worker_logs) >= 4
    assert _run_job_tasks(cluster.head_logs) == 0

    # A driver without the token is refused, and told what to set.
    no_token = {**_clean_env(), "RAY_gcs_server_port_wait_time_s": "1"}  # fail quickly
    p = _logitwin(
        "sweep", "tiny", "--reps", "1", "--runtime", f"ray:{cluster.address}", "--out",
        str(tmp_path / "refused"), env=no_token,
    )  # fmt: skip
    err = " ".join(p.stderr.split())
    assert p.returncode == 2, p.stderr[-3000:]
    assert "RAY_AUTH_MODE=token" in err and "RAY_AUTH_TOKEN" in err
    assert not (tmp_path / "refused").exists()
