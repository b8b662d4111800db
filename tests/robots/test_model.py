import pytest

from logitwin.robots import LinearBattery, step_duration


def test_step_duration():
    assert step_duration(1.25, 1.25) == 1.0
    with pytest.raises(ValueError, match="speed must be > 0 m/s, got 0"):
        step_duration(1.0, 0)


def test_linear_battery():
    b = LinearBattery(capacity_wh=100, wh_per_m=0.1, cell_m=1.0, charge_w=360, low=0.2)
    assert b.drain(1.0, 100) == pytest.approx(0.9)
    assert b.drain(0.01, 100) == 0.0
    assert b.needs_charge(0.19) and not b.needs_charge(0.2)
    assert b.charge_time(0.5) == pytest.approx(0.45 * 100 * 3600 / 360)
    with pytest.raises(ValueError, match="low < full_level"):
        LinearBattery(capacity_wh=1, wh_per_m=1, cell_m=1, charge_w=1, low=0.9, full_level=0.5)
    with pytest.raises(ValueError, match="capacity_wh must be > 0"):
        LinearBattery(capacity_wh=0, wh_per_m=1, cell_m=1, charge_w=1)
