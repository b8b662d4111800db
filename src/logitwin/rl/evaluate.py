"""Evaluate a learned policy against the heuristics in full twin runs.

Every arm (the policy, then each baseline of its kind) runs the same scenario on the
same seeds (common random numbers), each run a normal ``run_scenario`` with the
scenario's ``policies:`` entry for the kind set to the arm; only that decision differs.
Seeds start at :data:`EVAL_SEEDS`, which training (``reset()`` draws below
``envs.TRAIN_SEEDS``) and validation never use. Differences are paired by seed with
95% Student-t intervals (``experiments.compare.differences``) and go into the compare
HTML report.
"""

from __future__ import annotations

import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from logitwin.errors import LogitwinError
from logitwin.experiments.compare import Arm, Diff, differences
from logitwin.rl.envs import TRAIN_SEEDS
from logitwin.rl.registry import ENV_VAR, PolicyRegistry

__all__ = ["BASELINES", "EVAL_KPIS", "EVAL_SEEDS", "EvalResult", "evaluate", "format_table"]

EVAL_SEEDS = TRAIN_SEEDS  # 100_000 on: held out from training and validation
BASELINES: dict[str, tuple[str, ...]] = {
    "slotting": ("random", "nearest_free", "class_based"),
    "dispatch": ("nearest_idle", "fifo", "assignment"),
}
# (KPI, label, higher is better)
EVAL_KPIS: tuple[tuple[str, str, bool], ...] = (
    ("travel_m_per_line", "travel per line (m)", False),
    ("orders_per_hour", "throughput (orders/h)", True),
    ("order_cycle_p50_min", "cycle time p50 (min)", False),
    ("made_truck_share", "on time (made truck)", True),
    ("robot_waiting_share", "robots waiting (share)", False),
)


@dataclass
class EvalResult:
    """The arms (policy first) and the policy's paired differences to each baseline."""

    kind: str
    policy: str
    seeds: list[int]
    arms: list[Arm]
    diffs: list[Diff]
    report: Path | None

    def as_dict(self) -> dict[str, Any]:
        """For ``eval.json`` and the registry's metadata."""
        means = {a.label: {k: a.mean_ci(k) for k, _, _ in EVAL_KPIS} for a in self.arms}
        return {
            "kind": self.kind, "policy": self.policy, "seeds": self.seeds,
            "arms": {lbl: {k: {"mean": m, "ci95": h} for k, (m, h) in v.items()}
                     for lbl, v in means.items()},
            "differences": [
                {"versus": d.arm.split(" vs ")[-1], "kpi": d.kpi, "baseline": d.baseline,
                 "policy": d.value, "diff": d.diff, "ci95": [d.ci_low, d.ci_high],
                 "relative": d.diff / d.baseline if d.baseline else math.nan,
                 "paired": d.paired, "significant": d.significant}
                for d in self.diffs
            ],
        }  # fmt: skip


def _init_worker(registry: str) -> None:
    # Learned policies load from the registry named by the environment variable; set in
    # the worker processes only.
    os.environ[ENV_VAR] = registry


def _run_one(job: tuple[str, list[str], str, str, int, str]) -> tuple[str, int, dict[str, Any]]:
    from logitwin.experiments.sweep import _scalars
    from logitwin.scenarios.loader import load_scenario
    from logitwin.scenarios.runner import run_scenario

    scenario, overrides, kind, spec, seed, out = job
    sc = load_scenario(scenario, [*overrides, f"seed={seed}", f"policies.{kind}={spec}"])
    res = run_scenario(sc, out)
    return spec, seed, _scalars(res.kpis)


