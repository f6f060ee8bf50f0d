"""Replacing the live database with a copy from a backup, without stopping the daemon.

What it is: :func:`check_copy` (is this file a Switchboard database this build can use: SQLite, passes
``integrity_check``, has the expected tables, a schema version not newer than ours) and :func:`restore_into`
(copies it over the live database with SQLite's online backup API under the store's lock, then migrates it
forward). Readers on other threads see the old data or the new, never a mix.

What it is not: the archive handling (the web UI unpacks backups) or the audio files (restored beside the
database by whoever restores the archive; the index refers to them by path).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from drivers.errors import StorageError
from firmware.store.schema import SCHEMA_VERSION

REQUIRED_TABLES = {"calls", "messages", "security_events", "presence", "kv", "schema_version"}


def check_copy(path: str | Path) -> int:
    """The schema version of a database copy; StorageError saying what is wrong when it cannot be used."""
    p = Path(path)
    if not p.is_file():
        raise StorageError(f"{p}: no such file")
    try:
        db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{p}: cannot open: {exc}") from exc
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise StorageError(f"{p}: the database is damaged ({ok})")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise StorageError(f"{p}: not a Switchboard database (no {', '.join(sorted(missing))} table)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{p}: not a usable database: {exc}") from exc
    finally:
        db.close()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StorageError(f"{p}: written by a newer Switchboard (schema {version}; this build knows "
                           f"{SCHEMA_VERSION}); update the firmware first")
    return version


def restore_into(store: Any, path: str | Path) -> int:
    """Replace ``store``'s content with the copy at ``path`` (which must lie in the store's own directory);
    returns the copy's schema version before migration. The live database is untouched if the copy is refused."""
    p = Path(path).resolve()
    if store.path != ":memory:":               # an in-memory store (tests, the fake) has no directory of its own
        home = Path(store.path).resolve().parent
        if home not in p.parents:
            raise StorageError(f"a database to restore must be placed under {home} (got {p})")
    version = check_copy(p)
    store.later.flush()
    source = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    try:
        with store._lock:
            if store._closed:
                raise StorageError("the store is closed")
            source.backup(store._db)
            store._migrate()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"restoring {p} failed: {exc}") from exc
    finally:
        source.close()
    return version
