"""The shipping controller: assigns packed orders to outbound trucks."""

from __future__ import annotations

from dataclasses import dataclass

from logitwin.actors.messages import Ship, Stage, Staged
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["InboundTrip", "Shipping", "TruckTrip"]


@dataclass(frozen=True, slots=True)
class TruckTrip:
    """One outbound truck of the day's plan.

    Args:
        id: the truck's actor id (``truck:N``).
        dock: the dock door it uses.
        arrive: when it is due at the door (s).
        cutoff: the last moment an order can be staged on it (s).
        depart: when it leaves (s).
        capacity: orders it takes.
        delay: how late it will actually come (s; the plan knows, the twin learns it
            when the truck arrives).
        door_start: when the dock scheduler plans it at its door (s); ``None`` when
            doors are taken in turn (it is at the door on arrival).
    """

    id: str
    dock: str
    arrive: float
    cutoff: float
    depart: float
    capacity: int
    delay: float = 0.0
    door_start: float | None = None


@dataclass(frozen=True, slots=True)
class InboundTrip:
    """One inbound truck of the day's plan.

    Args:
        id: the truck's actor id (``inbound:N``).
        dock: the dock door it is planned at.
        arrive: when it is due (s).
        pallets: pallets it brings, at most.
        unload_s: unloading time per pallet (s).
        delay: how late it will actually come (s).
        door_start: when the dock scheduler plans it at its door (s); ``None`` when
            doors are taken in turn.
    """

    id: str
    dock: str
    arrive: float
    pallets: int
    unload_s: float
    delay: float = 0.0
    door_start: float | None = None


class Shipping(Actor):
    """Stages each packed order on its promised truck, or the next one with room.

    Trucks serve the order's promised departure (its carrier run), so an order ready early
    still waits for its own truck; one that missed its truck's cutoff, or finds it full,
    goes on the earliest later truck with room.

    Args:
        trucks: the day's outbound trucks.
    """

    kind = "shipping"

    def __init__(self, system: System, aid: str, trucks: tuple[TruckTrip, ...]) -> None:
        super().__init__(system, aid)
        self.trucks = sorted(trucks, key=lambda t: (t.cutoff, t.id))
        self.load = dict.fromkeys((t.id for t in self.trucks), 0)
        self.unassigned = 0
        self._first = 0

    def on_start(self) -> None:
        self.set(unassigned=0)

    @handles(Ship)
    def _ship(self, msg: Ship, sender: str) -> None:
        # The Stage message must reach the truck before its cutoff.
        earliest = self.now + self.system.lookahead
        while self._first < len(self.trucks) and self.trucks[self._first].cutoff <= earliest:
            self._first += 1
        for t in self.trucks[self._first :]:
            if t.cutoff >= msg.cutoff and self.load[t.id] < t.capacity:
                self.load[t.id] += 1
                self.send(msg.order, Staged(t.id, t.dock, t.cutoff))
                self.send(t.id, Stage(msg.order))
                return
        self.set(unassigned=self.unassigned + 1)
