"""Reinforcement learning on the twin: the twin stepped decision by decision, Gymnasium
environments for slotting and dispatch, training jobs, the policy registry and serving.

Training needs ``torch``, ``stable-baselines3`` and ``sb3-contrib`` (imported when
training starts); serving only ``onnxruntime``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logitwin.rl.envs import DispatchEnv, EnvConfig, SlottingEnv, make_env
    from logitwin.rl.registry import PolicyRegistry
    from logitwin.rl.stepper import DecisionStepper

# Imported on first use: ``logitwin`` commands that never train (the CLI wires
# ``train`` and ``policies`` from ``rl.cli``) do not pay for gymnasium and the twin.
_WHERE = {
    "DecisionStepper": "logitwin.rl.stepper",
    "DispatchEnv": "logitwin.rl.envs",
    "EnvConfig": "logitwin.rl.envs",
    "PolicyRegistry": "logitwin.rl.registry",
    "SlottingEnv": "logitwin.rl.envs",
    "make_env": "logitwin.rl.envs",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'logitwin.rl' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DecisionStepper",
    "DispatchEnv",
    "EnvConfig",
    "PolicyRegistry",
    "SlottingEnv",
    "make_env",
]
