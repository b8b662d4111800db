"""The driver conformance checker: what every robot driver must do, checked the same way
for the grid floor, a PyBullet world and every bridge (in the spirit of gymnasium's
``check_env``).

:func:`check_driver` makes the driver from a :class:`~logitwin.robots.fleet.FleetSetup`,
drives it the way the twin does (``bind``, commands, ``progress`` when woken) and raises
:class:`DriverCheckError` naming the first broken promise and how to fix it:

1. a one-cell command is reported done once, for that robot and cell, with a start time
   between the command and the report;
2. a path is reported cell by cell, in order;
3. a paused robot starts no move; resumed, it goes on;
4. a cancel drops the moves not begun (at most the one in progress is still reported),
   and the robot takes new commands from where it stopped;
5. a command to a cell not adjacent is refused with ``ValueError`` before anything moves;
6. robots move at the same time;
7. (drivers for robots in other processes) a robot gone silent is reported offline, its
   moves are not reported, and back it rejoins with the cell it is observed in.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from logitwin.robots.fleet import FleetSetup

if TYPE_CHECKING:
    from logitwin.actors.traffic import RobotDriver

__all__ = ["DriverCheckError", "DriverReport", "check_driver"]


class DriverCheckError(AssertionError):
    """A driver broke a promise of the driver interface."""


@dataclass
class DriverReport:
    """What :func:`check_driver` checked: passed checks by name, and those not applicable."""

    passed: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)


class _Loop:
    """Drives a driver as the twin does: its clock, its wake-ups, ``progress`` on each."""

    def __init__(self, driver: RobotDriver, realtime: bool) -> None:
        self.driver = driver
        self.realtime = realtime
        self._t0 = time.monotonic()
        self._virtual = 0.0
        self._wakes: list[float] = []
        self.moves: list[tuple[int, int, float, float]] = []  # robot, cell, started, seen
        driver.bind(self.now, lambda t: heapq.heappush(self._wakes, float(t)))

    def now(self) -> float:
        return time.monotonic() - self._t0 if self.realtime else self._virtual

    def run(self, until: Callable[[], bool], within_s: float, what: str) -> None:
        """Process wake-ups until ``until()``; fail after ``within_s`` of (driver) time."""
        deadline = self.now() + within_s
        while not until():
            if not self._wakes:
                if self.realtime and self.now() < deadline:
                    time.sleep(0.01)
                    continue
                raise DriverCheckError(f"{what}: the driver asked to be woken no more")
            t = heapq.heappop(self._wakes)
            if t > deadline:
                heapq.heappush(self._wakes, t)
                raise DriverCheckError(f"{what}: not within {within_s:g} s")
            if self.realtime:
                time.sleep(max(0.0, t - self.now()))
            else:
                self._virtual = max(self._virtual, t)
            self.step()

    def idle(self, for_s: float) -> None:
        """Process wake-ups for ``for_s`` seconds of driver time."""
        end = self.now() + for_s
        while True:
            if self.realtime:
                nxt = self._wakes[0] if self._wakes else end
                time.sleep(max(0.0, min(nxt, end) - self.now()))
                if self.now() >= end:
                    self.step()
                    return
                if self._wakes:
                    heapq.heappop(self._wakes)
                self.step()
            else:
                if not self._wakes or self._wakes[0] > end:
                    self._virtual = max(self._virtual, end)
                    self.step()
                    return
                self._virtual = max(self._virtual, heapq.heappop(self._wakes))
                self.step()

    def step(self) -> None:
        seen = self.now()
        for m in self.driver.progress():
            self.moves.append((int(m.robot), int(m.cell), float(m.started), seen))


def _walk(setup: FleetSetup, robot: int, length: int, avoid: set[int]) -> list[int]:
    """A simple path of ``length`` cells from the robot's start avoiding ``avoid``."""
    nb = setup.site.grid.neighbors
    start = setup.starts[robot]
    # BFS tree, then the path to the deepest reachable cell, cut to length.
    parent = {start: -1}
    q = deque([start])
    order = []
    while q:
        c = q.popleft()
        order.append(c)
        for d in nb[c]:
            if d not in parent and d not in avoid:
                parent[d] = c
                q.append(d)
    far = order[-1]
    path = []
    while far != start:
        path.append(far)
        far = parent[far]
    path.reverse()
    if len(path) < length:
        raise DriverCheckError(
            f"the check's site leaves robot {robot} no free path of {length} cells; "
            "give check_driver a larger site"
        )
    return path[:length]


