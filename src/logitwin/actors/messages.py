"""The messages the warehouse actors exchange. Times are seconds, cells are grid cell ids."""

from __future__ import annotations

from logitwin.actors.codec import Message, message

__all__ = [
    "Arrived",
    "AtPick",
    "Available",
    "Breakdown",
    "Bumped",
    "ChargeAt",
    "Charged",
    "ChargerOut",
    "CutoffCheck",
    "Demanded",
    "Depart",
    "DisruptionDue",
    "DockDoor",
    "DoorAssigned",
    "DoorFree",
    "Found",
    "Freeze",
    "Goto",
    "Join",
    "Leave",
    "LinePicked",
    "Loaded",
    "Lost",
    "MovesDue",
    "NewOrder",
    "NextArrival",
    "OrderPicked",
    "PackDone",
    "PickDone",
    "PickLines",
    "PodTask",
    "PutBack",
    "Received",
    "Released",
    "Repaired",
    "ReturnPod",
    "ReviewStock",
    "RobotFails",
    "Ship",
    "Shipped",
    "Slot",
    "Stage",
    "Staged",
    "StationState",
    "StoreAt",
    "TakeOut",
    "TaskCancelled",
    "TaskDone",
    "Tick",
    "TimerDone",
    "TruckAtDock",
    "TruckCutoff",
    "Unavailable",
    "UnloadDone",
    "Unloaded",
    "WaveOpen",
    "YardArrive",
    "YardCheck",
]


# --- demand and order release -------------------------------------------------------------
@message
class NextArrival(Message):
    """Demand generator's own timer: create the next order."""


@message
class NewOrder(Message):
    """An order was created and waits for release; ``qty`` are the units of each line
    (empty: one each, when stock is not tracked)."""

    order: str
    skus: tuple[int, ...]
    cutoff: float
    qty: tuple[int, ...] = ()


@message
class PickLines(Message):
    """Release → allocator: these SKUs of ``order`` are to be picked at ``station``
    (``qty`` units each; empty: one each)."""

    order: str
    station: str
    skus: tuple[int, ...]
    qty: tuple[int, ...] = ()


@message
class Demanded(Message):
    """Release → receiving: a new order wants ``qty`` units of each of ``skus`` (the
    demand history the replenishment forecast learns from)."""

    order: str
    skus: tuple[int, ...]
    qty: tuple[int, ...]


@message
class ReviewStock(Message):
    """Receiving's own timer: review every SKU's position and place purchase orders."""


@message
class Received(Message):
    """Receiving → allocator: ``qty`` units of ``sku`` of purchase order ``po`` came off
    a truck at ``dock``; cross-dock what backorders wait for, put the rest away."""

    po: str
    sku: int
    qty: int
    dock: str


@message
class LinePicked(Message):
    """Station → order: one line was picked."""

    sku: int


@message
class OrderPicked(Message):
    """Order → release controller: all lines picked, the station slot is free."""

    order: str
    station: str


@message
class PackDone(Message):
    """Order's own timer: packing finished."""


@message
class CutoffCheck(Message):
    """Order's own timer at its target truck's cutoff."""


# --- shipping -----------------------------------------------------------------------------
@message
class Ship(Message):
    """Order → shipping controller: packed, needs a truck; promised the ``cutoff`` one."""

    order: str
    cutoff: float


@message
class Staged(Message):
    """Shipping → order: staged at ``dock`` for ``truck``, whose cutoff is ``cutoff``."""

    truck: str
    dock: str
    cutoff: float


@message
class Stage(Message):
    """Shipping → truck: ``order`` is staged for you."""

    order: str


@message
class TruckAtDock(Message):
    """Truck's own timer / truck → dock: the truck is at its door."""

    truck: str


@message
class TruckCutoff(Message):
    """Truck's own timer: loading cutoff."""


@message
class Depart(Message):
    """Truck's own timer / truck → dock: the truck leaves."""

    truck: str


@message
class UnloadDone(Message):
    """Inbound truck's own timer: its last pallet is off."""


@message
class Unloaded(Message):
    """Inbound truck → receiving: ``pallets`` pallets are unloaded at ``dock``."""

    truck: str
    dock: str
    pallets: int


@message
class Loaded(Message):
    """Truck → order: loaded onto ``truck``."""

    truck: str


@message
class Shipped(Message):
    """Truck → order: left the site on ``truck``."""

    truck: str


# --- robots, stations, traffic ------------------------------------------------------------
@message
class PodTask(Message):
    """Allocator → robot: fetch ``pod`` from ``pod_cell`` and present it at ``station``."""

    task: int
    pod: int
    pod_cell: int
    station: str
    orders: tuple[str, ...]
    skus: tuple[int, ...]


@message
class Goto(Message):
    """Robot → traffic: drive to ``cell`` (``-1``: no goal, park where you are).

    ``hold`` pins the robot once it is there, so others route around it; otherwise it
    may be pushed aside and comes back.
    """

    cell: int
    hold: bool


