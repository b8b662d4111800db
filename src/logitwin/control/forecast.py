"""Demand forecasts for replenishment: short numpy implementations of the classic
one-series methods, and the error measures their backtest uses.

Every function is pure over a demand series ``y`` (one value per bucket, oldest first).
The methods:

* :func:`naive` (last value), :func:`moving_average`, :func:`seasonal_naive`: baselines.
* :func:`ses`: simple exponential smoothing, level only.
* :func:`holt_damped`: Holt's linear trend with a damped trend (Gardner & McKenzie
  1985).

:func:`forecast` uses the naive method by default: ``benchmarks/forecast_backtest.py``
(rolling origin, demo demand in hourly buckets per SKU class) found it the most
accurate within one shift, where demand steps from hour to hour and the smoothing
methods lag a step behind; with a previous shift in the history the seasonal naive
is far better still (about 0.4x the naive MAE one hour ahead).

``fit_*`` choose the smoothing constants by the smallest sum of squared one-step errors
over a small grid, so a refit is cheap enough to run every bucket of a run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FORECAST_METHODS",
    "ForecastParams",
    "Series",
    "forecast",
    "holt_damped",
    "mae",
    "mase",
    "moving_average",
    "naive",
    "one_step_errors",
    "seasonal_naive",
    "ses",
    "smape",
]

FORECAST_METHODS = ("naive", "moving_average", "seasonal_naive", "ses", "holt_damped")

# A demand series: a sequence or a 1-D array of values, oldest first.
Series = Sequence[float] | np.ndarray

_ALPHAS = (0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
_BETAS = (0.05, 0.1, 0.2, 0.4)
_PHIS = (0.8, 0.9, 0.98)


def _series(y: Series) -> np.ndarray:
    a = np.asarray(y, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"a demand series is one-dimensional; got shape {a.shape}")
    return a


def naive(y: Series) -> float:
    """The last value (0 for an empty series)."""
    return float(y[-1]) if len(y) else 0.0


def moving_average(y: Series, window: int = 3) -> float:
    """The mean of the last ``window`` values (fewer at the start; 0 when empty)."""
    if window < 1:
        raise ValueError(f"window must be >= 1 bucket, got {window}")
    a = _series(y)[-window:]
    return float(a.mean()) if a.size else 0.0


def seasonal_naive(y: Series, season: int, h: int = 1) -> float:
    """The value one season before the bucket ``h`` ahead; the last value when the
    series is shorter than a season."""
    if season < 1 or h < 1:
        raise ValueError(f"season and h must be >= 1, got {season}, {h}")
    n = len(y)
    k = n - 1 + h - season * math.ceil(h / season)
    return float(y[k]) if 0 <= k < n else naive(y)


def ses(y: Series, alpha: float, level0: float | None = None) -> tuple[float, np.ndarray]:
    """Simple exponential smoothing.

    Args:
        y: the series.
        alpha: smoothing constant, 0 < alpha <= 1.
        level0: the level before the first value (a prior); default the first value.

    Returns:
        The forecast for every future bucket, and the one-step errors ``y[t] - level``
        of each value the recursion forecast (from the first with a prior, else the
        second).
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    a = _series(y)
    if a.size == 0:
        return (level0 or 0.0), np.zeros(0)
    start = 0 if level0 is not None else 1
    level = float(level0) if level0 is not None else float(a[0])
    errors = np.empty(a.size - start)
    for i, v in enumerate(a[start:]):
        errors[i] = v - level
        level += alpha * (v - level)
    return level, errors


def holt_damped(
    y: Series,
    alpha: float,
    beta: float,
    phi: float,
    h: int = 1,
    level0: float | None = None,
) -> tuple[float, np.ndarray]:
    """Holt's linear method with a damped trend.

    ``l[t] = alpha*y[t] + (1-alpha)*(l[t-1] + phi*b[t-1])``,
    ``b[t] = beta*(l[t] - l[t-1]) + (1-beta)*phi*b[t-1]``; the forecast ``h`` ahead is
    ``l + (phi + ... + phi**h) * b``, never below 0 (demand).

    Args:
        y: the series.
        alpha, beta: smoothing constants in (0, 1].
        phi: damping, 0 < phi <= 1 (1: Holt's undamped trend).
        h: buckets ahead (>= 1).
        level0: the level before the first value (a prior, trend 0); default the
            first value (the trend starts at 0 too).

    Returns:
        The forecast ``h`` ahead and the one-step errors (as :func:`ses`).
    """
    for name, v in (("alpha", alpha), ("beta", beta), ("phi", phi)):
        if not 0 < v <= 1:
            raise ValueError(f"{name} must be in (0, 1], got {v}")
    if h < 1:
        raise ValueError(f"h must be >= 1 bucket, got {h}")
    a = _series(y)
    if a.size == 0:
        return max(0.0, level0 or 0.0), np.zeros(0)
    start = 0 if level0 is not None else 1
    level = float(level0) if level0 is not None else float(a[0])
    trend = 0.0
    errors = np.empty(a.size - start)
    for i, v in enumerate(a[start:]):
        errors[i] = v - (level + phi * trend)
        prev = level
        level = alpha * v + (1 - alpha) * (prev + phi * trend)
        trend = beta * (level - prev) + (1 - beta) * phi * trend
    damp = sum(phi**k for k in range(1, h + 1))
    return max(0.0, level + damp * trend), errors


