"""Outbound docks and the trucks that load at them."""

from __future__ import annotations

from logitwin.actors.delivery import OutboundDeparted
from logitwin.actors.messages import (
    Bumped,
    Depart,
    DockDoor,
    DoorAssigned,
    DoorFree,
    Loaded,
    Shipped,
    Stage,
    TruckAtDock,
    TruckCutoff,
    UnloadDone,
    Unloaded,
    YardArrive,
)
from logitwin.actors.runtime import URGENT, Actor, System, handles

__all__ = ["Dock", "InboundTruck", "Truck"]


class Dock(Actor):
    """A dock door: which truck stands at it, and how many have left from it.

    Args:
        yard: the yard actor told :class:`DoorFree` when a truck leaves (``None``: no
            yard, trucks come to their doors by themselves).
    """

    kind = "dock"

    def __init__(self, system: System, aid: str, yard: str | None = None) -> None:
        super().__init__(system, aid)
        self.yard = yard

    def on_start(self) -> None:
        self.truck: str | None = None
        self.departed = 0
        self.overlaps = 0
        self.set(truck=None, departed=0)

    @handles(TruckAtDock)
    def _arrive(self, msg: TruckAtDock, sender: str) -> None:
        # A late truck may still stand at the door when the next one comes: it loads
        # beside it (in the yard), so both are recorded.
        if self.truck is not None and self.truck != msg.truck:
            self.set(truck=msg.truck, overlaps=self.overlaps + 1)
        else:
            self.set(truck=msg.truck)

    @handles(Depart)
    def _depart(self, msg: Depart, sender: str) -> None:
        changes: dict[str, object] = {"departed": self.departed + 1}
        if self.truck == msg.truck:
            changes["truck"] = None
        self.set(**changes)
        if self.yard is not None:
            self.send(self.yard, DoorFree(self.id, msg.truck), priority=URGENT)


class _YardTruck(Actor):
    """What outbound and inbound trucks share when a yard hands out the doors: on
    arrival they check in (:class:`YardArrive`) and wait; :class:`DoorAssigned` sends
    them to their door. The rows say when each came (``yard_at``), got its door
    (``door``, ``door_at``) and how long it waited (``wait_s``); its ``departed`` row is
    the moment it leaves the door."""

    dock: str
    _yard: str | None
    _granted: bool
    _yard_at: float

    def _check_in(self) -> bool:
        """Check in at the yard if there is one and no door is granted yet."""
        if self._yard is None or self._granted:
            return False
        self._yard_at = self.now
        self.send(self._yard, YardArrive(self.id))
        self.set(status="in_yard", yard_at=self.now)
        return True

    def _granted_door(self, door: str) -> float:
        """Take ``door``; the time waited in the yard (s)."""
        if self._granted:
            raise ValueError(f"{self.id}: door {door} assigned twice")
        self._granted = True
        self.dock = door
        wait = self.now - self._yard_at
        self.set(dock=door, door_at=self.now, wait_s=wait)
        return wait