def evaluate(
    kind: str,
    policy: str,
    scenario: str,
    overrides: list[str],
    seeds: int,
    out_dir: str | Path,
    registry: PolicyRegistry,
    workers: int = 1,
    baselines: tuple[str, ...] | None = None,
    first_seed: int = EVAL_SEEDS,
) -> EvalResult:
    """Run the policy and the baselines of ``kind`` on ``seeds`` held-out seeds.

    Args:
        kind: ``slotting`` or ``dispatch``.
        policy: ``NAME`` or ``NAME@VERSION`` in ``registry``.
        scenario: built-in name or YAML path; ``overrides``: ``path=value`` items.
        seeds: how many seeds (from ``first_seed``, default :data:`EVAL_SEEDS`).
        out_dir: where each run's folder, ``eval.json`` and ``report.html`` go.
        registry: where the policy is registered.
        workers: runs in parallel (processes).
        baselines: heuristics to compare with (default :data:`BASELINES` of ``kind``).

    Raises:
        LogitwinError: an unknown policy or kind, or fewer than two seeds.
    """
    if kind not in BASELINES:
        raise LogitwinError(f"unknown decision kind {kind!r}; expected slotting or dispatch")
    if seeds < 2:
        raise LogitwinError(f"--seeds must be >= 2 for an interval, got {seeds}")
    name, _, v = policy.partition("@")
    pv = registry.get(name, int(v) if v else None, kind)
    spec = f"policy:{pv.name}@{pv.version}"
    out = Path(out_dir)
    if (out / "eval.json").exists():
        raise LogitwinError(f"{out} already holds an evaluation; choose another --out")
    arms_specs = [spec, *(baselines or BASELINES[kind])]
    seed_list = [first_seed + i for i in range(seeds)]
    jobs = [(scenario, list(overrides), kind, s, seed, str(out / _safe(s) / f"seed-{seed}"))
            for s in arms_specs for seed in seed_list]  # fmt: skip
    ctx = get_context("spawn")
    root = str(registry.root.resolve())
    with ProcessPoolExecutor(max(1, workers), mp_context=ctx, initializer=_init_worker,
                             initargs=(root,)) as pool:  # fmt: skip
        results = list(pool.map(_run_one, jobs))
    arms = []
    for s in arms_specs:
        rows = sorted((seed, k) for sp, seed, k in results if sp == s)
        arm = Arm(s, {"policy": s}, [seed for seed, _ in rows], [k for _, k in rows],
                  [out / _safe(s) / f"seed-{seed}" for seed, _ in rows])  # fmt: skip
        arms.append(arm)
    keys = [k for k, _, _ in EVAL_KPIS]
    diffs = []
    for base in arms[1:]:
        for d in differences([base, arms[0]], keys):
            diffs.append(replace(d, arm=f"{spec} vs {base.label}"))
    result = EvalResult(kind, spec, seed_list, arms, diffs, None)
    from logitwin.experiments.report_html import write_report

    result.report = write_report(
        [*arms[1:], arms[0]], diffs, out / "report.html",
        f"{spec} against the {kind} heuristics ({scenario}, {seeds} held-out seeds)",
    )  # fmt: skip
    summary = {**result.as_dict(), "scenario": scenario, "overrides": list(overrides)}
    (out / "eval.json").write_text(json.dumps(summary, indent=2) + "\n")
    registry.update_meta(pv.name, pv.version, evaluation=summary)
    return result


def _safe(spec: str) -> str:
    return spec.replace(":", "_").replace("@", "_v")


def format_table(result: EvalResult) -> str:
    """The paired differences as a plain-text table (policy minus baseline)."""
    lines = [f"{result.policy} ({result.kind}), seeds {result.seeds[0]}..{result.seeds[-1]}",
             f"{'baseline':<14}{'KPI':<24}{'baseline':>10}{'policy':>10}"
             f"{'diff [95% CI]':>30}{'rel':>8}"]  # fmt: skip
    labels = {k: lbl for k, lbl, _ in EVAL_KPIS}
    for d in result.diffs:
        rel = f"{100 * d.diff / d.baseline:+.1f}%" if d.baseline else "n/a"
        ci = f"{d.diff:+.3f} [{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
        lines.append(f"{d.arm.split(' vs ')[-1]:<14}{labels[d.kpi]:<24}"
                     f"{d.baseline:>10.3f}{d.value:>10.3f}{ci:>30}{rel:>8}")  # fmt: skip
    return "\n".join(lines)
