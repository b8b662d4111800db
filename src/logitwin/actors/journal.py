"""The event journal: every delivered message and every entity state change, in SQLite (WAL).

One table, ``events``, holds both kinds of row in delivery order. A ``message`` row keeps
the delivery key (time, priority, sender, sender's sequence), the receiver, the message type
and its msgpack body; a ``state`` row keeps the entity id, its kind and the msgpack map of
the fields that changed. ``meta`` holds the resolved scenario and the seed, and, once the
run ends cleanly, ``complete`` (the simulated time reached). Nothing in a row depends on
wall-clock time, so the same scenario and seed give the same rows.

Durability: rows are committed in batches, every ``batch`` rows and at least every
``commit_s`` seconds of wall time, so a process killed at any moment leaves a journal that
is valid up to its last commit (SQLite's WAL makes each commit atomic). A run killed that
way is resumed by re-executing it (:meth:`Journal.resume`): the rows the journal already
holds are checked against the re-execution instead of written again, and the rest are
appended, so the finished journal is the one an uninterrupted run writes.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from logitwin.errors import JournalError

__all__ = [
    "Journal",
    "JournalInput",
    "JournalReader",
    "JournalRow",
    "JournalStatus",
    "read_status",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Input from outside the twin, as accepted (committed before inject returns).
CREATE TABLE IF NOT EXISTS inputs (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,          -- delivery time
    priority INTEGER NOT NULL,
    sender TEXT NOT NULL,
    sender_seq INTEGER NOT NULL,
    receiver TEXT NOT NULL,
    type TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    kind TEXT NOT NULL,          -- 'message' or 'state'
    entity TEXT NOT NULL,        -- receiver of a message, or the entity whose state changed
    type TEXT NOT NULL,          -- message type name, or entity kind
    sender TEXT,
    sender_seq INTEGER,
    priority INTEGER,
    body BLOB NOT NULL
);
"""

_COMPLETE = "complete"  # meta key written at a clean end: {"time": simulated s reached}
_FAILED = "failed"  # meta key written when the run stopped on an error: the error text

