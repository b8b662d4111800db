"""The shipping controller: assigns packed orders to outbound trucks."""

from __future__ import annotations

from logitwin.actors.messages import Ship, Stage, Staged
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["Shipping", "TruckSlot"]

TruckSlot = tuple[str, str, float, int]
"""(truck id, dock id, cutoff (s), capacity (orders))."""


class Shipping(Actor):
    """Stages each packed order on its promised truck, or the next one with room.

    Trucks serve the order's promised departure (its carrier run), so an order ready early
    still waits for its own truck; one that missed its truck's cutoff, or finds it full,
    goes on the earliest later truck with room.

    Args:
        trucks: the day's outbound trucks.
    """

    kind = "shipping"

    def __init__(self, system: System, aid: str, trucks: tuple[TruckSlot, ...]) -> None:
        super().__init__(system, aid)
        self.trucks = sorted(trucks, key=lambda t: (t[2], t[0]))
        self.load = dict.fromkeys((t[0] for t in self.trucks), 0)
        self.unassigned = 0
        self._first = 0

    def on_start(self) -> None:
        self.set(unassigned=0)

    @handles(Ship)
    def _ship(self, msg: Ship, sender: str) -> None:
        # The Stage message must reach the truck before its cutoff.
        earliest = self.now + self.system.lookahead
        while self._first < len(self.trucks) and self.trucks[self._first][2] <= earliest:
            self._first += 1
        for truck, dock, cutoff, cap in self.trucks[self._first :]:
            if cutoff >= msg.cutoff and self.load[truck] < cap:
                self.load[truck] += 1
                self.send(msg.order, Staged(truck, dock, cutoff))
                self.send(truck, Stage(msg.order))
                return
        self.set(unassigned=self.unassigned + 1)
