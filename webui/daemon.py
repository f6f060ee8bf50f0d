"""The web UI's one door to the daemon: a thin wrapper over the control API client.

Every page talks to the daemon through :class:`Daemon`, never through ``drivers/`` or firmware internals.
The wrapped client is anything with the control API's client interface — ``call(cmd, **args)`` and
``events()`` — that is ``firmware.control.ControlClient`` on the box and ``FakeControl`` in tests.

What this adds: errors turned into three kinds a page can show (:class:`DaemonDown` — the daemon is not
answering; :class:`StaleConfig` — somebody saved the configuration since this page loaded it;
:class:`Refused` — the daemon refused the request, with the field errors it gave), a lock so that
waitress's worker threads share one client safely, and the configuration round trip with its revision.
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Iterator


class DaemonError(Exception):
    """A control-API request did not succeed; ``code`` is the daemon's short reason."""

    def __init__(self, message: str, code: str = "error", errors: list | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.errors = [_pair(e) for e in (errors or [])]


def _pair(error: object) -> tuple[str, str]:
    """A (path, reason) pair from the forms the control API uses for field errors."""
    if isinstance(error, dict):
        return str(error.get("path", "")), str(error.get("reason", error.get("message", "")))
    if isinstance(error, (list, tuple)) and len(error) == 2:
        return str(error[0]), str(error[1])
    return "", str(error)


class DaemonDown(DaemonError):
    """The daemon is not running or its socket does not answer."""


class StaleConfig(DaemonError):
    """The configuration changed since the page loaded it; the save was refused and nothing was written."""


class Refused(DaemonError):
    """The daemon refused the request (bad value, unknown item); ``errors`` lists (path, reason)."""


class Daemon:
    """Shared, thread-safe access to the control API for the web UI."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._lock = threading.Lock()

    def call(self, cmd: str, **args: Any) -> Any:
        """Send one command; returns its result or raises a :class:`DaemonError` subclass."""
        try:
            with self._lock:
                return self.client.call(cmd, **args)
        except (ConnectionError, FileNotFoundError, TimeoutError) as exc:
            raise DaemonDown("The phone system is not answering. Is the switchboard service running?",
                             "down") from exc
        except Exception as exc:  # the control API's ControlError and friends carry a code
            code = getattr(exc, "code", None)
            if code is None:
                raise
            details = getattr(exc, "details", None)
            errors = getattr(exc, "errors", None) or (details.get("errors") if isinstance(details, dict) else None)
            if code == "stale":
                raise StaleConfig(str(exc), code) from exc
            if code in ("unavailable", "timeout", "forbidden"):
                raise DaemonDown(str(exc), code) from exc
            raise Refused(str(exc), code, errors if isinstance(errors, list) else []) from exc

    def events(self) -> Iterator[dict]:
        """The live event stream (blocking iterator)."""
        return self.client.events()

    # -- configuration ---------------------------------------------------------------------------------
    def config(self) -> tuple[Any, dict]:
        """(revision, document) of the running configuration; the document is a private copy."""
        res = self.call("config.get")
        return res.get("revision"), copy.deepcopy(res.get("document"))

    def put_config(self, doc: dict, base_revision: Any) -> Any:
        """Save ``doc`` if the configuration is still at ``base_revision``; returns the new revision."""
        res = self.call("config.put", document=doc, base_revision=str(base_revision))
        return (res or {}).get("revision")

    def validate(self, doc: dict) -> list[tuple[str, str]]:
        """Problems the daemon's validator finds in ``doc`` as (path, reason); empty when it is good."""
        res = self.call("config.validate", document=doc) or {}
        return [_pair(e) for e in res.get("errors", [])]

    def calls(self, limit: int = 5000, **filters: Any) -> list[dict]:
        """Call-log rows matching ``filters`` (newest first), fetched page by page up to ``limit``."""
        rows: list[dict] = []
        while len(rows) < limit:
            page = self.call("calllog.query", limit=min(500, limit - len(rows)), offset=len(rows), **filters)
            batch = (page or {}).get("calls", [])
            rows += batch
            if not batch or len(rows) >= int((page or {}).get("total", 0)):
                break
        return rows

    def snapshot(self) -> dict:
        return self.call("snapshot") or {}
