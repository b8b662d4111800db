"""The twin as a Mesa model: each step advances the twin by a fixed interval."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import mesa
import yaml

from logitwin.actors.order import Order
from logitwin.actors.robot import Robot
from logitwin.actors.runtime import LocalSystem
from logitwin.actors.station import Station
from logitwin.actors.traffic import TrafficController
from logitwin.errors import ScenarioError
from logitwin.mesa.agents import OrderAgent, RobotAgent, StationAgent
from logitwin.scenarios.build import Twin, build_twin
from logitwin.scenarios.loader import load_scenario

__all__ = ["AGENT_REPORTERS", "MODEL_REPORTERS", "PARAMETERS", "TwinModel"]

PARAMETERS: Mapping[str, str] = MappingProxyType(
    {
        "robots": "fleet.robots",
        "orders_per_hour": "demand.orders_per_hour",
        "mean_lines": "demand.mean_lines",
        "horizon_h": "horizon_h",
        "stations": "layout.stations",
        "chargers": "layout.chargers",
        "order_slots": "stations.order_slots",
        "robots_per_station": "stations.robots_per_station",
        "line_s": "stations.line_s",
        "speed_mps": "floor.speed_mps",
        "fill": "inventory.fill",
    }
)
"""Friendly model parameters (``TwinModel(robots=6)``, a ``batch_run`` parameter) and
the scenario field each sets. Any other field is reachable by its dotted path, as a
keyword (``**{"fleet.lift_s": 2.0}``, or a ``batch_run`` parameter ``"fleet.lift_s"``)
or in ``overrides``."""

MODEL_REPORTERS = (
    "time_s",
    "orders_created",
    "orders_picked",
    "orders_shipped",
    "throughput_per_h",
    "robots_idle",
    "robots_busy",
    "robots_travelling",
    "mean_soc",
    "seed",
)
"""Columns the model's ``DataCollector`` records each step (attributes of the model)."""

AGENT_REPORTERS = ("twin_id", "kind", "status", "cell", "soc")
"""Columns recorded for each agent each step (``soc`` is ``None`` but for robots)."""

# Robot statuses that mean driving somewhere (the rest wait, lift, pick or charge).
_TRAVELLING = frozenset({"to_pod", "to_station", "to_storage", "to_charger"})
# Order statuses from which every line has been picked.
_PICKED = frozenset({"picked", "packed", "staged", "loaded", "shipped"})