@message
class Arrived(Message):
    """Traffic → robot: reached ``cell`` after ``moved`` steps and ``waited`` blocked steps."""

    cell: int
    moved: int
    waited: int


@message
class Tick(Message):
    """Traffic controller's own timer: plan one floor step and release its moves."""


@message
class MovesDue(Message):
    """Traffic controller's own timer: the driver has moves to report done now."""


@message
class TimerDone(Message):
    """An actor's own timer with a label (lift, lower, charge)."""

    what: str


@message
class Join(Message):
    """Robot → station: carrying ``pod``, give me a place in the queue."""

    pod: int


@message
class Released(Message):
    """Release controller → order: released for picking at ``station``."""

    station: str


@message
class Slot(Message):
    """Station → robot: wait in (or move up to) ``cell``; ``pick`` if it is the pick cell."""

    cell: int
    pick: bool


@message
class AtPick(Message):
    """Robot → station: at the pick cell with ``pod`` carrying lines for these orders."""

    pod: int
    orders: tuple[str, ...]
    skus: tuple[int, ...]


@message
class PickDone(Message):
    """Station → robot: picking finished, take the pod away."""

    lines: int


@message
class ReturnPod(Message):
    """Robot → allocator: where does ``pod`` go (leaving from ``cell``)?"""

    pod: int
    cell: int


@message
class StoreAt(Message):
    """Allocator → robot: store the pod at ``cell``."""

    cell: int


@message
class TaskDone(Message):
    """Robot → allocator: task finished at ``cell``, the pod stored there.

    ``low_battery`` asks for a charger instead of the next task.
    """

    task: int
    pod: int
    cell: int
    low_battery: bool


@message
class ChargeAt(Message):
    """Allocator → robot: charge at the charger on ``cell``."""

    cell: int


@message
class Charged(Message):
    """Robot → allocator: charging finished at ``cell``; idle again."""

    cell: int


# --- disruptions ------------------------------------------------------------------------
@message
class Breakdown(Message):
    """Disruptions → robot: it fails now and is repaired after ``repair_s`` seconds."""

    repair_s: float


@message
class Repaired(Message):
    """Robot's own timer: its repair is done."""


@message
class Freeze(Message):
    """Robot → traffic: hold me where I stand (``on``), or let me move again."""

    on: bool


@message
class Unavailable(Message):
    """Robot → allocator: broken; give me no task."""


@message
class TaskCancelled(Message):
    """Robot → allocator: I broke down before presenting ``pod`` for ``task``; hand its
    lines to another robot. ``carrying``: the pod is on me (it comes back to storage when
    I am repaired), else it never left its cell."""

    task: int
    pod: int
    carrying: bool


@message
class Lost(Message):
    """Traffic → robot: your driver has not reported your move in time; you are offline
    (out of service) until it does."""


@message
class Found(Message):
    """Traffic → robot: your driver reported again; you are back in service."""


@message
class TakeOut(Message):
    """Operator → robot: out of service (maintenance, a person on the floor) until
    :class:`PutBack`; it stays where it is, its cells blocked, its task handed back."""


@message
class PutBack(Message):
    """Operator → robot: back in service after :class:`TakeOut`."""


@message
class Leave(Message):
    """Robot → station: I broke down; take me out of your queue (pass me over)."""


@message
class Available(Message):
    """Robot → allocator: repaired and idle at ``cell``."""

    cell: int


@message
class ChargerOut(Message):
    """Disruptions → allocator: the charger on ``cell`` is out of order (``out``) or back."""

    cell: int
    out: bool


@message
class StationState(Message):
    """Disruptions → station, release, allocator: pick time factor of ``station`` from
    now (1 normal, 1.5 a third fewer pickers); 0 closes it."""

    station: str
    factor: float


@message
class DockDoor(Message):
    """Disruptions → truck: its dock door closes (``open`` false) or opens again."""

    open: bool


@message
class Bumped(Message):
    """Truck → order: its door stayed closed past cutoff; the order was not loaded."""

    truck: str


@message
class DisruptionDue(Message):
    """Disruptions' own timer: scheduled event ``index`` happens now."""

    index: int


@message
class RobotFails(Message):
    """Disruptions' own timer: robot number ``robot`` fails now."""

    robot: int


# --- the yard and waves -------------------------------------------------------------------
@message
class YardArrive(Message):
    """Truck → yard: ``truck`` has come to the site and waits for a door."""

    truck: str


@message
class DoorAssigned(Message):
    """Yard → truck: go to ``door`` now."""

    door: str


@message
class DoorFree(Message):
    """Dock → yard: ``truck`` has left ``door``."""

    door: str
    truck: str


@message
class YardCheck(Message):
    """Yard's own timer: has ``truck`` come? If not, it is late enough to re-plan."""

    truck: str


@message
class WaveOpen(Message):
    """Release's own timer: the wave of the trucks with planned cutoff ``cutoff`` opens."""

    cutoff: float
