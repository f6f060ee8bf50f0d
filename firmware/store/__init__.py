"""The data store: call log, voicemail index, presence, security events and small settings, in SQLite.

What it is: :class:`Store` over one SQLite file (WAL journal, ``synchronous=FULL``, foreign keys on, a
``schema_version`` table and forward migrations applied on open). One connection serves the engine's loop
thread, guarded by a lock so any thread may use it; :meth:`Store.reader` gives a per-thread read-only
connection for a reader in another thread. Times are stored as UNIX seconds (UTC) and returned as ISO 8601
UTC strings (``2026-01-05T09:00:00Z``). :meth:`Store.end_interrupted_calls` closes the call-log rows a crash
left open (call it on start, before the lines come up).

Writes the loop cannot wait for (call log, security events) go through ``store.later`` (``deferred.py``): queued
for the store's writer thread, in order. The package's parts: ``schema.py`` (the SQL and its migrations), ``calllog.py``, ``messages.py`` (voicemail
index), ``rows.py`` (time formats) and ``restore.py`` (swapping in a backup copy while running); this module holds the connection, presence, security events and ``kv``.

What it is not: the owner of audio files. The voicemail application writes each message under a temporary name
and renames it when complete, then indexes it here; deleting a message removes its row and its file.

Tables: ``calls`` (id, ref, started_at, answered_at, ended_at, direction in|out|internal, line, extension,
caller_number, caller_name, dialled, disposition, ended_reason, detail JSON), ``messages`` (id, mailbox,
folder new|saved, caller_number, caller_name, received_at, duration_s, path, heard, call_id), ``security_events``
(id, at, kind, mailbox, caller, detail), ``presence`` (extension, state, note, until, updated_at), ``kv``
(key, value JSON, updated_at).
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from drivers.errors import StorageError
from firmware.store.calllog import CallLog
from firmware.store.deferred import DeferredWrites
from firmware.store.messages import Messages
from firmware.store.rows import Stamp, bounded, check, filters, iso, statements, to_epoch, where_clause
from firmware.store.schema import DIRECTIONS, DISPOSITIONS, FOLDERS, MIGRATIONS, PRESENCE_STATES, SCHEMA_VERSION

__all__ = ["DIRECTIONS", "DISPOSITIONS", "FOLDERS", "PRESENCE_STATES", "SCHEMA_VERSION", "Store", "iso",
           "to_epoch"]

log = logging.getLogger(__name__)


class Store(CallLog, Messages):
    """The Switchboard database. ``path`` may be ``":memory:"`` for tests."""

    def __init__(self, path: str | os.PathLike[str], *, wall: Callable[[], datetime] | None = None) -> None:
        self.path = str(path)
        self._wall = wall
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self.later = DeferredWrites(self)   # store.later.log_call(...): written by the store's writer thread
        self._closed = False
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
        try:
            self._migrate()
        except (sqlite3.DatabaseError, StorageError) as exc:
            self._db.close()
            self._closed = True
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"cannot upgrade the database {self.path}: {exc}") from exc

    @classmethod
    def for_clock(cls, path: str | os.PathLike[str], clock: Any) -> "Store":
        """A store whose default timestamps come from the injected clock's ``wall()``."""
        return cls(path, wall=clock.wall)

    def _connect(self, readonly: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
        try:
            db.row_factory = sqlite3.Row
            if self.path != ":memory:" and not readonly:
                mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StorageError(f"{self.path}: cannot switch to WAL journal (got {mode})")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            if readonly:
                db.execute("PRAGMA query_only=ON")
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if current > SCHEMA_VERSION:
                raise StorageError(f"{self.path} was written by a newer Switchboard (schema {current}, "
                                   f"this build knows {SCHEMA_VERSION}); upgrade the firmware")
            for version in range(current, SCHEMA_VERSION):
                for statement in statements(MIGRATIONS[version]):
                    db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            else:
                db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    @property
    def schema_version(self) -> int:
        return self._one("SELECT version FROM schema_version")[0]

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StorageError("the store is closed")
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")

    def _execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        try:
            with self._tx() as db:
                return db.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise StorageError(f"refused by the database: {exc}") from exc
        except sqlite3.OperationalError as exc:
            raise StorageError(f"database error: {exc}") from exc

    def _all(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            if self._closed:
                raise StorageError("the store is closed")
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def now(self) -> float:
        """Current wall time (UNIX seconds) from the injected clock, else the system's."""
        return (self._wall() if self._wall else datetime.now(timezone.utc)).timestamp()

    def _at(self, t: Stamp) -> float:
        value = to_epoch(t)
        return self.now() if value is None else value

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for the calling thread (the loop's own connection for ``:memory:``)."""
        if self.path == ":memory:":
            with self._lock:
                yield self._db
            return
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect(readonly=True)
            with self._lock:
                self._readers.append(db)
        yield db

    def close(self) -> None:
        """Finish deferred writes, then close the loop's connection and every reader connection."""
        self.later.stop()
        with self._lock:
            if not self._closed:
                self._closed = True
                for db in self._readers:
                    db.close()
                self._db.close()

    # ------------------------------------------------------------------ security events
    def log_security(self, kind: str, *, mailbox: str | None = None, caller: str | None = None,
                     detail: str | dict | None = None, at: Stamp = None) -> int:
        if isinstance(detail, dict):
            detail = json.dumps(detail)
        cur = self._execute("INSERT INTO security_events (at, kind, mailbox, caller, detail) VALUES (?, ?, ?, ?, ?)",
                            (self._at(at), kind, mailbox, caller, detail))
        return int(cur.lastrowid)

    def security_events(self, *, kind: str | None = None, mailbox: str | None = None, since: Stamp = None,
                        limit: int = 100) -> list[dict[str, Any]]:
        where, params = filters(("kind", kind, "="), ("mailbox", mailbox, "="), ("at", to_epoch(since), ">="))
        clause = where_clause(where)
        rows = self._all(f"SELECT * FROM security_events{clause} ORDER BY at DESC, id DESC LIMIT ?",
                         params + [bounded(limit, 1, 1000)])
        return [{**dict(r), "at": iso(r["at"])} for r in rows]

    def prune(self, *, calls_before: Stamp = None, security_before: Stamp = None) -> dict[str, int]:
        """Delete finished calls and security events older than the given times (housekeeping); returns counts.
        Messages keep their call: the link is cleared, not the message."""
        out = {"calls": 0, "security_events": 0}
        if calls_before is not None:
            out["calls"] = self._execute("DELETE FROM calls WHERE ended_at IS NOT NULL AND started_at < ?",
                                         (to_epoch(calls_before),)).rowcount
        if security_before is not None:
            out["security_events"] = self._execute("DELETE FROM security_events WHERE at < ?",
                                                   (to_epoch(security_before),)).rowcount
        return out

    def count_security(self, kind: str, *, mailbox: str | None = None, since: Stamp = None) -> int:
        """How many ``kind`` events (for ``mailbox``) since a time: the PIN-lockout counter."""
        row = self._one("SELECT COUNT(*) FROM security_events WHERE kind = ? AND (? IS NULL OR mailbox = ?)"
                        " AND at >= ?", (kind, mailbox, mailbox, to_epoch(since) or 0.0))
        return int(row[0])

    # ------------------------------------------------------------------ presence
    def set_presence(self, extension: str, state: str, *, note: str | None = None, until: Stamp = None) -> None:
        check(state, PRESENCE_STATES, "presence state")
        self._execute("INSERT INTO presence (extension, state, note, until, updated_at) VALUES (?, ?, ?, ?, ?) "
                      "ON CONFLICT (extension) DO UPDATE SET state = excluded.state, note = excluded.note, "
                      "until = excluded.until, updated_at = excluded.updated_at",
                      (str(extension), state, note, to_epoch(until), self.now()))

    def presence(self) -> dict[str, dict[str, Any]]:
        """Presence by extension; an entry whose ``until`` has passed reads as available."""
        now = self.now()
        out = {}
        for r in self._all("SELECT * FROM presence"):
            expired = r["until"] is not None and r["until"] <= now
            out[r["extension"]] = {"state": "available" if expired else r["state"],
                                   "note": None if expired else r["note"],
                                   "until": None if expired else iso(r["until"]), "updated_at": iso(r["updated_at"])}
        return out

    def clear_presence(self, extension: str) -> None:
        self._execute("DELETE FROM presence WHERE extension = ?", (str(extension),))

    def restore_from(self, path: str | os.PathLike[str]) -> int:
        """Replace the whole database with a backup copy placed in the store's directory (see ``restore.py``)."""
        from firmware.store.restore import restore_into

        version = restore_into(self, path)
        log.warning("database restored from %s (schema %d, migrated to %d)", path, version, SCHEMA_VERSION)
        return version

    # ------------------------------------------------------------------ small settings
    def get(self, key: str, default: Any = None) -> Any:
        row = self._one("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self._execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                      "value = excluded.value, updated_at = excluded.updated_at", (key, json.dumps(value), self.now()))

    def delete(self, key: str) -> None:
        self._execute("DELETE FROM kv WHERE key = ?", (key,))


