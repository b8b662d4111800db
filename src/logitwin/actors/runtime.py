"""The actor runtime: entities with mailboxes and typed handlers, on a SimPy clock.

Delivery order is the key ``(time, priority, sender id, sender's sequence number)``, which
every runtime computes without a global counter. A message between two entities is
delivered no sooner than the lookahead ``L`` after it is sent; an actor's own timers may be
shorter. A distributed runtime that advances hosts in windows of length ``L`` therefore
sees the same messages in the same order as :class:`LocalSystem`.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
from collections.abc import Callable, Container, Iterable
from time import monotonic
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import simpy
import simpy.rt

from logitwin.actors.codec import Message, decode, decode_fields, encode, encode_fields
from logitwin.actors.journal import Journal, JournalInput
from logitwin.errors import ActorError, LogitwinError, ProtocolError

__all__ = [
    "NORMAL",
    "URGENT",
    "Actor",
    "LocalSystem",
    "Runtime",
    "System",
    "admit",
    "delivery",
    "handles",
    "keyed_rng",
    "stable_hash",
]

URGENT = 0
NORMAL = 1

A = TypeVar("A", bound="Actor")
F = TypeVar("F", bound=Callable[..., None])


def handles(*types: type[Message]) -> Callable[[F], F]:
    """Mark an actor method as the handler of the given message types."""

    def mark(fn: F) -> F:
        fn._handles = types  # type: ignore[attr-defined]
        return fn

    return mark


def delivery(
    seqs: dict[str, int], sender: str, to: str, delay: float, lookahead: float
) -> tuple[float, int]:
    """The delay a message really takes (at least ``lookahead`` between two actors; a
    timer to self may be shorter) and the sender's next sequence number, counted in
    ``seqs``: the parts of the delivery key every runtime must compute alike."""
    if delay < 0:
        raise ValueError(f"negative delay {delay}; a message cannot arrive in the past")
    seq = seqs.get(sender, 0) + 1
    seqs[sender] = seq
    return (lookahead if to != sender and delay < lookahead else delay), seq


def stable_hash(key: str) -> int:
    """A 64-bit hash of ``key`` that is the same in every process and Python version
    (``hash()`` of a string is salted per process)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


def keyed_rng(seed: int, key: str) -> np.random.Generator:
    """The random stream for purpose ``key`` (an entity id, ``"layout"``, ...) of a run.

    Streams are keyed, not handed out in call order, so adding an entity, a policy or a
    disruption changes no other stream.
    """
    if not key:
        raise ValueError("a random stream needs a key naming what it is for")
    return np.random.default_rng(np.random.SeedSequence([seed, stable_hash(key)]))


class System(Protocol):
    """What an actor sees of its runtime; every runtime implements it."""

    @property
    def now(self) -> float:
        """Current time (s)."""
        ...

    @property
    def lookahead(self) -> float:
        """Minimum latency (s) of a message between two entities."""
        ...

    def send(
        self, sender: str, to: str, msg: Message, delay: float = 0.0, priority: int = NORMAL
    ) -> None:
        """Queue ``msg`` from ``sender`` to ``to``."""
        ...

    def spawn(self, cls: type[A], aid: str, *args: Any, **kwargs: Any) -> A | None:
        """Create and start an actor (``None``: it lives in another process)."""
        ...

    def record(self, entity: str, kind: str, fields: dict[str, Any]) -> None:
        """Journal a state change."""
        ...

    def rng(self, key: str) -> np.random.Generator:
        """The run's random stream for ``key`` (see :func:`keyed_rng`)."""
        ...


