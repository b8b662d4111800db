"""The stock ledger: units per SKU on hand, promised to released lines, and backordered.

A pure bookkeeping object (no actor, no clock of its own): the allocator holds one and
tells it what happens. Its invariants, checked on every change:

* ``0 <= reserved[sku] <= on_hand[sku]``: a line is only released to a pod trip when its
  units are on hand and not promised to an earlier line, so a pick never takes stock
  that is not there;
* backorders of a SKU are served first come, first served: a later line never takes
  units an earlier waiting line of the same SKU needs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Backorder", "StockLedger"]


@dataclass(frozen=True, slots=True)
class Backorder:
    """An order line waiting for stock.

    Args:
        order: the order's actor id.
        station: the station the order is released to.
        sku: the SKU.
        qty: units the line takes.
        since: when it started waiting (s).
    """

    order: str
    station: str
    sku: int
    qty: int
    since: float


class StockLedger:
    """Units of every SKU: on hand (in pods), reserved for released lines, waiting lines.

    Args:
        initial: units of each SKU on hand at the start (SKU ``i`` at ``initial[i]``).

    Raises:
        ValueError: a negative initial quantity (naming the SKU).
    """

    def __init__(self, initial: Sequence[int]) -> None:
        for sku, q in enumerate(initial):
            if q < 0:
                raise ValueError(f"initial stock of SKU {sku} is {q}; it must be >= 0 units")
        self.on_hand = [int(q) for q in initial]
        self.reserved = [0] * len(self.on_hand)
        self._waiting: dict[int, deque[Backorder]] = {}

    def __len__(self) -> int:
        return len(self.on_hand)

    def available(self, sku: int) -> int:
        """Units of ``sku`` on hand and not promised to a line."""
        return self.on_hand[sku] - self.reserved[sku]

    def out(self, sku: int) -> bool:
        """Whether ``sku`` is out of stock: nothing free, or lines already wait for it."""
        return self.available(sku) <= 0 or bool(self._waiting.get(sku))

    def waiting(self, sku: int) -> int:
        """Lines of ``sku`` waiting for stock."""
        return len(self._waiting.get(sku, ()))

    @property
    def backorders(self) -> int:
        """Lines waiting for stock, all SKUs."""
        return sum(len(q) for q in self._waiting.values())

    def demand(self, order: str, station: str, sku: int, qty: int, now: float) -> bool:
        """A released line wants ``qty`` units: reserve them and return True, or queue the
        line as a backorder (nothing free, or earlier lines of the SKU wait) and return
        False."""
        self._check(sku, qty)
        if self.available(sku) >= qty and not self._waiting.get(sku):
            self.reserved[sku] += qty
            return True
        self._waiting.setdefault(sku, deque()).append(Backorder(order, station, sku, qty, now))
        return False

    def picked(self, sku: int, qty: int) -> None:
        """A reserved line was picked: its units leave the stock.

        Raises:
            ValueError: more than was reserved (a bookkeeping error upstream).
        """
        self._check(sku, qty)
        if qty > self.reserved[sku]:
            raise ValueError(
                f"SKU {sku}: {qty} units picked but only {self.reserved[sku]} were reserved"
            )
        self.reserved[sku] -= qty
        self.on_hand[sku] -= qty

    def stowed(self, sku: int, qty: int) -> list[Backorder]:
        """``qty`` units were put away into storage; return the waiting lines they now
        serve (reserved for them, oldest first)."""
        self._check(sku, qty)
        self.on_hand[sku] += qty
        served = []
        queue = self._waiting.get(sku)
        while queue and self.available(sku) >= queue[0].qty:
            line = queue.popleft()
            self.reserved[sku] += line.qty
            served.append(line)
        if queue is not None and not queue:
            del self._waiting[sku]
        return served

    def cross_dock(self, sku: int, qty: int) -> tuple[list[Backorder], int]:
        """``qty`` units arrived at a dock: serve waiting lines from them directly (oldest
        first, while the next one fits) and return those lines and the units left over
        for put-away. Cross-docked units never enter the stock."""
        self._check(sku, qty)
        served = []
        queue = self._waiting.get(sku)
        left = qty
        while queue and queue[0].qty <= left:
            line = queue.popleft()
            left -= line.qty
            served.append(line)
        if queue is not None and not queue:
            del self._waiting[sku]
        return served, left

    def _check(self, sku: int, qty: int) -> None:
        if not 0 <= sku < len(self.on_hand):
            raise ValueError(f"SKU {sku} is not stocked (0..{len(self.on_hand) - 1})")
        if qty < 1:
            raise ValueError(f"SKU {sku}: a quantity of {qty} units; it must be >= 1")
