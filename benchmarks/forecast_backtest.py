"""Which demand forecast feeds replenishment: a rolling-origin backtest on the demo's
order history, every method against the naive baseline in the same run.

The history is the demo scenario's generated demand (the real ``Demand`` actor on a
``LocalSystem``, no floor), one 8-hour shift per seed, bucketed into hourly lines per SKU
class (A/B/C by cumulative popularity 50% / 80%; the last, quarter-hour bucket of the
shift is dropped: it is the shutdown, not demand). Two regimes:

* ``within_day``: what a twin run has, only the run's own history so far. For every
  origin ``t >= 2`` of every shift and class, forecast bucket ``t + h - 1`` from
  buckets ``< t``.
* ``multi_day``: the shifts back to back (seed k is day k), so a seasonal naive (the
  same hour of the previous shift) is possible; origins in days 2.. only.

Errors: MAE (lines per hour), relative MAE against the naive method on the same points
(out-of-sample MASE; below 1 beats naive) and sMAPE (%).

    .venv/bin/python benchmarks/forecast_backtest.py
    .venv/bin/python benchmarks/forecast_backtest.py --seeds 1 2 3 --horizons 1
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.actors.messages import NewOrder
from logitwin.actors.runtime import Actor, LocalSystem, handles
from logitwin.control.forecast import (
    ForecastParams,
    forecast,
    mae,
    seasonal_naive,
    smape,
)
from logitwin.control.replenish import abc_classes
from logitwin.scenarios.build import demand_params
from logitwin.scenarios.loader import load_scenario
from logitwin.sim.demand import Demand, zipf_weights


class _Recorder(Actor):
    """Stands in for order release: keeps (time, skus) of every new order."""

    kind = "release"

    def __init__(self, system: Any, aid: str) -> None:
        super().__init__(system, aid)
        self.orders: list[tuple[float, tuple[int, ...]]] = []

    @handles(NewOrder)
    def _new(self, msg: NewOrder, sender: str) -> None:
        self.orders.append((self.now, msg.skus))


def demo_history(seed: int, bucket_s: float) -> tuple[np.ndarray, int]:
    """Lines per (class, bucket) of the demo's demand with ``seed``, and the count of
    full buckets (the partial last one dropped)."""
    sc = load_scenario("demo", [f"seed={seed}"])
    params = demand_params(sc)
    stop_s = params.stop_s
    system = LocalSystem(sc.seed)
    rec = system.spawn(_Recorder, "release")
    system.spawn(Demand, "demand", params=params, cutoffs=[], rng=system.rng("demand"))
    system.run(until=stop_s + 1.0)
    classes = abc_classes(zipf_weights(sc.inventory.skus, sc.demand.zipf_s))
    full = int(stop_s // bucket_s)
    out = np.zeros((int(classes.max()) + 1, full))
    for t, skus in rec.orders:
        b = int(t // bucket_s)
        if b < full:
            for s in skus:
                out[classes[s], b] += 1
    return out, full


Method = Callable[[np.ndarray, int], float]


def methods(season: int | None) -> dict[str, Method]:
    def by(params: ForecastParams) -> Method:
        return lambda y, h: forecast(y, h, params)[0]

    out: dict[str, Method] = {
        "naive": by(ForecastParams("naive")),
        "moving_average_3": by(ForecastParams("moving_average", window=3)),
        "ses_0.5": by(ForecastParams("ses", alpha=0.5)),
        "ses_fit": by(ForecastParams("ses", fit=True)),
        "holt_damped_0.5_0.2_0.9": by(ForecastParams("holt_damped")),
        "holt_damped_fit": by(ForecastParams("holt_damped", fit=True)),
    }
    if season is not None:
        out["seasonal_naive"] = lambda y, h: seasonal_naive(y, season, h)
    return out


def backtest(
    series: list[np.ndarray], origins: list[range], h: int, ms: dict[str, Method]
) -> dict[str, dict[str, float]]:
    """Errors of each method over every (series, origin)."""
    actual: list[float] = []
    pred: dict[str, list[float]] = {m: [] for m in ms}
    for y, span in zip(series, origins, strict=True):
        for t in span:
            if t + h - 1 >= y.size:
                continue
            actual.append(float(y[t + h - 1]))
            for name, f in ms.items():
                pred[name].append(f(y[:t], h))
    base = mae(actual, pred["naive"])
    return {
        name: {
            "mae": round(mae(actual, p), 2),
            "rel_mae_vs_naive": round(mae(actual, p) / base, 3),
            "smape_pct": round(smape(actual, p), 2),
            "points": len(p),
        }
        for name, p in pred.items()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--bucket-min", type=float, default=60.0)
    ap.add_argument("--horizons", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args(argv)
    days = [demo_history(s, a.bucket_min * 60.0) for s in a.seeds]
    n_cls = days[0][0].shape[0]
    per_day = days[0][1]
    result: dict[str, Any] = {
        "benchmark": "forecast_backtest",
        "history": f"demo demand, seeds {a.seeds}, {a.bucket_min:g}-min buckets",
        "buckets_per_shift": per_day,
        "lines_per_class": [int(sum(d[0][c].sum() for d in days)) for c in range(n_cls)],
        "machine": {"cpu": cpu_name(), "python": platform.python_version()},
        "within_day": {},
        "multi_day": {},
    }
    for h in a.horizons:
        series = [d[0][c] for d in days for c in range(n_cls)]
        result["within_day"][f"h{h}"] = backtest(
            series, [range(2, s.size) for s in series], h, methods(None)
        )
        joined = [np.concatenate([d[0][c] for d in days]) for c in range(n_cls)]
        result["multi_day"][f"h{h}"] = backtest(
            joined, [range(per_day, s.size) for s in joined], h, methods(per_day)
        )
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
