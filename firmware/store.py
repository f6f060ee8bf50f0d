"""The data store: call log, voicemail index, presence, security events and small settings, in SQLite.

What it is: :class:`Store` over one SQLite file (WAL journal, ``synchronous=FULL``, foreign keys on, a
``schema_version`` table and forward migrations applied on open). One connection serves the engine's loop
thread, guarded by a lock so any thread may use it; :meth:`Store.reader` gives a per-thread read-only
connection for a reader in another thread. Times are stored as UNIX seconds (UTC) and returned as ISO 8601
UTC strings (``2026-01-05T09:00:00Z``). :meth:`Store.end_interrupted_calls` closes the call-log rows a crash
left open (call it on start, before the lines come up).

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

log = logging.getLogger(__name__)

DIRECTIONS = ("in", "out", "internal")
DISPOSITIONS = ("answered", "voicemail", "abandoned", "missed", "busy", "no_answer", "failed", "rejected",
                "interrupted")
FOLDERS = ("new", "saved")
PRESENCE_STATES = ("available", "away", "busy", "lunch", "out", "dnd")

_MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        ref TEXT UNIQUE,
        started_at REAL NOT NULL,
        answered_at REAL,
        ended_at REAL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'internal')),
        line TEXT, extension TEXT, caller_number TEXT, caller_name TEXT, dialled TEXT,
        disposition TEXT CHECK (disposition IS NULL OR disposition IN
            ('answered', 'voicemail', 'abandoned', 'missed', 'busy', 'no_answer', 'failed', 'rejected',
             'interrupted')),
        ended_reason TEXT,
        detail TEXT
    );
    CREATE INDEX calls_started ON calls (started_at);
    CREATE INDEX calls_open ON calls (ended_at) WHERE ended_at IS NULL;
    CREATE INDEX calls_extension ON calls (extension, started_at);
    CREATE INDEX calls_line ON calls (line, started_at);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        mailbox TEXT NOT NULL,
        folder TEXT NOT NULL DEFAULT 'new' CHECK (folder IN ('new', 'saved')),
        caller_number TEXT, caller_name TEXT,
        received_at REAL NOT NULL,
        duration_s REAL NOT NULL CHECK (duration_s >= 0),
        path TEXT NOT NULL UNIQUE,
        heard INTEGER NOT NULL DEFAULT 0 CHECK (heard IN (0, 1)),
        call_id INTEGER REFERENCES calls (id) ON DELETE SET NULL
    );
    CREATE INDEX messages_mailbox ON messages (mailbox, folder, received_at);
    CREATE TABLE security_events (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        mailbox TEXT, caller TEXT, detail TEXT
    );
    CREATE INDEX security_kind ON security_events (kind, mailbox, at);
    CREATE TABLE presence (
        extension TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('available', 'away', 'busy', 'lunch', 'out', 'dnd')),
        note TEXT, until REAL, updated_at REAL NOT NULL
    );
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)

Stamp = datetime | float | int | str | None


def iso(t: float | None) -> str | None:
    """UNIX seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` (fractions kept to the millisecond when present)."""
    if t is None:
        return None
    dt = datetime.fromtimestamp(t, timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond // 1000:03d}"
    return text + "Z"


def to_epoch(t: Stamp) -> float | None:
    """Accepts a timezone-aware datetime, UNIX seconds, or an ISO 8601 string (``Z`` or an offset; a bare
    date means its midnight UTC)."""
    if t is None:
        return None
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return float(t)
    if isinstance(t, str):
        try:
            t = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise StorageError(f"not a date or time: {t!r} (use ISO 8601, e.g. 2026-01-05T09:00:00Z)") from None
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return t.timestamp()
    raise StorageError(f"not a date or time: {t!r}")


class Store:
    """The Switchboard database. ``path`` may be ``":memory:"`` for tests."""

    def __init__(self, path: str | os.PathLike[str], *, wall: Callable[[], datetime] | None = None) -> None:
        self.path = str(path)
        self._wall = wall
        self._lock = threading.RLock()
        self._local = threading.local()
        self._closed = False
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc

    @classmethod
    def for_clock(cls, path: str | os.PathLike[str], clock: Any) -> "Store":
        """A store whose default timestamps come from the injected clock's ``wall()``."""
        return cls(path, wall=clock.wall)

    def _connect(self, readonly: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
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
                for statement in _statements(_MIGRATIONS[version]):
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
        yield db

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    # ------------------------------------------------------------------ call log
    def call_started(self, ref: str, direction: str, *, line: str | None = None, extension: str | None = None,
                     caller_number: str | None = None, caller_name: str | None = None,
                     dialled: str | None = None, at: Stamp = None) -> int:
        """Open a call-log row for call ``ref`` (the engine's call id); returns the row id."""
        _check(direction, DIRECTIONS, "direction")
        cur = self._execute(
            "INSERT INTO calls (ref, started_at, direction, line, extension, caller_number, caller_name, dialled)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (ref, self._at(at), direction, line, extension, caller_number, caller_name, dialled))
        return int(cur.lastrowid)

    def call_update(self, ref: str, **fields: Any) -> None:
        """Change fields of an open call: extension, line, caller_number, caller_name, dialled, detail."""
        allowed = {"extension", "line", "caller_number", "caller_name", "dialled", "detail"}
        bad = set(fields) - allowed
        if bad:
            raise StorageError(f"cannot update call fields {sorted(bad)}")
        if "detail" in fields and not isinstance(fields["detail"], (str, type(None))):
            fields["detail"] = json.dumps(fields["detail"])
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        if sets:
            self._execute(f"UPDATE calls SET {sets} WHERE ref = :ref", {**fields, "ref": ref})

    def call_answered(self, ref: str, *, extension: str | None = None, at: Stamp = None) -> None:
        self._execute("UPDATE calls SET answered_at = COALESCE(answered_at, ?), extension = COALESCE(?, extension)"
                      " WHERE ref = ?", (self._at(at), extension, ref))

    def call_ended(self, ref: str, disposition: str, *, reason: str | None = None, at: Stamp = None,
                   extension: str | None = None) -> None:
        _check(disposition, DISPOSITIONS, "disposition")
        self._execute("UPDATE calls SET ended_at = ?, disposition = ?, ended_reason = ?, "
                      "extension = COALESCE(?, extension) WHERE ref = ? AND ended_at IS NULL",
                      (self._at(at), disposition, reason, extension, ref))

    def log_call(self, record: dict[str, Any]) -> int:
        """Record a finished call in one step (the engine's end-of-call record).

        Keys: ``call`` (ref), ``started`` (UNIX s), ``seconds``, ``direction``, ``port``, ``caller_number``,
        ``caller_name``, ``legs`` ([{port, direction, extension, end}]); optional ``line``, ``extension``,
        ``dialled``, ``answered`` (UNIX s), ``disposition``, ``ended_reason``. A row opened by
        :meth:`call_started` with the same ref is completed instead of duplicated.
        """
        ref = str(record["call"])
        started = float(record.get("started") or self.now())
        ended = started + float(record.get("seconds") or 0)
        legs = record.get("legs") or []
        extension = record.get("extension") or next((lg.get("extension") for lg in legs if lg.get("extension")),
                                                    None)
        port = record.get("port")
        line = record.get("line") or (port if port and not str(port).startswith("fxs") else None)
        disposition = record.get("disposition") or ("answered" if len(legs) > 1 else "abandoned")
        _check(disposition, DISPOSITIONS, "disposition")
        detail = json.dumps({"legs": legs}) if legs else None
        with self._lock:
            row = self._one("SELECT id FROM calls WHERE ref = ?", (ref,))
            if row is None:
                direction = record.get("direction") or "in"
                _check(direction, DIRECTIONS, "direction")
                self.call_started(ref, direction, line=line, extension=extension, at=started,
                                  caller_number=record.get("caller_number"), caller_name=record.get("caller_name"),
                                  dialled=record.get("dialled"))
            if record.get("answered") is not None:
                self.call_answered(ref, at=record["answered"])
            self.call_update(ref, detail=detail)
            self.call_ended(ref, disposition, reason=record.get("ended_reason"), at=ended, extension=extension)
            return int(self._one("SELECT id FROM calls WHERE ref = ?", (ref,))[0])

    def end_interrupted_calls(self, reason: str = "restart", at: Stamp = None) -> int:
        """Close every call row left open (by a crash or power cut); returns how many. Call it on start."""
        cur = self._execute("UPDATE calls SET ended_at = ?, ended_reason = ?, disposition = COALESCE(disposition,"
                            " 'interrupted') WHERE ended_at IS NULL", (self._at(at), reason))
        if cur.rowcount:
            log.warning("closed %d call-log rows left open by an unclean stop", cur.rowcount)
        return cur.rowcount

    def open_calls(self) -> list[dict[str, Any]]:
        return [_call_row(r) for r in self._all("SELECT * FROM calls WHERE ended_at IS NULL ORDER BY started_at")]

    def query_calls(self, *, start: Stamp = None, end: Stamp = None, line: str | None = None,
                    extension: str | None = None, caller: str | None = None, direction: str | None = None,
                    disposition: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """Call-log rows, newest first, and the total that match. ``caller`` matches number or name (part of)."""
        where, params = [], []
        for column, value, op in (("started_at", to_epoch(start), ">="), ("started_at", to_epoch(end), "<"),
                                  ("line", line, "="), ("extension", extension, "="),
                                  ("direction", direction, "="), ("disposition", disposition, "=")):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        if caller:
            where.append("(caller_number LIKE ? ESCAPE '\\' OR caller_name LIKE ? ESCAPE '\\')")
            pattern = "%" + caller.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        total = self._one(f"SELECT COUNT(*) FROM calls{clause}", params)[0]
        rows = self._all(f"SELECT * FROM calls{clause} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
                         params + [_bounded(limit, 1, 500), max(0, int(offset))])
        return [_call_row(r) for r in rows], int(total)

    # ------------------------------------------------------------------ voicemail index
    def add_message(self, mailbox: str, path: str | os.PathLike[str], *, duration_s: float,
                    caller_number: str | None = None, caller_name: str | None = None,
                    received_at: Stamp = None, call_id: int | None = None) -> int:
        """Index a complete message file (already renamed into place); returns the message id."""
        cur = self._execute(
            "INSERT INTO messages (mailbox, caller_number, caller_name, received_at, duration_s, path, call_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(mailbox), caller_number, caller_name, self._at(received_at), float(duration_s), str(path), call_id))
        return int(cur.lastrowid)

    def message(self, message_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM messages WHERE id = ?", (int(message_id),))
        return _message_row(row) if row else None

    def messages(self, mailbox: str | None = None, *, folder: str | None = None, heard: bool | None = None,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Messages, newest first."""
        where, params = [], []
        for column, value in (("mailbox", mailbox), ("folder", folder),
                              ("heard", None if heard is None else int(bool(heard)))):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._all(f"SELECT * FROM messages{clause} ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?",
                         params + [_bounded(limit, 1, 1000), max(0, int(offset))])
        return [_message_row(r) for r in rows]

    def mark_message(self, message_id: int, *, heard: bool | None = None, folder: str | None = None) -> bool:
        """Mark heard/unheard and/or move between folders; returns False when there is no such message."""
        if folder is not None:
            _check(folder, FOLDERS, "folder")
        cur = self._execute("UPDATE messages SET heard = COALESCE(?, heard), folder = COALESCE(?, folder) "
                            "WHERE id = ?", (None if heard is None else int(bool(heard)), folder, int(message_id)))
        return cur.rowcount > 0

    def delete_message(self, message_id: int) -> bool:
        """Remove a message's row and its audio file; returns False when there is no such message."""
        with self._lock:
            row = self.message(message_id)
            if row is None:
                return False
            self._execute("DELETE FROM messages WHERE id = ?", (int(message_id),))
        try:
            os.unlink(row["path"])
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("message %s deleted from the index but its file stays: %s", message_id, exc)
        return True

    def mwi_counts(self) -> dict[str, dict[str, int]]:
        """Per mailbox: ``new`` (unheard messages in the new folder) and ``saved`` counts."""
        out: dict[str, dict[str, int]] = {}
        for row in self._all("SELECT mailbox, SUM(folder = 'new' AND heard = 0), SUM(folder = 'saved'), COUNT(*)"
                             " FROM messages GROUP BY mailbox"):
            out[row[0]] = {"new": int(row[1] or 0), "saved": int(row[2] or 0), "total": int(row[3])}
        return out

    def missing_message_files(self) -> list[dict[str, Any]]:
        """Indexed messages whose audio file is gone (for a repair on start)."""
        return [m for m in (_message_row(r) for r in self._all("SELECT * FROM messages"))
                if not os.path.exists(m["path"])]

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
        where, params = [], []
        for column, value, op in (("kind", kind, "="), ("mailbox", mailbox, "="), ("at", to_epoch(since), ">=")):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._all(f"SELECT * FROM security_events{clause} ORDER BY at DESC, id DESC LIMIT ?",
                         params + [_bounded(limit, 1, 1000)])
        return [{**dict(r), "at": iso(r["at"])} for r in rows]

    def count_security(self, kind: str, *, mailbox: str | None = None, since: Stamp = None) -> int:
        """How many ``kind`` events (for ``mailbox``) since a time: the PIN-lockout counter."""
        row = self._one("SELECT COUNT(*) FROM security_events WHERE kind = ? AND (? IS NULL OR mailbox = ?)"
                        " AND at >= ?", (kind, mailbox, mailbox, to_epoch(since) or 0.0))
        return int(row[0])

    # ------------------------------------------------------------------ presence
    def set_presence(self, extension: str, state: str, *, note: str | None = None, until: Stamp = None) -> None:
        _check(state, PRESENCE_STATES, "presence state")
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

    # ------------------------------------------------------------------ small settings
    def get(self, key: str, default: Any = None) -> Any:
        row = self._one("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self._execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                      "value = excluded.value, updated_at = excluded.updated_at", (key, json.dumps(value), self.now()))

    def delete(self, key: str) -> None:
        self._execute("DELETE FROM kv WHERE key = ?", (key,))


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise StorageError(f"{what} must be one of {', '.join(allowed)} (got {value!r})")


def _bounded(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(value)))


def _call_row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    for key in ("started_at", "answered_at", "ended_at"):
        d[key] = iso(d[key])
    d["detail"] = json.loads(d["detail"]) if d["detail"] else None
    start, end = r["started_at"], r["ended_at"]
    d["duration_s"] = round(end - start, 2) if end is not None else None
    d["talk_s"] = round(end - r["answered_at"], 2) if end is not None and r["answered_at"] is not None else None
    return d


def _message_row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["received_at"] = iso(d["received_at"])
    d["heard"] = bool(d["heard"])
    return d
