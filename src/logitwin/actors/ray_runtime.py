"""The twin's actors hosted on Ray actors, advanced in conservative time windows.

:class:`RaySystem` has the interface of :class:`~logitwin.actors.runtime.LocalSystem`
(``spawn``, ``rng``, ``run``, ``delivered``) but places every entity on a *host*: a Ray
actor that runs a :class:`HostEngine` for the entities placed on it.

Placement:

``sharded:N``
    ``N`` hosts; an entity goes to host ``crc32(id) % N``. The default: a Ray actor is a
    process (about 100 MB, 0.3 s to start on our 2-core machine).
``per_entity``
    every entity (truck, robot, dock, order, controller) on a host of its own; for small
    live fleets where isolating each entity matters more than memory.

Time: a message between two entities takes at least the lookahead ``L``. The driver finds
the earliest pending event ``T`` over all hosts and lets every host with work process
``[T, T + L)`` in parallel: nothing sent in that window can arrive inside it, so each host
sees exactly the messages, in exactly the order (time, priority, sender, sender's
sequence number), that one ``LocalSystem`` would deliver. Messages that cross hosts travel
in the codec's wire form and are routed by the driver between windows. An entity spawned
during a window on another host (an order made by demand) is started on its host in a
second round of the same window, at its spawn time; only its own timers can fall before
the window's end, so no other entity sees the difference.

Journal rows come back to the driver with each window and are written in time order, so
a run's journal and KPIs are those of ``LocalSystem`` for the same seed (row order within
one timestamp may differ across entities; the projection does not depend on it).
"""

from __future__ import annotations

import heapq
import math
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np

from logitwin.actors.codec import Message, decode, decode_fields, encode, encode_fields
from logitwin.actors.journal import Journal
from logitwin.actors.runtime import NORMAL, Actor, Core, System, admit, delivery, keyed_rng
from logitwin.errors import LogitwinError

__all__ = ["HostEngine", "Placement", "RaySystem", "connect_ray"]

A = TypeVar("A", bound=Actor)

_SOLO_WINDOW_S = 300.0  # window of a single host (sharded:1), simulated seconds
_RESTART_WAIT_S = 120.0  # for Ray to restart a dead host before its rebuild (s)

# A message on the wire between hosts: (time, priority, sender, seq, receiver, encoded).
Wire = tuple[float, int, str, int, str, bytes]
# An entity to start: (time, host, actor class, id, args, kwargs).
SpawnRec = tuple[float, str, type[Actor], str, tuple[Any, ...], dict[str, Any]]
# A journal row: ("m", time, prio, sender, seq, receiver, type, fields) or
# ("s", time, entity, kind, fields).
Row = tuple[Any, ...]
# What a host's step returns: outbox, spawns for elsewhere, journal rows, next event time,
# messages delivered, ids started.
StepResult = tuple[list[Wire], list[SpawnRec], list[Row], float, int, list[str]]


@dataclass(frozen=True)
class Placement:
    """Which host runs which entity: ``sharded:N`` (hash) or ``per_entity``."""

    kind: str
    hosts: int = 0

    @classmethod
    def parse(cls, spec: str) -> Placement:
        """``"sharded:4"``, ``"sharded"`` (4 hosts) or ``"per_entity"``."""
        name, _, arg = spec.partition(":")
        if name == "per_entity" and not arg:
            return cls("per_entity")
        if name == "sharded":
            try:
                n = int(arg) if arg else 4
            except ValueError:
                n = 0
            if n >= 1:
                return cls("sharded", n)
            raise LogitwinError(f"placement {spec!r}: sharded:N needs a host count N >= 1")
        raise LogitwinError(f"placement {spec!r}: expected sharded:N or per_entity")

    def host_of(self, aid: str) -> str:
        """The host key of entity ``aid``."""
        if self.kind == "per_entity":
            return aid
        return f"shard-{zlib.crc32(aid.encode()) % self.hosts}"

    def __str__(self) -> str:
        return "per_entity" if self.kind == "per_entity" else f"sharded:{self.hosts}"