class Runtime(System, Protocol):
    """What a scenario runner, a bridge or an API drives: a :class:`System` with a clock
    to advance, a door for input from outside the twin, and an end."""

    delivered: int

    def run(self, until: float | None = None) -> None:
        """Advance the clock to ``until`` (s), delivering every message due before it."""
        ...

    def inject(
        self,
        to: str,
        msg: Message,
        sender: str = "outside",
        delay: float = 0.0,
        priority: int = NORMAL,
    ) -> float:
        """Input from outside the twin (a WMS, telemetry, an operator), from any thread.

        ``sender`` names the source and must not be an actor's id. The message is
        checked (receiver, fields) and journalled before this returns, so an accepted
        input survives a crash; it is delivered at the current time plus at least the
        lookahead. Returns its delivery time (s).

        Raises:
            LogitwinError: unknown receiver or sender, malformed message, negative delay,
                or a closed runtime.
        """
        ...

    def close(self) -> None:
        """Stop: commit the journal, refuse further input, release processes."""
        ...


class Actor:
    """Base class of every entity and controller actor.

    Subclasses mark handlers with :func:`handles`; state that matters goes through
    :meth:`set`, which journals it. Actors never touch each other's state; they
    :meth:`send`.

    Args:
        system: the runtime hosting this actor (injected by :meth:`System.spawn`).
        aid: the actor's unique id, e.g. ``"robot:3"``.
    """

    kind: ClassVar[str] = "actor"
    _handlers: ClassVar[dict[type[Message], Callable[[Any, Any, str], None]]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        table: dict[type[Message], Callable[[Any, Any, str], None]] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for t in getattr(attr, "_handles", ()):
                    table[t] = attr
        cls._handlers = table

    def __init__(self, system: System, aid: str) -> None:
        self.system = system
        self.id = aid

    def on_start(self) -> None:
        """Called once when the actor is spawned, at the spawn time."""

    def receive(self, msg: Message, sender: str) -> None:
        """Dispatch ``msg`` to its handler; an unhandled type is a ProtocolError."""
        handler = self._handlers.get(type(msg))
        if handler is None:
            raise ProtocolError(
                f"{self.id} ({type(self).__name__}) has no handler for {type(msg).__name__}"
            )
        handler(self, msg, sender)

    @property
    def now(self) -> float:
        """Current time (s)."""
        return self.system.now

    def send(self, to: str, msg: Message, delay: float = 0.0, priority: int = NORMAL) -> None:
        """Send ``msg`` to actor ``to``; delivered after ``max(delay, lookahead)``."""
        self.system.send(self.id, to, msg, delay, priority)

    def timer(self, delay: float, msg: Message, priority: int = NORMAL) -> None:
        """Send ``msg`` to self after ``delay`` seconds (may be shorter than the lookahead)."""
        self.system.send(self.id, self.id, msg, delay, priority)

    def set(self, **fields: Any) -> None:
        """Change state fields (attributes of the same name) and journal the change.

        Journalled fields are plain values; a field may not shadow a container attribute
        (a list of robots must not be replaced by its count).
        """
        for k, v in fields.items():
            old = getattr(self, k, None)
            if isinstance(old, (list, dict, set)) and not isinstance(v, type(old)):
                raise TypeError(
                    f"{self.id}: state field {k!r} would replace a {type(old).__name__}"
                )
            setattr(self, k, v)
        self.system.record(self.id, self.kind, fields)


# A queued message: the delivery key, the receiver and the message.
Entry = tuple[float, int, str, int, str, Message]


class Core:
    """What every runtime shares: its actors, each sender's sequence numbers, a heap of
    queued messages in delivery-key order, and the loop that delivers them.

    Subclasses provide the clock (``now``) and where journal rows go.
    """

    def __init__(self, lookahead: float) -> None:
        if lookahead <= 0:
            raise ValueError(f"lookahead must be > 0 s, got {lookahead}")
        self._lookahead = float(lookahead)
        self._actors: dict[str, Actor] = {}
        self._seq: dict[str, int] = {}
        self._heap: list[Entry] = []
        self.delivered = 0

    @property
    def lookahead(self) -> float:
        """Minimum latency (s) of a message between two entities."""
        return self._lookahead

    def actor(self, aid: str) -> Actor:
        """The actor with id ``aid`` (for inspection and tests)."""
        return self._actors[aid]

    def actors(self) -> list[Actor]:
        """All actors in spawn order."""
        return list(self._actors.values())

    def _start(self, cls: type[A], aid: str, args: Iterable[Any], kw: dict[str, Any]) -> A:
        if aid in self._actors:
            raise LogitwinError(f"actor id {aid!r} is already taken")
        actor = cls(self, aid, *args, **kw)  # type: ignore[arg-type]
        self._actors[aid] = actor
        self._on_spawned(aid)
        actor.on_start()
        return actor

    def _on_spawned(self, aid: str) -> None:
        """Hook: an actor was created here."""

    def _at(self, t: float) -> None:
        """Hook: the clock reads ``t`` while a message due then is delivered."""

    def _deliver(self, until: float, inclusive: bool, journal: Any) -> None:
        """Deliver queued messages due before ``until`` (at it too if ``inclusive``) in key
        order, journalling each (``journal.message``) before its handler runs. A handler
        that fails is an :class:`ActorError` naming the entity and the message."""
        heap = self._heap
        actors = self._actors
        n = 0
        try:
            while heap and (heap[0][0] <= until if inclusive else heap[0][0] < until):
                t, prio, sender, seq, to, msg = heapq.heappop(heap)
                self._at(t)
                if journal is not None:
                    journal.message(
                        t, prio, sender, seq, to, type(msg).__name__, encode_fields(msg)
                    )
                n += 1
                try:
                    actors[to].receive(msg, sender)
                except ActorError:
                    raise
                except Exception as exc:
                    raise ActorError(to, type(msg).__name__, sender, t, exc) from exc
        finally:
            self.delivered += n


class LocalSystem(Core):
    """All actors in one process on a SimPy environment.

    Args:
        seed: root seed; :meth:`rng` gives each purpose its own stream from it.
        lookahead: minimum latency L (s) of messages between entities.
        journal: where delivered messages and state changes go (``None``: not journalled).
            A journal being resumed (:meth:`Journal.resume`) brings back its outside
            inputs, so they are delivered again as in the run that wrote it.
        env: a ``simpy.Environment`` (as fast as possible, the default) or a
            ``simpy.rt.RealtimeEnvironment`` (live; outside input is then taken every
            ``poll_s`` seconds of wall time).
        poll_s: live only: wall time (s) between looks for outside input.
    """

    def __init__(
        self,
        seed: int,
        lookahead: float = 0.25,
        journal: Journal | None = None,
        env: simpy.Environment | None = None,
        poll_s: float = 0.05,
    ) -> None:
        super().__init__(lookahead)
        self.env = env if env is not None else simpy.Environment()
        self.journal = journal
        self._seed = seed
        self._scheduled: set[float] = set()
        self._lock = threading.Lock()
        self._inbox: list[Entry] = []
        self._ext_seq: dict[str, int] = {}
        self._closed = False
        if journal is not None:
            for inp in journal.inputs():
                self._restore(inp)
        if isinstance(self.env, simpy.rt.RealtimeEnvironment):
            self.env.process(self._poll(poll_s / self.env.factor))

    @property
    def now(self) -> float:
        """Current simulated (or real) time (s)."""
        return float(self.env.now)

    def rng(self, key: str) -> np.random.Generator:
        """The run's random stream for ``key`` (see :func:`keyed_rng`)."""
        return keyed_rng(self._seed, key)

    def spawn(self, cls: type[A], aid: str, *args: Any, **kwargs: Any) -> A:
        """Create actor ``cls(self, aid, *args, **kwargs)`` and call its ``on_start``."""
        return self._start(cls, aid, args, kwargs)

    def send(
        self, sender: str, to: str, msg: Message, delay: float = 0.0, priority: int = NORMAL
    ) -> None:
        """Queue ``msg``; see the module docstring for the delivery order."""
        if to not in self._actors:
            raise LogitwinError(f"{sender} sent {type(msg).__name__} to unknown actor {to!r}")
        delay, seq = delivery(self._seq, sender, to, delay, self._lookahead)
        self._queue((self.env.now + delay, priority, sender, seq, to, msg))

    def _queue(self, entry: Entry) -> None:
        t = entry[0]
        heapq.heappush(self._heap, entry)
        if t not in self._scheduled:
            self._scheduled.add(t)
            self.env.timeout(t - self.env.now).callbacks.append(self._drain)

    def _drain(self, event: simpy.Event) -> None:
        now = self.env.now
        self._scheduled.discard(now)
        if self._inbox:
            self._take()
        self._deliver(now, True, self.journal)

    # --- input from outside ----------------------------------------------------------------
    def inject(
        self,
        to: str,
        msg: Message,
        sender: str = "outside",
        delay: float = 0.0,
        priority: int = NORMAL,
    ) -> float:
        """Input from outside the twin, from any thread; see :meth:`Runtime.inject`."""
        fields = _checked(msg)
        with self._lock:
            delay, seq = admit(self._closed, self._actors, self._ext_seq, sender, to, msg, delay,
                               self._lookahead)  # fmt: skip
            t = self._wall_now() + delay
            if self.journal is not None:
                self.journal.input(t, priority, sender, seq, to, type(msg).__name__, fields)
            self._inbox.append((t, priority, sender, seq, to, msg))
        return t

    def _wall_now(self) -> float:
        """Simulated time now, as another thread sees it (live: from the wall clock)."""
        env = self.env
        if isinstance(env, simpy.rt.RealtimeEnvironment):
            return max(float(env.now), env.env_start + (monotonic() - env.real_start) / env.factor)
        return float(env.now)

    def _take(self) -> None:
        with self._lock:
            items, self._inbox = self._inbox, []
        now = self.env.now
        for t, *rest in items:
            # A twin lagging more than the lookahead behind the wall clock delivers late
            # input at once rather than in its past.
            self._queue((max(t, now), *rest))  # type: ignore[arg-type]

    def _restore(self, inp: JournalInput) -> None:
        msg = decode_fields(inp.type, inp.body)
        self._ext_seq[inp.sender] = max(self._ext_seq.get(inp.sender, 0), inp.sender_seq)
        self._inbox.append((inp.time, inp.priority, inp.sender, inp.sender_seq, inp.receiver, msg))

    def _poll(self, every: float) -> Any:
        while True:
            yield self.env.timeout(every)
            if self._inbox:
                self._take()
            if self.journal is not None:
                self.journal.tick()

    def record(self, entity: str, kind: str, fields: dict[str, Any]) -> None:
        """Journal a state change of ``entity`` at the current time."""
        if self.journal is not None:
            self.journal.state(self.env.now, entity, kind, fields)

    def run(self, until: float | None = None) -> None:
        """Advance the clock to ``until`` (s), delivering every message due before it."""
        if until is not None and until < self.env.now:
            raise ValueError(f"until={until} is before now={self.env.now}")
        if self._inbox:
            self._take()
        self.env.run(until=until)
        if self.journal is not None:
            self.journal.flush()

    def close(self) -> None:
        """Refuse further input and commit the journal (the runner closes it)."""
        with self._lock:
            self._closed = True
        if self.journal is not None:
            self.journal.flush()


def admit(
    closed: bool,
    actors: Container[str],
    seqs: dict[str, int],
    sender: str,
    to: str,
    msg: Message,
    delay: float,
    lookahead: float,
) -> tuple[float, int]:
    """The checks every runtime makes on outside input; its delay (at least the
    lookahead: input is never a timer) and the sender's next sequence number."""
    if closed:
        raise LogitwinError("the twin is closed; it takes no more input")
    if not delay >= 0:
        raise LogitwinError(f"negative delay {delay}; a message cannot arrive in the past")
    if to not in actors:
        raise LogitwinError(f"{sender} sent {type(msg).__name__} to unknown actor {to!r}")
    if sender in actors:
        raise LogitwinError(f"sender {sender!r} is an actor of the twin, not outside it")
    delay, seq = delivery(seqs, sender, to, delay, lookahead)
    return max(delay, lookahead), seq


def _checked(msg: Message) -> list[Any]:
    """The wire fields of an outside message, validated as a bridge would decode them."""
    decode(encode(msg))
    return encode_fields(msg)
