"""Real demand: orders replayed from a CSV of order history instead of the generator.

Format (a header row, then one row per order line; rows of one order share its id):

=========== ========= ==============================================================
column      required  meaning
=========== ========= ==============================================================
order_id    yes       the order's id (letters, digits, ``-``, ``_``, ``.``)
created     yes       when the order arrived: seconds from the run's start, ``HH:MM``
                      or ``HH:MM:SS`` from the start, or an ISO date-time (the run then
                      starts at the earliest order's hour)
sku         yes       the SKU of the line (any text)
quantity    yes       units on the line (a positive integer); with a ``stock:``
                      section the line takes that many units, else one pick
due         no        when the order must be staged: same forms as ``created``. It is
                      promised on the last truck whose cutoff is at or before ``due``
                      (the first truck after arrival + ``demand.min_lead_s`` if none)
=========== ========= ==============================================================

SKUs are ranked by how many lines they have in the file and take SKU ids in that order
(the most ordered is SKU 0), so the inventory's fast-mover copies follow the real mix.
Any bad row stops the run before it starts, with the file and line named: nothing is
dropped silently.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from logitwin.actors.messages import NextArrival
from logitwin.actors.order import Order
from logitwin.actors.runtime import Actor, System, handles
from logitwin.errors import ScenarioError

__all__ = ["CsvOrder", "OrderFeed", "load_orders_csv"]

_REQUIRED = ("order_id", "created", "sku", "quantity")
_ID = re.compile(r"[A-Za-z0-9_.-]+")
_CLOCK = re.compile(r"(\d+):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?")


@dataclass(frozen=True, slots=True)
class CsvOrder:
    """One order from the file: id, arrival (s from the start), SKU ids, due (s or inf),
    and the units of each SKU (rows of one SKU in one order add up)."""

    id: str
    created: float
    skus: tuple[int, ...]
    due: float
    line: int  # first line of the order in the file
    qty: tuple[int, ...] = ()


def _time(text: str) -> float | datetime:
    text = text.strip()
    m = _CLOCK.fullmatch(text)
    if m:
        h, mm, ss = m.groups()
        return int(h) * 3600 + int(mm) * 60 + float(ss or 0)
    try:
        x = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(x):
            raise ValueError(f"{text!r} is not a finite time")
        return x
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time (seconds, HH:MM[:SS] or an ISO date-time)"
        ) from None


def load_orders_csv(path: str | Path, horizon_s: float, n_skus: int) -> list[CsvOrder]:
    """Read and check an order history; orders sorted by arrival.

    Raises:
        ScenarioError: ``path:line: what is wrong`` for the first bad row (or the file).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"demand.orders_csv: cannot read {p}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError(
            f"{p}:{line}: byte {data[exc.start]:#04x} at column {col} is not UTF-8 text; "
            "save the file as UTF-8 (a spreadsheet's 'CSV UTF-8' format)"
        ) from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise ScenarioError(f"{p}:{line}: a NUL character; this is not a text file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise ScenarioError(
            f"{p}:1: missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(_REQUIRED)} (and optionally due)"
        )
    reader.fieldnames = header
    raw: list[tuple[int, str, float | datetime, str, float | datetime | None, int]] = []
    for row in reader:
        line = reader.line_num

        def bad(msg: str, line: int = line) -> ScenarioError:
            return ScenarioError(f"{p}:{line}: {msg}")

        if None in row:
            raise bad("more fields than the header has")
        oid = (row.get("order_id") or "").strip()
        if not _ID.fullmatch(oid):
            raise bad(f"order_id {oid!r}: use letters, digits, '-', '_' or '.'")
        sku = (row.get("sku") or "").strip()
        if not sku:
            raise bad("sku is empty")
        qty = (row.get("quantity") or "").strip()
        if not qty.isdigit() or int(qty) < 1:
            raise bad(f"quantity {qty!r} is not a positive whole number")
        try:
            created = _time(row.get("created") or "")
            due_text = (row.get("due") or "").strip()
            due = _time(due_text) if due_text else None
        except ValueError as exc:
            raise bad(str(exc)) from None
        raw.append((line, oid, created, sku, due, int(qty)))
    if not raw:
        raise ScenarioError(f"{p}: no orders in the file")
    # Date-times count from the earliest order's hour; plain times from the run's start.
    stamps = [r[2] for r in raw if isinstance(r[2], datetime)]
    if stamps and len(stamps) != len(raw):
        line = next(r[0] for r in raw if not isinstance(r[2], datetime))
        raise ScenarioError(f"{p}:{line}: created mixes date-times with plain times")
    origin = min(stamps).replace(minute=0, second=0, microsecond=0) if stamps else None

    def seconds(t: float | datetime, line: int, what: str) -> float:
        if isinstance(t, datetime):
            if origin is None or (t.tzinfo is None) != (origin.tzinfo is None):
                raise ScenarioError(f"{p}:{line}: {what} mixes date-times with plain times")
            return (t - origin).total_seconds()
        if origin is not None:
            raise ScenarioError(f"{p}:{line}: {what} is a plain time but created is a date-time")
        return float(t)

    counts = Counter(r[3] for r in raw)
    if len(counts) > n_skus:
        raise ScenarioError(
            f"{p}: {len(counts)} distinct SKUs but inventory.skus is {n_skus}; raise "
            "inventory.skus to at least that"
        )
    rank = {s: i for i, (s, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))}
    orders: dict[str, tuple[int, float, dict[int, int], float]] = {}
    for line, oid, c, sku, d, q in raw:
        created = seconds(c, line, "created")
        if created < 0:
            raise ScenarioError(f"{p}:{line}: created is before the run's start")
        if created >= horizon_s:
            raise ScenarioError(
                f"{p}:{line}: created at {created / 3600:.2f} h, after the run's horizon "
                f"({horizon_s / 3600:g} h); lengthen horizon_h or cut the file"
            )
        due = seconds(d, line, "due") if d is not None else math.inf
        if due < created:
            raise ScenarioError(f"{p}:{line}: due is before created")
        if oid in orders:
            first, c0, skus, d0 = orders[oid]
            if created != c0:
                raise ScenarioError(
                    f"{p}:{line}: order {oid} was created at another time on line {first}"
                )
            if due != d0:
                raise ScenarioError(f"{p}:{line}: order {oid} has another due on line {first}")
            skus[rank[sku]] = skus.get(rank[sku], 0) + q
        else:
            orders[oid] = (line, created, {rank[sku]: q}, due)
    out = [
        CsvOrder(oid, c, tuple(skus), d, line, tuple(skus.values()))
        for oid, (line, c, skus, d) in orders.items()
    ]
    out.sort(key=lambda o: (o.created, o.line))
    return out