class TwinModel(mesa.Model):  # type: ignore[misc]  # mesa ships no type hints
    """A logitwin twin as a Mesa model.

    Each :meth:`step` advances the twin by ``step_s`` simulated seconds; robots, stations
    and orders appear as read-only agents (:mod:`logitwin.mesa.agents`) on ``grid``, a
    ``mesa.space.MultiGrid`` of the site; ``datacollector`` records
    :data:`MODEL_REPORTERS` and :data:`AGENT_REPORTERS` after every step (and once at
    t = 0). ``running`` turns ``False`` at the scenario's horizon.

    The site's cell at (row, col) is grid position ``(col, height - 1 - row)``: Mesa's
    (0, 0) is bottom left, the site's row 0 is its top row, so a Mesa picture looks like
    the site map. Orders appear when they are created and are removed when their truck
    leaves.

    Args:
        scenario: a built-in scenario name or a YAML path.
        step_s: simulated time (s) per Mesa step.
        seed: the scenario's seed (also seeds Mesa's ``random`` and ``rng``). ``None``
            draws a fresh one, as Mesa does, so ``batch_run`` iterations differ; the
            seed used is ``model.seed`` and a reporter column, to rerun any of them.
        overrides: scenario overrides, ``path.to.field=value`` (as ``logitwin run
            --set``).
        **params: scenario fields by friendly name (:data:`PARAMETERS`) or by dotted
            path; values are plain numbers, strings or lists (``orders_per_hour`` may be
            one number).

    Raises:
        ScenarioError: an unknown parameter, a field set twice, or an invalid scenario.
        ValueError: ``step_s`` is not a positive number of seconds.
    """

    def __init__(
        self,
        scenario: str | Path = "tiny",
        step_s: float = 60.0,
        seed: int | None = None,
        overrides: Sequence[str] | None = None,
        **params: Any,
    ) -> None:
        if not (math.isfinite(step_s) and step_s > 0):
            raise ValueError(f"step_s must be a positive number of seconds, got {step_s!r}")
        sets = _overrides(list(overrides or ()), params, seed)
        sc = load_scenario(scenario, sets)
        super().__init__(seed=sc.seed)
        self.seed: int = sc.seed
        self.step_s = float(step_s)
        self.twin: Twin = build_twin(sc, None)
        system = self.twin.system
        if not isinstance(system, LocalSystem):  # build_twin's default runtime
            raise TypeError(f"expected a LocalSystem twin, got {type(system).__name__}")
        self._system = system
        site = self.twin.site
        self.grid = mesa.space.MultiGrid(site.grid.width, site.grid.height, torus=False)
        self._station_cells = {f"station:{s.id}": s.pick_cell for s in site.stations}
        self._dock_cells = {f"dock:{d.id}": d.cell for d in site.docks}
        self._placing = False
        actors = system.actors()
        traffic = system.actor("traffic")
        if not isinstance(traffic, TrafficController):
            raise TypeError(f"actor 'traffic' is a {type(traffic).__name__}")
        index = {rid: i for i, rid in enumerate(traffic.robot_ids)}
        self.robots = [
            RobotAgent(self, a, traffic, index[a.id]) for a in actors if isinstance(a, Robot)
        ]
        self.stations = [StationAgent(self, a) for a in actors if isinstance(a, Station)]
        self.orders: dict[str, OrderAgent] = {}
        self._seen = 0  # actors looked at for new orders (spawn order)
        self._created = 0
        self._picked = 0
        self._shipped = 0
        self._refresh()
        self.datacollector = mesa.DataCollector(
            model_reporters={k: k for k in MODEL_REPORTERS},
            agent_reporters={k: k for k in AGENT_REPORTERS},
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance the twin to ``steps * step_s`` (at most the horizon), update the
        agents and collect data; stop running at the horizon."""
        horizon = self.twin.horizon_s
        # From the step count, not by adding step_s up, so times do not drift.
        self._system.run(until=min(self.steps * self.step_s, horizon))
        self._refresh()
        self.datacollector.collect(self)
        self.running = self._system.now < horizon

    # -- reporters -------------------------------------------------------------------

    @property
    def time_s(self) -> float:
        """The twin's clock (s)."""
        return float(self._system.now)

    @property
    def orders_created(self) -> int:
        """Orders that have arrived so far."""
        return self._created

    @property
    def orders_picked(self) -> int:
        """Orders with every line picked (shipped ones included)."""
        return self._picked

    @property
    def orders_shipped(self) -> int:
        """Orders whose truck has left."""
        return self._shipped

    @property
    def throughput_per_h(self) -> float:
        """Orders picked per simulated hour so far."""
        t = self._system.now
        return self._picked * 3600.0 / t if t > 0 else 0.0

    @property
    def robots_idle(self) -> float:
        """Share of robots idle (no task, not charging or out of service)."""
        return _share(r.status == "idle" for r in self.robots)

    @property
    def robots_busy(self) -> float:
        """Share of robots on a pod task."""
        return _share(r.task is not None for r in self.robots)

    @property
    def robots_travelling(self) -> float:
        """Share of robots driving to a pod, station, storage cell or charger."""
        return _share(r.status in _TRAVELLING for r in self.robots)

    @property
    def mean_soc(self) -> float:
        """Mean state of charge (0..1) of the fleet."""
        return math.fsum(r.soc for r in self.robots) / len(self.robots)

    # -- positions -------------------------------------------------------------------

    def pos_of(self, cell: int) -> tuple[int, int]:
        """Grid position ``(x, y)`` of site cell ``cell``."""
        row, col = self.twin.site.grid.rc(cell)
        return col, self.grid.height - 1 - row

    def cell_at(self, pos: tuple[int, int]) -> int:
        """Site cell at grid position ``(x, y)``."""
        x, y = pos
        return self.twin.site.grid.cell(self.grid.height - 1 - y, x)

    @contextmanager
    def _moving(self) -> Iterator[None]:
        self._placing = True
        try:
            yield
        finally:
            self._placing = False

    def _refresh(self) -> None:
        """Add views for new orders, drop shipped ones, move every view to its cell."""
        actors = self._system.actors()
        for a in actors[self._seen :]:
            if isinstance(a, Order):
                self._created += 1
                self.orders[a.id] = OrderAgent(self, a)
        self._seen = len(actors)
        picked = self._shipped
        with self._moving():
            for view in self.robots:
                self._place(view, view.cell)
            for view in self.stations:
                self._place(view, view.cell)
            for oid, order in list(self.orders.items()):
                status = order.status
                if status == "shipped":
                    self._place(order, None)
                    order.remove()
                    del self.orders[oid]
                    self._shipped += 1
                    picked += 1
                    continue
                picked += status in _PICKED
                self._place(order, order.cell)
        self._picked = picked

    def _place(self, view: RobotAgent | StationAgent | OrderAgent, cell: int | None) -> None:
        pos = None if cell is None else self.pos_of(cell)
        if pos == view.pos:
            return
        if view.pos is None:
            self.grid.place_agent(view, pos)
        elif pos is None:
            self.grid.remove_agent(view)
        else:
            self.grid.move_agent(view, pos)


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _overrides(overrides: list[str], params: dict[str, Any], seed: int | None) -> list[str]:
    """``overrides`` plus one ``path=value`` per parameter and the seed."""
    paths = {item.split("=", 1)[0].strip(): item for item in overrides}
    out = list(overrides)
    for name, value in params.items():
        path = PARAMETERS.get(name, name if "." in name else None)
        if path is None:
            raise ScenarioError(
                f"TwinModel: unknown parameter {name!r}; parameters are "
                f"{', '.join(PARAMETERS)}, or any scenario field by its dotted path "
                "(for example 'fleet.lift_s')"
            )
        if path == "demand.orders_per_hour" and not isinstance(value, list | tuple | range):
            value = [value]
        item = f"{path}={_yaml(value)}"
        if path in paths:
            raise ScenarioError(f"TwinModel: {path} is set twice, by {paths[path]!r} and {name}")
        paths[path] = item
        out.append(item)
    if seed is not None and "seed" in paths:
        raise ScenarioError(f"TwinModel: seed is set twice, by seed={seed} and {paths['seed']!r}")
    if "seed" not in paths:
        # Mesa's convention: no seed, a fresh run. The seed used is reported, so any run
        # can be repeated.
        out.append(f"seed={secrets.randbits(63) if seed is None else int(seed)}")
    return out


def _yaml(value: Any) -> str:
    """``value`` as YAML flow text (what ``apply_overrides`` parses)."""
    return str(yaml.safe_dump(_plain(value), default_flow_style=True)).removesuffix("...\n").strip()


def _plain(value: Any) -> Any:
    """Numpy scalars (``batch_run`` over ``np.arange``) and sequences as plain data."""
    if isinstance(value, list | tuple | range):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, str) else value
