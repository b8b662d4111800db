"""The robot entity: a goods-to-person drive unit that carries pods to pick stations."""

from __future__ import annotations

from typing import Protocol

from logitwin.actors.codec import Message
from logitwin.actors.messages import (
    Arrived,
    AtPick,
    Available,
    Breakdown,
    ChargeAt,
    Charged,
    Freeze,
    Goto,
    Join,
    PickDone,
    PodTask,
    Repaired,
    ReturnPod,
    Slot,
    StoreAt,
    TaskDone,
    TimerDone,
    Unavailable,
)
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["ROBOT_STATUSES", "BatteryModel", "Robot"]

ROBOT_STATUSES = (
    "idle",
    "to_pod",
    "lifting",
    "to_station",
    "queued",
    "picking",
    "to_storage",
    "lowering",
    "wait_charger",
    "to_charger",
    "charging",
    "broken",
)


class BatteryModel(Protocol):
    """Battery physics of one robot type (implemented in :mod:`logitwin.robots`)."""

    def drain(self, soc: float, cells: int) -> float:
        """State of charge (0..1) after driving ``cells`` cells from ``soc``."""
        ...

    def needs_charge(self, soc: float) -> bool:
        """Whether the robot should go charging now."""
        ...

    def charge_time(self, soc: float) -> float:
        """Seconds to charge from ``soc`` to the model's full level."""
        ...

    @property
    def full(self) -> float:
        """State of charge after charging."""
        ...


class Robot(Actor):
    """A robot: status, task, battery. Its position belongs to the traffic controller.

    Args:
        battery: the battery model.
        lift_s: time (s) to lift or lower a pod.
        soc: initial state of charge (0..1).
        traffic: id of the traffic controller; allocator: id of the task allocator.
        model: the robot's model (for breakdowns and per-model KPIs).
    """

    kind = "robot"

    def __init__(
        self,
        system: System,
        aid: str,
        battery: BatteryModel,
        lift_s: float,
        soc: float = 1.0,
        traffic: str = "traffic",
        allocator: str = "allocator",
        model: str = "default",
    ) -> None:
        super().__init__(system, aid)
        self.model = model
        self.battery = battery
        self.lift_s = lift_s
        self.soc = soc
        self._traffic = traffic
        self._allocator = allocator
        self.status = "idle"
        self.task: int | None = None
        self.target: int | None = None
        self.travel = 0
        self.waited = 0
        self._pod = -1
        self._station = ""
        self._orders: tuple[str, ...] = ()
        self._skus: tuple[int, ...] = ()
        self._pick = False
        self._cell = -1
        self.broken = False
        self.breakdowns = 0
        self._before = "idle"
        self._stash: list[tuple[Message, str]] = []

    def on_start(self) -> None:
        self.set(status="idle", soc=self.soc, travel=0, waited=0, task=None, model=self.model)

    def receive(self, msg: Message, sender: str) -> None:
        """A broken robot does nothing: what it is told (or its timers) waits for repair."""
        if self.broken and not isinstance(msg, (Repaired, Breakdown)):
            self._stash.append((msg, sender))
            return
        super().receive(msg, sender)

    @handles(Breakdown)
    def _breakdown(self, msg: Breakdown, sender: str) -> None:
        if self.broken:
            return  # already down
        self.broken = True
        self._before = self.status
        self.set(status="broken", breakdowns=self.breakdowns + 1)
        self.send(self._traffic, Freeze(True))
        if self._before == "idle":
            self.send(self._allocator, Unavailable())
        self.timer(msg.repair_s, Repaired())

    @handles(Repaired)
    def _repaired(self, msg: Repaired, sender: str) -> None:
        self.broken = False
        self.set(status=self._before)
        self.send(self._traffic, Freeze(False))
        stash, self._stash = self._stash, []
        for m, s in stash:
            self.receive(m, s)
        if self.status == "idle" and self._before == "idle":
            self.send(self._allocator, Available(self._cell))

    def _goto(self, cell: int, status: str, hold: bool) -> None:
        self.target = cell
        self.set(status=status)
        self.send(self._traffic, Goto(cell, hold))

    @handles(PodTask)
    def _task(self, msg: PodTask, sender: str) -> None:
        if self.status != "idle":
            raise ValueError(f"{self.id} got task {msg.task} while {self.status}")
        self.task = msg.task
        self._pod, self._station = msg.pod, msg.station
        self._orders, self._skus = msg.orders, msg.skus
        self.set(task=msg.task, pod=msg.pod)
        self._goto(msg.pod_cell, "to_pod", hold=True)

    @handles(Arrived)
    def _arrived(self, msg: Arrived, sender: str) -> None:
        # The steps count even when the arrival is at a goal we already replaced.
        soc = self.battery.drain(self.soc, msg.moved)
        self.set(soc=soc, travel=self.travel + msg.moved, waited=self.waited + msg.waited)
        if msg.cell != self.target:
            return
        self.target = None
        if self.status == "to_pod":
            self.set(status="lifting")
            self.timer(self.lift_s, TimerDone("lift"))
        elif self.status == "to_station":
            if self._pick:
                self.set(status="picking")
                self.send(self._station, AtPick(self._pod, self._orders, self._skus))
            else:
                self.set(status="queued")
        elif self.status == "to_storage":
            self.set(status="lowering")
            self.timer(self.lift_s, TimerDone("lower"))
        elif self.status == "to_charger":
            self.set(status="charging")
            self.timer(self.battery.charge_time(self.soc), TimerDone("charge"))
        self._cell = msg.cell

    @handles(TimerDone)
    def _timer(self, msg: TimerDone, sender: str) -> None:
        if msg.what == "lift":
            # Wait for a station place unpinned: a robot parked for minutes must not
            # block the aisle (PIBT's distances do not see pinned robots).
            self.set(status="queued")
            self.send(self._traffic, Goto(-1, False))
            self.send(self._station, Join(self._pod))
        elif msg.what == "lower":
            low = self.battery.needs_charge(self.soc)
            task = self.task if self.task is not None else -1
            self.task = None
            self.set(status="wait_charger" if low else "idle", task=None, pod=None)
            self.send(self._traffic, Goto(-1, False))
            self.send(self._allocator, TaskDone(task, self._pod, self._cell, low))
        elif msg.what == "charge":
            self.set(status="idle", soc=self.battery.full)
            self.send(self._traffic, Goto(-1, False))
            self.send(self._allocator, Charged(self._cell))
        else:
            raise ValueError(f"{self.id}: unknown timer {msg.what!r}")

    @handles(Slot)
    def _slot(self, msg: Slot, sender: str) -> None:
        self._pick = msg.pick
        self._goto(msg.cell, "to_station", hold=msg.pick)

    @handles(PickDone)
    def _pick_done(self, msg: PickDone, sender: str) -> None:
        self.set(status="to_storage")
        self.send(self._allocator, ReturnPod(self._pod, self._cell))

    @handles(StoreAt)
    def _store_at(self, msg: StoreAt, sender: str) -> None:
        self._goto(msg.cell, "to_storage", hold=True)

    @handles(ChargeAt)
    def _charge_at(self, msg: ChargeAt, sender: str) -> None:
        self._goto(msg.cell, "to_charger", hold=True)
