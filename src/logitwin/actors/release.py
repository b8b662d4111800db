"""The order release controller: releases backlog orders to pick stations, earliest due first."""

from __future__ import annotations

import heapq

from logitwin.actors.messages import (
    Demanded,
    NewOrder,
    OrderPicked,
    PickLines,
    Released,
    StationState,
)
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["OrderRelease"]


class OrderRelease(Actor):
    """Holds the order backlog and releases orders into free station order slots.

    An order is released to the station with the most free slots (a put wall of
    ``slots`` order bins per station); the backlog is served earliest truck cutoff first.

    Args:
        stations: station ids.
        slots: order slots per station.
        allocator: id of the task allocator that turns lines into pod tasks.
        demand_to: the actor told of every new order's lines as it arrives
            (:class:`Demanded`; replenishment learns demand from it), or ``None``.
    """

    kind = "release"

    def __init__(
        self,
        system: System,
        aid: str,
        stations: tuple[str, ...],
        slots: int,
        allocator: str,
        demand_to: str | None = None,
    ) -> None:
        super().__init__(system, aid)
        if slots < 1:
            raise ValueError(f"{aid}: slots per station must be >= 1, got {slots}")
        self.free = dict.fromkeys(stations, slots)
        self._allocator = allocator
        self._demand_to = demand_to
        self._backlog: list[tuple[float, int, str, tuple[int, ...], tuple[int, ...]]] = []
        self._n = 0
        self.closed: set[str] = set()

    def on_start(self) -> None:
        self.backlog = 0
        self.set(backlog=0)

    @handles(NewOrder)
    def _new(self, msg: NewOrder, sender: str) -> None:
        self._n += 1
        heapq.heappush(self._backlog, (msg.cutoff, self._n, msg.order, msg.skus, msg.qty))
        if self._demand_to is not None:
            qty = msg.qty or (1,) * len(msg.skus)
            self.send(self._demand_to, Demanded(msg.order, msg.skus, qty))
        self._release()

    @handles(OrderPicked)
    def _picked(self, msg: OrderPicked, sender: str) -> None:
        self.free[msg.station] += 1
        self._release()

    @handles(StationState)
    def _station(self, msg: StationState, sender: str) -> None:
        if msg.factor == 0:
            self.closed.add(msg.station)
        else:
            self.closed.discard(msg.station)
        self._release()

    def _release(self) -> None:
        while self._backlog:
            station = max(self.free, key=lambda s: (s not in self.closed, self.free[s], s))
            if self.free[station] == 0 or station in self.closed:
                break
            _, _, order, skus, qty = heapq.heappop(self._backlog)
            self.free[station] -= 1
            self.send(order, Released(station))
            self.send(self._allocator, PickLines(order, station, skus, qty))
        if len(self._backlog) != self.backlog:
            self.set(backlog=len(self._backlog))