class OrderFeed(Actor):
    """Creates the file's orders at their arrival times (instead of :class:`Demand`).

    Args:
        orders: from :func:`load_orders_csv`, sorted by arrival.
        cutoffs: the day's truck cutoffs (s), ascending.
        min_lead_s: promise the first truck at least this long after arrival when an
            order has no due time (or no truck fits it).
        pack_s: packing time (s) per order.
        quantities: give each order its lines' units (stock is tracked).
    """

    kind = "demand"

    def __init__(
        self,
        system: System,
        aid: str,
        orders: Sequence[CsvOrder],
        cutoffs: Sequence[float],
        min_lead_s: float,
        pack_s: float,
        quantities: bool = False,
    ) -> None:
        super().__init__(system, aid)
        self.orders = list(orders)
        self.quantities = quantities
        self.cutoffs = sorted(cutoffs)
        self.min_lead_s = min_lead_s
        self.pack_s = pack_s
        self.created = 0

    def on_start(self) -> None:
        self.set(created=0)
        if self.orders:
            self.timer(max(0.0, self.orders[0].created - self.now), NextArrival())

    def _cutoff(self, o: CsvOrder) -> float:
        if math.isfinite(o.due):
            k = bisect.bisect_right(self.cutoffs, o.due) - 1
            if k >= 0 and self.cutoffs[k] >= o.created:
                return self.cutoffs[k]
        k = bisect.bisect_left(self.cutoffs, o.created + self.min_lead_s)
        return self.cutoffs[k] if k < len(self.cutoffs) else math.inf

    @handles(NextArrival)
    def _arrive(self, msg: NextArrival, sender: str) -> None:
        while (
            self.created < len(self.orders) and self.orders[self.created].created <= self.now + 1e-9
        ):
            o = self.orders[self.created]
            self.created += 1
            self.system.spawn(
                Order,
                f"order:{o.id}",
                skus=o.skus,
                cutoff=self._cutoff(o),
                pack_s=self.pack_s,
                qty=o.qty if self.quantities else (),
            )
        self.set(created=self.created)
        if self.created < len(self.orders):
            self.timer(max(0.0, self.orders[self.created].created - self.now), NextArrival())
