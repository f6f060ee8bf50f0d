"""The data store's SQL schema: one migration script per version, applied in order on open.

What it is: :data:`MIGRATIONS` (index 0 brings an empty database to version 1, …) and the allowed values the
tables check. To change the schema, append a script (never edit a released one) and test it on a copy of a
database of the previous version.
"""
from __future__ import annotations

DIRECTIONS = ("in", "out", "internal")
DISPOSITIONS = ("answered", "voicemail", "abandoned", "missed", "busy", "no_answer", "failed", "rejected",
                "interrupted")
FOLDERS = ("new", "saved")
PRESENCE_STATES = ("available", "away", "busy", "lunch", "out", "dnd")

MIGRATIONS: list[str] = [
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
SCHEMA_VERSION = len(MIGRATIONS)

