"""The control API's command registry and event hub, shared by the real server and the fake.

What it is: :class:`Registry` — ``register(name, handler, *, schema=None)``; a handler is called as
``handler(**args)`` and may be sync or async; ``schema`` (a JSON Schema for ``args``, Draft 2020-12) is checked
first, so a handler only sees arguments of the right shape. Exceptions become error replies:
:class:`ControlError` keeps its ``code`` (and ``details`` if set), ``ConfigError`` becomes ``invalid`` with the
``(path, reason)`` list, ``StorageError`` becomes ``storage``, anything else ``internal`` (and is logged).
:class:`EventHub` numbers events, keeps the last few hundred for the ``events`` command and hands each one to
subscribers (the server's event-stream connections).

What it is not: a transport (see :mod:`firmware.control.server`) or the commands themselves (their owners
register them: :mod:`firmware.control.handlers` for config/call log/voicemail, the daemon for the rest).
"""
from __future__ import annotations

import collections
import difflib
import functools
import inspect
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import jsonschema

from drivers.errors import ConfigError, ControlError, StorageError
from firmware.config.validate import format_path

log = logging.getLogger(__name__)

Handler = Callable[..., Any]
EventListener = Callable[[dict[str, Any]], None]


def control_error(code: str, message: str, details: Any = None) -> ControlError:
    """A :class:`ControlError` carrying ``details`` for the error reply."""
    err = ControlError(message, code)
    err.details = details  # type: ignore[attr-defined]
    return err


def error_fields(exc: BaseException) -> tuple[str, str, Any]:
    """``(code, message, details)`` for an exception raised by a handler."""
    if isinstance(exc, ControlError):
        return exc.code, str(exc), getattr(exc, "details", None)
    if isinstance(exc, ConfigError):
        return "invalid", str(exc), {"errors": [{"path": p, "reason": r} for p, r in exc.errors]}
    if isinstance(exc, StorageError):
        return "storage", str(exc), None
    return "internal", f"{type(exc).__name__}: {exc}", None


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.Draft202012Validator:
    """A checked validator per distinct argument schema (checking a schema costs milliseconds; do it once)."""
    schema = json.loads(schema_json)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@dataclass
class Command:
    name: str
    handler: Handler
    schema: dict[str, Any] | None
    description: str
    validator: jsonschema.Draft202012Validator | None