def check_driver(
    make: Callable[[FleetSetup], RobotDriver],
    setup: FleetSetup,
    *,
    realtime: bool = False,
    silence: Callable[[int], None] | None = None,
    revive: Callable[[int], None] | None = None,
    timeout_s: float | None = None,
) -> DriverReport:
    """Check that ``make(setup)`` is a correct robot driver.

    Args:
        make: the driver factory.
        setup: the fleet it is made for: at least 3 robots with room to move.
        realtime: the driver's robots move on the wall clock (a bridge to other
            processes); otherwise time is the checker's own and jumps to each wake-up.
        silence: makes robot ``i`` go silent (kill or stop its process); enables the
            offline check.
        revive: brings robot ``i`` back after ``silence`` (continue its process);
            enables the rejoin check.
        timeout_s: how long one expected report may take (default: 10 moves, plus 5 s
            on the wall clock).

    Returns:
        The checks passed and those not applicable to this driver.

    Raises:
        DriverCheckError: the first promise broken, with what was expected and seen.
    """
    if setup.n < 3:
        raise ValueError(f"check_driver needs at least 3 robots, got {setup.n}")
    step = setup.step_s / min(setup.speed)
    slack = (setup.delays.max_s if setup.delays.probability > 0 else 0.0) + step
    wait = timeout_s if timeout_s is not None else 10 * slack + (5.0 if realtime else 0.0)
    report = DriverReport()
    driver = make(setup)
    loop = _Loop(driver, realtime)
    others = set(setup.starts[1:])
    path = _walk(setup, 0, 8, others)
    heard = getattr(driver, "heard", None)
    try:
        if heard is not None:  # robots in other processes: all connected, none offline
            loop.run(
                lambda: all(heard(i) for i in range(setup.n)) and not driver.offline(),
                wait,
                "robots never connected (heard and online)",
            )
        _one_move(loop, path[0], wait)
        report.passed.append("one move reported")
        _path_in_order(loop, path[0], path[1:4], wait)
        report.passed.append("path reported in order")
        _pause(loop, path[4], slack, wait)
        report.passed.append("pause and resume")
        _cancel(loop, path[4], [path[3], path[2], path[1], path[0]], slack, wait)
        report.passed.append("cancel honoured")
        _refused(loop, setup)
        report.passed.append("bad command refused")
        _parallel(loop, setup, wait)
        report.passed.append("robots move at once")
        if silence is None:
            report.not_applicable.append("offline detected")
        else:
            _offline(loop, silence, revive, wait, report)
    finally:
        driver.close()
    return report


def _moves_of(loop: _Loop, robot: int, since: int) -> list[tuple[int, int, float, float]]:
    return [m for m in loop.moves[since:] if m[0] == robot]


def _one_move(loop: _Loop, cell: int, wait: float) -> None:
    k = len(loop.moves)
    sent = loop.now()
    loop.driver.send_path(0, [cell])
    loop.run(lambda: len(loop.moves) > k, wait, "a one-cell command was never reported done")
    got = loop.moves[k:]
    if [(m[0], m[1]) for m in got] != [(0, cell)]:
        raise DriverCheckError(f"sent robot 0 to cell {cell}; the driver reported {got}")
    _, _, started, seen = got[0]
    if not sent - 1e-6 <= started <= seen + 1e-6:
        raise DriverCheckError(
            f"move started at {started:.3f} s, outside the command ({sent:.3f} s) and its "
            f"report ({seen:.3f} s): started must be when the robot began to move"
        )


def _path_in_order(loop: _Loop, frm: int, cells: Sequence[int], wait: float) -> None:
    k = len(loop.moves)
    loop.driver.send_path(0, cells)
    loop.run(lambda: len(loop.moves) - k >= len(cells), wait * len(cells), "path not completed")
    got = [m[1] for m in loop.moves[k:]]
    if got != list(cells) or any(m[0] != 0 for m in loop.moves[k:]):
        raise DriverCheckError(f"path {list(cells)} from {frm} reported as {loop.moves[k:]}")


