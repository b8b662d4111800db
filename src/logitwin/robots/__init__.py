"""Robot models (kinematics, battery); drivers come with the bridge."""

from logitwin.robots.model import LinearBattery, step_duration

__all__ = ["LinearBattery", "step_duration"]
