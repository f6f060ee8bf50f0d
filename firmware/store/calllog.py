"""The call log: one row per call, opened when it starts and closed when it ends.

What it is: :class:`CallLog`, the call-log part of :class:`firmware.store.Store` (see there for the table).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from drivers.errors import StorageError
from firmware.store.rows import Stamp, bounded, call_row, check, filters, to_epoch, where_clause
from firmware.store.schema import DIRECTIONS, DISPOSITIONS

log = logging.getLogger("firmware.store")


class CallLog:
    """Call-log methods; mixed into :class:`firmware.store.Store`, which provides the database plumbing."""

    def call_started(self, ref: str, direction: str, *, line: str | None = None, extension: str | None = None,
                     caller_number: str | None = None, caller_name: str | None = None,
                     dialled: str | None = None, at: Stamp = None) -> int:
        """Open a call-log row for call ``ref`` (the engine's call id); returns the row id."""
        check(direction, DIRECTIONS, "direction")
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
        check(disposition, DISPOSITIONS, "disposition")
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
        check(disposition, DISPOSITIONS, "disposition")
        detail = json.dumps({"legs": legs}) if legs else None
        with self._lock:
            row = self._one("SELECT id FROM calls WHERE ref = ?", (ref,))
            if row is None:
                direction = record.get("direction") or "in"
                check(direction, DIRECTIONS, "direction")
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
        return [call_row(r) for r in self._all("SELECT * FROM calls WHERE ended_at IS NULL ORDER BY started_at")]

    def query_calls(self, *, start: Stamp = None, end: Stamp = None, line: str | None = None,
                    extension: str | None = None, caller: str | None = None, direction: str | None = None,
                    disposition: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """Call-log rows, newest first, and the total that match. ``caller`` matches number or name (part of)."""
        where, params = filters(("started_at", to_epoch(start), ">="), ("started_at", to_epoch(end), "<"),
                                ("line", line, "="), ("extension", extension, "="),
                                ("direction", direction, "="), ("disposition", disposition, "="))
        if caller:
            where.append("(caller_number LIKE ? ESCAPE '\\' OR caller_name LIKE ? ESCAPE '\\')")
            pattern = "%" + caller.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        clause = where_clause(where)
        total = self._one(f"SELECT COUNT(*) FROM calls{clause}", params)[0]
        rows = self._all(f"SELECT * FROM calls{clause} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
                         params + [bounded(limit, 1, 500), max(0, int(offset))])
        return [call_row(r) for r in rows], int(total)