class _Probe:
    """A stand-in system for checking an entity's arguments by constructing it once."""

    now = 0.0
    lookahead = 0.0


class HostEngine(Core):
    """The runtime of one host: its entities, their mailboxes and a heap of due messages.

    It implements the :class:`~logitwin.actors.runtime.System` interface for its entities;
    messages for entities elsewhere and spawns placed elsewhere go to an outbox that the
    driver routes between windows.
    """

    def __init__(self, host: str, placement: Placement, lookahead: float) -> None:
        super().__init__(lookahead)
        self.host = host
        self.placement = placement
        self._now = 0.0
        self._out: list[Wire] = []
        self._spawns: list[SpawnRec] = []
        self._rows: list[Row] = []
        self._replay_from: float | None = None  # set while rebuilding from the journal
        self._started: list[str] = []  # ids started since the last step returned

    # --- System interface ----------------------------------------------------------------
    @property
    def now(self) -> float:
        return self._now

    def rng(self, key: str) -> np.random.Generator:
        raise LogitwinError("random streams are handed out when the twin is built, not by a host")

    def send(
        self, sender: str, to: str, msg: Message, delay: float = 0.0, priority: int = NORMAL
    ) -> None:
        delay, seq = delivery(self._seq, sender, to, delay, self._lookahead)
        t = self._now + delay
        if self._replay_from is not None:
            # Rebuilding: what was sent before the crash has been delivered (and is being
            # replayed from the journal) or routed; only local messages still due stay.
            if t >= self._replay_from and self.placement.host_of(to) == self.host:
                heapq.heappush(self._heap, (t, priority, sender, seq, to, msg))
            return
        if to in self._actors:
            heapq.heappush(self._heap, (t, priority, sender, seq, to, msg))
        elif self.placement.host_of(to) == self.host:
            raise LogitwinError(f"{sender} sent {type(msg).__name__} to unknown actor {to!r}")
        else:
            self._out.append((t, priority, sender, seq, to, encode(msg)))

    def spawn(self, cls: type[A], aid: str, *args: Any, **kwargs: Any) -> A | None:
        host = self.placement.host_of(aid)
        if host != self.host:
            if self._replay_from is None:
                self._spawns.append((self._now, host, cls, aid, args, kwargs))
            return None
        return self._start(cls, aid, args, kwargs)

    def record(self, entity: str, kind: str, fields: dict[str, Any]) -> None:
        if self._replay_from is None:
            self._rows.append(("s", self._now, entity, kind, fields))

    # --- Core hooks ------------------------------------------------------------------------
    def _on_spawned(self, aid: str) -> None:
        self._started.append(aid)

    def _at(self, t: float) -> None:
        self._now = t

    def message(
        self, t: float, prio: int, sender: str, seq: int, to: str, type_: str, fields: Any
    ) -> None:
        """Where :meth:`Core._deliver` journals a delivery: a row for the driver."""
        self._rows.append(("m", t, prio, sender, seq, to, type_, fields))

    def rebuild(
        self, spawns: list[SpawnRec], messages: list[tuple[float, str, str, str, Any]], t0: float
    ) -> None:
        """Rebuild this host's entities as they were at ``t0`` from the journal.

        Every entity is deterministic given its spawn arguments and the messages it
        received, so re-running them reproduces its state (random streams, planners and
        counters included): ``spawns`` are the spawn records routed here before ``t0``,
        ``messages`` the journalled deliveries to this host's entities before ``t0``
        (time, sender, type, fields, receiver) in journal order. Outputs that already
        happened are dropped; local messages due at or after ``t0`` are kept.
        """
        from logitwin.actors.codec import decode_fields

        if self._actors:
            raise LogitwinError(f"host {self.host} is not empty; rebuild a fresh host")
        self._replay_from = t0
        try:
            for t, _, cls, aid, args, kw in spawns:
                self._now = t
                self._start(cls, aid, args, kw)
            for t, sender, type_name, fields, to in messages:
                self._now = t
                self._actors[to].receive(decode_fields(type_name, fields), sender)
        finally:
            self._replay_from = None

    def step(self, inbox: list[Wire], spawns: list[SpawnRec], until: float) -> StepResult:
        """Start ``spawns`` (each at its own time), take ``inbox``, deliver everything due
        before ``until``; return the outbox, spawns for other hosts, journal rows, the time
        of the next local event (inf: none), the messages delivered and the ids of the
        entities started here."""
        for t, _, cls, aid, args, kw in spawns:
            self._now = t
            self._start(cls, aid, args, kw)
        for t, prio, sender, seq, to, data in inbox:
            if to not in self._actors:
                raise LogitwinError(f"{sender} sent a message to unknown actor {to!r}")
            heapq.heappush(self._heap, (t, prio, sender, seq, to, decode(data)))
        before = self.delivered
        self._deliver(until, False, self)
        out, self._out = self._out, []
        sp, self._spawns = self._spawns, []
        rows_out, self._rows = self._rows, []
        started, self._started = self._started, []
        n = self.delivered - before
        return out, sp, rows_out, (self._heap[0][0] if self._heap else math.inf), n, started


