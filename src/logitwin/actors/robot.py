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
    Found,
    Freeze,
    Goto,
    Join,
    Leave,
    Lost,
    PickDone,
    PodTask,
    PutBack,
    Repaired,
    ReturnPod,
    Slot,
    StoreAt,
    TakeOut,
    TaskCancelled,
    TaskDone,
    TimerDone,
    Unavailable,
)
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["ROBOT_STATUSES", "BatteryModel", "Robot"]

# A breakdown in these statuses hands the task back: its pod has not been presented.
_CANCELLED_BY_BREAKDOWN = ("to_pod", "lifting", "queued", "to_station")
# Messages a robot out of service still acts on.
_SERVICE = (Breakdown, Repaired, Lost, Found, TakeOut, PutBack)

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
    "offline",
    "out_of_service",
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
        # Each arrival's steps by leg, when someone asks for them (the RL environments
        # credit a leg to the decision that started it): (status, task, pod, moved,
        # waited); None: not kept (a long run would grow it without bound).
        self.ledger: list[tuple[str, int, int, int, int]] | None = None
        self._pod = -1
        self._station = ""
        self._orders: tuple[str, ...] = ()
        self._skus: tuple[int, ...] = ()
        self._pick = False
        self._cell = -1
        # Out of service: "broken", "offline" (lost by its driver), "out_of_service"
        # (taken out by an operator), or "" (in service).
        self._down = ""
        self.breakdowns = 0
        self._before = "idle"
        self._stash: list[tuple[Message, str]] = []
        self._gen = 0  # task generation: a cancelled task's timers and slots are stale
        self.cancelled = 0
        self.stale = 0

    def on_start(self) -> None:
        self.set(status="idle", soc=self.soc, travel=0, waited=0, task=None, model=self.model)

    def receive(self, msg: Message, sender: str) -> None:
        """A robot out of service (broken; offline: its driver stopped reporting; or taken
        out by an operator) does nothing: what it is told (or its timers) waits until it
        is back."""
        if self._down and not isinstance(msg, _SERVICE):
            self._stash.append((msg, sender))
            return
        super().receive(msg, sender)

    @handles(Breakdown)
    def _breakdown(self, msg: Breakdown, sender: str) -> None:
        if self._down in ("offline", "out_of_service"):  # deal with it once back
            self._stash.append((msg, sender))
            return
        if self._down:
            return  # already down
        self._go_down("broken")
        self.send(self._traffic, Freeze(True))
        self.timer(msg.repair_s, Repaired())

    @handles(Repaired)
    def _repaired(self, msg: Repaired, sender: str) -> None:
        self.send(self._traffic, Freeze(False))
        self._come_up()

    @handles(TakeOut)
    def _take_out(self, msg: TakeOut, sender: str) -> None:
        if self._down in ("broken", "offline"):
            self._stash.append((msg, sender))  # taken out once it is back
        elif not self._down:
            self._go_down("out_of_service")
            self.send(self._traffic, Freeze(True))

    @handles(PutBack)
    def _put_back(self, msg: PutBack, sender: str) -> None:
        if self._down == "out_of_service":
            self.send(self._traffic, Freeze(False))
            self._come_up()
        elif self._down:
            self._stash.append((msg, sender))
        else:
            raise ValueError(f"{self.id} was put back but was not taken out")

    @handles(Lost)
    def _lost(self, msg: Lost, sender: str) -> None:
        if self._down in ("broken", "out_of_service"):
            self._stash.append((msg, sender))  # still lost once repaired, unless found
        elif not self._down:
            self._go_down("offline")

    @handles(Found)
    def _found(self, msg: Found, sender: str) -> None:
        if self._down in ("broken", "out_of_service"):
            self._stash.append((msg, sender))
        elif self._down == "offline":
            self._come_up()

    def _go_down(self, why: str) -> None:
        self._down = why
        self._before = self.status
        changes: dict[str, object] = {"status": why}
        if why == "broken":
            self.breakdowns += 1
            changes["breakdowns"] = self.breakdowns
        self.set(**changes)
        if self._before == "idle":
            self.send(self._allocator, Unavailable())
        elif self._before in _CANCELLED_BY_BREAKDOWN:
            self._cancel()

    def _come_up(self) -> None:
        self._down = ""
        self.set(status=self._before)
        stash, self._stash = self._stash, []
        for m, s in stash:
            self.receive(m, s)
        if self._down:
            return  # a breakdown or a loss noted while it was down
        if self.status == "idle" and self._before == "idle":
            self.send(self._allocator, Available(self._cell))
        elif self.status == "to_storage" and self.task is None and self.target is None:
            # The pod of the task cancelled when it went down goes back to storage.
            self.send(self._allocator, ReturnPod(self._pod, self._cell))

    def _cancel(self) -> None:
        """Hand the task back: its pod has not been presented, so another robot can
        serve its lines. A pod already lifted stays on this robot until it is repaired
        and brings it back to storage; nothing it carried is lost."""
        carrying = self._before != "to_pod"
        if self._before in ("queued", "to_station"):
            self.send(self._station, Leave())
        self._station = ""
        task = self.task if self.task is not None else -1
        self.send(self._allocator, TaskCancelled(task, self._pod, carrying))
        self.send(self._traffic, Goto(-1, False))
        # What was sent for the task (a lift timer, a queue slot, an arrival) is stale.
        self._gen += 1
        self.target = None
        self.task = None
        self._before = "to_storage" if carrying else "idle"
        self.set(task=None, cancelled=self.cancelled + 1)

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
        if self.ledger is not None:
            task = self.task if self.task is not None else -1
            self.ledger.append((self.status, task, self._pod, msg.moved, msg.waited))
        if msg.cell != self.target:
            return
        self.target = None
        if self.status == "to_pod":
            self.set(status="lifting")
            self.timer(self.lift_s, TimerDone(f"lift#{self._gen}"))
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
        if msg.what.startswith("lift#"):
            if msg.what != f"lift#{self._gen}" or self.status != "lifting":
                self._stale()  # the lift of a task cancelled meanwhile
                return
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

    def _stale(self) -> None:
        """A message about a task cancelled meanwhile: counted, not acted on."""
        self.stale += 1
        self.set(stale=self.stale)

    @handles(Slot)
    def _slot(self, msg: Slot, sender: str) -> None:
        if sender != self._station or self.status not in ("queued", "to_station"):
            self._stale()  # sent before the station took our Leave
            return
        self._pick = msg.pick
        self._goto(msg.cell, "to_station", hold=msg.pick)

    @handles(PickDone)
    def _pick_done(self, msg: PickDone, sender: str) -> None:
        self._station = ""
        self.set(status="to_storage")
        self.send(self._allocator, ReturnPod(self._pod, self._cell))

    @handles(StoreAt)
    def _store_at(self, msg: StoreAt, sender: str) -> None:
        self._goto(msg.cell, "to_storage", hold=True)

    @handles(ChargeAt)
    def _charge_at(self, msg: ChargeAt, sender: str) -> None:
        self._goto(msg.cell, "to_charger", hold=True)
