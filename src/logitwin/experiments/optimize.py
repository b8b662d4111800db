"""The smallest value of an integer parameter that meets a service target.

``logitwin optimize demo --minimize fleet.robots --subject-to "on_time >= 0.99"``
evaluates a value by running ``reps`` replications of the scenario with it (the same
seeds for every value: common random numbers) and taking the KPI's mean. It assumes the
KPI improves as the parameter grows (more robots, more stations): from the scenario's own
value it doubles until the target is met, or halves while it still is, then bisects
between the largest value that failed and the smallest that passed. Every evaluation is
a sweep cell run on Ray and kept as evidence.
"""

from __future__ import annotations

import csv
import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logitwin.errors import ScenarioError
from logitwin.experiments.sweep import expand, mean_ci, run_sweep

__all__ = ["ALIASES", "Constraint", "Evaluation", "minimize", "parse_constraint"]

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


@dataclass(frozen=True)
class Constraint:
    """``kpi op value``, e.g. made_truck_share >= 0.99."""

    kpi: str
    op: str
    value: float

    def holds(self, x: float) -> bool:
        """Whether ``x`` meets the target (NaN never does)."""
        return math.isfinite(x) and _OPS[self.op](x, self.value)

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
    """One value tried: the KPI over its replications, and whether it met the target."""

    value: int
    n: int
    mean: float
    ci95: float
    feasible: bool
    folder: Path


def _evaluate(
    base: dict[str, Any],
    path: str,
    value: int,
    reps: int,
    constraint: Constraint,
    out: Path,
    address: str | None,
    workers: int | None,
    progress: bool,
) -> Evaluation:
    jobs = expand(base, {path: [value]}, reps, source=f"{path}={value}")
    folder = out / f"{path}={value}"
    res = run_sweep(jobs, folder, [path], address, workers, progress)
    xs = [float(r.get(constraint.kpi, math.nan)) for r in res.rows]
    xs = [x for x in xs if math.isfinite(x)]
    mean, _, half = mean_ci(xs)
    n = len(xs)
    return Evaluation(value, n, mean, half, constraint.holds(mean), folder)


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
) -> tuple[Evaluation | None, list[Evaluation]]:
    """The smallest feasible value of ``path`` in ``[lo, hi]`` and every evaluation made.

    Returns ``(None, evaluations)`` when even ``hi`` misses the target.
    """
    from logitwin.actors.ray_runtime import connect_ray

    node: Any = base
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise ScenarioError(f"--minimize {path}: no such field in the scenario")
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int):
        raise ScenarioError(f"--minimize {path}: an integer field is needed, it is {node!r}")
    start = int(node)
    hi = hi if hi is not None else max(4 * start, lo)
    if lo < 1 or hi < lo:
        raise ScenarioError(f"--range {lo}:{hi}: expected 1 <= LO <= HI")
    start = min(max(start, lo), hi)
    out.mkdir(parents=True, exist_ok=True)
    evals: dict[int, Evaluation] = {}
    started = connect_ray(address, workers)
    try:

        def ev(v: int) -> Evaluation:
            if v not in evals:
                evals[v] = _evaluate(
                    base, path, v, reps, constraint, out, address, workers, progress
                )
                if on_eval is not None:
                    on_eval(evals[v])
            return evals[v]

        # Bracket: `bad` fails (or is below lo), `good` passes.
        if ev(start).feasible:
            good, bad = start, lo - 1
            while good > lo:
                v = max(lo, good // 2)
                if ev(v).feasible:
                    good = v
                else:
                    bad = v
                    break
        else:
            bad, good = start, -1
            while bad < hi:
                v = min(hi, bad * 2)
                if ev(v).feasible:
                    good = v
                    break
                bad = v
            if good < 0:
                _write(out, path, constraint, None, list(evals.values()))
                return None, sorted(evals.values(), key=lambda e: e.value)
        while good - bad > 1:
            mid = (good + bad) // 2
            if ev(mid).feasible:
                good = mid
            else:
                bad = mid
    finally:
        if started:
            import ray

            ray.shutdown()
    best = evals[good]
    history = sorted(evals.values(), key=lambda e: e.value)
    _write(out, path, constraint, best, history)
    return best, history


def _write(
    out: Path, path: str, c: Constraint, best: Evaluation | None, history: list[Evaluation]
) -> None:
    with open(out / "evaluations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([path, "runs", f"{c.kpi}_mean", f"{c.kpi}_ci95", "feasible", "folder"])
        for e in sorted(history, key=lambda e: e.value):
            w.writerow([e.value, e.n, e.mean, e.ci95, e.feasible, e.folder.name])
    (out / "optimize.json").write_text(
        json.dumps(
            {
                "minimize": path,
                "subject_to": str(c),
                "best": None if best is None else best.value,
                "evaluations": [
                    {"value": e.value, "mean": e.mean, "ci95": e.ci95, "feasible": e.feasible}
                    for e in sorted(history, key=lambda e: e.value)
                ],
            },
            indent=2,
        )
        + "\n"
    )
