"""The PyBullet world's parameters, validated, and read from a fleet's backend options."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["FIDELITIES", "WorldParams"]

FIDELITIES = ("kinematic", "wheeled")


@dataclass(frozen=True, slots=True)
class WorldParams:
    """How the PyBullet world moves its robots.

    Args:
        fidelity: ``kinematic`` (bodies placed along a speed profile; whole fleets) or
            ``wheeled`` (skid-steer huskies with velocity-controlled wheels; a few).
        accel_mps2: acceleration and braking limit (m/s^2) of kinematic robots.
        turn_s: time (s) a kinematic robot at speed factor 1 takes to turn a quarter turn
            in place.
        tick_s: collision-check period (s) of the kinematic world; ``None``: a tenth of a
            move (``step_s / 10``).
        physics_hz: physics steps per second of the wheeled world.
        control_hz: wheel-controller updates per second of the wheeled world (divides
            ``physics_hz``).
        tolerance_m: a wheeled robot is in its target cell when its base is this close
            to the centre (m).
        husky_scale: scale of the husky model (0.5: 0.51 x 0.35 m, fits under a rack).
    """

    fidelity: str = "kinematic"
    accel_mps2: float = 2.0
    turn_s: float = 0.5
    tick_s: float | None = None
    physics_hz: int = 240
    control_hz: int = 20
    tolerance_m: float = 0.1
    husky_scale: float = 0.5

    def __post_init__(self) -> None:
        if self.fidelity not in FIDELITIES:
            raise ValueError(f"fidelity {self.fidelity!r}: expected one of {FIDELITIES}")
        for name in ("accel_mps2", "tolerance_m", "husky_scale"):
            v = getattr(self, name)
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number > 0, got {v}")
        if not (self.turn_s >= 0 and math.isfinite(self.turn_s)):
            raise ValueError(f"turn_s must be a finite number >= 0 s, got {self.turn_s}")
        if self.tick_s is not None and not (self.tick_s > 0 and math.isfinite(self.tick_s)):
            raise ValueError(f"tick_s must be > 0 s (or None: step_s / 10), got {self.tick_s}")
        if self.physics_hz <= 0 or self.control_hz <= 0 or self.physics_hz % self.control_hz:
            raise ValueError(
                f"control_hz ({self.control_hz}) must divide physics_hz ({self.physics_hz}), "
                "both > 0"
            )

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> WorldParams:
        """The parameters named in a fleet's backend options (strings; others default).

        Raises:
            ValueError: an option is not a number, or out of range (the message names it).
        """
        kw: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            if f.name not in options:
                continue
            raw = str(options[f.name])
            if f.name == "fidelity":
                kw[f.name] = raw
                continue
            kind, what = (int, "an integer") if f.name.endswith("_hz") else (float, "a number")
            try:
                kw[f.name] = kind(raw)
            except ValueError:
                raise ValueError(f"option {f.name}={raw!r}: expected {what}") from None
        return cls(**kw)  # type: ignore[arg-type]
