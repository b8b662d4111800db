"""The cluster configs in launch/ name entrypoints that exist and arguments that parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from logitwin.cli import _parser
from logitwin.experiments.sweep import expand, parse_grid
from logitwin.scenarios.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
LAUNCH = ROOT / "launch"
_ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((LAUNCH / name).read_text())
    assert isinstance(data, dict), name
    return data


def _check_logitwin_command(command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "logitwin", command
    args = _parser().parse_args(argv[1:])
    if args.command == "sweep":
        base = load_scenario(args.scenario, args.overrides)
        expand(base.model_dump(mode="json"), parse_grid(args.grid), args.reps)  # every cell
        assert args.runtime is None or args.runtime.startswith("ray")


def test_ray_up_config_uses_the_projects_setup_and_ray() -> None:
    cfg = _load("cluster.yaml")
    for key in ("cluster_name", "provider", "head_start_ray_commands", "setup_commands"):
        assert key in cfg
    assert cfg["file_mounts"]["~/logitwin"] == "."
    setup = " ".join(cfg["setup_commands"])
    assert "./scripts/setup.sh" in setup and (ROOT / "scripts" / "setup.sh").is_file()
    for cmd in cfg["head_start_ray_commands"] + cfg["worker_start_ray_commands"]:
        argv = [w for w in shlex.split(cmd) if not _ENV_ASSIGNMENT.match(w)]
        assert argv[0] == "~/logitwin/.venv/bin/ray", cmd  # installed by setup.sh


def test_kuberay_manifests_run_a_real_sweep_on_the_projects_image() -> None:
    cluster = _load("kuberay/raycluster.yaml")
    job = _load("kuberay/rayjob-sweep.yaml")
    assert (cluster["apiVersion"], cluster["kind"]) == ("ray.io/v1", "RayCluster")
    assert (job["apiVersion"], job["kind"]) == ("ray.io/v1", "RayJob")
    _check_logitwin_command(job["spec"]["entrypoint"])
    dockerfile = (LAUNCH / "Dockerfile").read_text()
    base = re.search(r"^FROM rayproject/ray:(\S+)-py311$", dockerfile, re.M)
    assert base is not None
    for spec in (cluster["spec"], job["spec"]["rayClusterSpec"]):
        assert spec["rayVersion"] == base.group(1)  # image and operator agree on Ray
        pods = [spec["headGroupSpec"]["template"]] + [
            g["template"] for g in spec["workerGroupSpecs"]
        ]
        for pod in pods:
            for c in pod["spec"]["containers"]:
                assert c["image"].startswith("logitwin:")
    for src in re.findall(r"^COPY \S+ (.+) \S+$", dockerfile, re.M):
        for part in src.split():
            assert (ROOT / part).exists(), f"Dockerfile copies missing {part}"


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    containers = pod["spec"]["containers"]
    assert isinstance(containers, list)
    return containers


def test_ray_up_nodes_share_one_token_from_outside_the_repository() -> None:
    # A worker started without RAY_AUTH_MODE=token fails with InvalidAuthToken against a
    # head that has a token (the default now), so every `ray start` needs it.
    cfg = _load("cluster.yaml")
    starts = [
        c
        for c in cfg["head_start_ray_commands"] + cfg["worker_start_ray_commands"]
        if " start " in f" {c} "
    ]
    assert len(starts) == 2
    for cmd in starts:
        env = [w for w in shlex.split(cmd) if _ENV_ASSIGNMENT.match(w)]
        assert env == ["RAY_AUTH_MODE=token"], cmd  # the token comes from the file below
    # The token file (Ray's default path) reaches every node, synced from the machine
    # that runs `ray up`, never from inside the repository.
    assert cfg["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    header = (LAUNCH / "cluster.yaml").read_text()
    assert "ray get-auth-token --generate" in header
    assert "RAY_AUTH_MODE=token .venv/bin/logitwin" in header  # the driver's example


def test_kuberay_pods_and_the_job_submitter_share_one_token_secret() -> None:
    cluster = _load("kuberay/raycluster.yaml")
    job = _load("kuberay/rayjob-sweep.yaml")
    pods = []
    for spec in (cluster["spec"], job["spec"]["rayClusterSpec"]):
        pods.append(spec["headGroupSpec"]["template"])
        pods += [g["template"] for g in spec["workerGroupSpecs"]]
    submitter = job["spec"]["submitterPodTemplate"]
    assert "command" not in _containers(submitter)[0]  # KubeRay fills in `ray job submit`
    pods.append(submitter)
    secrets = set()
    for pod in pods:
        for c in _containers(pod):
            env = {e["name"]: e for e in c.get("env", [])}
            assert env["RAY_AUTH_MODE"].get("value") == "token", c["name"]
            assert "value" not in env["RAY_AUTH_TOKEN"], "never a token in the manifest"
            ref = env["RAY_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]
            secrets.add((ref["name"], ref["key"]))
    assert len(secrets) == 1, secrets
    ((name, key),) = secrets
    for manifest in ("raycluster.yaml", "rayjob-sweep.yaml"):
        header = (LAUNCH / "kuberay" / manifest).read_text()
        assert f"kubectl create secret generic {name} --from-literal={key}=" in header
