"""The actor runtime: entities with mailboxes and typed handlers, on a SimPy clock.

Delivery order is the key ``(time, priority, sender id, sender's sequence number)``, which
every runtime computes without a global counter. A message between two entities is
delivered no sooner than the lookahead ``L`` after it is sent; an actor's own timers may be
shorter. A distributed runtime that advances hosts in windows of length ``L`` therefore
sees the same messages in the same order as :class:`LocalSystem`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import simpy

from logitwin.actors.codec import Message, encode_fields
from logitwin.actors.journal import Journal
from logitwin.errors import LogitwinError, ProtocolError

__all__ = [
    "NORMAL",
    "URGENT",
    "Actor",
    "LocalSystem",
    "Runtime",
    "System",
    "delivery",
    "handles",
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

    def rng(self) -> np.random.Generator:
        """A fresh independent random stream (spawned from the run's seed)."""
        ...


class Runtime(System, Protocol):
    """What a scenario runner drives: a :class:`System` with a clock to advance."""

    delivered: int

    def run(self, until: float | None = None) -> None:
        """Advance the clock to ``until`` (s), delivering every message due before it."""
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


class LocalSystem:
    """All actors in one process on a SimPy environment.

    Args:
        seed: root seed; :meth:`rng` spawns independent streams from it in call order.
        lookahead: minimum latency L (s) of messages between entities.
        journal: where delivered messages and state changes go (``None``: not journalled).
        env: a ``simpy.Environment`` (as fast as possible, the default) or a
            ``simpy.rt.RealtimeEnvironment`` (live).
    """

    def __init__(
        self,
        seed: int,
        lookahead: float = 0.25,
        journal: Journal | None = None,
        env: simpy.Environment | None = None,
    ) -> None:
        if lookahead <= 0:
            raise ValueError(f"lookahead must be > 0 s, got {lookahead}")
        self.env = env if env is not None else simpy.Environment()
        self._lookahead = float(lookahead)
        self.journal = journal
        self._seeds = np.random.SeedSequence(seed)
        self._actors: dict[str, Actor] = {}
        self._seq: dict[str, int] = {}
        self._heap: list[tuple[float, int, str, int, str, Message]] = []
        self._scheduled: set[float] = set()
        self.delivered = 0

    @property
    def now(self) -> float:
        """Current simulated (or real) time (s)."""
        return float(self.env.now)

    @property
    def lookahead(self) -> float:
        """Minimum latency (s) of a message between two entities."""
        return self._lookahead

    def rng(self) -> np.random.Generator:
        """A fresh independent random stream, from ``SeedSequence.spawn`` of the seed."""
        return np.random.default_rng(self._seeds.spawn(1)[0])

    def spawn(self, cls: type[A], aid: str, *args: Any, **kwargs: Any) -> A:
        """Create actor ``cls(self, aid, *args, **kwargs)`` and call its ``on_start``."""
        if aid in self._actors:
            raise LogitwinError(f"actor id {aid!r} is already taken")
        actor = cls(self, aid, *args, **kwargs)
        self._actors[aid] = actor
        actor.on_start()
        return actor

    def actor(self, aid: str) -> Actor:
        """The actor with id ``aid`` (for inspection and tests)."""
        return self._actors[aid]

    def actors(self) -> list[Actor]:
        """All actors in spawn order."""
        return list(self._actors.values())

    def send(
        self, sender: str, to: str, msg: Message, delay: float = 0.0, priority: int = NORMAL
    ) -> None:
        """Queue ``msg``; see the module docstring for the delivery order."""
        if to not in self._actors:
            raise LogitwinError(f"{sender} sent {type(msg).__name__} to unknown actor {to!r}")
        delay, seq = delivery(self._seq, sender, to, delay, self._lookahead)
        t = self.env.now + delay
        heapq.heappush(self._heap, (t, priority, sender, seq, to, msg))
        if t not in self._scheduled:
            self._scheduled.add(t)
            self.env.timeout(delay).callbacks.append(self._drain)

    def _drain(self, event: simpy.Event) -> None:
        now = self.env.now
        self._scheduled.discard(now)
        heap = self._heap
        journal = self.journal
        actors = self._actors
        while heap and heap[0][0] <= now:
            t, prio, sender, seq, to, msg = heapq.heappop(heap)
            if journal is not None:
                journal.message(t, prio, sender, seq, to, type(msg).__name__, encode_fields(msg))
            self.delivered += 1
            actors[to].receive(msg, sender)

    def record(self, entity: str, kind: str, fields: dict[str, Any]) -> None:
        """Journal a state change of ``entity`` at the current time."""
        if self.journal is not None:
            self.journal.state(self.env.now, entity, kind, fields)

    def run(self, until: float | None = None) -> None:
        """Advance the clock to ``until`` (s), delivering every message due by then."""
        if until is not None and until < self.env.now:
            raise ValueError(f"until={until} is before now={self.env.now}")
        self.env.run(until=until)
        if self.journal is not None:
            self.journal.flush()
