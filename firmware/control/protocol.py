"""The control API's wire format: JSON lines over a Unix stream socket.

What it is: one JSON object per line (UTF-8, ``\\n``-terminated), at most :data:`MAX_LINE` bytes.

    request   {"id": 7, "cmd": "config.get", "args": {}}
    reply     {"id": 7, "ok": true, "result": {...}}
              {"id": 7, "ok": false, "error": {"code": "stale", "message": "...", "details": {...}}}
    event     {"event": "call_end", "seq": 42, "time": "2026-01-05T09:00:03Z", "t": 3.0, "data": {...}}

``id`` is any JSON scalar the client chooses (echoed; ``null`` when the request could not be read). After a
``subscribe`` request, event lines arrive on the same connection between replies; a client tells them apart by
the ``event`` key. Error codes are listed in :data:`ERROR_CODES` (and docs/control-api.md).

What it is not: transport. :class:`LineSplitter` frames bytes into lines for the server and the client.
"""
from __future__ import annotations

import json
from typing import Any

MAX_LINE = 2 * 1024 * 1024          # a configuration document (≤ 1 MB as YAML) or an audio chunk fits
DEFAULT_SOCKET = "/run/switchboard/control.sock"
SOCKET_ENV = "SWITCHBOARD_SOCKET"

ERROR_CODES = {
    "bad_request": "the line is not a JSON object with a string 'cmd' (and an object 'args')",
    "too_large": f"the line is longer than {MAX_LINE} bytes",
    "unknown_command": "no such command",
    "invalid_args": "the arguments do not match the command's schema",
    "invalid": "the configuration document has problems (details.errors lists path and reason)",
    "stale": "the document was changed since base_revision; reload and apply your change again",
    "not_found": "no such call, message, extension or mailbox",
    "conflict": "the request does not fit the current state (e.g. the call is not ringing)",
    "storage": "the data or the configuration could not be written or read; nothing changed",
    "unavailable": "the daemon is not running or the feature is not available",
    "forbidden": "not permitted",
    "busy": "too many connections",
    "timeout": "no reply in time",
    "internal": "the handler failed; the daemon's log has the details",
}


def encode(obj: dict[str, Any]) -> bytes:
    """One line of the protocol."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=_default).encode("utf-8") + b"\n"


def _default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def reply_ok(req_id: Any, result: Any) -> dict[str, Any]:
    return {"id": req_id, "ok": True, "result": result}


def reply_error(req_id: Any, code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"id": req_id, "ok": False, "error": error}


class LineSplitter:
    """Splits a byte stream into lines; a line over ``limit`` bytes is reported once and skipped to its end."""

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | None]:
        """Lines completed by ``data``; ``None`` stands for a line that was too long (and was dropped)."""
        out: list[bytes | None] = []
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > self.limit:
                    if not self._discarding:
                        out.append(None)
                    self._discarding = True
                    self._buf.clear()
                return out
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._discarding:
                self._discarding = False
                continue
            if len(line) > self.limit:
                out.append(None)
                continue
            out.append(line)


def parse_request(line: bytes) -> tuple[Any, str, dict[str, Any]]:
    """``(id, cmd, args)`` from a request line. Not JSON: ValueError; JSON but not a request: RequestError
    (which keeps the ``id`` so the error reply can carry it)."""
    try:
        obj = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ValueError("a request must be a JSON object")
    req_id = obj.get("id")
    cmd = obj.get("cmd")
    args = obj.get("args", {})
    if not isinstance(cmd, str) or not cmd:
        raise RequestError(req_id, "'cmd' must be a non-empty string")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise RequestError(req_id, "'args' must be a JSON object")
    return req_id, cmd, args


class RequestError(ValueError):
    """A JSON object that is not a valid request; keeps its ``id`` for the error reply."""

    def __init__(self, req_id: Any, message: str) -> None:
        super().__init__(message)
        self.req_id = req_id
