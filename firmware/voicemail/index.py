"""The voicemail index in SQLite: one row per message, plus the PIN-failure state per mailbox.

What it is: :class:`MessageIndex` over a ``sqlite3.Connection`` (the store's database: WAL,
synchronous=FULL). Table ``messages`` — ``id``, ``mailbox``, ``folder`` (``new``/``saved``), ``path`` (audio
file, relative to the voicemail folder), ``caller_number``, ``caller_name``, ``received`` (UTC ISO-8601),
``seconds``, ``partial`` (1 when the disk filled mid-recording) — and ``pin_state`` (``mailbox``,
``failures``, ``lockouts``, ``locked_until``) and ``mailbox_pins`` (a PIN changed by phone, hashed). Tables are created if the store has not made them.
Security events go to the store's ``security_events`` table through :meth:`MessageIndex.security_event`.

What it is not: the audio files (``firmware.voicemail.mailbox``) or policy (PIN rules, lockout).
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox TEXT NOT NULL,
    folder TEXT NOT NULL DEFAULT 'new',
    path TEXT NOT NULL,
    caller_number TEXT,
    caller_name TEXT,
    received TEXT NOT NULL,
    seconds REAL NOT NULL,
    partial INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_mailbox ON messages (mailbox, folder, received);
CREATE TABLE IF NOT EXISTS pin_state (
    mailbox TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    lockouts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS mailbox_pins (
    mailbox TEXT PRIMARY KEY,
    pin_hash TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    t TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT,
    source TEXT,
    detail TEXT
);
"""


@dataclass(frozen=True)
class Message:
    """One voicemail message as the index knows it."""

    id: int
    mailbox: str
    folder: str
    path: str
    caller_number: str | None
    caller_name: str | None
    received: datetime
    seconds: float
    partial: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "mailbox": self.mailbox, "folder": self.folder, "path": self.path,
                "caller_number": self.caller_number, "caller_name": self.caller_name,
                "received": self.received.isoformat(), "seconds": round(self.seconds, 2),
                "partial": self.partial}


class MessageIndex:
    """Messages and PIN state in SQLite (thread-safe: one lock around the connection)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()
        with self._lock, self.conn:
            self.conn.executescript(_SCHEMA)
            cols = {row[1] for row in self.conn.execute("PRAGMA table_info(security_events)")}
        self._event_cols = cols

    @classmethod
    def open(cls, path: str) -> "MessageIndex":
        """A database file of its own (tests, tools); the daemon passes the store's connection."""
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return cls(conn)

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            with self.conn:
                cur = self.conn.execute(sql, args)
            return int(cur.lastrowid or 0)

    # ----- messages -----
    def add(self, mailbox: str, path: str, caller_number: str | None, caller_name: str | None,
            received: datetime, seconds: float, partial: bool = False) -> int:
        return self._write(
            "INSERT INTO messages (mailbox, folder, path, caller_number, caller_name, received, seconds, partial)"
            " VALUES (?, 'new', ?, ?, ?, ?, ?, ?)",
            (mailbox, path, caller_number, caller_name, received.isoformat(), float(seconds), int(partial)))

    def messages(self, mailbox: str, folder: str | None = None) -> list[Message]:
        """Oldest first, as a caller hears them."""
        sql = ("SELECT id, mailbox, folder, path, caller_number, caller_name, received, seconds, partial"
               " FROM messages WHERE mailbox = ?")
        args: tuple = (mailbox,)
        if folder is not None:
            sql += " AND folder = ?"
            args += (folder,)
        rows = self._rows(sql + " ORDER BY received, id", args)
        return [Message(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]), r[7], bool(r[8]))
                for r in rows]

    def get(self, message_id: int) -> Message | None:
        rows = self._rows("SELECT mailbox FROM messages WHERE id = ?", (message_id,))
        if not rows:
            return None
        return next((m for m in self.messages(rows[0][0]) if m.id == message_id), None)

    def counts(self, mailbox: str) -> dict[str, int]:
        rows = self._rows("SELECT folder, COUNT(*) FROM messages WHERE mailbox = ? GROUP BY folder", (mailbox,))
        out = {"new": 0, "saved": 0}
        out.update({folder: n for folder, n in rows})
        return out

    def move(self, message_id: int, folder: str) -> None:
        self._write("UPDATE messages SET folder = ? WHERE id = ?", (folder, message_id))

    def remove(self, message_id: int) -> None:
        self._write("DELETE FROM messages WHERE id = ?", (message_id,))

    def paths(self) -> Iterator[str]:
        for (path,) in self._rows("SELECT path FROM messages"):
            yield path

    # ----- PIN state -----
    def pin_state(self, mailbox: str) -> tuple[int, int, datetime | None]:
        rows = self._rows("SELECT failures, lockouts, locked_until FROM pin_state WHERE mailbox = ?", (mailbox,))
        if not rows:
            return 0, 0, None
        failures, lockouts, until = rows[0]
        return failures, lockouts, datetime.fromisoformat(until) if until else None

    def set_pin_state(self, mailbox: str, failures: int, lockouts: int, locked_until: datetime | None) -> None:
        self._write(
            "INSERT INTO pin_state (mailbox, failures, lockouts, locked_until) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(mailbox) DO UPDATE SET failures = excluded.failures, lockouts = excluded.lockouts,"
            " locked_until = excluded.locked_until",
            (mailbox, failures, lockouts, locked_until.isoformat() if locked_until else None))

    def pin_hash(self, mailbox: str) -> str | None:
        rows = self._rows("SELECT pin_hash FROM mailbox_pins WHERE mailbox = ?", (mailbox,))
        return rows[0][0] if rows else None

    def set_pin_hash(self, mailbox: str, pin_hash: str, changed: datetime) -> None:
        self._write("INSERT INTO mailbox_pins (mailbox, pin_hash, changed) VALUES (?, ?, ?) ON CONFLICT(mailbox)"
                    " DO UPDATE SET pin_hash = excluded.pin_hash, changed = excluded.changed",
                    (mailbox, pin_hash, changed.isoformat()))

    # ----- security events -----
    def security_event(self, t: datetime, kind: str, subject: str, source: str | None, detail: str) -> None:
        values = {"t": t.isoformat(), "kind": kind, "subject": subject, "source": source, "detail": detail}
        cols = [c for c in values if c in self._event_cols]
        self._write(f"INSERT INTO security_events ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    tuple(values[c] for c in cols))

    def security_events(self, subject: str | None = None) -> list[dict[str, Any]]:
        cols = [c for c in ("t", "kind", "subject", "source", "detail") if c in self._event_cols]
        sql = f"SELECT {', '.join(cols)} FROM security_events"
        rows = self._rows(sql + (" WHERE subject = ?" if subject else "") + " ORDER BY id",
                          (subject,) if subject else ())
        return [dict(zip(cols, r)) for r in rows]