def connect_ray(address: str | None, num_cpus: int | None = None) -> bool:
    """Make sure this process talks to Ray: the running instance if there is one, else
    the cluster at ``address``, else a new local instance with ``num_cpus`` CPUs (default
    all). Returns whether it started one, which the caller then shuts down.

    Before joining, the head at ``address`` must answer as a gRPC server within 3 s, even
    when Ray already runs in this process: ``ray.init`` retries an address where nothing
    listens for ever.

    Raises:
        LogitwinError: ``address`` cannot be resolved, nothing answers there, what answers
            is not a Ray head, or Ray refuses to join (a missing or wrong auth token); the
            message names the address and what to check.
    """
    import ray

    if address is not None:
        endpoint = _head_endpoint(address)
        if endpoint is not None:
            _probe_head(address, *endpoint)
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    if address is None:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **quiet)
        return True
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise LogitwinError(_join_failure(address, exc)) from None
    return True


_PROBE_TIMEOUT_S = 3.0  # for a Ray head to accept a connection, and again to answer (s)
# An HTTP/2 client's connection preface with an empty SETTINGS frame; a gRPC server (Ray's
# GCS, or its Ray Client server) answers with a SETTINGS frame of its own.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_H2_SETTINGS = 0x04
_HEAD_HINT = (
    "Start one with `ray start --head --port=PORT` (default 6379) and give its HOST:PORT, "
    "or ray://HOST:10001 for its Ray Client server"
)
_TOKEN_HINT = (
    "the head uses token authentication: run with RAY_AUTH_MODE=token and the head's "
    "token in RAY_AUTH_TOKEN (or a file named by RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token); "
    "`ray get-auth-token` on the head prints it"
)


def _head_endpoint(address: str) -> tuple[str, int] | None:
    """The host and port that ``ray.init(address=address)`` dials: ``auto`` resolved as
    Ray resolves it (``RAY_ADDRESS``, then the cluster ``ray start`` recorded on this
    machine), ``localhost`` as this node's address. ``None``: an address form Ray
    resolves some other way (a URL other than ``ray://``), left to Ray."""
    if address.startswith("ray://"):
        target = address.removeprefix("ray://")
    elif "://" in address:
        return None
    else:
        try:
            from ray._private.services import canonicalize_bootstrap_address
        except ImportError:  # moved in another Ray version: check the address as written
            if address == "auto":
                return None
            target = address
        else:
            try:
                resolved = canonicalize_bootstrap_address(address)
            except ConnectionError:
                raise LogitwinError(
                    f"Ray address {address!r}: no Ray cluster found (RAY_ADDRESS is not "
                    "set and no head was started on this machine with `ray start`); "
                    "give the head's address, e.g. --runtime ray:HOST:6379"
                ) from None
            except ValueError:
                resolved = None
            if resolved is None:
                raise LogitwinError(f"Ray address {address!r}: expected HOST:PORT, or auto")
            target = resolved
    host, _, port = target.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")  # IPv6: [::1]:6379
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise LogitwinError(f"Ray address {address!r}: expected HOST:PORT, e.g. 10.0.0.10:6379")
    return host, int(port)


