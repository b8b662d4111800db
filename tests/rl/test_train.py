"""Training for real (a few hundred steps), the registry, serving inside a twin run,
shadow mode, evaluation and the commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from logitwin.actors.journal import Journal
from logitwin.control.policies import check_policy, make_policy, parse_spec
from logitwin.errors import LogitwinError
from logitwin.rl import EnvConfig, PolicyRegistry
from logitwin.rl.cli import add_parsers, run
from logitwin.rl.evaluate import evaluate, format_table
from logitwin.rl.registry import ENV_VAR
from logitwin.rl.serving import policy_from
from logitwin.rl.stepper import DecisionStepper
from logitwin.rl.train import TrainSettings, register, train
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import build_twin

CFG = EnvConfig("tiny", ("horizon_h=0.2",))
FAST = TrainSettings(n_steps=128, batch_size=64, n_epochs=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each kind trained for 256 decisions and registered (version 1, promoted)."""
    root = tmp_path_factory.mktemp("rl")
    reg = PolicyRegistry(root / "policies")
    out: dict[str, Any] = {"registry": reg}
    for kind in ("slotting", "dispatch"):
        r = train(kind, CFG, 256, root / f"run-{kind}", seed=1, settings=FAST,
                  checkpoint_steps=128, validate=1)  # fmt: skip
        out[kind] = (r, register(r, f"{kind}-tiny", reg))
    return out


@pytest.mark.parametrize("kind", ["slotting", "dispatch"])
def test_training_writes_checkpoints_logs_and_a_registered_onnx_policy(
    trained: dict[str, Any], kind: str
) -> None:
    result, pv = trained[kind]
    run_dir = result.run_dir
    assert result.timesteps >= 256
    assert (run_dir / "model.zip").is_file()
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        f"{kind}_128_steps.zip", f"{kind}_256_steps.zip"]  # fmt: skip
    assert list((run_dir / "tb").rglob("events.out.tfevents.*"))
    assert json.loads((run_dir / "train.json").read_text())["timesteps"] == result.timesteps
    assert pv.onnx.is_file() and pv.model.is_file()
    meta = pv.meta
    assert meta["kind"] == kind and meta["version"] == 1
    assert meta["algorithm"].startswith("MaskablePPO")
    assert meta["observation"]["k"] == 16
    assert meta["training"]["scenario"] == "tiny" and meta["training"]["seed"] == 1
    assert meta["latency"]["p99_ms"] > 0 and meta["code_version"] and meta["created"]


@pytest.mark.parametrize("kind", ["slotting", "dispatch"])
def test_the_served_policy_passes_the_policy_check(trained: dict[str, Any], kind: str) -> None:
    _, pv = trained[kind]
    site = DecisionStepper(CFG.load(), kind).view()
    check_policy(kind, lambda view, rng: policy_from(pv, view), site, n=50)


