"""Training jobs: MaskablePPO on an environment, checkpoints and TensorBoard logs, then
export and registration; several seeds or settings as Ray tasks.

A run folder holds ``checkpoints/`` (every ``checkpoint_steps``), ``tb/`` (TensorBoard:
episode return and length, losses), ``model.zip`` (the final model) and ``train.json``
(what was trained, how long it took, its validation return).
"""

from __future__ import annotations

import functools
import json
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from logitwin.control.policies import check_policy
from logitwin.errors import LogitwinError
from logitwin.rl.envs import EnvConfig, make_env
from logitwin.rl.registry import PolicyRegistry, PolicyVersion, code_version
from logitwin.rl.serving import OnnxPolicy, export_onnx, measure_latency

__all__ = [
    "VALIDATION_SEEDS",
    "TrainResult",
    "TrainSettings",
    "register",
    "sample_decisions",
    "train",
    "train_many",
]

# Validation episodes (choosing the best of several runs) use seeds from here on: never
# drawn in training (below envs.TRAIN_SEEDS) nor used by evaluation (100_000 on).
VALIDATION_SEEDS = 200_000
_DEMO_SEEDS = 90_000


@dataclass(frozen=True)
class TrainSettings:
    """MaskablePPO hyperparameters (SB3's names and meanings).

    Raises:
        ValueError: a value out of range (the message names it).
    """

    learning_rate: float = 3e-4
    n_steps: int = 256
    batch_size: int = 64
    n_epochs: int = 5
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    net: tuple[int, ...] = (64, 64)

    def __post_init__(self) -> None:
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if self.n_steps < 2 or self.batch_size < 2 or self.n_epochs < 1:
            raise ValueError(
                f"n_steps ({self.n_steps}) and batch_size ({self.batch_size}) must be >= 2, "
                f"n_epochs ({self.n_epochs}) >= 1"
            )
        if not 0 <= self.gamma <= 1 or not 0 < self.gae_lambda <= 1:
            raise ValueError(
                f"gamma ({self.gamma}) must be in [0, 1] and gae_lambda ({self.gae_lambda}) "
                "in (0, 1]"
            )
        if not self.net or min(self.net) < 1:
            raise ValueError(f"net must list layer widths >= 1, got {self.net}")


@dataclass
class TrainResult:
    """A finished training run."""

    kind: str
    config: EnvConfig
    settings: TrainSettings
    seed: int
    timesteps: int
    envs: int
    run_dir: Path
    wall_s: float
    validation_return: float = float("nan")
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model_path(self) -> Path:
        """The final model."""
        return self.run_dir / "model.zip"

    def as_dict(self) -> dict[str, Any]:
        """For ``train.json`` and the registry's metadata."""
        return {"kind": self.kind, "scenario": self.config.scenario,
                "overrides": list(self.config.overrides), "k": self.config.k,
                "wait_weight": self.config.wait_weight, "settings": asdict(self.settings),
                "seed": self.seed, "timesteps": self.timesteps, "envs": self.envs,
                "run_dir": str(self.run_dir), "wall_s": round(self.wall_s, 2),
                "validation_return": self.validation_return, **self.extra}  # fmt: skip


def _vec_env(kind: str, config: EnvConfig, envs: int, seed: int) -> Any:
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecMonitor

    make = [functools.partial(make_env, kind, config) for _ in range(envs)]
    vec = SubprocVecEnv(make) if envs > 1 else DummyVecEnv(make)  # type: ignore[arg-type]
    vec.seed(seed)
    return VecMonitor(vec)


