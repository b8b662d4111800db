"""The twin side of every bridge to robots in other processes (zmq, ROS 2, VDA 5050).

:class:`RemoteFleet` meets :class:`logitwin.actors.traffic.RobotDriver` and keeps what
all bridges share: which cells each robot was sent and has not reached, which robots
are online, and turning what robots report (on a transport's receive thread) into
moves done (on the twin's thread). A transport subclasses it, sends commands in its own
wire format (``_command_*``) and calls :meth:`observe`, :meth:`started` and
:meth:`reached` as robots report.

Rules, whatever the transport:

- A move is reported done only for the next cell the robot was sent; anything else
  (a cell it was never sent, a report from a robot offline) is refused, counted by
  reason in :attr:`refused`, logged, and never reaches the twin.
- A robot not heard from for ``offline_after_s`` is *offline*; nothing it reports is a
  move until it rejoins. When it is heard again its unexecuted commands are dropped
  (it is told to cancel) and, once it reports standing still, it *rejoins* with the
  cell it is observed in; the twin reconciles its plan with that cell.
- Times: robots' clocks are not trusted; a move starts when the report that it started
  arrives (or when it was sent, without one), in the twin's clock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from logitwin.robots.fleet import FleetSetup

__all__ = ["RemoteFleet", "RemoteMove"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteMove:
    """A move a remote robot completed: the robot, the cell it reached, when it started (s)."""

    robot: int
    cell: int
    started: float


class RemoteFleet:
    """Driver base for robots behind a transport; see the module docstring.

    Args:
        setup: the fleet (names, start cells, site).
        offline_after_s: silence (s) after which a robot is offline.
        poll_s: how often (s, wall clock) the twin looks at what robots reported.
        divergence_m: how far (m) a robot's reported position may be from the segment
            between the cells it holds ...
        divergence_s: ... and for how long (s, wall clock) before it is taken out.

    Option ``speedup`` (default 1): twin seconds per wall second, as the live run's.
    """

    def __init__(
        self,
        setup: FleetSetup,
        offline_after_s: float = 2.0,
        poll_s: float = 0.05,
        divergence_m: float = 0.5,
        divergence_s: float = 1.0,
    ):
        if not offline_after_s > 0 or not poll_s > 0:
            raise ValueError("offline_after_s and poll_s must be > 0 s")
        n = setup.n
        self.setup = setup
        self.offline_after_s = offline_after_s
        self.poll_s = poll_s
        # A live run may go faster than the wall clock (tests, demos): twin s per wall s.
        self.speedup = float(setup.option("speedup", "1"))
        if not self.speedup > 0:
            raise ValueError(f"speedup must be > 0, got {self.speedup}")
        self._neighbors = setup.site.grid.neighbors
        self._lock = threading.Lock()
        self._at = list(setup.starts)  # last cell each robot reached (as the twin saw it)
        self._sent: list[deque[int]] = [deque() for _ in range(n)]  # sent, not reached
        self._dropped: list[deque[int]] = [deque() for _ in range(n)]  # cancelled, maybe begun
        # When each cell was sent: (monotonic, twin clock); a move starts no sooner.
        self._sent_mono: list[deque[tuple[float, float]]] = [deque() for _ in range(n)]
        self._begun: list[float | None] = [None] * n  # when the next move started (monotonic)
        self._seen = [time.monotonic()] * n  # last report of each robot (monotonic)
        self._cell = list(setup.starts)  # cell each robot last said it is in
        self._moving_into = [-1] * n
        self._heard: set[int] = set()
        self._offline: set[int] = set()
        self._returning: set[int] = set()  # heard again; rejoins once standing still
        self._rejoined: list[tuple[int, int]] = []
        # robot, cell, started (monotonic), sent (twin clock)
        self._done: list[tuple[int, int, float, float]] = []
        self.refused: Counter[str] = Counter()
        self._clock: Callable[[], float] = lambda: 0.0
        self._wake: Callable[[float], None] = lambda t: None
        self._closed = False
        self.divergence_m = divergence_m
        self.divergence_s = divergence_s
        self._astray: list[float | None] = [None] * n  # since when off its cells

    # --- the driver interface (the twin's thread) ----------------------------------------
    def bind(self, clock: Callable[[], float], wake: Callable[[float], None]) -> None:
        """Connect to the twin and start polling what robots report."""
        self._clock, self._wake = clock, wake
        now = time.monotonic()
        with self._lock:
            self._seen = [now] * self.setup.n  # everyone gets a full grace period
        wake(clock() + self.poll_s)

    def send_path(self, robot: int, cells: Sequence[int]) -> None:
        """Send the robot through ``cells`` (each adjacent to the one before)."""
        cells = [int(c) for c in cells]
        with self._lock:
            last = self._sent[robot][-1] if self._sent[robot] else self._at[robot]
            for c in cells:
                if c not in self._neighbors[last]:
                    raise ValueError(
                        f"{self.setup.names[robot]} was sent from cell {last} to {c}: not adjacent"
                    )
                last = c
            self._sent[robot].extend(cells)
            self._sent_mono[robot].extend([(time.monotonic(), self._clock())] * len(cells))
        self._command_path(robot, cells)

    def cancel(self, robot: int) -> None:
        """Drop the moves not yet started (one in progress finishes)."""
        with self._lock:
            self._cancel_locked(robot)
        self._command_cancel(robot)

    def pause(self, robot: int) -> None:
        """Start no new move until :meth:`resume`."""
        self._command_pause(robot, True)

    def resume(self, robot: int) -> None:
        """Go on after :meth:`pause`."""
        self._command_pause(robot, False)

    def progress(self) -> list[RemoteMove]:
        """The moves robots completed since the last call, in the twin's clock."""
        mono = time.monotonic()
        now = self._clock()
        with self._lock:
            done, self._done = self._done, []
            for i in range(self.setup.n):
                if i not in self._offline and mono - self._seen[i] > self.offline_after_s:
                    self._offline.add(i)
                    self._returning.discard(i)
                    log.warning("%s is offline (silent %.1f s)", self.setup.names[i],
                                mono - self._seen[i])  # fmt: skip
        if not self._closed:
            self._wake(now + self.poll_s * self.speedup)
        k = self.speedup
        return [
            RemoteMove(i, c, min(now, max(sent, now - (mono - t) * k))) for i, c, t, sent in done
        ]

    def offline(self) -> frozenset[int]:
        """Robots offline now, or heard again but not yet rejoined."""
        with self._lock:
            return frozenset(self._offline | self._returning)

    def rejoined(self) -> list[tuple[int, int]]:
        """Robots back since the last call, with the cell each is observed in."""
        with self._lock:
            out, self._rejoined = self._rejoined, []
            return out

    def close(self) -> None:
        """Stop polling and close the transport."""
        self._closed = True
        self._stop()

    # --- what robots report (any thread) ---------------------------------------------------
    def observe(self, robot: int, cell: int, moving_into: int = -1) -> None:
        """A sign of life: the robot is in ``cell`` (moving into ``moving_into``, -1: not
        moving)."""
        cancel = False
        with self._lock:
            self._seen[robot] = time.monotonic()
            self._heard.add(robot)
            self._cell[robot], self._moving_into[robot] = cell, moving_into
            if robot in self._offline:
                self._offline.discard(robot)
                self._returning.add(robot)
                self._cancel_locked(robot)
                self._dropped[robot].clear()
                cancel = True
                log.warning("%s is back at cell %d", self.setup.names[robot], cell)
            if robot in self._returning and moving_into < 0:
                self._returning.discard(robot)
                self._sent[robot].clear()
                self._sent_mono[robot].clear()
                self._at[robot] = cell
                self._rejoined.append((robot, cell))
        if cancel:
            self._command_cancel(robot)

    def started(self, robot: int, cell: int) -> None:
        """The robot started moving into ``cell``."""
        with self._lock:
            if self._offline_or_back(robot, "started"):
                return
            sent, dropped = self._sent[robot], self._dropped[robot]
            if not sent and dropped and dropped[0] == cell:  # begun before the cancel arrived
                sent.append(dropped.popleft())
                self._sent_mono[robot].append((time.monotonic(), self._clock()))
            if sent and sent[0] == cell:
                self._begun[robot] = time.monotonic()
            else:
                self._refuse(robot, "start of a move not sent", cell)

    def reached(self, robot: int, cell: int) -> None:
        """The robot reached ``cell`` (and left the one before)."""
        with self._lock:
            self._seen[robot] = time.monotonic()
            if self._offline_or_back(robot, "reached"):
                return
            sent, dropped = self._sent[robot], self._dropped[robot]
            if not sent and dropped and dropped[0] == cell:
                sent.append(dropped.popleft())
                self._sent_mono[robot].append((time.monotonic(), self._clock()))
            if not sent or sent[0] != cell:
                self._refuse(robot, "arrival at a cell not sent", cell)
                return
            sent.popleft()
            t0, sent_at = self._sent_mono[robot].popleft()
            begun = self._begun[robot]
            self._begun[robot] = None
            self._dropped[robot].clear()  # it went on: nothing cancelled was begun
            self._at[robot] = cell
            self._done.append((robot, cell, begun if begun is not None else t0, sent_at))

    def heard(self, robot: int) -> bool:
        """Whether the robot has reported since the driver was made."""
        with self._lock:
            return robot in self._heard

    def take_out(self, robot: int, reason: str) -> None:
        """Treat the robot as offline now (it said it is going, or it left the cells it
        holds); it rejoins as any offline robot does, when heard again standing still."""
        with self._lock:
            if robot not in self._offline:
                self._offline.add(robot)
                self._returning.discard(robot)
                self.refused[f"taken out: {reason}"] += 1
                log.warning("%s taken out: %s", self.setup.names[robot], reason)

    def held(self, robot: int) -> tuple[int, ...]:
        """The cells the robot may be in: the last it reached and the one it is entering."""
        with self._lock:
            sent = self._sent[robot]
            begun = self._begun[robot] is not None or bool(sent)
            return (self._at[robot], sent[0]) if begun and sent else (self._at[robot],)

    def report_pose(self, robot: int, x: float, y: float) -> None:
        """The divergence monitor: a robot reported at (x, y) m, more than
        ``divergence_m`` from the segment between the cells it holds for
        ``divergence_s``, is taken out (offline; its task goes to another robot, its cells
        stay blocked) and told to pause and cancel. It rejoins, as any offline robot, when
        it reports standing still in a cell. A robot that is only late slows those
        planned after it (the executor makes them wait) and the planner replans from
        what was executed every step."""
        cells = self.held(robot)
        frame = self.setup.frame
        off = _to_segment(x, y, frame.xy(cells[0]), frame.xy(cells[-1]))
        now = time.monotonic()
        with self._lock:
            if off <= self.divergence_m or robot in self._offline:
                self._astray[robot] = None
                return
            since = self._astray[robot]
            if since is None:
                self._astray[robot] = now
                return
            if now - since < self.divergence_s:
                return
            self._astray[robot] = None
        self.take_out(robot, f"{off:.2f} m from its cells {list(cells)}")
        self._command_pause(robot, True)
        self._command_cancel(robot)

    def cancel_confirmed(self, robot: int) -> None:
        """The robot processed a cancel: nothing it dropped will be begun."""
        with self._lock:
            self._dropped[robot].clear()

    # --- for transports --------------------------------------------------------------------
    def _command_path(self, robot: int, cells: Sequence[int]) -> None:
        raise NotImplementedError

    def _command_cancel(self, robot: int) -> None:
        raise NotImplementedError

    def _command_pause(self, robot: int, on: bool) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    # --- inside ------------------------------------------------------------------------------
    def _cancel_locked(self, robot: int) -> None:
        sent, mono = self._sent[robot], self._sent_mono[robot]
        if self._begun[robot] is not None and sent:  # the move in progress finishes
            keep, keep_t = sent.popleft(), mono.popleft()
            self._dropped[robot] = deque(sent)
            sent.clear()
            mono.clear()
            sent.append(keep)
            mono.append(keep_t)
        else:  # not known to have begun: it may yet, until the robot confirms the cancel
            self._dropped[robot] = deque(sent)
            sent.clear()
            mono.clear()

    def _offline_or_back(self, robot: int, what: str) -> bool:
        if robot in self._offline or robot in self._returning:
            self.refused[f"{what} while offline"] += 1
            return True
        return False

    def _refuse(self, robot: int, reason: str, cell: int) -> None:
        self.refused[reason] += 1
        log.warning("%s: %s (cell %d)", self.setup.names[robot], reason, cell)


def _to_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance (m) of (x, y) from the segment a-b."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    n2 = dx * dx + dy * dy
    t = 0.0 if n2 == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / n2))
    return math.hypot(x - ax - t * dx, y - ay - t * dy)