@pytest.mark.parametrize("kind", ["slotting", "dispatch"])
def test_a_scenario_naming_the_policy_runs_with_it_and_journals_its_version(
    trained: dict[str, Any], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = trained["registry"]
    monkeypatch.setenv(ENV_VAR, str(reg.root))
    sc = load_scenario("tiny", ["horizon_h=0.2", f"policies.{kind}=policy:{kind}-tiny"])
    journal = Journal(None)
    twin = build_twin(sc, journal)
    twin.system.run(until=sc.horizon_h * 3600)
    journal.flush()
    allocator = next(
        r.body for r in journal.rows() if r.entity == "allocator" and r.kind == "state"
    )
    assert allocator[f"policy_{kind}"] == f"policy:{kind}-tiny"
    robots = [twin.system.actor(f"robot:{i}") for i in range(4)]  # type: ignore[attr-defined]
    assert sum(r.travel for r in robots) > 0


def test_shadow_mode_runs_the_learned_policy_beside_the_active_one(
    trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(trained["registry"].root))
    sc = load_scenario("tiny", ["horizon_h=0.2", "policies.shadow.slotting=policy:slotting-tiny@1",
                                "policies.shadow.dispatch=policy:dispatch-tiny"])  # fmt: skip
    journal = Journal(None)
    build_twin(sc, journal).system.run(until=sc.horizon_h * 3600)
    journal.flush()
    rows = [r.body for r in journal.rows() if r.entity == "allocator" and r.kind == "state"]
    assert rows[0]["policy_shadow_slotting"] == "policy:slotting-tiny@1"
    for key in ("shadow_slotting", "shadow_dispatch"):
        shadow = [b[key] for b in rows if key in b]
        assert shadow and all(len(s) == 4 for s in shadow)


def test_the_registry_promotes_and_refuses_unknown_names_versions_and_kinds(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    reg = trained["registry"]
    result, _ = trained["slotting"]
    pv2 = register(result, "slotting-tiny", reg)
    assert pv2.version == 2 and reg.get("slotting-tiny").version == 1
    reg.promote("slotting-tiny", 2)
    assert reg.get("slotting-tiny").version == 2
    reg.promote("slotting-tiny", 1)
    with pytest.raises(LogitwinError, match="no version 9"):
        reg.get("slotting-tiny", 9)
    with pytest.raises(LogitwinError, match="decides slotting, not dispatch"):
        reg.get("slotting-tiny", kind="dispatch")
    with pytest.raises(LogitwinError, match="no policy named 'nope'.*missing"):
        PolicyRegistry(tmp_path / "none").get("nope")
    site = DecisionStepper(CFG.load(), "slotting").view()
    with pytest.raises(LogitwinError, match="no policy named"):
        make_policy(parse_spec("slotting", "policy:nope"), site, np.random.default_rng(0))


def _cli(*argv: str) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    add_parsers(sub)
    return run(p.parse_args(list(argv)))


def test_the_policies_commands(trained: dict[str, Any], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    root = str(trained["registry"].root)
    assert _cli("policies", "--registry", root, "list") == 0
    assert "dispatch-tiny" in capsys.readouterr().out
    assert _cli("policies", "--registry", root, "show", "dispatch-tiny@1") == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "dispatch"
    assert _cli("policies", "--registry", root, "export", "dispatch-tiny",
                "--out", str(tmp_path / "p.onnx")) == 0  # fmt: skip
    assert (tmp_path / "p.onnx").stat().st_size > 0
    with pytest.raises(LogitwinError, match="needs NAME@VERSION"):
        _cli("policies", "--registry", root, "promote", "dispatch-tiny")
    with pytest.raises(LogitwinError, match="several --lr"):
        _cli("train", "slotting", "--timesteps", "10", "--lr", "1e-3,3e-4")


def test_imitation_fits_the_policy_to_a_heuristics_choices(tmp_path: Path) -> None:
    from sb3_contrib import MaskablePPO

    from logitwin.rl import make_env
    from logitwin.rl.imitate import collect, pretrain

    demos = collect("slotting", CFG, "class_based", 1, 90_000)
    assert len(demos) > 10 and demos.masks[np.arange(len(demos)), demos.actions].all()
    model = MaskablePPO("MlpPolicy", make_env("slotting", CFG), seed=0, device="cpu")
    fit = pretrain(model, demos, epochs=150, lr=3e-3)
    assert fit["accuracy"] > 0.9
    with pytest.raises(ValueError, match="expected one of"):
        collect("slotting", CFG, "nearest_idle", 1, 0)


def test_evaluation_pairs_the_policy_with_baselines_on_held_out_seeds(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    reg = trained["registry"]
    res = evaluate("dispatch", "dispatch-tiny@1", "tiny", ["horizon_h=0.2"], 2, tmp_path / "ev",
                   reg, baselines=("nearest_idle",))  # fmt: skip
    assert res.seeds == [100_000, 100_001]
    assert [a.label for a in res.arms] == ["policy:dispatch-tiny@1", "nearest_idle"]
    assert all(d.paired for d in res.diffs) and len(res.diffs) == 5
    assert res.report is not None and "policy:dispatch-tiny@1 vs nearest_idle" in (
        res.report.read_text())  # fmt: skip
    assert "travel per line" in format_table(res)
    assert reg.get("dispatch-tiny", 1).meta["evaluation"]["seeds"] == res.seeds


def test_ray_trains_each_seed_and_setting_as_a_task_and_registers_the_best(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--runtime ray` on a real local Ray: two learning rates, each a Ray task in its own
    worker process, both trained, the best by validation return registered with both
    runs in its record."""
    pytest.importorskip("ray")
    reg = tmp_path / "policies"
    out = tmp_path / "ray-run"
    assert _cli("train", "dispatch", "--set", "horizon_h=0.2", "--timesteps", "128",
                "--n-steps", "64", "--lr", "1e-3,3e-4", "--runtime", "ray", "--workers", "2",
                "--out", str(out), "--registry", str(reg), "--name", "dispatch-ray",
                "--no-progress") == 0  # fmt: skip
    assert "trained 2 run(s)" in capsys.readouterr().out
    runs = sorted(p.name for p in out.iterdir())
    assert runs == ["s0-seed0", "s1-seed0"]
    for r in runs:
        assert (out / r / "model.zip").is_file()
        assert json.loads((out / r / "train.json").read_text())["timesteps"] >= 128
    meta = PolicyRegistry(reg).get("dispatch-ray", None).meta
    rates = sorted(r["settings"]["learning_rate"] for r in meta["runs"])
    assert rates == [3e-4, 1e-3]
    returns = [r["validation_return"] for r in meta["runs"]]
    assert returns == sorted(returns, reverse=True)