def train(
    kind: str,
    config: EnvConfig,
    timesteps: int,
    out_dir: str | Path,
    envs: int = 1,
    seed: int = 0,
    settings: TrainSettings | None = None,
    checkpoint_steps: int = 10_000,
    progress: bool = False,
    validate: int = 2,
    max_minutes: float | None = None,
    imitate: str | None = None,
    imitate_episodes: int = 6,
) -> TrainResult:
    """Train a MaskablePPO policy for ``kind`` on ``config``'s scenario.

    Args:
        kind: ``slotting`` or ``dispatch``.
        config: the environment.
        timesteps: decisions to train on (over all envs).
        out_dir: the run folder (created; must not hold a model yet).
        envs: environments stepped in parallel (subprocesses when more than one).
        seed: seeds the model and the environments' episode seeds.
        settings: hyperparameters.
        checkpoint_steps: a checkpoint every this many decisions.
        progress: show a progress bar.
        validate: episodes on validation seeds to score the final model (0: none).
        max_minutes: stop early after this much wall time (a time-boxed run); the
            decisions actually trained on are in the result.
        imitate: warm start: first fit the policy to this heuristic's choices in
            ``imitate_episodes`` episodes (:mod:`logitwin.rl.imitate`), then train.

    Raises:
        LogitwinError: bad arguments (the message names them).
    """
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import CheckpointCallback

    if kind not in ("slotting", "dispatch"):
        raise LogitwinError(f"unknown decision kind {kind!r}; expected slotting or dispatch")
    if timesteps < 1 or envs < 1:
        raise LogitwinError(f"--timesteps ({timesteps}) and --envs ({envs}) must be >= 1")
    s = settings or TrainSettings()
    run = Path(out_dir)
    if (run / "model.zip").exists():
        raise LogitwinError(f"{run} already holds a trained model; choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    vec = _vec_env(kind, config, envs, seed)
    try:
        model = MaskablePPO(
            "MlpPolicy", vec, learning_rate=s.learning_rate, n_steps=s.n_steps,
            batch_size=s.batch_size, n_epochs=s.n_epochs, gamma=s.gamma,
            gae_lambda=s.gae_lambda, ent_coef=s.ent_coef, seed=seed, verbose=0,
            policy_kwargs={"net_arch": list(s.net)}, tensorboard_log=str(run / "tb"),
            device="cpu",
        )  # fmt: skip
        extra: dict[str, Any] = {}
        if imitate is not None:
            from logitwin.rl.imitate import collect, pretrain

            # Demonstration seeds: training seeds (below envs.TRAIN_SEEDS), apart from
            # the ones reset() draws only by chance.
            demos = collect(kind, config, imitate, imitate_episodes, _DEMO_SEEDS + 100 * seed,
                            s.gamma)  # fmt: skip
            extra["imitation"] = {"heuristic": imitate, "episodes": imitate_episodes,
                                  **pretrain(model, demos, seed=seed)}  # fmt: skip
        ckpt = CheckpointCallback(max(1, checkpoint_steps // envs), str(run / "checkpoints"),
                                  name_prefix=kind)  # fmt: skip
        callbacks: list[Any] = [ckpt]
        if max_minutes is not None:
            callbacks.append(_TimeBox(max_minutes * 60.0))
        if config.reward == "decision":
            callbacks.append(_CreditBack())
        model.learn(timesteps, callback=callbacks, progress_bar=progress, tb_log_name=kind)
        model.save(str(run / "model.zip"))
    finally:
        vec.close()
    wall = time.perf_counter() - t0
    result = TrainResult(kind, config, s, seed, int(model.num_timesteps), envs, run, wall,
                         extra=extra)  # fmt: skip
    if validate:
        result.validation_return = validation_return(kind, config, model, validate)
    (run / "train.json").write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return result


def _TimeBox(limit_s: float) -> Any:
    """A callback that ends training after ``limit_s`` seconds of wall time."""
    from stable_baselines3.common.callbacks import BaseCallback

    class TimeBox(BaseCallback):
        def _on_training_start(self) -> None:
            self._t0 = time.perf_counter()

        def _on_step(self) -> bool:
            return time.perf_counter() - self._t0 < limit_s

    return TimeBox()


def _CreditBack() -> Any:
    """A callback that moves each decision's credit (``info["credits"]``, settled steps
    later) back to the rollout step that made the decision, then recomputes returns and
    advantages. A decision whose credit is not settled within the rollout gets its
    value estimate as reward (no advantage: it teaches nothing rather than noise)."""
    import torch
    from stable_baselines3.common.callbacks import BaseCallback

    class CreditBack(BaseCallback):
        def _on_training_start(self) -> None:
            self._episode = [0] * self.training_env.num_envs

        def _on_rollout_start(self) -> None:
            self._where: dict[tuple[int, int, int], int] = {}  # (env, episode, decision)
            self._credit: dict[tuple[int, int, int], float] = {}

        def _on_step(self) -> bool:
            model: Any = self.model
            pos = model.rollout_buffer.pos  # the row this step is written to
            for i, (info, done) in enumerate(zip(self.locals["infos"], self.locals["dones"],
                                                 strict=True)):  # fmt: skip
                ep = self._episode[i]
                self._where[(i, ep, int(info["decision"]))] = pos
                for n, v in info["credits"]:
                    self._credit[(i, ep, int(n))] = float(v)
                if done:
                    self._episode[i] += 1
            return True

        def _on_rollout_end(self) -> None:
            model: Any = self.model
            buf = model.rollout_buffer
            settled = 0
            rewards = buf.values.copy()
            for key, pos in self._where.items():
                v = self._credit.get(key)
                if v is not None:
                    rewards[pos, key[0]] = v
                    settled += 1
            buf.rewards[:] = rewards
            with torch.no_grad():
                last = model.policy.predict_values(
                    torch.as_tensor(model._last_obs, dtype=torch.float32)
                )
            buf.compute_returns_and_advantage(last_values=last,
                                              dones=model._last_episode_starts)  # fmt: skip
            self.logger.record("credit/settled_share", settled / max(1, len(self._where)))

    return CreditBack()


def validation_return(kind: str, config: EnvConfig, model: Any, episodes: int) -> float:
    """Mean return of ``model`` (deterministic, masked) on validation seeds."""
    env = make_env(kind, config)
    total = 0.0
    try:
        for e in range(episodes):
            obs, _ = env.reset(seed=VALIDATION_SEEDS + e)
            done = False
            while not done:
                action, _ = model.predict(obs, action_masks=env.action_masks(), deterministic=True)
                obs, r, done, _, _ = env.step(int(action))
                total += r
    finally:
        env.close()
    return total / max(1, episodes)


def sample_decisions(kind: str, config: EnvConfig, n: int = 300) -> tuple[Any, list[Any]]:
    """The site and up to ``n`` real decisions of a validation run (nearest answers)."""
    from logitwin.rl.stepper import DecisionStepper

    st = DecisionStepper(config.load(VALIDATION_SEEDS), kind)
    site = st.view()
    out: list[Any] = []
    d = st.start()
    while d is not None and len(out) < n:
        out.append(d)
        d = st.step(d.free[0] if kind == "slotting" else d.idle[0][0])
    st.close()
    return site, out


def register(
    result: TrainResult, name: str, registry: PolicyRegistry, notes: dict[str, Any] | None = None
) -> PolicyVersion:
    """Export ``result``'s model to ONNX, check and time it on real decisions, and add it
    to ``registry`` as the next version of ``name``.

    Raises:
        LogitwinError: the exported policy fails ``control.policies.check_policy``.
    """
    from sb3_contrib import MaskablePPO

    env = make_env(result.kind, result.config)
    spec = env.spec_obs
    env.close()
    model = MaskablePPO.load(str(result.model_path), device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(model, spec.size, Path(tmp) / "policy.onnx")
        site, decisions = sample_decisions(result.kind, result.config)
        k = spec.k

        def make(view: Any, rng: np.random.Generator) -> OnnxPolicy:
            return OnnxPolicy(result.kind, view, onnx_path, k)

        try:
            check_policy(result.kind, make, site, n=100)
        except AssertionError as exc:
            raise LogitwinError(
                f"the exported {result.kind} policy fails its check: {exc}"
            ) from None
        latency = measure_latency(make(site, np.random.default_rng(0)), decisions)
        meta = {
            "algorithm": "MaskablePPO (sb3-contrib)",
            "observation": {**spec.as_dict(), "dtype": "float32", "low": 0.0, "high": 1.0},
            "action": {"type": "Discrete", "n": k, "meaning": "candidate index; masked"},
            "training": result.as_dict(),
            "latency": {**latency, "threads": 1, "includes": "observation + onnxruntime"},
            "evaluation": {},
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "code_version": code_version(),
            **(notes or {}),
        }
        return registry.add(name, result.kind, {"model.zip": result.model_path,
                                                "policy.onnx": onnx_path}, meta)  # fmt: skip


def _train_task(kwargs: dict[str, Any]) -> dict[str, Any]:
    r = train(**kwargs)
    return {"run_dir": str(r.run_dir), "result": r}


def train_many(
    kind: str,
    config: EnvConfig,
    timesteps: int,
    out_dir: str | Path,
    seeds: list[int],
    settings: list[TrainSettings],
    envs: int = 1,
    address: str | None = None,
    workers: int | None = None,
    imitate: str | None = None,
    max_minutes: float | None = None,
) -> list[TrainResult]:
    """Train every (seed, settings) pair as a Ray task (``num_cpus=envs``); results come
    back best validation return first. ``address`` joins a cluster (whose workers must
    share ``out_dir``); ``None`` starts a local Ray with ``workers`` CPUs."""
    import ray

    from logitwin.actors.ray_runtime import connect_ray

    if not seeds or not settings:
        raise LogitwinError("train with Ray needs at least one seed and one setting")
    started = connect_ray(address, workers)
    try:
        task = ray.remote(num_cpus=envs, max_retries=1)(_train_task)
        out = Path(out_dir).resolve()
        refs = []
        for i, s in enumerate(settings):
            for seed in seeds:
                run = out / f"s{i}-seed{seed}"
                kw = {"kind": kind, "config": config, "timesteps": timesteps, "out_dir": run,
                      "envs": envs, "seed": seed, "settings": s, "imitate": imitate,
                      "max_minutes": max_minutes}  # fmt: skip
                refs.append(task.remote(kw))
        results = [r["result"] for r in ray.get(refs)]
    finally:
        if started:
            ray.shutdown()
    for r in results:
        r.extra["setting_index"] = next(i for i, s in enumerate(settings) if s == r.settings)
    return sorted(results, key=lambda r: -r.validation_return)


def with_lr(settings: TrainSettings, rates: list[float]) -> list[TrainSettings]:
    """``settings`` once per learning rate."""
    return [replace(settings, learning_rate=lr) for lr in rates]
