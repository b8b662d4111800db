"""The order release controller: releases backlog orders to pick stations, earliest due first."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

from logitwin.actors.messages import (
    Demanded,
    NewOrder,
    OrderPicked,
    PickLines,
    Released,
    StationState,
    WaveOpen,
)
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["OrderRelease"]


class OrderRelease(Actor):
    """Holds the order backlog and releases orders into free station order slots.

    An order is released to the station with the most free slots (a put wall of
    ``slots`` order bins per station); the backlog is served earliest truck cutoff first.

    By waves (``wave_lead_s`` given): an order is released only once the wave of its
    promised truck is open, ``wave_lead_s`` before that truck's planned cutoff; the wave
    of the last cutoff also opens the orders promised no truck in the run. Each wave's
    opening is a row (``wave``: the cutoff it serves).

    Args:
        stations: station ids.
        slots: order slots per station.
        allocator: id of the task allocator that turns lines into pod tasks.
        demand_to: the actor told of every new order's lines as it arrives
            (:class:`Demanded`; replenishment learns demand from it), or ``None``.
        wave_lead_s: how long before a cutoff its wave opens (s), > 0; ``None``:
            continuous release.
        cutoffs: the trucks' planned cutoffs (s), the waves (with ``wave_lead_s``).
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
        wave_lead_s: float | None = None,
        cutoffs: Sequence[float] = (),
    ) -> None:
        super().__init__(system, aid)
        if slots < 1:
            raise ValueError(f"{aid}: slots per station must be >= 1, got {slots}")
        if wave_lead_s is not None and not wave_lead_s > 0:
            raise ValueError(f"{aid}: wave_lead_s must be > 0 s, got {wave_lead_s}")
        if wave_lead_s is not None and not cutoffs:
            raise ValueError(f"{aid}: waves need the trucks' cutoffs; got none")
        self.wave_lead_s = wave_lead_s
        self._waves = sorted(set(cutoffs))
        # Orders promised a cutoff up to this one may go (continuous: all of them).
        self.open_until = math.inf if wave_lead_s is None else -math.inf
        self.free = dict.fromkeys(stations, slots)
        self._allocator = allocator
        self._demand_to = demand_to
        self._backlog: list[tuple[float, int, str, tuple[int, ...], tuple[int, ...]]] = []
        self._n = 0
        self.closed: set[str] = set()

    def on_start(self) -> None:
        self.backlog = 0
        self.set(backlog=0)
        if self.wave_lead_s is not None:
            for c in self._waves:
                self.timer(max(0.0, c - self.wave_lead_s - self.now), WaveOpen(c))

    @handles(WaveOpen)
    def _wave(self, msg: WaveOpen, sender: str) -> None:
        last = msg.cutoff >= self._waves[-1]
        self.open_until = math.inf if last else max(self.open_until, msg.cutoff)
        self.set(wave=msg.cutoff, backlog=self.backlog)
        self._release()

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
        while self._backlog and self._backlog[0][0] <= self.open_until:
            station = max(self.free, key=lambda s: (s not in self.closed, self.free[s], s))
            if self.free[station] == 0 or station in self.closed:
                break
            _, _, order, skus, qty = heapq.heappop(self._backlog)
            self.free[station] -= 1
            self.send(order, Released(station))
            self.send(self._allocator, PickLines(order, station, skus, qty))
        if len(self._backlog) != self.backlog:
            self.set(backlog=len(self._backlog))