class Truck(_YardTruck):
    """An outbound truck: arrives at its dock, loads staged orders until cutoff, departs.

    Orders staged before it arrives are loaded on arrival; orders staged while it is at the
    door are loaded at once. At cutoff the doors close; at departure every loaded order
    ships. The departure's state row lists the orders on board (``orders``): that row is
    the moment they leave, while each order hears of it a message later (``Shipped``),
    which may fall after the end of the run.

    Args:
        dock: id of its dock.
        arrive, cutoff, depart: planned times (s), in that order. Orders are promised the
            planned cutoff, journalled as ``planned_cutoff``.
        capacity: most orders it takes.
        delay: how late it is (s); arrival, cutoff and departure all move by it.
        notify: an actor told at departure which orders are on board
            (:class:`~logitwin.actors.delivery.OutboundDeparted`; the transport controller
            that routes them to customers), or None.
        yard: the yard actor to check in with (``None``: straight to ``dock``). With a
            yard, the truck waits for its door; the later it gets it, the later its
            cutoff and departure (its dwell and loading time at the door hold), and
            ``dock`` is only the planned door.
    """

    kind = "truck"

    def __init__(
        self,
        system: System,
        aid: str,
        dock: str,
        arrive: float,
        cutoff: float,
        depart: float,
        capacity: int,
        delay: float = 0.0,
        notify: str | None = None,
        *,
        yard: str | None = None,
    ) -> None:
        super().__init__(system, aid)
        if delay < 0:
            raise ValueError(f"{aid}: delay must be >= 0 s, got {delay}")
        self.planned_cutoff = cutoff
        self.due = depart
        self._yard, self._granted, self._yard_at = yard, False, 0.0
        arrive, cutoff, depart = arrive + delay, cutoff + delay, depart + delay
        if not arrive <= cutoff <= depart:
            raise ValueError(
                f"{aid}: need arrive <= cutoff <= depart, got {arrive}, {cutoff}, {depart}"
            )
        if capacity < 1:
            raise ValueError(f"{aid}: capacity must be >= 1 order, got {capacity}")
        self.dock = dock
        self.arrive, self.cutoff, self.depart = arrive, cutoff, depart
        self.capacity = capacity
        self.delay = delay
        self.notify = notify
        self.door_open = True
        self.status = "scheduled"
        self._staged: list[str] = []
        self._loaded: list[str] = []

    def on_start(self) -> None:
        self.set(
            status="scheduled",
            dock=self.dock,
            cutoff=self.cutoff,
            planned_cutoff=self.planned_cutoff,
            loaded=0,
            delay_s=self.delay,
            **({"due": self.due} if self._yard is not None else {}),
        )
        now = self.now
        self.timer(max(0.0, self.arrive - now), TruckAtDock(self.id))
        if self._yard is None:
            self._timers()

    def _timers(self) -> None:
        now = self.now
        self.timer(max(0.0, self.cutoff - now), TruckCutoff())
        self.timer(max(0.0, self.depart - now), Depart(self.id))

    @handles(DoorAssigned)
    def _assigned(self, msg: DoorAssigned, sender: str) -> None:
        # Loading starts at the door, so the cutoff and departure move with the wait.
        shift = self.now - self.arrive
        self._granted_door(msg.door)
        self.cutoff += shift
        self.depart += shift
        self.set(cutoff=self.cutoff)
        self._timers()
        self._at_dock(TruckAtDock(self.id), self.id)

    def _load(self, order: str) -> None:
        self._loaded.append(order)
        self.send(order, Loaded(self.id))

    @handles(Stage)
    def _stage(self, msg: Stage, sender: str) -> None:
        if self.status in ("closed", "departed"):
            raise ValueError(f"{self.id}: {msg.order} staged after cutoff")
        if len(self._staged) + len(self._loaded) >= self.capacity:
            raise ValueError(f"{self.id}: {msg.order} staged beyond capacity {self.capacity}")
        if self.status == "at_dock" and self.door_open:
            self._load(msg.order)
            self.set(loaded=len(self._loaded))
        else:
            self._staged.append(msg.order)

    @handles(TruckAtDock)
    def _at_dock(self, msg: TruckAtDock, sender: str) -> None:
        if self._check_in():
            return
        if not self.door_open:
            self.set(status="door_closed")  # waits in the yard
            return
        self.send(self.dock, TruckAtDock(self.id))
        for order in self._staged:
            self._load(order)
        self._staged.clear()
        self.set(status="at_dock", loaded=len(self._loaded))

    @handles(DockDoor)
    def _door(self, msg: DockDoor, sender: str) -> None:
        self.door_open = msg.open
        if msg.open and self.status == "door_closed":
            self._at_dock(TruckAtDock(self.id), self.id)

    @handles(TruckCutoff)
    def _cutoff(self, msg: TruckCutoff, sender: str) -> None:
        # Orders staged for a truck whose door never opened in time go on a later one.
        for order in self._staged:
            self.send(order, Bumped(self.id))
        bumped = len(self._staged)
        self._staged.clear()
        self.set(status="closed", **({"bumped": bumped} if bumped else {}))

    @handles(Depart)
    def _depart(self, msg: Depart, sender: str) -> None:
        for order in self._loaded:
            self.send(order, Shipped(self.id))
        self.send(self.dock, Depart(self.id), priority=URGENT)  # free the door first
        self.set(status="departed", shipped=len(self._loaded), orders=tuple(self._loaded))
        if self.notify is not None:
            self.send(self.notify, OutboundDeparted(self.id, tuple(self._loaded)))


class InboundTruck(_YardTruck):
    """An inbound truck: comes to its door (late by ``delay``), is unloaded pallet by
    pallet and leaves; the receiving actor ``notify`` hears what came off.

    Args:
        dock: id of its dock.
        arrive: planned arrival (s).
        pallets: pallets it brings.
        unload_s: unloading time per pallet (s).
        delay: how late it is (s).
        notify: the actor told :class:`Unloaded` (``None``: nobody).
        yard: the yard actor to check in with (``None``: straight to ``dock``).
        due: when it should have left the door (s), journalled for the lateness KPI
            (with a yard).
    """

    kind = "inbound"

    def __init__(
        self,
        system: System,
        aid: str,
        dock: str,
        arrive: float,
        pallets: int,
        unload_s: float,
        delay: float = 0.0,
        notify: str | None = None,
        *,
        yard: str | None = None,
        due: float | None = None,
    ) -> None:
        super().__init__(system, aid)
        if delay < 0:
            raise ValueError(f"{aid}: delay must be >= 0 s, got {delay}")
        if pallets < 1 or unload_s <= 0:
            raise ValueError(f"{aid}: need pallets >= 1, unload_s > 0; got {pallets}, {unload_s}")
        self.dock, self.arrive, self.pallets = dock, arrive + delay, pallets
        self.unload_s, self.delay, self.notify = unload_s, delay, notify
        self.due = due
        self._yard, self._granted, self._yard_at = yard, False, 0.0

    def on_start(self) -> None:
        extra = {"due": self.due} if self._yard is not None and self.due is not None else {}
        self.set(
            status="scheduled", dock=self.dock, pallets=self.pallets, delay_s=self.delay, **extra
        )
        self.timer(max(0.0, self.arrive - self.now), TruckAtDock(self.id))

    @handles(DoorAssigned)
    def _assigned(self, msg: DoorAssigned, sender: str) -> None:
        self._granted_door(msg.door)
        self._at_dock(TruckAtDock(self.id), self.id)

    @handles(TruckAtDock)
    def _at_dock(self, msg: TruckAtDock, sender: str) -> None:
        if self._check_in():
            return
        self.send(self.dock, TruckAtDock(self.id))
        self.set(status="unloading")
        self.timer(self.pallets * self.unload_s, UnloadDone())

    @handles(UnloadDone)
    def _unloaded(self, msg: UnloadDone, sender: str) -> None:
        if self.notify is not None:
            self.send(self.notify, Unloaded(self.id, self.dock, self.pallets))
        self.send(self.dock, Depart(self.id), priority=URGENT)
        self.set(status="departed", unloaded=self.pallets)
