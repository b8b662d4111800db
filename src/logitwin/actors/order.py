"""The order entity: its lifecycle from creation to shipping."""

from __future__ import annotations

import math
from typing import Any

from logitwin.actors.messages import (
    Bumped,
    CutoffCheck,
    LinePicked,
    Loaded,
    NewOrder,
    OrderPicked,
    PackDone,
    Released,
    Ship,
    Shipped,
    Staged,
)
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["ORDER_STATUSES", "Order"]

ORDER_STATUSES = (
    "created",
    "released",
    "picking",
    "picked",
    "packed",
    "staged",
    "loaded",
    "shipped",
)


class Order(Actor):
    """A customer order of one or more lines (one SKU each).

    Status runs created → released → picking → picked → packed → staged → loaded →
    shipped. ``late`` is set when the cutoff of the order's promised truck passes before
    it is staged, or when it is staged on a later truck because its own was full. A late
    order that has not shipped by the end of the run counts as missed in the KPIs.

    Args:
        skus: the SKU of each line.
        cutoff: cutoff time (s) of the truck the order is promised on (``inf``: no truck
            left in the run).
        pack_s: packing time (s) once all lines are picked.
        release: id of the order release controller.
        shipping: id of the shipping controller.
        qty: units of each line (empty: one each; stock not tracked).
    """

    kind = "order"

    def __init__(
        self,
        system: System,
        aid: str,
        skus: tuple[int, ...],
        cutoff: float,
        pack_s: float,
        release: str = "release",
        shipping: str = "shipping",
        qty: tuple[int, ...] = (),
    ) -> None:
        super().__init__(system, aid)
        if not skus:
            raise ValueError(f"{aid}: an order needs at least one line")
        if qty and len(qty) != len(skus):
            raise ValueError(f"{aid}: {len(skus)} lines but {len(qty)} quantities")
        self.skus = skus
        self.qty = qty
        self.cutoff = cutoff
        self.pack_s = pack_s
        self._release = release
        self._shipping = shipping
        self.status = "created"
        self.picked_lines = 0
        self.station: str | None = None
        self.truck: str | None = None
        self.late = False

    def on_start(self) -> None:
        self.set(status="created", lines=len(self.skus), created=self.now, cutoff=self.cutoff)
        self.send(self._release, NewOrder(self.id, self.skus, self.cutoff, self.qty))
        if math.isfinite(self.cutoff) and self.cutoff > self.now:
            self.timer(self.cutoff - self.now, CutoffCheck())

    @handles(Released)
    def _released(self, msg: Released, sender: str) -> None:
        self.set(status="released", station=msg.station)

    @handles(LinePicked)
    def _line_picked(self, msg: LinePicked, sender: str) -> None:
        n = self.picked_lines + 1
        if n > len(self.skus):
            raise ValueError(f"{self.id}: line {msg.sku} picked beyond the order's lines")
        if n < len(self.skus):
            changes: dict[str, Any] = {"picked_lines": n}
            if self.status == "released":
                changes["status"] = "picking"
            self.set(**changes)
            return
        self.set(picked_lines=n, status="picked", picked_at=self.now)
        if self.station is None:
            raise ValueError(f"{self.id}: all lines picked before the order was released")
        self.send(self._release, OrderPicked(self.id, self.station))
        self.timer(self.pack_s, PackDone())

    @handles(PackDone)
    def _packed(self, msg: PackDone, sender: str) -> None:
        self.set(status="packed", packed_at=self.now)
        self.send(self._shipping, Ship(self.id, self.cutoff))

    @handles(Staged)
    def _staged(self, msg: Staged, sender: str) -> None:
        changes: dict[str, Any] = {}
        if msg.cutoff > self.cutoff and not self.late:
            changes["late"] = True  # its own truck was full: it rides a later one
        self.set(status="staged", staged_at=self.now, truck=msg.truck, dock=msg.dock, **changes)

    @handles(Bumped)
    def _bumped(self, msg: Bumped, sender: str) -> None:
        # Its truck's door stayed closed: ship on a later truck (it is late).
        self.set(status="packed", late=True, bumped=msg.truck)
        self.send(self._shipping, Ship(self.id, self.cutoff))

    @handles(Loaded)
    def _loaded(self, msg: Loaded, sender: str) -> None:
        self.set(status="loaded")

    @handles(Shipped)
    def _shipped(self, msg: Shipped, sender: str) -> None:
        self.set(status="shipped", shipped_at=self.now)

    @handles(CutoffCheck)
    def _cutoff(self, msg: CutoffCheck, sender: str) -> None:
        if self.status not in ("staged", "loaded", "shipped"):
            self.set(late=True)
