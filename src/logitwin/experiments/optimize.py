"""The smallest value of an integer parameter that meets a service target.

``logitwin optimize demo --minimize fleet.robots --subject-to "on_time >= 0.99"``
evaluates a value by running replications of the scenario with it (the same seeds for
every value: common random numbers) and judging the KPI by its 95% confidence interval:
the value *meets* the target when the whole interval lies on the target's side, *misses*
it when the whole interval lies on the other side, and is otherwise undecided, so more
replications run (seeds continue: replication ``r`` has seed ``seed + r``) until the
interval clears the target or ``max_reps`` is reached. A value still undecided then is
treated as missing the target (the answer is never chosen on noise) and says so in the
evidence. The search assumes the KPI improves as the parameter grows (more robots, more
stations): from the scenario's own value it doubles until the target is met, or halves
while it still is, then bisects between the largest value that did not meet it and the
smallest that did. Every batch of replications is a sweep run on Ray and kept as evidence.
"""

from __future__ import annotations

import csv
import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from logitwin.errors import ScenarioError
from logitwin.experiments.sweep import expand, mean_ci, run_sweep

__all__ = [
    "ALIASES",
    "Constraint",
    "Evaluation",
    "Verdict",
    "minimize",
    "parse_constraint",
    "replicate",
    "search",
]

