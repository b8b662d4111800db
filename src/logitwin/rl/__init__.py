"""Reinforcement learning: the twin stepped decision by decision (environments,
training jobs and the policy registry build on :class:`DecisionStepper`)."""

from logitwin.rl.stepper import DecisionStepper

__all__ = ["DecisionStepper"]
