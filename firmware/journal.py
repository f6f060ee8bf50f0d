"""Logging for journald: structured fields when journald holds our output, ``key=value`` lines otherwise.

What it is: :func:`configure_logging` — log records go to journald with structured fields (``PORT``, ``CALL``,
``LEG``, ``LINE``, ``EXTENSION``, ``MAILBOX`` from ``logging``'s ``extra=``) through journald's native protocol
(datagrams to ``/run/systemd/journal/socket``, no library needed) when ``$JOURNAL_STREAM`` says journald holds
our output; else one ``key=value`` line per record on stderr (:class:`KeyValueFormatter`). :func:`bind` tags
everything a task logs (a call leg's task binds its port, call and leg). If the journal
socket refuses a record, that record goes to stderr instead. So ``journalctl -u switchboard PORT=fxo1`` shows one
line's story.

What it is not: a log store or a rotation policy (journald's job; the image keeps the journal in RAM).
"""
from __future__ import annotations

import contextvars
import logging
import os
import socket
import struct
import sys
from typing import Any, Mapping, TextIO

JOURNAL_SOCKET = "/run/systemd/journal/socket"
STRUCTURED_FIELDS = ("port", "call", "leg", "line", "extension", "mailbox")
"""``logging`` ``extra=`` keys carried as journal fields (upper-cased) and as ``key=value`` pairs."""

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


# ---------------------------------------------------------------------------------------------- logging
def _priority(levelno: int) -> int:
    for level in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= level:
            return _PRIORITY[level]
    return 7


def _quote(value: Any) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """One line per record: ``level=… logger=… port=… call=… msg="…"`` (greppable, journal-friendly)."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [f"level={record.levelname.lower()}", f"logger={record.name}"]
        parts += [f"{k}={_quote(getattr(record, k))}" for k in STRUCTURED_FIELDS if getattr(record, k, None)]
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        parts.append(f"msg={_quote(message)}")
        return " ".join(parts)


def journal_fields(record: logging.LogRecord, message: str, identifier: str) -> dict[str, str]:
    """The journal fields of one record."""
    fields = {
        "MESSAGE": message, "PRIORITY": str(_priority(record.levelno)), "SYSLOG_IDENTIFIER": identifier,
        "LOGGER": record.name, "THREAD_NAME": str(record.threadName or ""),
        "CODE_FILE": str(record.pathname or ""), "CODE_LINE": str(record.lineno), "CODE_FUNC": str(record.funcName or ""),
    }
    for key in STRUCTURED_FIELDS:
        value = getattr(record, key, None)
        if value is not None and value != "":
            fields[key.upper()] = str(value)
    return fields


def encode_journal(fields: Mapping[str, str]) -> bytes:
    """The journald native protocol: ``KEY=value`` lines, or a length-prefixed value when it has a newline."""
    out = bytearray()
    for key, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalHandler(logging.Handler):
    """Sends records to journald over its native socket, with the structured fields; stderr if that fails."""

    def __init__(self, socket_path: str = JOURNAL_SOCKET, identifier: str = "switchboard",
                 fallback: TextIO | None = None) -> None:
        super().__init__()
        self.socket_path = socket_path
        self.identifier = identifier
        self.fallback = fallback
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            self._sock.sendto(encode_journal(journal_fields(record, message, self.identifier)), self.socket_path)
        except OSError:
            stream = self.fallback or sys.stderr
            stream.write(KeyValueFormatter().format(record) + "\n")
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._sock.close()
        super().close()


_BOUND: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("switchboard_log_fields", default={})


def bind(**fields: Any) -> None:
    """Tag every record logged from now on in this context with ``fields`` (None values are skipped).

    An asyncio task has its own copy of the context, so a call leg's task that binds ``port``, ``call`` and
    ``leg`` when it starts gets them on everything logged on its behalf — by the engine, the attendant or
    voicemail — and no other task does.
    """
    merged = dict(_BOUND.get())
    merged.update({k: str(v) for k, v in fields.items() if k in STRUCTURED_FIELDS and v is not None})
    _BOUND.set(merged)


class BoundFields(logging.Filter):
    """Adds the fields :func:`bind` set in the current context to each record (``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _BOUND.get().items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (it may be replaced after set-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(level: int = logging.INFO, environ: Mapping[str, str] | None = None,
                      stream: TextIO | None = None, socket_path: str = JOURNAL_SOCKET) -> logging.Handler:
    """Send the root logger to journald (when it holds our output) or to ``stream`` as key=value lines."""
    env = os.environ if environ is None else environ
    handler: logging.Handler
    if env.get("JOURNAL_STREAM") and os.path.exists(socket_path):
        handler = JournalHandler(socket_path, identifier=env.get("SYSLOG_IDENTIFIER", "switchboard"))
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
        handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_switchboard", False)]:
        root.removeHandler(old)
        old.close()
    handler.addFilter(BoundFields())
    handler._switchboard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