# A row as stored: (seq, time, kind, entity, type, sender, sender_seq, priority, body).
_Row = tuple[int, float, str, str, str, str | None, int | None, int | None, bytes]


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One decoded journal row; ``body`` is the field list (message) or field map (state)."""

    seq: int
    time: float
    kind: str
    entity: str
    type: str
    sender: str | None
    sender_seq: int | None
    priority: int | None
    body: Any


@dataclass(frozen=True, slots=True)
class JournalInput:
    """One input from outside the twin: its delivery key, receiver, type and fields."""

    time: float
    priority: int
    sender: str
    sender_seq: int
    receiver: str
    type: str
    body: list[Any]


@dataclass(frozen=True, slots=True)
class JournalStatus:
    """Whether a journal's run finished, and how far it got.

    Attributes:
        complete: the run ended cleanly at its horizon.
        reached_s: simulated time (s) reached: the horizon when complete, else the time of
            the last committed row.
        horizon_s: the run's horizon (s), from its metadata (``nan`` if it has none).
        rows: rows committed.
        failure: the error that stopped the run, if one did.
    """

    complete: bool
    reached_s: float
    horizon_s: float
    rows: int
    failure: str | None

    def describe(self) -> str:
        """One sentence for a person: how far the run got and why it stopped."""
        h = self.horizon_s
        if self.complete:
            return f"complete: ran to {_clock(self.reached_s)} ({self.rows:,} rows)"
        share = f" ({self.reached_s / h:.0%})" if math.isfinite(h) and h > 0 else ""
        why = f"it failed: {self.failure}" if self.failure else "it was interrupted"
        return (
            f"incomplete: the run stops at {_clock(self.reached_s)} of {_clock(h)}{share} "
            f"after {self.rows:,} rows; {why}"
        )


def _clock(t: float) -> str:
    if not math.isfinite(t):
        return "?"
    s = int(t)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Journal:
    """Append-only writer; rows are buffered and committed in batches.

    Args:
        path: SQLite file to create (an existing file is an error, so runs never mix),
            or ``None`` for an in-memory journal (tests, throwaway runs).
        batch: rows buffered before a commit.
        commit_s: wall-clock seconds after which buffered rows are committed even if the
            batch is not full: what a killed process can lose at most.
    """

    def __init__(self, path: str | Path | None, batch: int = 20_000, commit_s: float = 2.0) -> None:
        if path is not None and Path(path).exists():
            raise JournalError(f"journal {path} already exists; pick a new output folder")
        self._open(path, batch, commit_s)
        # One transaction: a process killed while creating the journal leaves all the
        # tables or none (never a journal that no reader can open).
        self._db.executescript("BEGIN;" + _SCHEMA + "COMMIT;")

    def _open(self, path: str | Path | None, batch: int, commit_s: float) -> None:
        if batch < 1 or not commit_s > 0:
            raise ValueError(f"batch must be >= 1 and commit_s > 0, got {batch}, {commit_s}")
        self.path = Path(path) if path is not None else None
        # Outside input is journalled from other threads; every use of the connection
        # holds the lock.
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                ":memory:" if path is None else str(path), check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {path}: {exc}") from None
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._rows: list[_Row] = []
        self._batch = batch
        self._commit_s = commit_s
        self._last_commit = time.monotonic()
        self._seq = 0
        self._pack = msgpack.Packer(use_bin_type=True).pack
        # Resuming: rows 1.._existing are already in the file and are checked, not written.
        self._existing = 0
        self._expected: deque[_Row] = deque()

    @classmethod
    def resume(cls, path: str | Path, batch: int = 20_000, commit_s: float = 2.0) -> Journal:
        """Reopen the journal of an interrupted run to re-execute it.

        The re-execution must produce the rows the file holds, in order: each is compared
        with the stored one (a difference is a :class:`JournalError` naming the row), and
        only rows past the end of the file are written.

        Raises:
            JournalError: the file is missing, not a journal, or its run is complete.
        """
        status = read_status(path)
        if status.complete:
            raise JournalError(f"{path}: the run is complete; there is nothing to resume")
        j = cls.__new__(cls)
        j._open(path, batch, commit_s)
        j._db.executescript(_SCHEMA)  # journals from before the inputs table get one
        with j._db:
            j._db.execute("DELETE FROM meta WHERE key = ?", (_FAILED,))
        j._existing = status.rows
        return j

    @property
    def resuming(self) -> bool:
        """Whether rows are still being checked against an interrupted run's journal."""
        return self._seq < self._existing

    def set_meta(self, **values: str) -> None:
        """Store run metadata (resolved scenario, seed, version)."""
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(values.items())
            )
            self._db.commit()

    def input(
        self,
        time: float,
        priority: int,
        sender: str,
        sender_seq: int,
        receiver: str,
        type_name: str,
        fields: list[Any],
    ) -> None:
        """Record an accepted outside input and commit it at once (any thread)."""
        body = msgpack.packb(fields, use_bin_type=True)
        with self._lock:
            self._db.execute(
                "INSERT INTO inputs (time, priority, sender, sender_seq, receiver, type, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time, priority, sender, sender_seq, receiver, type_name, body),
            )
            self._db.commit()

    def inputs(self) -> list[JournalInput]:
        """Every outside input accepted so far, in acceptance order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT time, priority, sender, sender_seq, receiver, type, body FROM inputs "
                "ORDER BY id"
            ).fetchall()
        return [
            JournalInput(t, prio, sender, seq, to, type_, msgpack.unpackb(body, raw=False))
            for t, prio, sender, seq, to, type_, body in rows
        ]

    def message(
        self,
        time: float,
        priority: int,
        sender: str,
        sender_seq: int,
        receiver: str,
        type_name: str,
        fields: list[Any],
    ) -> None:
        """Append a delivered message."""
        self._seq += 1
        self._append(
            (self._seq, time, "message", receiver, type_name, sender, sender_seq, priority,
             self._pack(fields))
        )  # fmt: skip

    def state(self, time: float, entity: str, kind: str, fields: dict[str, Any]) -> None:
        """Append a state change of ``entity`` (only the fields that changed)."""
        self._seq += 1
        self._append((self._seq, time, "state", entity, kind, None, None, None, self._pack(fields)))

    def _append(self, row: _Row) -> None:
        if self._seq <= self._existing:
            self._check(row)
            return
        self._rows.append(row)
        if len(self._rows) >= self._batch or time.monotonic() - self._last_commit >= self._commit_s:
            self.flush()

    def _check(self, row: _Row) -> None:
        if not self._expected:
            with self._lock:
                cur = self._db.execute(
                    "SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT 10000", (row[0],)
                )
                self._expected.extend(cur.fetchall())
        stored = self._expected.popleft()
        if stored != row:
            raise JournalError(
                f"{self.path}: resuming diverged from the journal at row {row[0]}: it holds "
                f"{_show(stored)}, the re-execution gives {_show(row)}; the code or its "
                "inputs changed since the run started, so it cannot be resumed (run it again)"
            )

    @property
    def rows_written(self) -> int:
        """Number of rows appended so far (those of a resumed run included)."""
        return self._seq

    def tick(self) -> None:
        """Commit buffered rows if the oldest is ``commit_s`` old (for idle live twins)."""
        if self._rows and time.monotonic() - self._last_commit >= self._commit_s:
            self.flush()

    def flush(self) -> None:
        """Write buffered rows and commit."""
        with self._lock:
            if self._rows:
                self._db.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows
                )
                self._rows.clear()
            self._db.commit()
        self._last_commit = time.monotonic()

    def mark_complete(self, reached_s: float) -> None:
        """Commit everything and record that the run ended cleanly at ``reached_s`` (s)."""
        if self.resuming:
            raise JournalError(
                f"{self.path}: the run ended after {self._seq} rows but the journal holds "
                f"{self._existing}; the re-execution does not match it"
            )
        self.flush()
        self.set_meta(**{_COMPLETE: json.dumps({"time": reached_s, "rows": self._seq})})

    def mark_failed(self, error: str) -> None:
        """Commit everything and record the error that stopped the run."""
        self.flush()
        self.set_meta(**{_FAILED: error})

    def rows(self) -> Iterator[JournalRow]:
        """Read back every row written so far (flushes first)."""
        self.flush()
        return _iter_rows(self._db)

    def meta(self) -> dict[str, str]:
        """Return the metadata stored with :meth:`set_meta`."""
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        with self._lock:
            self._db.close()


def _show(row: _Row) -> str:
    _, t, kind, entity, type_, sender, *_ = row
    if kind == "message":
        return f"{type_} from {sender} to {entity} at t={t!r}"
    return f"{type_} state of {entity} at t={t!r}"


def _iter_rows(db: sqlite3.Connection) -> Iterator[JournalRow]:
    unpack = msgpack.unpackb
    cur = db.execute("SELECT * FROM events ORDER BY seq")
    while True:
        chunk = cur.fetchmany(10_000)
        if not chunk:
            return
        for seq, time_, kind, entity, type_, sender, sseq, prio, body in chunk:
            yield JournalRow(
                seq, time_, kind, entity, type_, sender, sseq, prio, unpack(body, raw=False)
            )


class JournalReader:
    """An existing journal, read-only: ``with JournalReader(path) as j: j.rows()``."""

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        if not p.is_file():
            raise JournalError(f"journal {p} does not exist")
        try:
            self._db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            self._db.execute("SELECT count(*) FROM events").fetchone()
            self._db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{p} is not a logitwin journal: {exc}") from None
        self.path = p

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def meta(self) -> dict[str, str]:
        """The run metadata."""
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def rows(self) -> Iterator[JournalRow]:
        """Every row in sequence order."""
        return _iter_rows(self._db)

    def status(self) -> JournalStatus:
        """Whether the run finished and how far it got."""
        meta = self.meta()
        try:
            horizon = float(meta.get("horizon_s", "nan"))
        except ValueError:
            horizon = math.nan
        n, last = self._db.execute("SELECT count(*), max(time) FROM events").fetchone()
        done = meta.get(_COMPLETE)
        if done is not None:
            return JournalStatus(True, float(json.loads(done)["time"]), horizon, n, None)
        return JournalStatus(False, float(last or 0.0), horizon, n, meta.get(_FAILED))

    def fingerprint(self) -> str:
        """SHA-256 over every row's columns: equal fingerprints mean identical journals."""
        h = hashlib.sha256()
        for row in self._db.execute("SELECT * FROM events ORDER BY seq"):
            h.update(repr(row).encode())
        return h.hexdigest()


def read_status(path: str | Path) -> JournalStatus:
    """:meth:`JournalReader.status` of the journal at ``path``."""
    with JournalReader(path) as j:
        return j.status()
