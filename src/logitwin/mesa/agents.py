"""Read-only Mesa agents that show the twin's robots, stations and orders.

A view holds its actor and reads the actor's state when asked, so it always shows the
twin as of the model's last step (the twin only advances inside ``TwinModel.step``).
Views never act: Mesa's ``step``/``advance`` are no-ops, and setting or deleting an
attribute raises ``AttributeError``. To change what happens, change the scenario, or send
input through the twin (``model.twin.system.inject``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from logitwin.actors.order import Order
from logitwin.actors.robot import Robot
from logitwin.actors.station import Station
from logitwin.actors.traffic import TrafficController

if TYPE_CHECKING:
    from logitwin.mesa.model import TwinModel

__all__ = ["OrderAgent", "RobotAgent", "StationAgent", "TwinAgent"]

# Order statuses in which the order sits at its station (lines being picked) or at its
# dock (waiting for or on its truck).
_AT_STATION = ("released", "picking")
_AT_DOCK = ("staged", "loaded")


class TwinAgent(mesa.Agent):  # type: ignore[misc]  # mesa ships no type hints
    """A read-only Mesa agent showing one actor of the twin.

    Attributes:
        model: the :class:`~logitwin.mesa.TwinModel` (Mesa's parent injection: the model
            gives the agent its ``unique_id`` and registers it).
        unique_id: Mesa's id (an int, unique within the model).
        pos: ``(x, y)`` on ``model.grid`` (``None``: not on the floor), kept by the model.
    """

    model: TwinModel
    _twin_id: str
    _sealed: bool

    def __init__(self, model: TwinModel, twin_id: str) -> None:
        super().__init__(model)
        object.__setattr__(self, "_twin_id", twin_id)
        object.__setattr__(self, "_sealed", True)

    def __setattr__(self, name: str, value: Any) -> None:
        # Mesa's own set-up (model, unique_id, pos) runs before sealing; afterwards only
        # the model moves a view on its grid, which writes ``pos``.
        if self.__dict__.get("_sealed", False) and not (name == "pos" and self.model._placing):
            raise AttributeError(
                f"{type(self).__name__} {self._twin_id!r} is a read-only view of the twin: "
                f"cannot set {name!r}. Change the scenario (TwinModel overrides) or send "
                "input through the twin (model.twin.system.inject)"
            )
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(
            f"{type(self).__name__} {self._twin_id!r} is a read-only view: cannot delete {name!r}"
        )

    @property
    def twin_id(self) -> str:
        """The actor's id in the twin (``robot:0``, ``station:station-1``, ``order:12``)."""
        return self._twin_id

    @property
    def kind(self) -> str:
        """``robot``, ``station`` or ``order``."""
        raise NotImplementedError

    @property
    def status(self) -> str:
        """The entity's status."""
        raise NotImplementedError

    @property
    def cell(self) -> int | None:
        """The entity's grid cell id (``row * width + col``); ``None``: not on the floor."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._twin_id} {self.status} at {self.pos}>"


class RobotAgent(TwinAgent):
    """A robot: its status, task and battery from the robot actor, its cell from the
    traffic controller (the cell it is in, or the one its move in progress ends in)."""

    _robot: Robot
    _traffic: TrafficController
    _index: int

    def __init__(
        self, model: TwinModel, robot: Robot, traffic: TrafficController, index: int
    ) -> None:
        object.__setattr__(self, "_robot", robot)
        object.__setattr__(self, "_traffic", traffic)
        object.__setattr__(self, "_index", index)
        super().__init__(model, robot.id)

    @property
    def kind(self) -> str:
        return "robot"

    @property
    def status(self) -> str:
        """One of :data:`logitwin.actors.robot.ROBOT_STATUSES`."""
        return self._robot.status

    @property
    def cell(self) -> int:
        return self._traffic.cell(self._index)

    @property
    def soc(self) -> float:
        """State of charge (0..1)."""
        return self._robot.soc

    @property
    def task(self) -> int | None:
        """The task it is on (``None``: none)."""
        return self._robot.task

    @property
    def travel(self) -> int:
        """Cells driven so far."""
        return self._robot.travel

    @property
    def waited(self) -> int:
        """Steps spent waiting for traffic so far."""
        return self._robot.waited

    @property
    def robot_model(self) -> str:
        """The robot's model name (``model`` is Mesa's parent model)."""
        return self._robot.model


class StationAgent(TwinAgent):
    """A pick station, placed at its pick cell."""

    _station: Station

    def __init__(self, model: TwinModel, station: Station) -> None:
        object.__setattr__(self, "_station", station)
        super().__init__(model, station.id)

    @property
    def kind(self) -> str:
        return "station"

    @property
    def status(self) -> str:
        """``closed`` (by a disruption), ``picking`` or ``idle``."""
        st = self._station
        return "closed" if st.factor == 0 else "picking" if st.busy else "idle"

    @property
    def cell(self) -> int:
        return self._station.pick_cell

    # The station journals these through ``Actor.set`` and declares no typed field for
    # them, so they are read by name.
    @property
    def queue(self) -> int:
        """Robots in its lane (pick cell and queue cells)."""
        return int(getattr(self._station, "queue", 0))

    @property
    def waiting(self) -> int:
        """Robots with a pod waiting for room in its lane."""
        return int(getattr(self._station, "waiting", 0))

    @property
    def lines(self) -> int:
        """Lines picked so far."""
        return int(getattr(self._station, "lines", 0))

    @property
    def pods(self) -> int:
        """Pods presented so far."""
        return int(getattr(self._station, "pods", 0))


class OrderAgent(TwinAgent):
    """An order, from its creation until its truck leaves (then the model removes it).

    It stands at its station's pick cell while released or picking, at its dock's cell
    while staged or loaded, and is off the floor (``pos`` ``None``) otherwise.
    """

    _order: Order

    def __init__(self, model: TwinModel, order: Order) -> None:
        object.__setattr__(self, "_order", order)
        super().__init__(model, order.id)

    @property
    def kind(self) -> str:
        return "order"

    @property
    def status(self) -> str:
        """created, released, picking, picked, packed, staged, loaded or shipped."""
        return self._order.status

    @property
    def cell(self) -> int | None:
        o = self._order
        if o.status in _AT_STATION and o.station is not None:
            return self.model._station_cells.get(o.station)
        if o.status in _AT_DOCK:
            return self.model._dock_cells.get(str(getattr(o, "dock", "")))
        return None

    @property
    def lines(self) -> int:
        """Lines (SKUs) in the order."""
        return len(self._order.skus)

    @property
    def picked_lines(self) -> int:
        """Lines picked so far."""
        return self._order.picked_lines

    @property
    def station(self) -> str | None:
        """The station it was released to (``None``: not yet)."""
        return self._order.station

    @property
    def cutoff(self) -> float:
        """Cutoff (s) of the truck it is promised on (``inf``: none in the run)."""
        return self._order.cutoff

    @property
    def late(self) -> bool:
        """Whether it missed or will miss its promised truck."""
        return self._order.late
