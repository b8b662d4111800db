"""The task allocator: turns order lines into pod tasks and gives them to idle robots."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from logitwin.actors.messages import (
    Available,
    ChargeAt,
    Charged,
    ChargerOut,
    LinePicked,
    PickLines,
    PodTask,
    Received,
    ReturnPod,
    StationState,
    StoreAt,
    TaskCancelled,
    TaskDone,
    Unavailable,
)
from logitwin.actors.runtime import Actor, System, handles
from logitwin.control.dispatch import DispatchDecision, DispatchPolicy, split_answer
from logitwin.control.slotting import SlottingDecision, SlottingPolicy
from logitwin.control.stock import Backorder, StockLedger

__all__ = ["Allocator"]

# Among the oldest waiting pods of a station, how many are compared for the most lines.
_LOOK = 16

# A line waiting at a station: (order, or the receiving actor for a put-away; SKU; units).
Line = tuple[str, int, int]


class Allocator(Actor):
    """Owns the inventory map (SKU → pod → cell) and the pool of idle robots and chargers.

    Each dispatch takes a station below its robot limit, the pod there with the most
    waiting lines among its oldest few, and the idle robot nearest to it by travel. Pods
    in use are skipped until they are back in storage.

    Args:
        dist_from: distance table from a cell (the site's cached BFS maps).
        robots: robot id → start cell, in fleet order.
        pod_cells: initial storage cell of each pod.
        sku_pods: pods holding each SKU (fast movers in several).
        storage: all storage cells.
        chargers: charger cells.
        station_cells: station id → pick cell.
        station_limit: station id → most robots working for it at once (fetching,
            queueing or presenting).
        dispatch: chooses the robot for each task; slotting: the storage cell for each
            returning pod (heuristics or learned policies, see ``control.policies``).
        names: the policies' names, journalled at the start (which versions decided).
        shadow: policies that decide beside the active ones without acting: what they
            would have done, and its travel against the active choice, is journalled
            (``shadow_slotting`` / ``shadow_dispatch``: pod, active, shadow, extra cells).
        stock: the stock ledger (``None``: stock is not tracked, every line is picked).
            With it, a line whose units are not free waits (a backorder) and received
            units are cross-docked to waiting lines or put away: a put-away is a line of
            the receiving actor on a pod of the SKU, brought to the station nearest the
            door; the units count as stock when that pod leaves the station.
        door_cells: dock id → the cell its door opens on (where received goods are).
        receiving: id of the receiving actor.
        cross_dock: serve waiting lines from received units directly.
    """

    kind = "allocator"

    def __init__(
        self,
        system: System,
        aid: str,
        dist_from: Callable[[int], Sequence[int]],
        robots: dict[str, int],
        pod_cells: Sequence[int],
        sku_pods: Sequence[tuple[int, ...]],
        storage: Sequence[int],
        chargers: Sequence[int],
        station_limit: dict[str, int],
        station_cells: dict[str, int],
        dispatch: DispatchPolicy,
        slotting: SlottingPolicy,
        names: dict[str, str] | None = None,
        shadow: dict[str, DispatchPolicy | SlottingPolicy] | None = None,
        stock: StockLedger | None = None,
        door_cells: dict[str, int] | None = None,
        receiving: str = "receiving",
        cross_dock: bool = True,
    ) -> None:
        super().__init__(system, aid)
        self._dist_from = dist_from
        self.robot_ids = list(robots)
        self.idle: dict[int, int] = {i: c for i, c in enumerate(robots.values())}
        self._index = {r: i for i, r in enumerate(self.robot_ids)}
        self.pod_cell: list[int] = list(pod_cells)
        self.pod_busy = [False] * len(pod_cells)
        self.sku_pods = list(sku_pods)
        self.free_storage = set(storage) - set(pod_cells)
        self.free_chargers = set(chargers)
        self.charge_queue: list[tuple[int, int]] = []  # (robot, cell) waiting for a charger
        self.limit = dict(station_limit)
        self.station_cells = dict(station_cells)
        self.committed = dict.fromkeys(station_limit, 0)
        self.pending: dict[str, dict[int, list[Line]]] = {s: {} for s in station_limit}
        # robot → (station, pod's origin cell, the lines it serves)
        self.tasks: dict[int, tuple[str, int, list[Line]]] = {}
        self._carried: dict[int, int] = {}  # robot → origin cell of a cancelled task's pod
        self._dispatcher = dispatch
        self._slotting = slotting
        self._names = dict(names or {})
        self._shadow = dict(shadow or {})
        self._idle_since = dict.fromkeys(self.idle, 0.0)
        self._task_seq = 0
        self._start_cell = dict(self.idle)
        self._away: dict[int, int] = {}  # broken robots taken out of the idle pool
        self.chargers_out: set[int] = set()
        self.chargers_in_use: set[int] = set()
        self._limit_open = dict(station_limit)  # limits to restore when a station reopens
        self.stock = stock
        if stock is not None and len(stock) != len(self.sku_pods):
            raise ValueError(
                f"{aid}: the stock ledger has {len(stock)} SKUs, the pods {len(self.sku_pods)}"
            )
        self._door_cells = dict(door_cells or {})
        self._receiving = receiving
        self._cross_dock = cross_dock
        self._out: set[int] = set()  # SKUs out of stock, as last journalled

    def on_start(self) -> None:
        self.cancelled = 0
        self.set(idle_robots=len(self.idle), pending_lines=0, dispatched=0, cancelled=0,
                 **{f"policy_{k}": v for k, v in sorted(self._names.items())})  # fmt: skip
        self._pending_lines = 0
        if self.stock is not None:
            self._units = {"picked": 0, "stowed": 0, "cross_docked": 0, "put_away": 0}
            self._lines_in = {"demanded": 0, "backordered": 0, "cross_docked": 0}
            self._journal_stock(range(len(self.stock)), on_hand=sum(self.stock.on_hand))

    @handles(PickLines)
    def _lines(self, msg: PickLines, sender: str) -> None:
        qty = msg.qty or (1,) * len(msg.skus)
        if len(qty) != len(msg.skus):
            raise ValueError(f"{msg.order}: {len(msg.skus)} SKUs but {len(qty)} quantities")
        waiting = self.pending[msg.station]
        backordered: list[object] = []
        for sku, q in zip(msg.skus, qty, strict=True):
            if not 0 <= sku < len(self.sku_pods):
                raise ValueError(
                    f"{msg.order}: SKU {sku} is not stocked (0..{len(self.sku_pods) - 1})"
                )
            if self.stock is not None and not self.stock.demand(
                msg.order, msg.station, sku, q, self.now
            ):
                backordered += [msg.order, sku, q]
                continue
            waiting.setdefault(self._pod_for(sku, msg.station), []).append((msg.order, sku, q))
            self._pending_lines += 1
        if self.stock is not None:
            self._lines_in["demanded"] += len(msg.skus)
            self._lines_in["backordered"] += len(backordered) // 3
            extra = {"backordered": backordered} if backordered else {}
            self._journal_stock(msg.skus, **extra)
        self._dispatch()

    # --- stock --------------------------------------------------------------------------
    def _journal_stock(self, skus: object, **fields: object) -> None:
        """Journal the stock counters, and which of ``skus`` ran out or came back
        (``stockout``: SKU, 1 out / 0 back, ...)."""
        stock = self._ledger()
        flips: list[int] = []
        for sku in dict.fromkeys(skus):  # type: ignore[call-overload]
            out = stock.out(sku)
            if out != (sku in self._out):
                flips += [sku, int(out)]
                (self._out.add if out else self._out.discard)(sku)
        if flips:
            fields["stockout"] = flips
        self.set(
            backorders=stock.backorders,
            **{f"units_{k}": v for k, v in self._units.items()},
            **{f"lines_{k}": v for k, v in self._lines_in.items()},
            **fields,
        )

    def _ledger(self) -> StockLedger:
        if self.stock is None:
            raise ValueError(f"{self.id}: stock is not tracked in this run")
        return self.stock

    def _serve(self, served: list[Backorder]) -> list[object]:
        """Waiting lines that now have their units reserved go to their stations."""
        out: list[object] = []
        for b in served:
            waiting = self.pending[b.station]
            waiting.setdefault(self._pod_for(b.sku, b.station), []).append((b.order, b.sku, b.qty))
            self._pending_lines += 1
            out += [b.order, b.sku]
        return out

    @handles(Received)
    def _received(self, msg: Received, sender: str) -> None:
        stock = self._ledger()
        fields: dict[str, object] = {}
        left = msg.qty
        if self._cross_dock:
            served, left = stock.cross_dock(msg.sku, msg.qty)
            if served:
                # Dock to dock: the units join their orders without entering storage.
                for b in served:
                    self.send(b.order, LinePicked(b.sku))
                fields["cross_docked"] = [x for b in served for x in (b.order, b.sku, b.qty)]
                fields["backorder_served"] = [x for b in served for x in (b.order, b.sku)]
                self._units["cross_docked"] += msg.qty - left
                self._lines_in["cross_docked"] += len(served)
        if left:
            station = self._receiving_station(msg.dock)
            pod = self._pod_for(msg.sku, station)
            self.pending[station].setdefault(pod, []).append((self._receiving, msg.sku, left))
            self._pending_lines += 1
            self._units["put_away"] += left
            fields["put_away"] = [msg.po, msg.sku, left, pod, station]
        self._journal_stock((msg.sku,), **fields)
        self._dispatch()

    def _receiving_station(self, dock: str) -> str:
        """The open station nearest to ``dock``'s door: goods-to-person sites stow at
        the pick stations (the pod comes to the goods there; a door has no queue lane
        and pods do not park on the dock wall)."""
        cell = self._door_cells.get(dock)
        open_ = [s for s in self.station_cells if self.limit[s] > 0] or list(self.station_cells)
        if cell is None:
            return min(open_)
        d = self._dist_from(cell)
        return min(open_, key=lambda s: (d[self.station_cells[s]], s))

    def _pod_for(self, sku: int, station: str) -> int:
        """The copy of ``sku`` to bring: one already coming to ``station``, else the
        nearest copy not in use."""
        pods = self.sku_pods[sku]
        if len(pods) == 1:
            return pods[0]
        waiting = self.pending[station]
        for pod in pods:
            if pod in waiting:
                return pod
        d = self._dist_from(self.station_cells[station])
        busy, cell = self.pod_busy, self.pod_cell
        return min(pods, key=lambda p: (busy[p], d[cell[p]], p))

    def _dispatch(self) -> None:
        while self.idle:
            best: tuple[int, int, str, int] | None = None
            for station, waiting in self.pending.items():
                load = self.committed[station]
                if not waiting or load >= self.limit[station]:
                    continue
                seen = 0
                for pod, lines in waiting.items():
                    if self.pod_busy[pod]:
                        continue
                    # Least-loaded station first, then the pod that serves most lines.
                    if best is None or (-load, len(lines)) > best[:2]:
                        best = (-load, len(lines), station, pod)
                    seen += 1
                    if seen >= _LOOK:
                        break
            if best is None:
                return
            _, _, station, pod = best
            cell = self.pod_cell[pod]
            decision, alternatives = self._dispatch_decision(
                station, pod, len(self.pending[station][pod])
            )
            robot, task = split_answer(self._dispatcher.choose(decision), decision)
            self._shadow_dispatch(decision, robot, task)
            if task:
                station, pod = alternatives[task - 1]
                cell = self.pod_cell[pod]
            lines = self.pending[station].pop(pod)
            del self.idle[robot]
            self.pod_busy[pod] = True
            self.committed[station] += 1
            self._task_seq += 1
            self.tasks[robot] = (station, cell, lines)
            self._pending_lines -= len(lines)
            orders = tuple(o for o, _, _ in lines)
            skus = tuple(s for _, s, _ in lines)
            self.send(
                self.robot_ids[robot],
                PodTask(self._task_seq, pod, cell, station, orders, skus),
            )
            self.set(
                idle_robots=len(self.idle),
                pending_lines=self._pending_lines,
                dispatched=self._task_seq,
            )

    def _dispatch_decision(
        self, station: str, pod: int, lines: int
    ) -> tuple[DispatchDecision, list[tuple[str, int]]]:
        """The decision for ``pod``'s trip to ``station``, with the other tasks that
        could go now (the oldest waiting pod of each station below its limit), and the
        alternatives a policy may give the robot instead (station, pod)."""
        others = []
        for s, waiting in self.pending.items():
            if self.committed[s] >= self.limit[s]:
                continue
            for p in waiting:
                if p != pod and not self.pod_busy[p]:
                    others.append((self.pod_cell[p], self.station_cells[s]))
                    break
        idle = tuple((r, c, self._idle_since.get(r, 0.0)) for r, c in sorted(self.idle.items()))
        alternatives = self._alternatives(station, pod, [c for _, c, _ in idle])
        alt = tuple((p, self.pod_cell[p], self.station_cells[s], len(self.pending[s][p]))
                    for s, p in alternatives)  # fmt: skip
        decision = DispatchDecision(self.now, pod, self.pod_cell[pod],
                                    self.station_cells[station], lines, idle, tuple(others),
                                    alt)  # fmt: skip
        return decision, alternatives

    def _alternatives(self, station: str, pod: int, idle: list[int]) -> list[tuple[str, int]]:
        """Tasks an idle robot could serve instead of ``pod``'s: of each station below its
        limit, among its oldest waiting pods, the one with most lines and the shortest
        trip (an idle robot to the pod, the pod to the station)."""
        out: list[tuple[str, int]] = []
        for s, waiting in self.pending.items():
            if not waiting or self.committed[s] >= self.limit[s]:
                continue
            to_station = self._dist_from(self.station_cells[s])
            most: tuple[int, int] | None = None
            short: tuple[int, int] | None = None
            seen = 0
            for p, plines in waiting.items():
                if self.pod_busy[p] or (s == station and p == pod):
                    continue
                d = self._dist_from(self.pod_cell[p])
                trip = min(int(d[c]) for c in idle) + int(to_station[self.pod_cell[p]])
                if most is None or len(plines) > most[0]:
                    most = (len(plines), p)
                if short is None or trip < short[0]:
                    short = (trip, p)
                seen += 1
                if seen >= _LOOK:
                    break
            for best in (most, short):
                if best is not None and (s, best[1]) not in out:
                    out.append((s, best[1]))
        return out

    def _shadow_dispatch(self, decision: DispatchDecision, robot: int, task: int) -> None:
        shadow = self._shadow.get("dispatch")
        if shadow is None:
            return
        other, other_task = split_answer(shadow.choose(decision), decision)  # type: ignore[arg-type]
        cells = {r: c for r, c, _ in decision.idle}

        def pod_cell(j: int) -> int:
            return decision.pod_cell if j == 0 else decision.alternatives[j - 1][1]

        extra = int(self._dist_from(pod_cell(other_task))[cells[other]]) - int(
            self._dist_from(pod_cell(task))[cells[robot]]
        )
        self.set(shadow_dispatch=[decision.pod, robot, other, extra])

    @handles(ReturnPod)
    def _return(self, msg: ReturnPod, sender: str) -> None:
        robot = self._index[sender]
        task = self.tasks.pop(robot, None)
        if task is not None:
            self.committed[task[0]] -= 1
            origin = task[1]
            if self.stock is not None:
                self._settle(task[2], msg.pod)
        else:  # the pod of a task cancelled when its robot broke down
            origin = self._carried.pop(robot)
        self.free_storage.add(origin)  # the pod left it long ago
        decision = SlottingDecision(self.now, msg.pod, msg.cell, tuple(sorted(self.free_storage)))
        cell = self._slotting.choose(decision)
        if cell not in self.free_storage:
            raise ValueError(f"slotting policy chose cell {cell}, which is not free storage")
        shadow = self._shadow.get("slotting")
        if shadow is not None:
            other = int(shadow.choose(decision))  # type: ignore[arg-type]
            d = self._dist_from(msg.cell)
            self.set(shadow_slotting=[msg.pod, cell, other, int(d[other]) - int(d[cell])])
        self.free_storage.discard(cell)
        self.pod_cell[msg.pod] = cell
        self.send(sender, StoreAt(cell))
        self._dispatch()

    def _settle(self, lines: list[Line], pod: int) -> None:
        """The pod leaves its station: its picks left the stock, its put-aways joined it."""
        stock = self._ledger()
        served: list[Backorder] = []
        stowed: list[object] = []
        for order, sku, q in lines:
            if order == self._receiving:
                served += stock.stowed(sku, q)
                self._units["stowed"] += q
                stowed += [sku, q, pod]
            else:
                stock.picked(sku, q)
                self._units["picked"] += q
        fields: dict[str, object] = {"on_hand": sum(stock.on_hand)}
        if stowed:
            fields["stowed"] = stowed
        if served:
            fields["backorder_served"] = self._serve(served)
        self._journal_stock((sku for _, sku, _ in lines), **fields)

    @handles(TaskDone)
    def _done(self, msg: TaskDone, sender: str) -> None:
        robot = self._index[sender]
        self.pod_busy[msg.pod] = False
        if msg.low_battery:
            self._to_charger(robot, msg.cell)
        else:
            self.idle[robot] = msg.cell
            self._idle_since[robot] = self.now
        self._dispatch()

    def _to_charger(self, robot: int, cell: int) -> None:
        if not self.free_chargers:
            self.charge_queue.append((robot, cell))
            return
        d = self._dist_from(cell)
        charger = min(self.free_chargers, key=lambda c: (d[c], c))
        self.free_chargers.discard(charger)
        self.chargers_in_use.add(charger)
        self.send(self.robot_ids[robot], ChargeAt(charger))

    @handles(Charged)
    def _charged(self, msg: Charged, sender: str) -> None:
        self.chargers_in_use.discard(msg.cell)
        if msg.cell not in self.chargers_out:
            self.free_chargers.add(msg.cell)
        self.idle[self._index[sender]] = msg.cell
        self._idle_since[self._index[sender]] = self.now
        if self.charge_queue:
            self._to_charger(*self.charge_queue.pop(0))
        self._dispatch()

    # --- disruptions -------------------------------------------------------------------
    @handles(TaskCancelled)
    def _cancelled(self, msg: TaskCancelled, sender: str) -> None:
        robot = self._index[sender]
        task = self.tasks.pop(robot, None)
        if task is None:
            raise ValueError(f"{sender} cancelled task {msg.task}, but it has no task")
        station, origin, lines = task
        self.committed[station] -= 1
        if msg.carrying:
            self._carried[robot] = origin  # its cell is freed when the pod comes back
        else:
            self.pod_busy[msg.pod] = False
        # Every line goes back to the station's waiting lines, on the best copy now.
        waiting = self.pending[station]
        for order, sku, q in lines:
            waiting.setdefault(self._pod_for(sku, station), []).append((order, sku, q))
        self._pending_lines += len(lines)
        self.cancelled += 1
        self.set(pending_lines=self._pending_lines, cancelled=self.cancelled)
        self._dispatch()

    @handles(Unavailable)
    def _unavailable(self, msg: Unavailable, sender: str) -> None:
        robot = self._index[sender]
        if robot in self.idle:
            self._away[robot] = self.idle.pop(robot)
            self.set(idle_robots=len(self.idle))

    @handles(Available)
    def _available(self, msg: Available, sender: str) -> None:
        robot = self._index[sender]
        cell = self._away.pop(robot, self._start_cell[robot])
        self.idle[robot] = msg.cell if msg.cell >= 0 else cell
        self._idle_since[robot] = self.now
        self.set(idle_robots=len(self.idle))
        self._dispatch()

    @handles(ChargerOut)
    def _charger_out(self, msg: ChargerOut, sender: str) -> None:
        if msg.out:
            self.chargers_out.add(msg.cell)
            self.free_chargers.discard(msg.cell)
        else:
            self.chargers_out.discard(msg.cell)
            if msg.cell not in self.chargers_in_use:
                self.free_chargers.add(msg.cell)
                while self.charge_queue and self.free_chargers:
                    self._to_charger(*self.charge_queue.pop(0))
        self.set(chargers_down=len(self.chargers_out))

    @handles(StationState)
    def _station(self, msg: StationState, sender: str) -> None:
        # A closed station gets no pods; a slower one keeps its robot limit.
        self.limit[msg.station] = 0 if msg.factor == 0 else self._limit_open[msg.station]
        self._dispatch()
