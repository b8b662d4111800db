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
        assert cmd.startswith("~/logitwin/.venv/bin/ray "), cmd  # installed by setup.sh


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
