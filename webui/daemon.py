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
import time
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

    def __init__(self, client: Any, cache_seconds: float = 1.0) -> None:
        self.client = client
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}

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
    def config(self, fresh: bool = False, private: bool = True) -> tuple[Any, dict]:
        """(revision, document) of the running configuration; a private copy unless ``private=False``
        (then it is shared and must only be read).

        Pages read it through a short cache (``cache_seconds``); a save always checks the revision on the
        daemon, and this web UI's own saves and the daemon's ``config`` events clear the cache.
        """
        res = None if fresh else self.cached("config.get")
        if res is None:
            res = self.call("config.get")
            self._cache["config.get"] = (time.monotonic(), res)
        doc = res.get("document")
        return res.get("revision"), copy.deepcopy(doc) if private else doc

    def cached(self, key: str, max_age: float | None = None) -> Any:
        """A value kept by :meth:`remember` if it is younger than ``max_age`` (default ``cache_seconds``)."""
        hit = self._cache.get(key)
        age = self.cache_seconds if max_age is None else max_age
        return hit[1] if hit is not None and time.monotonic() - hit[0] < age else None

    def remember(self, key: str, value: Any) -> Any:
        self._cache[key] = (time.monotonic(), value)
        return value

    def forget(self, event: dict | None = None) -> None:
        """Drop cached answers (after a save, or on a ``config`` event from the daemon)."""
        if event is None or event.get("event") == "config":
            self._cache.clear()

    def put_config(self, doc: dict, base_revision: Any) -> Any:
        """Save ``doc`` if the configuration is still at ``base_revision``; returns the new revision."""
        try:
            res = self.call("config.put", document=doc, base_revision=str(base_revision))
        finally:
            self.forget()
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
