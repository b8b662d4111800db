"""Gymnasium environments over the twin: one step is one slotting or dispatch decision.

:class:`SlottingEnv` stores each returning pod in a free storage cell; :class:`DispatchEnv`
gives each pod trip to an idle robot. An episode is one run of the scenario (seeded by
``reset(seed=...)``) up to its horizon; every decision of the kind is a step, the other
decisions are the scenario's own policies'.

Observation: ``k`` candidates from :mod:`logitwin.rl.observe` (the heuristics' answers
among them) with a few features each, plus global features: its size does not grow with
the site. Action: a candidate index; ``action_masks()`` marks the candidates that exist.
An index outside the mask (``check_env`` samples them) falls back to candidate 0.

Reward, read from the twin between two decisions (what the previous choice, and all
else, caused meanwhile)::

    r = (Δlines · ref - Δtravel - wait_weight · Δwaited) / ref

``Δtravel``: cells moved by the whole fleet; ``Δwaited``: steps robots stood blocked by
traffic; ``Δlines``: order lines picked at the stations; ``ref``: the site's mean
storage-to-station distance x 2 (cells: about one pod trip), so one line picked is worth
one typical trip. An episode's return is lines picked minus fleet travel and waiting in
units of trips: less travel per line and no lost throughput both pay.
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
    """

    scenario: str = "tiny"
    overrides: tuple[str, ...] = ()
    k: int | None = None
    wait_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.k is not None and self.k < 3:
            raise ValueError(f"k must be >= 3, got {self.k}")
        if not 0 <= self.wait_weight <= 10:
            raise ValueError(f"wait_weight must be in [0, 10], got {self.wait_weight}")

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
        self._candidates: list[int] = []
        self.decision: Any = None  # the pending decision (None: the run is over)
        self._totals = (0.0, 0.0, 0.0)
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
        self._totals = self._read()
        decision = self._stepper.start()
        return self._observe(decision), {"scenario_seed": self.scenario_seed}

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Answer the pending decision with candidate ``action``; run to the next one."""
        st = self._stepper
        if st is None or st.done:
            raise RuntimeError("no decision is pending: call reset() first")
        a = int(action)
        choice = self._candidates[a] if 0 <= a < len(self._candidates) else self._candidates[0]
        decision = st.step(choice)
        before = self._totals
        self._totals = self._read()
        travel, waited, lines = (x - y for x, y in zip(self._totals, before, strict=True))
        reward = (lines * self._ref - travel - self.config.wait_weight * waited) / self._ref
        obs = self._observe(decision)
        info = {"travel": travel, "waited": waited, "lines": lines, "choice": choice}
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
    def candidates(self) -> list[int]:
        """The pending decision's candidates (cells or robots; index = action)."""
        return list(self._candidates)

    def _observe(self, decision: Any) -> np.ndarray:
        self.decision = decision
        if decision is None:
            self._candidates = []
            return np.zeros(self.spec_obs.size, dtype=np.float32)
        obs, self._candidates = self._observer.observe(decision)
        return obs

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
