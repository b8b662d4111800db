"""Gymnasium environments over the twin: one step is one slotting or dispatch decision.

:class:`SlottingEnv` stores each returning pod in a free storage cell; :class:`DispatchEnv`
gives each pod trip to an idle robot. An episode is one run of the scenario (seeded by
``reset(seed=...)``) up to its horizon; every decision of the kind is a step, the other
decisions are the scenario's own policies'.

Observation: ``k`` candidates from :mod:`logitwin.rl.observe` (the heuristics' answers
among them) with a few features each, plus global features: its size does not grow with
the site. Action: a candidate index; ``action_masks()`` marks the candidates that exist.
An index outside the mask (``check_env`` samples them) falls back to candidate 0.

Reward (``reward="decision"``, the default): each decision is credited with what the twin
measures for what it started, in units of one pod trip ``ref`` (the site's mean
storage-to-station distance x 2, cells)::

    credit = (lines · ref - travel - wait_weight · waited) / ref

dispatch: ``travel`` and ``waited`` (cells moved, steps blocked by traffic) of the chosen
robot's trip to the pod and on to the station, ``lines`` the lines that trip serves,
credited once the pod leaves the station; slotting: the return trip to the chosen cell
plus the pod's next fetch from it (to the pod, to the station), ``lines`` 0, credited
when the pod next comes back (or at the episode's end). The robots' per-leg ledger
(``Robot.ledger``) is the measurement. A credit lands late: a step's reward is the sum of
the credits settled during it, and ``info["credits"]`` lists them as (decision index,
credit) so a learner can move each back to its decision's step
(:class:`logitwin.rl.train` does); ``info["decision"]`` is the index of the decision the
step answered. An episode's return is the sum of every decision's credit.

``reward="window"``: what the whole fleet did between two decisions,
``(Δlines · ref - Δtravel - wait_weight · Δwaited) / ref`` (every robot's travel, lines
picked at the stations): the sum is the same kind of quantity, but one decision's effect
is small beside the fleet's in the same window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from logitwin.errors import ScenarioError
from logitwin.rl.observe import DispatchObserver, SlottingObserver, make_observer
from logitwin.rl.stepper import DecisionStepper
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.schema import Scenario

__all__ = ["TRAIN_SEEDS", "DispatchEnv", "EnvConfig", "SlottingEnv", "make_env"]

# reset() without a seed draws scenario seeds from here; evaluation uses seeds above it.
TRAIN_SEEDS = 100_000


@dataclass(frozen=True)
class EnvConfig:
    """What an environment is made from (all it pickles).

    Args:
        scenario: built-in scenario name or YAML path.
        overrides: ``path=value`` scenario overrides (``horizon_h=0.5``: shorter episodes).
        k: candidates per decision (default 16 slotting, 8 dispatch).
        wait_weight: cost of a blocked robot step relative to a moved one.
        reward: ``decision`` (each decision's own measured legs) or ``window`` (the
            fleet between two decisions).
    """

    scenario: str = "tiny"
    overrides: tuple[str, ...] = ()
    k: int | None = None
    wait_weight: float = 0.5
    reward: str = "decision"

    def __post_init__(self) -> None:
        if self.k is not None and self.k < 3:
            raise ValueError(f"k must be >= 3, got {self.k}")
        if not 0 <= self.wait_weight <= 10:
            raise ValueError(f"wait_weight must be in [0, 10], got {self.wait_weight}")
        if self.reward not in ("decision", "window"):
            raise ValueError(f"reward must be decision or window, got {self.reward!r}")

    def load(self, seed: int | None = None) -> Scenario:
        """The scenario, with ``seed`` as its seed if given."""
        extra = [f"seed={seed}"] if seed is not None else []
        return load_scenario(self.scenario, [*self.overrides, *extra])


class _TwinEnv(gym.Env[np.ndarray, np.int64]):
    """An environment over one decision kind of the twin."""

    metadata: dict[str, Any] = {"render_modes": []}
    kind = ""

    def __init__(self, config: EnvConfig | None = None, **kw: Any) -> None:
        super().__init__()
        self.config = config if config is not None else EnvConfig(**kw)
        sc = self.config.load()
        probe = DecisionStepper(sc, self.kind, until_s=0.0)
        self.site = probe.view()
        self._observer: SlottingObserver | DispatchObserver = make_observer(
            self.kind, self.site, self.config.k
        )
        self.spec_obs = self._observer.spec
        self._ref = 2.0 * float(np.mean(list(self.site.station_distance().values())))
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self.spec_obs.size,), np.float32)
        self.action_space = gym.spaces.Discrete(self.spec_obs.k)
        self._stepper: DecisionStepper | None = None
        self._candidates: list[Any] = []
        self.decision: Any = None  # the pending decision (None: the run is over)
        self._totals = (0.0, 0.0, 0.0)
        self._credit = _Credit(self.kind)
        self._robots: list[Any] = []
        self.scenario_seed = -1

    # pickling: the config only; the twin (a thread) is rebuilt by reset()
    def __getstate__(self) -> dict[str, Any]:
        return {"config": asdict(self.config)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        cfg = dict(state["config"])
        cfg["overrides"] = tuple(cfg["overrides"])
        self.__init__(EnvConfig(**cfg))  # type: ignore[misc]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a run of the scenario with scenario seed ``seed`` (else one drawn from
        the environment's generator, below :data:`TRAIN_SEEDS`)."""
        super().reset(seed=seed)
        self.close()
        self.scenario_seed = (
            int(seed) if seed is not None else int(self.np_random.integers(TRAIN_SEEDS))
        )
        try:
            sc = self.config.load(self.scenario_seed)
        except ScenarioError as exc:
            raise ValueError(str(exc)) from None
        self._stepper = DecisionStepper(sc, self.kind)
        self._credit = _Credit(self.kind)
        self._robots = [self._stepper.twin.system.actor(r)  # type: ignore[attr-defined]
                        for r in self._stepper.twin.system.actor("allocator").robot_ids]  # type: ignore[attr-defined]  # fmt: skip
        for r in self._robots:
            r.ledger = []
        self._totals = self._read()
        decision = self._stepper.start()
        self._drain()
        self._credit.arrived(decision)
        return self._observe(decision), {"scenario_seed": self.scenario_seed}

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Answer the pending decision with candidate ``action``; run to the next one."""
        st = self._stepper
        if st is None or st.done:
            raise RuntimeError("no decision is pending: call reset() first")
        a = int(action)
        choice = self._candidates[a] if 0 <= a < len(self._candidates) else self._candidates[0]
        index = self._credit.answer(self.decision, choice)
        decision = st.step(choice)
        self._drain()
        self._credit.arrived(decision)
        settled = self._credit.settle(decision is None)
        before = self._totals
        self._totals = self._read()
        w = self.config.wait_weight
        if self.config.reward == "window":
            travel, waited, lines = (x - y for x, y in zip(self._totals, before, strict=True))
            reward = (lines * self._ref - travel - w * waited) / self._ref
            credits: list[tuple[int, float]] = []
        else:
            credits = [(n, (c[2] * self._ref - c[0] - w * c[1]) / self._ref) for n, c in settled]
            travel = sum(c[0] for _, c in settled)
            waited = sum(c[1] for _, c in settled)
            lines = sum(c[2] for _, c in settled)
            reward = sum(v for _, v in credits)
        obs = self._observe(decision)
        info = {"travel": travel, "waited": waited, "lines": lines, "choice": choice,
                "decision": index, "credits": credits}  # fmt: skip
        return obs, float(reward), decision is None, False, info

    def action_masks(self) -> np.ndarray:
        """Which candidate indices exist for the pending decision."""
        mask = np.zeros(self.spec_obs.k, dtype=bool)
        mask[: len(self._candidates)] = True
        if not mask.any():
            mask[0] = True  # after the run's end: a no-op index
        return mask

    def close(self) -> None:
        """Stop a run not finished."""
        if self._stepper is not None:
            self._stepper.close()
            self._stepper = None

    @property
    def candidates(self) -> list[Any]:
        """The pending decision's candidates (cells; robots or (robot, task); index =
        action)."""
        return list(self._candidates)

    def _observe(self, decision: Any) -> np.ndarray:
        self.decision = decision
        if decision is None:
            self._candidates = []
            return np.zeros(self.spec_obs.size, dtype=np.float32)
        obs, self._candidates = self._observer.observe(decision)
        return obs

    def _drain(self) -> None:
        """Hand the robots' new ledger entries to the credit (the twin is waiting)."""
        for r in self._robots:
            if r.ledger:
                self._credit.legs(r.ledger)
                r.ledger.clear()

    @property
    def legs(self) -> dict[str, tuple[int, int]]:
        """Travel and blocked steps of every leg this episode, by the robot's status
        on it (``to_pod``, ``to_station``, ``to_storage``, ``to_charger``, ...)."""
        return dict(self._credit.by_status)

    def _read(self) -> tuple[float, float, float]:
        """Fleet travel (cells), blocked steps, and lines picked so far."""
        if self._stepper is None:
            return (0.0, 0.0, 0.0)
        system: Any = self._stepper.twin.system
        allocator = system.actor("allocator")
        travel = waited = 0.0
        for rid in allocator.robot_ids:
            r = system.actor(rid)
            travel += r.travel
            waited += r.waited
        lines = 0.0
        for s in self._stepper.twin.site.stations:
            lines += float(getattr(system.actor(f"station:{s.id}"), "lines", 0))
        return travel, waited, lines


