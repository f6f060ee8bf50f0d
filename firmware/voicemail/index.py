"""The voicemail index: messages, PIN state and security events, kept in the data store.

What it is: :class:`MessageIndex`, the voicemail's view of :class:`firmware.store.Store` — messages (the
store's ``messages`` table: mailbox, folder ``new``/``saved``, caller, received time, duration, absolute
audio path), PIN-failure state and PINs changed by phone (the store's ``kv`` table, keys
``voicemail.pin_state.<mailbox>`` and ``voicemail.pin.<mailbox>``; a PIN is stored hashed), messages cut
short by a full disk (``voicemail.partial.<id>``) and security events (the store's ``security_events``).

What it is not: the audio files (``firmware.voicemail.mailbox`` writes them; deleting a message through the
store removes its row and file) or policy (PIN rules, lockout).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from firmware.store import Store


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


def _parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class MessageIndex:
    """Voicemail rows in the store; see the module docstring."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, path: str, clock: Any = None) -> "MessageIndex":
        """An index over a store file of its own (tests, tools); the daemon passes its store."""
        return cls(Store.for_clock(path, clock) if clock is not None else Store(path))

    def close(self) -> None:
        self.store.close()

    # ----- messages -----
    def _message(self, row: dict[str, Any]) -> Message:
        return Message(int(row["id"]), str(row["mailbox"]), str(row["folder"]), str(row["path"]),
                       row.get("caller_number"), row.get("caller_name"), _parse_time(row["received_at"]),
                       float(row["duration_s"]), bool(self.store.get(f"voicemail.partial.{row['id']}", False)))

    def add(self, mailbox: str, path: str, caller_number: str | None, caller_name: str | None,
            received: datetime, seconds: float, partial: bool = False) -> int:
        msg_id = self.store.add_message(mailbox, path, duration_s=seconds, caller_number=caller_number,
                                        caller_name=caller_name, received_at=received)
        if partial:
            self.store.put(f"voicemail.partial.{msg_id}", True)
        return msg_id

    def messages(self, mailbox: str, folder: str | None = None) -> list[Message]:
        """Oldest first, as a caller hears them."""
        rows = self.store.messages(mailbox, folder=folder, limit=1000)
        return [self._message(r) for r in reversed(rows)]

    def get(self, message_id: int) -> Message | None:
        row = self.store.message(message_id)
        return self._message(row) if row else None

    def counts(self, mailbox: str) -> dict[str, int]:
        """``new`` (unheard, in the new folder: what lights the lamp), ``saved`` and ``total``."""
        counts = self.store.mwi_counts().get(mailbox) or {}
        return {"new": int(counts.get("new", 0)), "saved": int(counts.get("saved", 0)),
                "total": int(counts.get("total", 0))}

    def move(self, message_id: int, folder: str) -> None:
        self.store.mark_message(message_id, folder=folder, heard=folder == "saved")

    def remove(self, message_id: int) -> None:
        """Delete the row and the audio file."""
        self.store.delete_message(message_id)
        self.store.delete(f"voicemail.partial.{message_id}")

    # ----- PIN state -----
    def pin_state(self, mailbox: str) -> tuple[int, int, datetime | None]:
        state = self.store.get(f"voicemail.pin_state.{mailbox}") or {}
        until = state.get("locked_until")
        return int(state.get("failures", 0)), int(state.get("lockouts", 0)), _parse_time(until) if until else None

    def set_pin_state(self, mailbox: str, failures: int, lockouts: int, locked_until: datetime | None) -> None:
        self.store.put(f"voicemail.pin_state.{mailbox}", {
            "failures": failures, "lockouts": lockouts,
            "locked_until": locked_until.isoformat() if locked_until else None})

    def pin_hash(self, mailbox: str) -> str | None:
        return self.store.get(f"voicemail.pin.{mailbox}")

    def set_pin_hash(self, mailbox: str, pin_hash: str, changed: datetime) -> None:
        self.store.put(f"voicemail.pin.{mailbox}", pin_hash)

    # ----- security events -----
    def security_event(self, t: datetime, kind: str, subject: str, source: str | None, detail: str) -> None:
        self.store.log_security(kind, mailbox=subject, caller=source, detail=detail, at=t)

    def security_events(self, subject: str | None = None) -> list[dict[str, Any]]:
        """Oldest first."""
        return list(reversed(self.store.security_events(mailbox=subject, limit=1000)))