class Registry:
    """Commands by name. Register from any part of the daemon before (or while) the server runs."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._lock = threading.Lock()

    def register(self, name: str, handler: Handler, *, schema: dict[str, Any] | None = None,
                 description: str | None = None, replace: bool = False) -> Callable[[], None]:
        """Add a command; returns a function that removes it. A second registration of a name is refused
        unless ``replace`` (so two parts cannot silently fight over a command)."""
        validator = _validator(json.dumps(schema, sort_keys=True)) if schema is not None else None
        doc = description if description is not None else (inspect.getdoc(handler) or "").split("\n")[0]
        cmd = Command(name, handler, schema, doc, validator)
        with self._lock:
            if name in self._commands and not replace:
                raise ValueError(f"control command {name!r} is already registered")
            self._commands[name] = cmd

        def unregister() -> None:
            with self._lock:
                if self._commands.get(name) is cmd:
                    del self._commands[name]

        return unregister

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def names(self) -> list[str]:
        return sorted(self._commands)

    def describe(self) -> list[dict[str, Any]]:
        """Every command with its one-line description and argument schema (the ``commands`` command)."""
        return [{"name": c.name, "description": c.description, "args": c.schema}
                for c in sorted(self._commands.values(), key=lambda c: c.name)]

    async def call(self, name: str, args: dict[str, Any]) -> Any:
        """Run a command; raises ControlError (or the handler's own exception, for :func:`error_fields`)."""
        cmd = self._commands.get(name)
        if cmd is None:
            close = difflib.get_close_matches(name, list(self._commands), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise control_error("unknown_command", f"no command {name!r}{hint}")
        self._check_args(cmd, args)
        result = cmd.handler(**args)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _check_args(self, cmd: Command, args: dict[str, Any]) -> None:
        if cmd.validator is not None:
            errors = sorted(cmd.validator.iter_errors(args), key=lambda e: list(e.absolute_path))
            if errors:
                problems = [{"path": format_path(["args", *e.absolute_path]), "reason": e.message} for e in errors]
                first = problems[0]
                raise control_error("invalid_args", f"{cmd.name}: {first['path']}: {first['reason']}",
                                    {"errors": problems})
        try:
            inspect.signature(cmd.handler).bind(**args)
        except TypeError as exc:
            raise control_error("invalid_args", f"{cmd.name}: {exc}") from None


class EventHub:
    """Numbered events with a short history; listeners are called on the publishing thread."""

    def __init__(self, wall: Callable[[], datetime] | None = None, history: int = 500) -> None:
        self._wall = wall or (lambda: datetime.now(timezone.utc))
        self._history: collections.deque[dict[str, Any]] = collections.deque(maxlen=history)
        self._listeners: list[tuple[EventListener, frozenset[str] | None]] = []
        self._lock = threading.Lock()
        self.seq = 0

    def publish(self, kind: str, data: dict[str, Any] | None = None, *, t: float | None = None) -> dict[str, Any]:
        """Number and record an event, then hand it to every interested listener."""
        clean = _jsonable(data or {})
        with self._lock:
            self.seq += 1
            event: dict[str, Any] = {"event": kind, "seq": self.seq,
                                     "time": self._wall().astimezone(timezone.utc).isoformat(timespec="milliseconds")
                                     .replace("+00:00", "Z"), "data": clean}
            if t is not None:
                event["t"] = round(t, 3)
            self._history.append(event)
            listeners = list(self._listeners)
        for fn, kinds in listeners:
            if kinds is None or _matches(kind, kinds):
                try:
                    fn(event)
                except Exception:
                    log.exception("control event listener failed on %s", kind)
        return event

    def publish_bus_event(self, bus_event: Any) -> None:
        """Forward an engine bus event (``kind``, ``t``, ``data``): ``engine.bus.subscribe(hub.publish_bus_event)``."""
        self.publish(bus_event.kind, dict(bus_event.data), t=bus_event.t)

    def subscribe(self, fn: EventListener, kinds: Iterable[str] | None = None) -> Callable[[], None]:
        """Call ``fn(event)`` for each event (or those whose kind is in ``kinds``; ``"call.*"`` matches a prefix)."""
        entry = (fn, frozenset(kinds) if kinds else None)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def since(self, seq: int = 0, kinds: Iterable[str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Recorded events after ``seq`` (oldest first), at most ``limit``."""
        wanted = frozenset(kinds) if kinds else None
        with self._lock:
            events = [e for e in self._history if e["seq"] > seq and (wanted is None or _matches(e["event"], wanted))]
        return events[:limit]


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of event data (objects a publisher put in become their text)."""
    return json.loads(json.dumps(data, default=_plain))


def _plain(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _matches(kind: str, kinds: frozenset[str]) -> bool:
    if kind in kinds:
        return True
    return any(k.endswith("*") and kind.startswith(k[:-1]) for k in kinds)


EVENTS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"since": {"type": "integer", "minimum": 0},
                   "kinds": {"type": "array", "items": {"type": "string"}},
                   "limit": {"type": "integer", "minimum": 1, "maximum": 500}},
}


def register_builtins(registry: Registry, hub: EventHub, version: str) -> None:
    """``ping``, ``commands`` and ``events`` (history polling), present on every server and on the fake."""

    def ping() -> dict[str, Any]:
        """Liveness check: the daemon's version and the latest event number."""
        return {"pong": True, "version": version, "seq": hub.seq}

    def commands() -> list[dict[str, Any]]:
        """Every registered command with its argument schema."""
        return registry.describe()

    def events(since: int = 0, kinds: list[str] | None = None, limit: int = 100) -> dict[str, Any]:
        """Recent events after ``since`` (poll with the returned ``seq``)."""
        return {"events": hub.since(since, kinds, limit), "seq": hub.seq}

    registry.register("ping", ping)
    registry.register("commands", commands)
    registry.register("events", events, schema=EVENTS_SCHEMA)
