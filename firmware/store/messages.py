"""The voicemail index: one row per message file, in a mailbox's new or saved folder.

What it is: :class:`Messages`, the voicemail part of :class:`firmware.store.Store`. The voicemail application
writes each message file (temporary name, then rename) and indexes it here; deleting removes row and file.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from firmware.store.rows import Stamp, bounded, check, filters, message_row, to_epoch, where_clause
from firmware.store.schema import FOLDERS

log = logging.getLogger("firmware.store")


class Messages:
    """Voicemail-index methods; mixed into :class:`firmware.store.Store`."""

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
        return message_row(row) if row else None

    def messages(self, mailbox: str | None = None, *, folder: str | None = None, heard: bool | None = None,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Messages, newest first."""
        where, params = filters(("mailbox", mailbox, "="), ("folder", folder, "="),
                                ("heard", None if heard is None else int(bool(heard)), "="))
        clause = where_clause(where)
        rows = self._all(f"SELECT * FROM messages{clause} ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?",
                         params + [bounded(limit, 1, 1000), max(0, int(offset))])
        return [message_row(r) for r in rows]

    def mark_message(self, message_id: int, *, heard: bool | None = None, folder: str | None = None) -> bool:
        """Mark heard/unheard and/or move between folders; returns False when there is no such message."""
        if folder is not None:
            check(folder, FOLDERS, "folder")
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

    def saved_messages_before(self, before: Stamp) -> list[dict[str, Any]]:
        """Messages in the saved folder received before a time (``voicemail.delete_saved_after_days``)."""
        rows = self._all("SELECT * FROM messages WHERE folder = 'saved' AND received_at < ? ORDER BY received_at",
                         (to_epoch(before),))
        return [message_row(r) for r in rows]

    def missing_message_files(self) -> list[dict[str, Any]]:
        """Indexed messages whose audio file is gone (for a repair on start)."""
        return [m for m in (message_row(r) for r in self._all("SELECT * FROM messages"))
                if not os.path.exists(m["path"])]

