"""The forecast functions on series small enough to compute by hand."""

import math

import numpy as np
import pytest

from logitwin.control.forecast import (
    ForecastParams,
    forecast,
    holt_damped,
    mae,
    mase,
    moving_average,
    naive,
    one_step_errors,
    seasonal_naive,
    ses,
    smape,
)


def test_baselines():
    assert naive([4, 7, 5]) == 5
    assert naive([]) == 0
    assert moving_average([1, 2, 3, 4], 3) == 3
    assert moving_average([2], 3) == 2
    y = [1, 2, 3, 4, 5, 6]
    assert seasonal_naive(y, 3, 1) == 4  # y[3]: one season before bucket 6
    assert seasonal_naive(y, 3, 2) == 5
    assert seasonal_naive(y, 3, 4) == 4  # two seasons back for 4 ahead
    assert seasonal_naive([1, 2], 3, 1) == 2  # shorter than a season: naive


def test_ses_by_hand():
    level, errors = ses([10, 20], alpha=0.5)
    assert level == 15 and errors.tolist() == [10]
    level, errors = ses([10], alpha=0.5, level0=0.0)
    assert level == 5 and errors.tolist() == [10]


def test_holt_by_hand():
    f, errors = holt_damped([1, 2, 3], alpha=1, beta=1, phi=1, h=1)
    assert f == 4 and errors.tolist() == [1, 0]
    assert holt_damped([1, 2, 3], 1, 1, 1, h=2)[0] == 5
    # Damped: predictions 1 then 2 + 0.5 * 1; two ahead 3 + (0.5 + 0.25) * 1.
    f, errors = holt_damped([1, 2, 3], alpha=1, beta=1, phi=0.5, h=2)
    assert f == pytest.approx(3.75) and errors.tolist() == [1, 0.5]
    assert holt_damped([5, 3, 1, 0], 1, 1, 1, h=3)[0] == 0  # demand is never negative


def test_forecast_naive_and_its_error_spread():
    value, rmse = forecast([1, 3, 2], 1, ForecastParams("naive"))
    assert value == 2 and rmse == pytest.approx(math.sqrt((4 + 1) / 2))
    value, rmse = forecast([], 1, ForecastParams("naive"), level0=7.0)
    assert value == 7 and math.isnan(rmse)


def test_forecast_smoothing_uses_the_prior_and_the_fit():
    assert forecast([10], 1, ForecastParams("ses", alpha=0.5), level0=0.0)[0] == 5
    # A straight line: the fitted Holt forecasts its next value closely.
    line = np.arange(1.0, 13.0)
    value, _ = forecast(line, 1, ForecastParams("holt_damped", fit=True))
    assert abs(value - 13) < 1.0
    assert one_step_errors([1, 3, 2], ForecastParams("naive")).tolist() == [2, -1]


def test_errors():
    assert mae([1, 2], [2, 4]) == 1.5
    assert mase([1, 2], [2, 4], scale=3) == 0.5
    assert smape([100], [50]) == pytest.approx(200 * 50 / 150)
    assert smape([0, 10], [0, 10]) == 0
    with pytest.raises(ValueError, match="scale"):
        mase([1], [1], 0)


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"method": "arima"}, "method"), ({"alpha": 0}, "alpha"), ({"window": 0}, "window")],
)
def test_params_name_the_bad_field(kw, field):
    with pytest.raises(ValueError, match=field):
        ForecastParams(**kw)