# Names a planner may use for KPIs in a constraint.
ALIASES = {
    "on_time": "made_truck_share",
    "throughput": "orders_per_hour",
    "cycle_p95": "order_cycle_p95_min",
    "cycle_p50": "order_cycle_p50_min",
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def _kpi_names() -> list[str]:
    from logitwin.scenarios.kpis import project

    return [k for k, v in project([], 3600.0, 1.0).kpis.items() if not isinstance(v, dict)]


class Verdict(StrEnum):
    """What the replications so far say about a value."""

    MEETS = "meets"  # the whole 95% interval meets the target
    MISSES = "misses"  # the whole interval misses it (or the KPI was never defined)
    UNDECIDED = "undecided"  # the interval straddles the target, or there is none yet


@dataclass(frozen=True)
class Constraint:
    """``kpi op value``, e.g. made_truck_share >= 0.99."""

    kpi: str
    op: str
    value: float

    def holds(self, x: float) -> bool:
        """Whether ``x`` meets the target (NaN never does)."""
        return math.isfinite(x) and _OPS[self.op](x, self.value)

    def judge(self, mean: float, ci95: float) -> Verdict:
        """Judge a KPI by its mean and the half-width of its 95% interval.

        A NaN mean (no run defined the KPI) misses; a NaN half-width (one value) is
        undecided.
        """
        if not math.isfinite(mean):
            return Verdict.MISSES
        if not math.isfinite(ci95):
            return Verdict.UNDECIDED
        low, high = mean - ci95, mean + ci95
        worst, best = (low, high) if self.op in (">=", ">") else (high, low)
        if self.holds(worst):
            return Verdict.MEETS
        if not self.holds(best):
            return Verdict.MISSES
        return Verdict.UNDECIDED

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {self.value:g}"


def parse_constraint(text: str) -> Constraint:
    """``"on_time >= 0.99"`` → Constraint; errors list the KPIs and operators allowed."""
    m = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*", text)
    if m is None:
        raise ScenarioError(
            f'--subject-to {text!r}: expected KPI OP VALUE, e.g. "on_time >= 0.99" '
            f"(OP one of {', '.join(_OPS)})"
        )
    name, op, raw = m.groups()
    kpi = ALIASES.get(name, name)
    names = _kpi_names()
    if kpi not in names:
        raise ScenarioError(
            f"--subject-to {text!r}: unknown KPI {name!r}; known: "
            f"{', '.join(sorted(ALIASES))}, {', '.join(names)}"
        )
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError(f"--subject-to {text!r}: {raw!r} is not a number") from None
    return Constraint(kpi, op, value)


@dataclass(frozen=True)
class Evaluation:
    """One value tried: the KPI over its replications and the verdict on the target.

    Attributes:
        value: the parameter's value.
        runs: replications run (seeds ``seed`` to ``seed + runs - 1``).
        n: runs whose KPI was defined (not NaN): the sample of ``mean`` and ``ci95``.
        mean: the KPI's mean over them.
        ci95: half-width of its Student-t 95% interval (NaN below two values).
        verdict: meets, misses or undecided (the interval still straddled the target
            when the replication cap was reached).
        folders: the sweep folders holding the runs, one per batch of replications.
    """

    value: int
    runs: int
    n: int
    mean: float
    ci95: float
    verdict: Verdict
    folders: tuple[Path, ...]

    @property
    def feasible(self) -> bool:
        """Whether the value counts as meeting the target: only a clear "meets" does."""
        return self.verdict is Verdict.MEETS

    @property
    def decided(self) -> bool:
        """Whether the interval cleared the target (either way)."""
        return self.verdict is not Verdict.UNDECIDED


Batch = Callable[[int, int, int], tuple[list[float], Path]]
"""Runs replications ``first .. first + count - 1`` of a value: ``(value, first, count)``
→ (the KPI of each run, the folder holding them)."""


def replicate(
    value: int, batch: Batch, constraint: Constraint, reps: int, max_reps: int
) -> Evaluation:
    """Run ``reps`` replications of ``value``, then ``reps`` more at a time until the 95%
    interval of the KPI clears the target or ``max_reps`` have run.

    Raises:
        ValueError: ``reps`` < 1 or ``max_reps`` < ``reps``.
    """
    if reps < 1 or max_reps < reps:
        raise ValueError(f"need 1 <= reps <= max_reps, got reps={reps}, max_reps={max_reps}")
    xs: list[float] = []
    folders: list[Path] = []
    runs = 0
    while True:
        count = min(reps, max_reps - runs)
        got, folder = batch(value, runs, count)
        runs += count
        folders.append(folder)
        xs.extend(x for x in got if math.isfinite(x))
        mean, _, half = mean_ci(xs)
        verdict = constraint.judge(mean, half)
        if verdict is not Verdict.UNDECIDED or runs >= max_reps:
            return Evaluation(value, runs, len(xs), mean, half, verdict, tuple(folders))


def search(feasible: Callable[[int], bool], start: int, lo: int, hi: int) -> int | None:
    """The smallest value in ``[lo, hi]`` for which ``feasible`` holds, assuming it holds
    for every value above one that does: doubling or halving from ``start``, then
    bisection. ``None`` when even ``hi`` is not feasible."""
    if feasible(start):
        good, bad = start, lo - 1
        while good > lo:
            v = max(lo, good // 2)
            if feasible(v):
                good = v
            else:
                bad = v
                break
    else:
        bad, good = start, -1
        while bad < hi:
            v = min(hi, bad * 2)
            if feasible(v):
                good = v
                break
            bad = v
        if good < 0:
            return None
    while good - bad > 1:
        mid = (good + bad) // 2
        if feasible(mid):
            good = mid
        else:
            bad = mid
    return good


def _sweep_batch(
    base: dict[str, Any],
    path: str,
    constraint: Constraint,
    out: Path,
    address: str | None,
    workers: int | None,
    progress: bool,
) -> Batch:
    def batch(value: int, first: int, count: int) -> tuple[list[float], Path]:
        jobs = expand(base, {path: [value]}, first + count, source=f"{path}={value}")[first:]
        name = (
            f"{path}={value}" if first == 0 else f"{path}={value}+reps{first}-{first + count - 1}"
        )
        res = run_sweep(jobs, out / name, [path], address, workers, progress)
        return [float(r.get(constraint.kpi, math.nan)) for r in res.rows], out / name

    return batch


def minimize(
    base: dict[str, Any],
    path: str,
    constraint: Constraint,
    reps: int,
    out: Path,
    lo: int = 1,
    hi: int | None = None,
    address: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    on_eval: Callable[[Evaluation], None] | None = None,
    max_reps: int | None = None,
) -> tuple[Evaluation | None, list[Evaluation]]:
    """The smallest value of ``path`` in ``[lo, hi]`` that clearly meets the target, and
    every evaluation made.

    Args:
        reps: replications per value at first, and per batch added while undecided.
        max_reps: most replications per value (default ``4 * reps``); a value still
            undecided then counts as missing the target.

    Returns ``(None, evaluations)`` when even ``hi`` does not clearly meet the target.
    """
    from logitwin.actors.ray_runtime import connect_ray

    node: Any = base
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise ScenarioError(f"--minimize {path}: no such field in the scenario")
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int):
        raise ScenarioError(f"--minimize {path}: an integer field is needed, it is {node!r}")
    if reps < 1:
        raise ScenarioError(f"--reps must be >= 1, got {reps}")
    max_reps = 4 * reps if max_reps is None else max_reps
    if max_reps < reps:
        raise ScenarioError(f"--max-reps must be >= --reps ({reps}), got {max_reps}")
    start = int(node)
    hi = hi if hi is not None else max(4 * start, lo)
    if lo < 1 or hi < lo:
        raise ScenarioError(f"--range {lo}:{hi}: expected 1 <= LO <= HI")
    start = min(max(start, lo), hi)
    out.mkdir(parents=True, exist_ok=True)
    evals: dict[int, Evaluation] = {}
    batch = _sweep_batch(base, path, constraint, out, address, workers, progress)

    def feasible(v: int) -> bool:
        if v not in evals:
            evals[v] = replicate(v, batch, constraint, reps, max_reps)
            if on_eval is not None:
                on_eval(evals[v])
        return evals[v].feasible

    started = connect_ray(address, workers)
    try:
        good = search(feasible, start, lo, hi)
    finally:
        if started:
            import ray

            ray.shutdown()
    best = None if good is None else evals[good]
    history = sorted(evals.values(), key=lambda e: e.value)
    _write(out, path, constraint, reps, max_reps, best, history)
    return best, history


def _write(
    out: Path,
    path: str,
    c: Constraint,
    reps: int,
    max_reps: int,
    best: Evaluation | None,
    history: list[Evaluation],
) -> None:
    with open(out / "evaluations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [path, "runs", "n", f"{c.kpi}_mean", f"{c.kpi}_ci95", "verdict", "feasible", "folders"]
        )
        for e in history:
            folders = ";".join(f.name for f in e.folders)
            w.writerow([e.value, e.runs, e.n, e.mean, e.ci95, e.verdict.value, e.feasible, folders])
    (out / "optimize.json").write_text(
        json.dumps(
            {
                "minimize": path,
                "subject_to": str(c),
                "reps": reps,
                "max_reps": max_reps,
                "best": None if best is None else best.value,
                "undecided": [e.value for e in history if not e.decided],
                "evaluations": [
                    {
                        "value": e.value,
                        "runs": e.runs,
                        "n": e.n,
                        "mean": e.mean,
                        "ci95": e.ci95,
                        "verdict": e.verdict.value,
                        "feasible": e.feasible,
                        "folders": [f.name for f in e.folders],
                    }
                    for e in history
                ],
            },
            indent=2,
        )
        + "\n"
    )
