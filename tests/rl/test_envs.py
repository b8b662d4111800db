"""The environments: Gymnasium's checker, seeded determinism, pickling, subprocesses."""

from __future__ import annotations

import functools
import pickle
from typing import Any

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from logitwin.control.dispatch import AssignmentDispatch, FifoDispatch, NearestIdleDispatch
from logitwin.control.slotting import ClassBasedSlotting, NearestFreeSlotting
from logitwin.rl import DispatchEnv, EnvConfig, SlottingEnv, make_env
from logitwin.rl.observe import make_observer
from logitwin.rl.stepper import DecisionStepper

CFG = EnvConfig("tiny", ("horizon_h=0.2",))
ENVS = [SlottingEnv, DispatchEnv]


@pytest.mark.parametrize("cls", ENVS)
def test_the_gymnasium_checker_passes(cls: Any) -> None:
    check_env(cls(CFG), skip_render_check=True)


def _rollout(env: Any, seed: int) -> tuple[list[float], list[int], np.ndarray]:
    obs, info = env.reset(seed=seed)
    assert info["scenario_seed"] == seed
    rewards, choices = [], []
    done, n = False, 0
    while not done:
        mask = env.action_masks()
        valid = np.flatnonzero(mask)
        obs, r, done, trunc, info = env.step(int(valid[n % len(valid)]))
        assert not trunc
        rewards.append(r)
        choices.append(info["choice"])
        n += 1
    return rewards, choices, obs


@pytest.mark.parametrize("cls", ENVS)
def test_an_episode_is_reproduced_exactly_for_its_seed_and_differs_for_another(cls: Any) -> None:
    env = cls(CFG)
    a = _rollout(env, 11)
    b = _rollout(env, 11)
    c = _rollout(env, 12)
    assert len(a[0]) > 5
    assert a[0] == b[0] and a[1] == b[1]
    assert (a[0], a[1]) != (c[0], c[1])


@pytest.mark.parametrize("cls", ENVS)
def test_an_env_pickles_its_config_and_runs_the_same_after(cls: Any) -> None:
    env = cls(CFG)
    env.reset(seed=3)
    env.step(0)  # mid-episode: the twin thread is not pickled
    copy = pickle.loads(pickle.dumps(env))
    assert copy.config == env.config
    assert _rollout(copy, 5)[:2] == _rollout(env, 5)[:2]


@pytest.mark.parametrize("kind", ["slotting", "dispatch"])
def test_envs_run_vectorised_in_subprocesses(kind: str) -> None:
    from stable_baselines3.common.vec_env import SubprocVecEnv

    vec = SubprocVecEnv([functools.partial(make_env, kind, CFG) for _ in range(2)])
    try:
        vec.seed(1)
        obs = vec.reset()
        assert obs.shape == (2, vec.observation_space.shape[0])  # type: ignore[index]
        masks = np.stack(vec.env_method("action_masks"))
        assert masks.shape == (2, vec.action_space.n)  # type: ignore[attr-defined]
        for _ in range(5):
            obs, rewards, _, _ = vec.step(np.zeros(2, dtype=np.int64))
        assert np.isfinite(rewards).all()
    finally:
        vec.close()


@pytest.mark.parametrize(("kind", "heuristics"), [
    ("slotting", [NearestFreeSlotting, ClassBasedSlotting]),
    ("dispatch", [NearestIdleDispatch, FifoDispatch, AssignmentDispatch]),
])  # fmt: skip
def test_the_candidates_hold_every_heuristics_answer_and_the_observation_is_bounded(
    kind: str, heuristics: list[Any]
) -> None:
    st = DecisionStepper(EnvConfig("demo", ("horizon_h=0.05",)).load(), kind)
    view = st.view()
    observer = make_observer(kind, view)
    policies = [h(view, None) for h in heuristics]
    d = st.start()
    seen = 0
    while d is not None:
        obs, candidates = observer.observe(d)
        assert obs.shape == (observer.spec.size,) and obs.min() >= 0 and obs.max() <= 1
        assert len(set(candidates)) == len(candidates) <= observer.k
        for p in policies:
            assert p.choose(d) in candidates
        d = st.step(candidates[-1])
        seen += 1
    assert seen > 10


def test_the_reward_is_the_twins_travel_waiting_and_lines() -> None:
    env = SlottingEnv(CFG)
    env.reset(seed=2)
    total_travel = total_lines = 0.0
    total_reward = 0.0
    done = False
    while not done:
        _, r, done, _, info = env.step(0)
        total_travel += info["travel"]
        total_lines += info["lines"]
        total_reward += r
        assert r == pytest.approx(
            (info["lines"] * env._ref - info["travel"] - 0.5 * info["waited"]) / env._ref
        )
    assert total_travel > 0 and total_lines > 0


def test_a_bad_config_names_the_value() -> None:
    with pytest.raises(ValueError, match="k must be >= 3"):
        EnvConfig("tiny", (), k=1)
