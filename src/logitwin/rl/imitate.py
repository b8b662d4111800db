"""A warm start for training: imitate a heuristic before learning from the twin.

PPO starts from a uniform choice among the candidates, far worse than any heuristic,
and a decision's effect on the fleet's travel is small beside everything else that
happens meanwhile, so learning from scratch is slow. :func:`collect` runs episodes in
which a heuristic decides and records what the policy would see, what the heuristic
chose (its candidate index: the candidates always hold it) and the discounted return
that followed; :func:`pretrain` fits the actor to the choices (cross-entropy over the
mask) and the critic to the returns. PPO then improves on the heuristic from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from logitwin.control.policies import KINDS
from logitwin.rl.envs import EnvConfig, make_env

__all__ = ["Demonstrations", "collect", "pretrain"]


@dataclass(frozen=True)
class Demonstrations:
    """Observations, masks, the heuristic's candidate index and the return after it."""

    obs: np.ndarray
    masks: np.ndarray
    actions: np.ndarray
    returns: np.ndarray

    def __len__(self) -> int:
        return len(self.actions)


def collect(
    kind: str, config: EnvConfig, heuristic: str, episodes: int, seed: int, gamma: float = 0.99
) -> Demonstrations:
    """``episodes`` episodes (scenario seeds ``seed``, ``seed + 1``, ...) decided by the
    heuristic ``heuristic`` of ``kind``.

    Raises:
        ValueError: an unknown heuristic (the message lists those of ``kind``).
    """
    table = KINDS.get(kind, {})
    if heuristic not in table:
        raise ValueError(f"{kind} heuristic {heuristic!r}: expected one of {sorted(table)}")
    env = make_env(kind, config)
    obs_l: list[np.ndarray] = []
    mask_l: list[np.ndarray] = []
    act_l: list[int] = []
    ret_l: list[float] = []
    try:
        for e in range(episodes):
            policy = table[heuristic](env.site, np.random.default_rng(seed + e))
            obs, _ = env.reset(seed=seed + e)
            rewards: list[float] = []
            while env.decision is not None:
                choice = policy.choose(env.decision)
                a = env.candidates.index(choice)
                obs_l.append(obs)
                mask_l.append(env.action_masks())
                act_l.append(a)
                obs, r, _, _, _ = env.step(a)
                rewards.append(r)
            g, back = 0.0, list[float]()
            for r in reversed(rewards):
                g = r + gamma * g
                back.append(g)
            ret_l.extend(reversed(back))
    finally:
        env.close()
    return Demonstrations(np.asarray(obs_l, dtype=np.float32), np.asarray(mask_l, dtype=bool),
                          np.asarray(act_l, dtype=np.int64),
                          np.asarray(ret_l, dtype=np.float32))  # fmt: skip


def pretrain(model: Any, demos: Demonstrations, epochs: int = 20, lr: float = 1e-3,
             batch: int = 256, seed: int = 0) -> dict[str, float]:  # fmt: skip
    """Fit ``model``'s (a MaskablePPO) actor to the demonstrated choices and its critic
    to the returns; returns the final accuracy (share of choices it now makes) and
    losses."""
    import torch

    policy = model.policy
    gen = torch.Generator().manual_seed(seed)
    obs = torch.as_tensor(demos.obs)
    masks = torch.as_tensor(demos.masks)
    acts = torch.as_tensor(demos.actions)
    rets = torch.as_tensor(demos.returns)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    n = len(demos)
    policy.set_training_mode(True)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            values, log_prob, _ = policy.evaluate_actions(obs[idx], acts[idx], masks[idx])
            loss = -log_prob.mean() + 0.5 * torch.nn.functional.mse_loss(
                values.flatten(), rets[idx]
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    policy.set_training_mode(False)
    with torch.no_grad():
        values, log_prob, _ = policy.evaluate_actions(obs, acts, masks)
        dist = policy.get_distribution(obs, action_masks=masks.numpy())
        chosen = dist.distribution.probs.argmax(dim=1)
        acc = float((chosen == acts).float().mean())
        vloss = float(torch.nn.functional.mse_loss(values.flatten(), rets))
    return {"accuracy": acc, "nll": float(-log_prob.mean()), "value_mse": vloss, "samples": n}
