"""Reinforcement learning on the twin: the twin stepped decision by decision, Gymnasium
environments for slotting and dispatch, training jobs, the policy registry and serving.

Training needs ``torch``, ``stable-baselines3`` and ``sb3-contrib`` (imported when
training starts); serving only ``onnxruntime``.
"""

from logitwin.rl.envs import DispatchEnv, EnvConfig, SlottingEnv, make_env
from logitwin.rl.registry import PolicyRegistry
from logitwin.rl.stepper import DecisionStepper

__all__ = [
    "DecisionStepper",
    "DispatchEnv",
    "EnvConfig",
    "PolicyRegistry",
    "SlottingEnv",
    "make_env",
]
