"""Compare what-if results: differences with confidence intervals, and whether they hold.

Inputs are sweep folders (``runs.csv`` from ``logitwin sweep``) or single run folders
(``kpis.json`` from ``logitwin run``). Every cell of a sweep, and every run folder, is an
*arm*; the first arm is the baseline. For each other arm and KPI the difference to the
baseline gets a 95% confidence interval: paired by seed when both arms ran the same seeds
(common random numbers: the sweep's replication r of every cell shares a seed), Welch's
otherwise. A difference is significant when its interval excludes zero.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logitwin.errors import LogitwinError
from logitwin.experiments.sweep import mean_ci, t_quantile_975
from logitwin.scenarios.kpis_yard import YARD_KPIS

__all__ = ["HEADLINE", "Arm", "Diff", "differences", "headline", "load_arms"]

# KPIs a planner reads first: (key, label, higher is better).
HEADLINE: tuple[tuple[str, str, bool], ...] = (
    ("orders_per_hour", "throughput (orders/h)", True),
    ("made_truck_share", "on time (made their truck)", True),
    ("order_cycle_p50_min", "cycle time p50 (min)", False),
    ("order_cycle_p95_min", "cycle time p95 (min)", False),
    ("station_utilisation", "station utilisation", True),
    ("robot_idle_share", "robots idle", False),
    ("travel_m_per_line", "travel per line (m)", False),
    ("traffic_wait_share", "steps blocked by traffic", False),
    *YARD_KPIS,
)


def headline(arms: list[Arm]) -> tuple[tuple[str, str, bool], ...]:
    """The headline KPIs that some arm has (a run without a yard has no truck waiting)."""
    return tuple(h for h in HEADLINE if any(h[0] in k for a in arms for k in a.kpis))


@dataclass
class Arm:
    """One configuration compared: its label, its runs' KPIs and their folders."""

    label: str
    params: dict[str, Any]
    seeds: list[int]
    kpis: list[dict[str, float]]
    run_dirs: list[Path] = field(default_factory=list)

    def values(self, kpi: str) -> list[float]:
        """The KPI in every run (NaN where a run has none)."""
        return [float(k.get(kpi, math.nan)) for k in self.kpis]

    def mean_ci(self, kpi: str) -> tuple[float, float]:
        """Mean and 95% CI half-width (NaN with fewer than two finite values)."""
        xs = [x for x in self.values(kpi) if math.isfinite(x)]
        return _mean_ci(xs)


@dataclass(frozen=True)
class Diff:
    """An arm's KPI minus the baseline's, with its 95% CI."""

    arm: str
    kpi: str
    baseline: float
    value: float
    diff: float
    ci_low: float
    ci_high: float
    paired: bool

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return math.isfinite(self.ci_low) and (self.ci_low > 0 or self.ci_high < 0)


def _mean_ci(xs: list[float]) -> tuple[float, float]:
    mean, _, half = mean_ci(xs)
    return mean, half


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def load_arms(paths: list[Path]) -> list[Arm]:
    """Every arm in the given sweep or run folders, in order.

    Raises:
        LogitwinError: a path is neither a sweep folder nor a run folder, or is unreadable.
    """
    if not paths:
        raise LogitwinError("compare needs at least one sweep or run folder")
    arms: list[Arm] = []
    for path in paths:
        if (path / "runs.csv").is_file():
            found = _sweep_arms(path)
            if len(paths) > 1:
                for arm in found:
                    if arm.params:
                        arm.label = f"{path.name}: {arm.label}"
            arms.extend(found)
        elif (path / "kpis.json").is_file():
            arms.append(_run_arm(path))
        else:
            raise LogitwinError(
                f"{path}: not a sweep folder (runs.csv) or a run folder (kpis.json)"
            )
    return arms


def _sweep_arms(path: Path) -> list[Arm]:
    try:
        meta = json.loads((path / "sweep.json").read_text())
        with open(path / "runs.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, ValueError) as exc:
        raise LogitwinError(f"{path}: cannot read the sweep: {exc}") from None
    params: list[str] = list(meta.get("params", []))
    names = {(int(r["cell"]), int(r["rep"])): r["name"] for r in meta.get("runs", [])}
    by_cell: dict[int, Arm] = {}
    for row in rows:
        cell = int(row["cell"])
        arm = by_cell.get(cell)
        if arm is None:
            p = {k: _number(row[k]) for k in params}
            label = ", ".join(f"{k}={_fmt(v)}" for k, v in p.items()) or path.name
            arm = by_cell[cell] = Arm(label, p, [], [])
        arm.seeds.append(int(row["seed"]))
        skip = {"cell", "rep", "seed", *params}
        arm.kpis.append({k: float(v) for k, v in row.items() if k not in skip and v != ""})
        name = names.get((cell, int(row["rep"])))
        if name is not None:
            arm.run_dirs.append(path / "runs" / name)
    return [by_cell[c] for c in sorted(by_cell)]


def _run_arm(path: Path) -> Arm:
    try:
        kpis = json.loads((path / "kpis.json").read_text())
    except (OSError, ValueError) as exc:
        raise LogitwinError(f"{path}: cannot read kpis.json: {exc}") from None
    seed = -1
    scen = path / "scenario.yaml"
    if scen.is_file():
        import yaml

        data = yaml.safe_load(scen.read_text()) or {}
        seed = int(data.get("seed", -1))
    flat = {
        k: float(v) if v is not None else math.nan
        for k, v in kpis.items()
        if isinstance(v, (int, float)) or v is None
    }
    return Arm(path.name, {}, [seed], [flat], [path])


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def differences(arms: list[Arm], kpis: list[str] | None = None) -> list[Diff]:
    """Every arm after the first against the first, for each KPI (headline by default)."""
    keys = kpis or [k for k, _, _ in headline(arms)]
    base = arms[0]
    out = []
    for arm in arms[1:]:
        paired = sorted(arm.seeds) == sorted(base.seeds) and len(set(base.seeds)) == len(base.seeds)
        for k in keys:
            b_mean, _ = base.mean_ci(k)
            a_mean, _ = arm.mean_ci(k)
            if paired:
                bv = dict(zip(base.seeds, base.values(k), strict=True))
                d = [
                    x - bv[s]
                    for s, x in zip(arm.seeds, arm.values(k), strict=True)
                    if math.isfinite(x) and math.isfinite(bv[s])
                ]
                mean, half = _mean_ci(d)
            else:
                mean, half = a_mean - b_mean, _welch(base.values(k), arm.values(k))
            out.append(Diff(arm.label, k, b_mean, a_mean, mean, mean - half, mean + half, paired))
    return out


def _welch(a: list[float], b: list[float]) -> float:
    """Half-width of Welch's 95% interval for mean(b) - mean(a)."""
    a = [x for x in a if math.isfinite(x)]
    b = [x for x in b if math.isfinite(x)]
    if len(a) < 2 or len(b) < 2:
        return math.nan
    va = math.fsum((x - math.fsum(a) / len(a)) ** 2 for x in a) / (len(a) - 1) / len(a)
    vb = math.fsum((x - math.fsum(b) / len(b)) ** 2 for x in b) / (len(b) - 1) / len(b)
    if va + vb == 0:
        return 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return t_quantile_975(max(1, int(df))) * math.sqrt(va + vb)
