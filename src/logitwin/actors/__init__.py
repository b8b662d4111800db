"""The actor runtime (local, SimPy clock, journal) and the warehouse's entity actors."""

from logitwin.actors.allocator import Allocator
from logitwin.actors.codec import Message, decode, encode, message
from logitwin.actors.delivery import DeliveryVehicle
from logitwin.actors.dock import Dock, Truck
from logitwin.actors.journal import Journal, JournalReader, JournalRow
from logitwin.actors.order import ORDER_STATUSES, Order
from logitwin.actors.release import OrderRelease
from logitwin.actors.robot import ROBOT_STATUSES, BatteryModel, Robot
from logitwin.actors.runtime import NORMAL, URGENT, Actor, LocalSystem, System, handles
from logitwin.actors.shipping import Shipping
from logitwin.actors.station import Station
from logitwin.actors.traffic import TrafficController
from logitwin.actors.transport import Transport
from logitwin.actors.yard import Yard, YardPlan

__all__ = [
    "NORMAL",
    "ORDER_STATUSES",
    "ROBOT_STATUSES",
    "URGENT",
    "Actor",
    "Allocator",
    "BatteryModel",
    "DeliveryVehicle",
    "Dock",
    "Journal",
    "JournalReader",
    "JournalRow",
    "LocalSystem",
    "Message",
    "Order",
    "OrderRelease",
    "Robot",
    "Shipping",
    "Station",
    "System",
    "TrafficController",
    "Transport",
    "Truck",
    "Yard",
    "YardPlan",
    "decode",
    "encode",
    "handles",
    "message",
]
