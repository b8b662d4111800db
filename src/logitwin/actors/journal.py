"""The event journal: every delivered message and every entity state change, in SQLite (WAL).

One table, ``events``, holds both kinds of row in delivery order. A ``message`` row keeps
the delivery key (time, priority, sender, sender's sequence), the receiver, the message type
and its msgpack body; a ``state`` row keeps the entity id, its kind and the msgpack map of
the fields that changed. ``meta`` holds the resolved scenario and the seed. Nothing in a row
depends on wall-clock time, so the same scenario and seed give the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from logitwin.errors import JournalError

__all__ = ["Journal", "JournalReader", "JournalRow"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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


class Journal:
    """Append-only writer; rows are buffered and written in batches.

    Args:
        path: SQLite file to create (an existing file is an error, so runs never mix),
            or ``None`` for an in-memory journal (tests, throwaway runs).
        batch: rows buffered before a write.
    """

    def __init__(self, path: str | Path | None, batch: int = 20_000) -> None:
        if path is not None and Path(path).exists():
            raise JournalError(f"journal {path} already exists; pick a new output folder")
        self.path = Path(path) if path is not None else None
        self._db = sqlite3.connect(":memory:" if path is None else str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._rows: list[tuple[Any, ...]] = []
        self._batch = batch
        self._seq = 0
        self._pack = msgpack.Packer(use_bin_type=True).pack

    def set_meta(self, **values: str) -> None:
        """Store run metadata (resolved scenario, seed, version)."""
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(values.items()))
        self._db.commit()

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
        self._rows.append(
            (self._seq, time, "message", receiver, type_name, sender, sender_seq, priority,
             self._pack(fields))
        )  # fmt: skip
        if len(self._rows) >= self._batch:
            self.flush()

    def state(self, time: float, entity: str, kind: str, fields: dict[str, Any]) -> None:
        """Append a state change of ``entity`` (only the fields that changed)."""
        self._seq += 1
        self._rows.append(
            (self._seq, time, "state", entity, kind, None, None, None, self._pack(fields))
        )
        if len(self._rows) >= self._batch:
            self.flush()

    @property
    def rows_written(self) -> int:
        """Number of rows appended so far."""
        return self._seq

    def flush(self) -> None:
        """Write buffered rows and commit."""
        if self._rows:
            self._db.executemany(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows
            )
            self._rows.clear()
        self._db.commit()

    def rows(self) -> Iterator[JournalRow]:
        """Read back every row written so far (flushes first)."""
        self.flush()
        return _iter_rows(self._db)

    def meta(self) -> dict[str, str]:
        """Return the metadata stored with :meth:`set_meta`."""
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        self._db.close()


def _iter_rows(db: sqlite3.Connection) -> Iterator[JournalRow]:
    unpack = msgpack.unpackb
    cur = db.execute("SELECT * FROM events ORDER BY seq")
    while True:
        chunk = cur.fetchmany(10_000)
        if not chunk:
            return
        for seq, time, kind, entity, type_, sender, sseq, prio, body in chunk:
            yield JournalRow(
                seq, time, kind, entity, type_, sender, sseq, prio, unpack(body, raw=False)
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

    def fingerprint(self) -> str:
        """SHA-256 over every row's columns: equal fingerprints mean identical journals."""
        import hashlib

        h = hashlib.sha256()
        for row in self._db.execute("SELECT * FROM events ORDER BY seq"):
            h.update(repr(row).encode())
        return h.hexdigest()