class _Credit:
    """Each decision's measured legs, from the robots' ledgers.

    dispatch: decision ``n`` starts task ``n`` (the allocator numbers tasks from 1, one
    per dispatch decision); its ``to_pod`` and ``to_station`` legs are its own, and it is
    settled with the task's lines when the task's pod leaves the station. slotting:
    decision ``n`` stores a pod; the pod's ``to_storage`` leg and then its next fetch's
    ``to_pod`` and ``to_station`` legs are its own; it is settled when the pod next comes
    back. Whatever is open at the episode's end is settled with what it has.
    """

    _FETCH = ("to_pod", "to_station")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.n = 0
        self.open: dict[int, list[float]] = {}  # decision → [travel, waited, lines]
        self._lines: dict[int, int] = {}  # dispatch: task → lines it serves
        self._pod: dict[int, int] = {}  # slotting: pod → its open decision
        self._done: list[int] = []
        self.by_status: dict[str, tuple[int, int]] = {}

    def answer(self, decision: Any, choice: Any) -> int:
        """Open the credit of the decision answered with ``choice``; its index."""
        self.n += 1
        self.open[self.n] = [0.0, 0.0, 0.0]
        if self.kind == "dispatch":
            task = choice[1] if isinstance(choice, tuple) else 0
            lines = decision.lines if task == 0 else decision.alternatives[task - 1][3]
            self._lines[self.n] = int(lines)
        else:
            self._pod[decision.pod] = self.n
        return self.n

    def arrived(self, decision: Any) -> None:
        """A new decision: a slotting one settles its pod's previous decision."""
        if self.kind == "slotting" and decision is not None:
            n = self._pod.pop(decision.pod, None)
            if n is not None:
                self._done.append(n)

    def legs(self, entries: list[tuple[str, int, int, int, int]]) -> None:
        """Credit ledger entries (status, task, pod, moved, waited)."""
        for status, task, pod, moved, waited in entries:
            t, w = self.by_status.get(status, (0, 0))
            self.by_status[status] = (t + moved, w + waited)
            if self.kind == "dispatch":
                n = task if task in self.open else None
                if n is not None and status in self._FETCH:
                    self._add(n, moved, waited)
                elif n is not None and status == "to_storage":
                    self.open[n][2] = self._lines[n]
                    self._done.append(n)
            else:
                n = self._pod.get(pod)
                if n is not None and (status == "to_storage" or status in self._FETCH):
                    self._add(n, moved, waited)

    def _add(self, n: int, moved: int, waited: int) -> None:
        c = self.open[n]
        c[0] += moved
        c[1] += waited

    def settle(self, end: bool) -> list[tuple[int, list[float]]]:
        """The credits settled since the last call (all open ones at the end)."""
        done = list(dict.fromkeys(self._done))
        if end:
            done += [n for n in self.open if n not in done]
        self._done = []
        out = [(n, self.open.pop(n)) for n in sorted(done) if n in self.open]
        for n, _ in out:
            self._lines.pop(n, None)
        return out


class SlottingEnv(_TwinEnv):
    """Each step stores a returning pod in one of ``k`` candidate free cells.

    Args:
        config: the scenario and options (or pass :class:`EnvConfig`'s fields).
    """

    kind = "slotting"


class DispatchEnv(_TwinEnv):
    """Each step gives a pod trip to one of ``k`` candidate idle robots.

    Args:
        config: the scenario and options (or pass :class:`EnvConfig`'s fields).
    """

    kind = "dispatch"


def make_env(kind: str, config: EnvConfig) -> SlottingEnv | DispatchEnv:
    """The environment for ``kind``."""
    if kind == "slotting":
        return SlottingEnv(config)
    if kind == "dispatch":
        return DispatchEnv(config)
    raise ValueError(f"unknown decision kind {kind!r}; expected slotting or dispatch")
