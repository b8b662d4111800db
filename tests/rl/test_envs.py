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


def test_the_window_reward_is_the_fleets_travel_waiting_and_lines() -> None:
    env = SlottingEnv(EnvConfig("tiny", ("horizon_h=0.2",), reward="window"))
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
    with pytest.raises(ValueError, match="reward must be decision or window"):
        EnvConfig("tiny", (), reward="fleet")


def _credited(env: Any, seed: int) -> tuple[float, float, dict[int, float]]:
    """Run an episode answering candidate 0; credited travel, reward sum, credits."""
    env.reset(seed=seed)
    travel = total = 0.0
    credits: dict[int, float] = {}
    done = False
    while not done:
        _, r, done, _, info = env.step(0)
        travel += info["travel"]
        total += r
        assert r == pytest.approx(sum(v for _, v in info["credits"]))
        for n, v in info["credits"]:
            assert n not in credits and n <= info["decision"]
            credits[n] = v
    return travel, total, credits


def test_dispatch_credits_each_tasks_fetch_and_every_decision_once() -> None:
    env = DispatchEnv(CFG)
    travel, total, credits = _credited(env, 4)
    legs = env.legs
    fleet = sum(r.travel for r in env._robots)
    # The ledger holds every step the fleet moved, by leg ...
    assert sum(t for t, _ in legs.values()) == fleet > 0
    # ... and every task started in the episode is credited with its own fetch legs.
    assert travel == legs["to_pod"][0] + legs["to_station"][0] > 0
    assert sorted(credits) == list(range(1, env._credit.n + 1))
    assert total == pytest.approx(sum(credits.values()))


def test_slotting_credits_each_return_trip_and_the_pods_next_fetch() -> None:
    env = SlottingEnv(CFG)
    travel, _, credits = _credited(env, 4)
    legs = env.legs
    fetch = legs["to_pod"][0] + legs["to_station"][0]
    # Every return trip follows a decision of the episode; a fetch counts only when the
    # pod was stored by one (not a pod's first trip from its initial cell).
    assert legs["to_storage"][0] < travel < legs["to_storage"][0] + fetch
    assert sorted(credits) == list(range(1, env._credit.n + 1))


def test_a_dispatch_answer_can_give_the_robot_an_alternative_task() -> None:
    from logitwin.control.dispatch import split_answer

    st = DecisionStepper(EnvConfig("demo", ("horizon_h=0.2",)).load(), "dispatch")
    d = st.start()
    while d is not None and not d.alternatives:
        d = st.step(d.idle[0][0])
    assert d is not None, "no decision had an alternative task"
    robot = d.idle[0][0]
    pod, cell = d.alternatives[0][:2]
    with pytest.raises(ValueError, match="chose task"):
        split_answer((robot, len(d.alternatives) + 1), d)
    st.step((robot, 1))
    allocator: Any = st.twin.system.actor("allocator")  # type: ignore[attr-defined]
    assert allocator.tasks[robot][1] == cell and allocator.pod_busy[pod]
    assert not allocator.pod_busy[d.pod]  # this task waits for the next robot
    st.close()
