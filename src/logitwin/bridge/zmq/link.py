"""The twin side of the zmq link (:class:`ZmqFleet`): commands with acknowledgements and
retries, events and telemetry checked message by message, a divergence monitor.

Nothing a robot sends can crash the twin: a frame that does not decode, comes from an
unknown robot, repeats or precedes one already seen, or acknowledges a command never
sent is refused, counted by reason in :attr:`RemoteFleet.refused` and logged.

Divergence: a robot whose reported position is more than ``divergence_m`` from the
segment between the cells it holds for ``divergence_s`` is taken out (offline: its task
goes to another robot, its cells stay blocked) until it stands still in a cell again.
A robot that is late only slows those planned after it (the executor makes them wait)
and the planner replans from what was executed every step; a move overdue by the
scenario's ``lost_after_s`` takes the robot out (the traffic controller).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import zmq

from logitwin.bridge.remote import RemoteFleet
from logitwin.bridge.zmq.wire import (
    Ack,
    Cancel,
    Charge,
    Event,
    Hello,
    Path,
    Pause,
    Telemetry,
    pack,
    unpack,
)
from logitwin.errors import ProtocolError
from logitwin.robots.fleet import FleetSetup

__all__ = ["ZmqFleet", "make_driver"]

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    frame: bytes
    cancel: bool  # a Cancel: its acknowledgement confirms the cancel
    sent: float  # monotonic, first send
    last: float  # monotonic, last (re)send
    tries: int = 1


class ZmqFleet(RemoteFleet):
    """Robots behind the zmq link.

    Args:
        setup: the fleet.
        endpoint: where the command ROUTER binds (``tcp://127.0.0.1:5555``).
        telemetry: where the telemetry SUB binds (``tcp://127.0.0.1:5556``).
        offline_after_s: silence (s) after which a robot is offline.
        retry_s: a command not acknowledged this long (s) is sent again (same seq).
        divergence_m: how far (m) a robot may be from the cells it holds.
        divergence_s: for how long (s) before it is taken out.
    """

    def __init__(
        self,
        setup: FleetSetup,
        endpoint: str = "tcp://127.0.0.1:5555",
        telemetry: str = "tcp://127.0.0.1:5556",
        offline_after_s: float = 2.0,
        retry_s: float = 0.5,
        divergence_m: float = 0.5,
        divergence_s: float = 1.0,
    ) -> None:
        super().__init__(setup, offline_after_s=offline_after_s, divergence_m=divergence_m,
                         divergence_s=divergence_s)  # fmt: skip
        self.session = secrets.randbits(48)
        self.retry_s = retry_s
        self._frame = setup.frame
        self._grid = setup.site.grid
        self._index = {name: i for i, name in enumerate(setup.names)}
        n = setup.n
        self._route: list[bytes | None] = [None] * n
        self._seq = [0] * n  # last command seq sent per robot
        self._pending: list[dict[int, _Pending]] = [{} for _ in range(n)]
        self._waiting: set[int] = set()  # robots with commands not acknowledged
        self._boot = [0] * n
        self._tel_seq = [0] * n
        self._ev_seq = [0] * n
        self.pose: list[tuple[float, float, float]] = [
            (*self._frame.xy(c), 0.0) for c in setup.starts
        ]
        self.battery = [1.0] * n
        self.errors = [""] * n
        self.received = 0
        self.rtt: deque[float] = deque(maxlen=100_000)  # command round trips (s)
        # telemetry: arrival minus its stamp (s; meaningful when clocks agree, as on one
        # machine), and messages a robot sent that never arrived (sequence gaps)
        self.latency: deque[float] = deque(maxlen=1_000_000)
        self.lost_telemetry = 0
        self._outbox: deque[tuple[int, int, bool, bytes]] = deque()  # robot, seq, cancel, frame
        self._ctx = zmq.Context()
        self._router = self._ctx.socket(zmq.ROUTER)
        self._router.setsockopt(zmq.LINGER, 0)
        self._router.setsockopt(zmq.ROUTER_MANDATORY, 0)
        self._sub = self._ctx.socket(zmq.SUB)
        self._sub.setsockopt(zmq.LINGER, 0)
        self._sub.setsockopt(zmq.RCVHWM, 1_000_000)
        self._sub.setsockopt(zmq.SUBSCRIBE, b"")
        try:
            self._router.bind(endpoint)
            self._sub.bind(telemetry)
        except zmq.ZMQError as exc:
            self._ctx.destroy(linger=0)
            raise ProtocolError(
                f"cannot bind the zmq link at {endpoint} / {telemetry}: {exc}"
            ) from None
        self.endpoint = self._router.getsockopt_string(zmq.LAST_ENDPOINT)
        self.telemetry = self._sub.getsockopt_string(zmq.LAST_ENDPOINT)
        self._kick_addr = f"inproc://logitwin-kick-{id(self)}"
        self._kick = self._ctx.socket(zmq.PAIR)
        self._kick.bind(self._kick_addr)
        self._kick_lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="zmq-link", daemon=True)
        self._thread.start()

    # --- commands (the twin's thread) ------------------------------------------------------
    def _send(self, robot: int, make: type, *args: object) -> None:
        self._seq[robot] += 1
        seq = self._seq[robot]
        msg = make(self.setup.names[robot], self.session, seq, *args)
        self._outbox.append((robot, seq, make is Cancel, pack(msg)))
        with self._kick_lock:
            self._kick.send(b"", zmq.NOBLOCK)

    def _command_path(self, robot: int, cells: Sequence[int]) -> None:
        self._send(robot, Path, tuple(cells))

    def _command_cancel(self, robot: int) -> None:
        self._send(robot, Cancel)

    def _command_pause(self, robot: int, on: bool) -> None:
        self._send(robot, Pause, on)

    def charge(self, robot: int, on: bool) -> None:
        """Tell the robot to start or stop charging where it stands."""
        self._send(robot, Charge, on)

    def _stop(self) -> None:
        self._running = False
        with self._kick_lock, contextlib.suppress(zmq.ZMQError):
            self._kick.send(b"", zmq.NOBLOCK)
        self._thread.join(timeout=2.0)
        self._ctx.destroy(linger=0)

    @property
    def unacknowledged(self) -> int:
        """Commands sent and not acknowledged yet."""
        return sum(len(p) for p in self._pending)

    # --- the link's thread -------------------------------------------------------------------
    def _serve(self) -> None:
        kick = self._ctx.socket(zmq.PAIR)
        kick.connect(self._kick_addr)
        poller = zmq.Poller()
        for s in (self._router, self._sub, kick):
            poller.register(s, zmq.POLLIN)
        try:
            while self._running:
                ready = dict(poller.poll(int(self.retry_s * 500)))
                if kick in ready:
                    while kick.poll(0):
                        kick.recv()
                if self._router in ready:
                    for _ in range(10_000):
                        try:
                            ident, frame = self._router.recv_multipart(zmq.NOBLOCK)[:2]
                        except zmq.Again:
                            break
                        except ValueError:
                            self.refused["malformed: not [identity, frame]"] += 1
                            continue
                        self._command_reply(ident, frame)
                if self._sub in ready:
                    for _ in range(10_000):
                        try:
                            frame = self._sub.recv(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._telemetry(frame)
                self._flush()
        finally:
            kick.close(linger=0)

    def _flush(self) -> None:
        now = time.monotonic()
        while self._outbox:
            robot, seq, cancel, frame = self._outbox.popleft()
            self._pending[robot][seq] = _Pending(frame, cancel, now, now)
            self._waiting.add(robot)
            self._transmit(robot, frame)
        for robot in self._waiting:  # not every robot: this runs on every wake-up
            for p in self._pending[robot].values():
                if now - p.last >= self.retry_s:
                    p.last, p.tries = now, p.tries + 1
                    self._transmit(robot, p.frame)

    def _transmit(self, robot: int, frame: bytes) -> None:
        route = self._route[robot]
        if route is None:
            return  # not connected yet; sent when its Hello comes, or retried
        with contextlib.suppress(zmq.ZMQError):
            self._router.send_multipart([route, frame], zmq.NOBLOCK)

    def _refuse_msg(self, reason: str, detail: str) -> None:
        self.refused[reason] += 1
        log.warning("zmq link refused a message: %s (%s)", reason, detail)

    def _robot(self, name: str, boot: int) -> int | None:
        i = self._index.get(name)
        if i is None:
            self._refuse_msg("unknown robot", name)
            return None
        if boot != self._boot[i]:  # a new robot process: its counters start again
            self._boot[i] = boot
            self._tel_seq[i] = self._ev_seq[i] = 0
        return i

    def _command_reply(self, ident: bytes, frame: bytes) -> None:
        try:
            msg = unpack(frame)
        except ProtocolError as exc:
            self._refuse_msg("malformed", str(exc))
            return
        self.received += 1
        if isinstance(msg, Hello):
            i = self._robot(msg.robot, msg.boot)
            if i is None:
                return
            self._route[i] = ident
            for missed in self._pending[i].values():  # what it missed, in order
                self._transmit(i, missed.frame)
        elif isinstance(msg, Ack):
            i = self._robot(msg.robot, msg.boot)
            if i is None:
                return
            pending = self._pending[i] if msg.session == self.session else {}
            p = pending.pop(msg.seq, None)
            if not self._pending[i]:
                self._waiting.discard(i)
            if p is None:
                self._refuse_msg("ack of a command not pending", f"{msg.robot} seq {msg.seq}")
                return
            self.rtt.append(time.monotonic() - p.sent)
            if not msg.ok:
                self.errors[i] = msg.reason
                log.warning("%s refused command %d: %s", msg.robot, msg.seq, msg.reason)
            elif p.cancel:
                self.cancel_confirmed(i)
        elif isinstance(msg, Event):
            i = self._robot(msg.robot, msg.boot)
            if i is None:
                return
            if msg.seq <= self._ev_seq[i]:
                self._refuse_msg("event replayed or out of order", f"{msg.robot} seq {msg.seq}")
                return
            self._ev_seq[i] = msg.seq
            if not self._on_floor(msg.cell):
                self._refuse_msg("event at a cell off the floor", f"{msg.robot} {msg.cell}")
            elif msg.kind == "started":
                self.started(i, msg.cell)
            elif msg.kind == "reached":
                self.reached(i, msg.cell)
            else:
                self._refuse_msg("unknown event kind", msg.kind)
        else:
            self._refuse_msg("not a robot-to-twin message", type(msg).__name__)

    def _on_floor(self, cell: int) -> bool:
        return 0 <= cell < self._grid.size and self._grid.is_free(cell)

    def _telemetry(self, frame: bytes) -> None:
        try:
            msg = unpack(frame)
        except ProtocolError as exc:
            self._refuse_msg("malformed", str(exc))
            return
        if not isinstance(msg, Telemetry):
            self._refuse_msg("not telemetry on the telemetry socket", type(msg).__name__)
            return
        i = self._robot(msg.robot, msg.boot)
        if i is None:
            return
        if msg.seq <= self._tel_seq[i]:
            self._refuse_msg("telemetry replayed or out of order", f"{msg.robot} seq {msg.seq}")
            return
        if not self._on_floor(msg.cell) or not (
            msg.moving_into == -1 or self._on_floor(msg.moving_into)
        ):
            self._refuse_msg("telemetry cell off the floor", f"{msg.robot} {msg.cell}")
            return
        if self._tel_seq[i]:
            self.lost_telemetry += msg.seq - self._tel_seq[i] - 1
        self._tel_seq[i] = msg.seq
        self.received += 1
        self.latency.append(time.time() - msg.stamp)
        self.pose[i] = (msg.x, msg.y, msg.yaw)
        self.battery[i] = msg.battery
        if msg.error:
            self.errors[i] = msg.error
        self.observe(i, msg.cell, msg.moving_into)
        self.report_pose(i, msg.x, msg.y)


def make_driver(setup: FleetSetup) -> ZmqFleet:
    """The zmq link driver; options ``endpoint``, ``telemetry``, ``offline_after_s``."""
    return ZmqFleet(
        setup,
        endpoint=setup.option("endpoint", "tcp://127.0.0.1:5555"),
        telemetry=setup.option("telemetry", "tcp://127.0.0.1:5556"),
        offline_after_s=float(setup.option("offline_after_s", "2.0")),
    )