def _pause(loop: _Loop, cell: int, slack: float, wait: float) -> None:
    k = len(loop.moves)
    loop.driver.pause(0)
    loop.driver.send_path(0, [cell])
    loop.idle(3 * slack)
    if loop.moves[k:]:
        raise DriverCheckError(f"robot 0 moved while paused: {loop.moves[k:]}")
    loop.driver.resume(0)
    loop.run(lambda: len(loop.moves) > k, wait, "a resumed robot did not go on")
    if [m[1] for m in loop.moves[k:]] != [cell]:
        raise DriverCheckError(f"after resume, expected a move to {cell}; got {loop.moves[k:]}")


def _cancel(loop: _Loop, here: int, back: Sequence[int], slack: float, wait: float) -> None:
    k = len(loop.moves)
    loop.driver.send_path(0, back)
    loop.run(lambda: len(loop.moves) > k, wait, "the path to cancel never started")
    loop.driver.cancel(0)
    loop.idle(3 * slack)
    got = [m[1] for m in _moves_of(loop, 0, k)]
    if got != list(back[: len(got)]) or len(got) > 2:
        raise DriverCheckError(
            f"after a cancel at most the move in progress may finish; path {list(back)}, "
            f"reported {got}"
        )
    # New commands start from where the robot stopped: send it back one cell.
    target = here if len(got) == 1 else back[0]
    k2 = len(loop.moves)
    loop.driver.send_path(0, [target])
    loop.run(lambda: len(loop.moves) > k2, wait, "no move after a cancel")
    if [m[1] for m in loop.moves[k2:]] != [target]:
        raise DriverCheckError(f"after a cancel, sent to {target}; got {loop.moves[k2:]}")


def _refused(loop: _Loop, setup: FleetSetup) -> None:
    grid = setup.site.grid
    here = setup.starts[1]
    far = next(
        c
        for c in range(grid.size)
        if grid.is_free(c) and c != here and c not in grid.neighbors[here]
    )
    k = len(loop.moves)
    try:
        loop.driver.send_path(1, [far])
    except ValueError:
        pass
    else:
        raise DriverCheckError(
            f"robot 1 was sent from cell {here} to {far}, not adjacent, and the driver "
            "accepted it; raise ValueError naming the cells"
        )
    loop.idle(setup.step_s)
    if _moves_of(loop, 1, k):
        raise DriverCheckError(f"a refused command moved robot 1: {_moves_of(loop, 1, k)}")


def _parallel(loop: _Loop, setup: FleetSetup, wait: float) -> None:
    occupied = {setup.starts[0], *(m[1] for m in loop.moves[-1:])}
    cells = {}
    for r in (1, 2):
        p = _walk(setup, r, 1, occupied | set(setup.starts) - {setup.starts[r]})
        cells[r] = p[0]
        occupied.add(p[0])
    k = len(loop.moves)
    for r, c in cells.items():
        loop.driver.send_path(r, [c])
    loop.run(lambda: len(loop.moves) - k >= 2, wait, "two robots' moves not both reported")
    got = sorted((m[0], m[1]) for m in loop.moves[k:])
    if got != sorted(cells.items()):
        raise DriverCheckError(f"sent {cells}; reported {loop.moves[k:]}")
    starts = [m[2] for m in loop.moves[k:]]
    ends = [m[3] for m in loop.moves[k:]]
    if max(starts) > min(ends) + 1e-6:
        raise DriverCheckError("the two robots moved one after the other, not at once")


def _offline(
    loop: _Loop,
    silence: Callable[[int], None],
    revive: Callable[[int], None] | None,
    wait: float,
    report: DriverReport,
) -> None:
    driver: Any = loop.driver
    silence(2)
    loop.run(lambda: 2 in driver.offline(), wait, "a silent robot was never reported offline")
    report.passed.append("offline detected")
    if revive is None:
        report.not_applicable.append("rejoin reconciled")
        return
    revive(2)
    back: list[tuple[int, int]] = []

    def rejoined() -> bool:
        back.extend(driver.rejoined())
        return any(r == 2 for r, _ in back) and 2 not in driver.offline()

    loop.run(rejoined, wait, "a robot heard again never rejoined")
    if 2 not in [r for r, _ in back]:  # (others may have dropped out and back under load)
        raise DriverCheckError(f"expected robot 2 to rejoin; rejoined: {back}")
    report.passed.append("rejoin reconciled")