def _probe_head(address: str, host: str, port: int) -> None:
    """Check that a gRPC server answers at ``host:port`` within the probe timeout; raise
    :class:`LogitwinError` naming ``address`` and what to check if not."""
    import os
    import socket

    where = f"Ray address {address!r}" + (
        "" if address == f"{host}:{port}" else f" ({host}:{port})"
    )
    try:
        conn = socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S)
    except TimeoutError:
        raise LogitwinError(
            f"{where}: no answer within {_PROBE_TIMEOUT_S:g} s; check that the head is "
            "up and that this machine may reach that port (firewall, security group)"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LogitwinError(
            f"{where}: cannot connect ({reason}); is a Ray head running there? {_HEAD_HINT}"
        ) from None
    if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
        conn.close()  # a TLS handshake first: the plain-text check below does not apply
        return
    with conn:
        reply = b""
        try:
            conn.sendall(_H2_PREFACE)
            while len(reply) < 9:
                chunk = conn.recv(9 - len(reply))
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass  # timed out or reset: judged by what came back
    if len(reply) < 9 or reply[3] != _H2_SETTINGS:
        raise LogitwinError(
            f"{where}: something answers there but not as a Ray head (no gRPC answer "
            f"within {_PROBE_TIMEOUT_S:g} s; the dashboard's port, 8265, is not the "
            f"head's address). {_HEAD_HINT}"
        )


def _join_failure(address: str, exc: BaseException) -> str:
    """What to tell the user when ``ray.init(address=address)`` raised ``exc``."""
    import ray

    causes: list[str] = []
    e: BaseException | None = exc
    while e is not None and len(causes) < 10:
        causes.append(f"{type(e).__name__}: {e}")
        e = e.__cause__ or e.__context__
    if any("InvalidAuthToken" in c or "AuthenticationError" in c for c in causes):
        return f"Ray address {address!r}: the head refused this process: {_TOKEN_HINT}"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return (
        f"Ray address {address!r}: cannot join the cluster ({first}); check that a Ray "
        f"{ray.__version__} head runs there"
    )


def _host_class() -> Any:
    import ray

    # Ray restarts a host whose process dies (an empty one); the driver rebuilds it.
    @ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
    class Host:
        """A Ray actor hosting a :class:`HostEngine`."""

        def __init__(self, host: str, placement: Placement, lookahead: float) -> None:
            self.engine = HostEngine(host, placement, lookahead)

        def step(self, inbox: list[Wire], spawns: list[SpawnRec], until: float) -> StepResult:
            return self.engine.step(inbox, spawns, until)

        def rebuild(
            self,
            spawns: list[SpawnRec],
            messages: list[tuple[float, str, str, str, Any]],
            t0: float,
        ) -> None:
            self.engine.rebuild(spawns, messages, t0)

        def pid(self) -> int:
            import os

            return os.getpid()

    return Host


class RaySystem:
    """Hosts the twin's entities on Ray actors; same results as ``LocalSystem``.

    Args:
        seed: root seed; :meth:`rng` spawns independent streams from it in call order
            (as ``LocalSystem`` does, so the same scenario gets the same streams).
        lookahead: minimum latency L (s) of messages between entities: the window length.
        journal: where delivered messages and state changes go (``None``: not journalled).
        placement: ``sharded:N`` or ``per_entity`` (see the module docstring).
        address: Ray cluster to join; ``None`` uses the running Ray instance or starts a
            local one.
        realtime: live mode: simulated seconds per wall-clock second (1.0: the wall
            clock); each window starts when the wall clock reaches it. ``None``: as fast
            as possible.
    """

    def __init__(
        self,
        seed: int,
        lookahead: float = 0.25,
        journal: Journal | None = None,
        placement: str | Placement = "sharded:4",
        address: str | None = None,
        realtime: float | None = None,
    ) -> None:

        if lookahead <= 0:
            raise ValueError(f"lookahead must be > 0 s, got {lookahead}")
        if realtime is not None and realtime <= 0:
            raise ValueError(f"realtime factor must be > 0, got {realtime}")
        self.realtime = realtime
        self.lag_max_s = 0.0  # live mode: latest a window started after its wall time
        self._wall0: tuple[float, float] | None = None
        self.placement = (
            placement if isinstance(placement, Placement) else Placement.parse(placement)
        )
        self._lookahead = float(lookahead)
        self.journal = journal
        self._seed = seed
        self._now = 0.0
        self._started_ray = connect_ray(address)
        self._Host = _host_class()
        self._hosts: dict[str, Any] = {}
        self._inbox: dict[str, list[Wire]] = {}
        self._spawn_q: dict[str, list[SpawnRec]] = {}
        self._next: dict[str, float] = {}
        self._ids: set[str] = set()
        # Input from outside (other threads): queued under the lock, taken between windows.
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._external: list[tuple[str, Any]] = []
        self._ext_seq: dict[str, int] = {}
        self._frontier = 0.0  # end of the window in progress (or the clock)
        self._spawn_log: dict[str, list[tuple[int, SpawnRec]]] = {}
        self._closed = False
        self.delivered = 0
        self.windows = 0
        self.recoveries = 0
        self.recovery_wall_s = 0.0  # wall time from a dead host's failed call to its rebuild
        if journal is not None:  # resuming: the inputs the interrupted run accepted
            for inp in journal.inputs():
                data = encode(decode_fields(inp.type, inp.body))
                seq = max(self._ext_seq.get(inp.sender, 0), inp.sender_seq)
                self._ext_seq[inp.sender] = seq
                wire = (inp.time, inp.priority, inp.sender, inp.sender_seq, inp.receiver, data)
                self._external.append(("msg", wire))

    # --- System interface (used while building) ------------------------------------------
    @property
    def now(self) -> float:
        """The time every host has reached."""
        return self._now

    @property
    def lookahead(self) -> float:
        return self._lookahead

    def rng(self, key: str) -> np.random.Generator:
        """The run's random stream for ``key``, as :class:`LocalSystem` gives it."""
        return keyed_rng(self._seed, key)

    def spawn(self, cls: type[A], aid: str, *args: Any, **kwargs: Any) -> None:
        """Queue entity ``cls(host system, aid, *args, **kwargs)`` for its host.

        It starts (``on_start``) when the clock next advances: at the current time while
        the twin is being built, and, while a live run goes on (call it from any thread),
        at the wall clock's simulated time. The arguments are checked here by making the
        entity once (no ``on_start``): bad input is a :class:`LogitwinError` to the
        caller, not a crash of its host. Accepted entities are journalled and survive a
        host's death.
        """
        host = self.placement.host_of(aid)
        try:
            cls(cast(System, _Probe()), aid, *args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise LogitwinError(f"cannot spawn {cls.__name__} {aid!r}: {exc}") from None
        with self._lock:
            if aid in self._ids:
                raise LogitwinError(f"actor id {aid!r} is already taken")
            self._ids.add(aid)
            self._external.append(("spawn", (self._stamp(), host, cls, aid, args, kwargs)))
        self._wake.set()

    def send(
        self, sender: str, to: str, msg: Message, delay: float = 0.0, priority: int = NORMAL
    ) -> None:
        """Entities send on their hosts; the driver is not an entity (use :meth:`inject`)."""
        raise LogitwinError(f"{sender} cannot send through the driver; inject outside input")

    def inject(
        self,
        to: str,
        msg: Message,
        sender: str = "outside",
        delay: float = 0.0,
        priority: int = NORMAL,
    ) -> float:
        """Input from outside the twin (an operator, a bridge, an API), from any thread.

        It is delivered at the current time plus ``delay`` (at least the lookahead), in
        the wall clock's time during a live run. An unknown receiver or a malformed
        message is a :class:`LogitwinError` to the caller; an accepted message is
        journalled at once, so it survives a host's death and a crash of the whole twin
        (see :meth:`Runtime.inject`). Returns its delivery time (s).
        """
        data = encode(msg)
        decode(data)  # the receiving host will decode it: fail here, not there
        with self._lock:
            delay, seq = admit(self._closed, self._ids, self._ext_seq, sender, to, msg, delay,
                               self._lookahead)  # fmt: skip
            t = self._stamp() + delay
            if self.journal is not None:
                self.journal.input(t, priority, sender, seq, to, type(msg).__name__,
                                   encode_fields(msg))  # fmt: skip
            self._external.append(("msg", (t, priority, sender, seq, to, data)))
        self._wake.set()
        return t

    def _stamp(self) -> float:
        """The time of something arriving from outside now (call with the lock held)."""
        t = self._frontier
        if self.realtime is not None and self._wall0 is not None:
            w0, s0 = self._wall0
            t = max(t, s0 + (time.monotonic() - w0) * self.realtime)
        return t

    def _take_external(self) -> None:
        with self._lock:
            items, self._external = self._external, []
            self._wake.clear()
        for kind, item in items:
            if kind == "spawn":
                self._spawn_q.setdefault(item[1], []).append(item)
            else:
                self._inbox.setdefault(self.placement.host_of(item[4]), []).append(item)

    def record(self, entity: str, kind: str, fields: dict[str, Any]) -> None:
        raise LogitwinError("the driver of a RaySystem has no state to record")

    # --- hosts ---------------------------------------------------------------------------
    @property
    def hosts(self) -> dict[str, Any]:
        """Host key → Ray actor handle (for inspection and tests)."""
        return dict(self._hosts)

    def _host(self, key: str) -> Any:
        h = self._hosts.get(key)
        if h is None:
            h = self._Host.options(name=None).remote(key, self.placement, self._lookahead)
            self._hosts[key] = h
            self._next[key] = math.inf
        return h

    def run(self, until: float | None = None) -> None:
        """Advance every host to ``until`` (s) in windows of the lookahead."""
        if until is None:
            raise ValueError("a RaySystem runs to a given time; pass until")
        if until < self._now:
            raise ValueError(f"until={until} is before now={self._now}")
        if self.realtime is not None and self._wall0 is None:
            # Start the hosts known so far before the wall clock starts counting.
            import ray

            self._take_external()
            ray.get([self._host(k).pid.remote() for k in list(self._spawn_q)])
            self._wall0 = (time.monotonic(), self._now)
        while True:
            self._take_external()
            pending = list(self._next.values())
            pending += [w[0] for q in self._inbox.values() for w in q]
            pending += [r[0] for q in self._spawn_q.values() for r in q]
            start = max(min(pending, default=math.inf), self._now)
            if start >= until:
                # Live: the clock reaches `until` when the wall clock does, unless
                # something arrives from outside first.
                if self.realtime is None or self._pace(until):
                    break
                continue
            if self.realtime is not None:
                if not self._pace(start):
                    continue  # woken by outside input: it may come first
                end = min(start + self._lookahead, until)
            elif self.placement.kind == "sharded" and self.placement.hosts == 1:
                # One host: nothing can arrive from elsewhere; long windows, bounded so
                # that one window's journal rows stay small.
                end = min(start + _SOLO_WINDOW_S, until)
            else:
                end = min(start + self._lookahead, until)
            with self._lock:
                self._frontier = end
            self._window(start, end)
        self._now = until
        with self._lock:
            self._frontier = until
        if self.journal is not None:
            self.journal.flush()

    def _pace(self, t: float) -> bool:
        """Live mode: wait until the wall clock reaches simulated time ``t``; False when
        woken earlier by input from outside."""
        factor = self.realtime
        assert factor is not None and self._wall0 is not None
        w0, s0 = self._wall0
        due = w0 + (t - s0) / factor
        late = time.monotonic() - due
        if late < 0:
            return not self._wake.wait(-late)
        self.lag_max_s = max(self.lag_max_s, late * factor)
        return True

    def _window(self, start: float, end: float) -> None:
        """Let every host with work deliver what is due in ``[start, end)``."""
        import ray
        from ray.exceptions import RayActorError

        rows: list[Row] = []
        log: dict[str, list[tuple[list[Wire], list[SpawnRec]]]] = {}
        work = {k for k, t in self._next.items() if t < end}
        work |= {k for k, q in self._inbox.items() if q}
        work |= {k for k, q in self._spawn_q.items() if q}
        # Round 1: every host with work before `end`. Further rounds of the same window:
        # hosts given entities spawned elsewhere during it.
        while work:
            calls = {}
            for k in sorted(work):
                due: list[Wire] = []
                later: list[Wire] = []
                for w in self._inbox.pop(k, []):
                    (due if w[0] < end else later).append(w)
                if later:
                    self._inbox[k] = later
                spawns = self._spawn_q.pop(k, [])
                for rec in spawns:
                    self._spawn_log.setdefault(k, []).append((self.windows, rec))
                if not due and not spawns and self._next.get(k, math.inf) >= end:
                    continue
                log.setdefault(k, []).append((due, spawns))
                calls[k] = self._host(k).step.remote(due, spawns, end)
            work = set()
            for k, ref in calls.items():
                t0 = time.monotonic()
                try:
                    out, spawns, host_rows, nxt, n, started = ray.get(ref)
                except RayActorError:
                    # Ray's noticing the death counts too: it takes longer than the rebuild.
                    out, spawns, host_rows, nxt, n, started = self._recover(k, start, end, log[k])
                    self.recovery_wall_s += time.monotonic() - t0
                with self._lock:
                    self._ids.update(started)
                self._next[k] = nxt
                self.delivered += n
                rows.extend(host_rows)
                for w in out:
                    self._inbox.setdefault(self.placement.host_of(w[4]), []).append(w)
                for rec in spawns:
                    self._spawn_q.setdefault(rec[1], []).append(rec)
                    work.add(rec[1])
        self.windows += 1
        self._now = end
        if self.journal is not None:
            self._write(rows)

    def _recover(
        self,
        key: str,
        start: float,
        end: float,
        rounds: list[tuple[list[Wire], list[SpawnRec]]],
    ) -> StepResult:
        """Host ``key`` died during this window: Ray has restarted its process (empty);
        rebuild its entities from the journal as of ``start``, redo this window's earlier
        rounds (their outputs were already taken) and run the failed round again."""
        import ray

        if self.journal is None:
            raise LogitwinError(f"host {key} died and there is no journal to rebuild it from")
        self.recoveries += 1
        host = self._hosts[key]
        spawns = [rec for w, rec in self._spawn_log.get(key, []) if w < self.windows]
        host_of = self.placement.host_of
        messages = [
            (r.time, r.sender, r.type, r.body, r.entity)
            for r in self.journal.rows()
            if r.kind == "message" and host_of(r.entity) == key
        ]
        # Ray answers calls to a host it is still restarting with ActorUnavailableError
        # (on a loaded machine for seconds); the rebuild is safe to send again.
        deadline = time.monotonic() + _RESTART_WAIT_S
        while True:
            try:
                ray.get(host.rebuild.remote(spawns, messages, start))
                break
            except ray.exceptions.ActorUnavailableError:
                if time.monotonic() > deadline:
                    raise LogitwinError(
                        f"host {key} died and Ray did not restart it within {_RESTART_WAIT_S:g} s"
                    ) from None
                time.sleep(0.2)
        for due, sp in rounds[:-1]:
            ray.get(host.step.remote(due, sp, end))
        result: StepResult = ray.get(host.step.remote(*rounds[-1], end))
        return result

    def _write(self, rows: list[Row]) -> None:
        rows.sort(key=lambda r: r[1])  # stable: each entity's rows keep their order
        j = self.journal
        assert j is not None
        for r in rows:
            if r[0] == "m":
                j.message(r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            else:
                j.state(r[1], r[2], r[3], r[4])

    def close(self) -> None:
        """Refuse further input; stop the hosts (and the Ray instance if this system
        started it)."""
        import ray

        with self._lock:
            self._closed = True
        if self.journal is not None:
            self.journal.flush()
        for h in self._hosts.values():
            ray.kill(h)
        self._hosts.clear()
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False
