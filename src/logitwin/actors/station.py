"""The pick station entity: a pick cell with a queue lane; picks lines from presented pods."""

from __future__ import annotations

from logitwin.actors.messages import (
    AtPick,
    Join,
    Leave,
    LinePicked,
    PickDone,
    Slot,
    StationState,
    TimerDone,
)
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["Station"]


class Station(Actor):
    """A goods-to-person pick station.

    Robots join a FIFO queue; the first is sent to the pick cell, the others wait in the
    queue cells in order. Robots that join when every queue cell is taken wait where they
    are (pod lifted) until a place frees up. Picking a pod takes ``present_s + line_s * lines``.

    Args:
        pick_cell: cell where the pod is presented to the picker.
        queue: queue cells, ``queue[0]`` next to the pick cell.
        line_s: picking time per line (s).
        present_s: time to present and release a pod (s).
    """

    kind = "station"

    def __init__(
        self,
        system: System,
        aid: str,
        pick_cell: int,
        queue: tuple[int, ...],
        line_s: float,
        present_s: float,
    ) -> None:
        super().__init__(system, aid)
        if line_s <= 0 or present_s < 0:
            raise ValueError(f"{aid}: line_s must be > 0 and present_s >= 0 (s)")
        self.pick_cell = pick_cell
        self.cells = (pick_cell, *queue)
        self.line_s = line_s
        self.present_s = present_s
        self.robots: list[str] = []  # in the queue lane, front first
        self._waiting: list[str] = []  # joined while the lane was full
        self.busy = False
        self._job: AtPick | None = None
        self.factor = 1.0  # pick time factor (staffing); 0: closed
        self._held: tuple[AtPick, str] | None = None  # presented while closed

    def on_start(self) -> None:
        self.passed = 0
        self.set(busy=False, queue=0, waiting=0, lines=0, pods=0, passed=0)
        self.lines = 0
        self.pods = 0

    @handles(Join)
    def _join(self, msg: Join, sender: str) -> None:
        if sender in self.robots or sender in self._waiting:
            raise ValueError(f"{self.id}: {sender} joined twice")
        if len(self.robots) >= len(self.cells):
            self._waiting.append(sender)
            self.set(waiting=len(self._waiting))
            return
        self.robots.append(sender)
        k = len(self.robots) - 1
        self.set(queue=len(self.robots))
        self.send(sender, Slot(self.cells[k], k == 0))

    @handles(Leave)
    def _leave(self, msg: Leave, sender: str) -> None:
        """A robot broke down before presenting its pod: pass it over. The robots behind
        it move up (a robot stopped in the lane still blocks its cell until repaired)."""
        self.passed += 1
        if sender in self._waiting:
            self._waiting.remove(sender)
            self.set(waiting=len(self._waiting), passed=self.passed)
            return
        if sender not in self.robots:
            raise ValueError(f"{self.id}: {sender} left but is not in the queue")
        k = self.robots.index(sender)
        if k == 0 and (self._job is not None or self._held is not None):
            raise ValueError(f"{self.id}: {sender} left while its pod is being picked")
        self.robots.pop(k)
        if self._waiting:
            self.robots.append(self._waiting.pop(0))
        self.set(queue=len(self.robots), waiting=len(self._waiting), passed=self.passed)
        for j in range(k, len(self.robots)):
            self.send(self.robots[j], Slot(self.cells[j], j == 0))

    @handles(AtPick)
    def _at_pick(self, msg: AtPick, sender: str) -> None:
        if not self.robots or self.robots[0] != sender:
            raise ValueError(f"{self.id}: {sender} is at the pick cell out of turn")
        if self.factor == 0:
            self._held = (msg, sender)  # nobody picks at a closed station
            return
        self._start(msg)

    def _start(self, msg: AtPick) -> None:
        self._job = msg
        self.set(busy=True)
        self.timer(self.factor * (self.present_s + self.line_s * len(msg.skus)), TimerDone("pick"))

    @handles(StationState)
    def _state(self, msg: StationState, sender: str) -> None:
        self.factor = msg.factor
        self.set(factor=msg.factor, open=msg.factor > 0)
        if msg.factor > 0 and self._held is not None:
            job, _ = self._held
            self._held = None
            self._start(job)

    @handles(TimerDone)
    def _done(self, msg: TimerDone, sender: str) -> None:
        job = self._job
        if job is None:
            raise ValueError(f"{self.id}: pick finished with no pod presented")
        self._job = None
        for order, sku in zip(job.orders, job.skus, strict=True):
            self.send(order, LinePicked(sku))
        robot = self.robots.pop(0)
        self.send(robot, PickDone(len(job.skus)))
        if self._waiting:
            self.robots.append(self._waiting.pop(0))
        self.set(
            busy=False,
            queue=len(self.robots),
            waiting=len(self._waiting),
            lines=self.lines + len(job.skus),
            pods=self.pods + 1,
        )
        for k, r in enumerate(self.robots):
            self.send(r, Slot(self.cells[k], k == 0))