@dataclass(frozen=True, slots=True)
class ForecastParams:
    """How :func:`forecast` forecasts.

    Args:
        method: one of :data:`FORECAST_METHODS`.
        window: moving-average window (buckets).
        season: buckets per season for ``seasonal_naive`` (before a whole season of
            history it forecasts like ``naive``).
        fit: refit the smoothing constants on the series each call (else the fixed
            ``alpha``, ``beta``, ``phi``).
        alpha, beta, phi: smoothing constants used without ``fit``.
    """

    method: str = "naive"
    window: int = 3
    season: int = 24
    fit: bool = False
    alpha: float = 0.5
    beta: float = 0.2
    phi: float = 0.9

    def __post_init__(self) -> None:
        if self.method not in FORECAST_METHODS:
            raise ValueError(f"method {self.method!r}: use one of {', '.join(FORECAST_METHODS)}")
        if self.window < 1:
            raise ValueError(f"window must be >= 1 bucket, got {self.window}")
        if self.season < 1:
            raise ValueError(f"season must be >= 1 bucket, got {self.season}")
        for name in ("alpha", "beta", "phi"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {v}")


def _sse(errors: np.ndarray) -> float:
    return float(np.dot(errors, errors))


def forecast(
    y: Series, h: int, params: ForecastParams, level0: float | None = None
) -> tuple[float, float]:
    """Forecast the bucket ``h`` ahead of ``y`` and the one-step error's spread.

    Args:
        y: the history, one value per bucket.
        h: buckets ahead (>= 1).
        params: the method.
        level0: a prior level for the smoothing methods (the expected demand per
            bucket before any history); the baselines ignore it.

    Returns:
        (forecast per bucket, RMSE of the method's one-step errors on ``y``; ``nan``
        with fewer than two errors).
    """
    if h < 1:
        raise ValueError(f"h must be >= 1 bucket, got {h}")
    a = _series(y)
    m = params.method
    if m in ("naive", "moving_average", "seasonal_naive"):
        if a.size == 0:
            return (level0 or 0.0), math.nan

        def f(s: np.ndarray, k: int) -> float:
            if m == "naive":
                return naive(s)
            if m == "moving_average":
                return moving_average(s, params.window)
            return seasonal_naive(s, params.season, k)

        errs = np.array([a[t] - f(a[:t], 1) for t in range(1, a.size)])
        return f(a, h), _rmse(errs)
    if m == "ses":
        alphas = _ALPHAS if params.fit else (params.alpha,)
        best = min((_sse(ses(a, al, level0)[1]), al) for al in alphas)
        value, errs = ses(a, best[1], level0)
        return max(0.0, value), _rmse(errs)
    grid = (
        [(al, be, ph) for al in _ALPHAS for be in _BETAS for ph in _PHIS]
        if params.fit
        else [(params.alpha, params.beta, params.phi)]
    )
    best_p = min(grid, key=lambda p: (_sse(holt_damped(a, p[0], p[1], p[2], 1, level0)[1]), p))
    value, errs = holt_damped(a, best_p[0], best_p[1], best_p[2], h, level0)
    return value, _rmse(errs)


def _rmse(errors: np.ndarray) -> float:
    return float(np.sqrt(np.mean(errors**2))) if errors.size >= 2 else math.nan


def one_step_errors(y: Series, params: ForecastParams, start: int = 1) -> np.ndarray:
    """Rolling-origin errors: for each ``t >= start``, ``y[t]`` less the forecast made
    from ``y[:t]`` alone (refit at every origin when ``params.fit``)."""
    a = _series(y)
    return np.array([a[t] - forecast(a[:t], 1, params)[0] for t in range(start, a.size)])


def mae(actual: Series, predicted: Series) -> float:
    """Mean absolute error."""
    a, p = _series(actual), _series(predicted)
    return float(np.mean(np.abs(a - p))) if a.size else math.nan


def mase(actual: Series, predicted: Series, scale: float) -> float:
    """Mean absolute scaled error: MAE over ``scale`` (the naive method's in-sample MAE,
    Hyndman & Koehler 2006); below 1 beats that baseline."""
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    return mae(actual, predicted) / scale


def smape(actual: Series, predicted: Series) -> float:
    """Symmetric MAPE in percent, ``200 * |a - p| / (|a| + |p|)`` averaged; a bucket where
    both are 0 counts as 0 error."""
    a, p = _series(actual), _series(predicted)
    if a.size == 0:
        return math.nan
    den = np.abs(a) + np.abs(p)
    terms = np.where(den > 0, 2.0 * np.abs(a - p) / np.where(den > 0, den, 1.0), 0.0)
    return float(100.0 * terms.mean())
