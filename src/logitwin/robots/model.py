"""Robot models: grid kinematics and a linear battery."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LinearBattery", "step_duration"]


def step_duration(cell_m: float, speed_mps: float) -> float:
    """Time (s) to cross one grid cell of ``cell_m`` metres at ``speed_mps`` m/s."""
    if cell_m <= 0:
        raise ValueError(f"cell size must be > 0 m, got {cell_m}")
    if speed_mps <= 0:
        raise ValueError(f"speed must be > 0 m/s, got {speed_mps}")
    return cell_m / speed_mps


@dataclass(frozen=True, slots=True)
class LinearBattery:
    """Battery that drains linearly with distance and charges at a constant rate.

    Args:
        capacity_wh: usable capacity (Wh).
        wh_per_m: energy per metre driven (Wh/m), loaded or not.
        cell_m: grid cell size (m).
        charge_w: charging power (W).
        low: state of charge (0..1) below which the robot goes charging.
        full_level: state of charge a charge stops at (0..1).
    """

    capacity_wh: float
    wh_per_m: float
    cell_m: float
    charge_w: float
    low: float = 0.2
    full_level: float = 0.95

    def __post_init__(self) -> None:
        for name in ("capacity_wh", "wh_per_m", "cell_m", "charge_w"):
            if getattr(self, name) <= 0:
                raise ValueError(f"battery {name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.low < self.full_level <= 1:
            raise ValueError(
                f"battery levels need 0 <= low < full_level <= 1, got {self.low}, {self.full_level}"
            )

    def drain(self, soc: float, cells: int) -> float:
        """State of charge after driving ``cells`` cells (never below 0)."""
        return max(0.0, soc - cells * self.cell_m * self.wh_per_m / self.capacity_wh)

    def needs_charge(self, soc: float) -> bool:
        """True below the low threshold."""
        return soc < self.low

    def charge_time(self, soc: float) -> float:
        """Seconds to charge from ``soc`` to ``full_level``."""
        return max(0.0, self.full_level - soc) * self.capacity_wh * 3600.0 / self.charge_w

    @property
    def full(self) -> float:
        """State of charge after a charge."""
        return self.full_level
