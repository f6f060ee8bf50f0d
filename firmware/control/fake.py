"""A fake of the control API for the web UI's tests: the client interface over an in-memory office.

What it is: :class:`FakeControl` has the methods of :class:`~firmware.control.client.ControlClient`
(``call(cmd, **args)``, ``events(kinds=None, since=None)``, ``close()``) and answers every command of
docs/control-api.md. ``config.*``, ``calllog.query`` and ``voicemail.*`` run the daemon's own handlers over an
in-memory store; ``snapshot``, ``call.*``, ``sim.*``, ``schedule.set_mode`` and ``presence.set`` run on
:class:`~firmware.control.fake_office.FakeOffice`. Arguments and results make the same JSON round trip as on
the socket, errors are the same :class:`ControlError` codes. Test verbs: ``inject(kind, **data)`` publishes any
event, ``requests`` lists every ``(cmd, args)`` received, ``fail_next(code)`` makes the next call fail,
``office`` is the live state, ``store`` the data.

What it is not: a daemon. Nothing happens unless a test calls a command (there is no time in the fake).
"""
from __future__ import annotations

import asyncio
import json
import queue
import shutil
import tempfile
import threading
import weakref
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from firmware import __version__
from firmware import config as configuration
from firmware.config import Config
from firmware.control.client import _check_json
from firmware.control.fake_office import FakeOffice
from firmware.control.fake_world import tone_wav
from firmware.control.handlers import ConfigService, register_store_commands
from firmware.control.registry import EventHub, Registry, control_error, error_fields, register_builtins
from firmware.control.server import check_subscribe_args
from firmware.store import Store

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class FakeControl:
    """In-memory stand-in for the daemon behind a :class:`ControlClient`.

    ``document``: the office configuration (default: the embedded example office). ``seed``: start with a
    morning's call log and three voicemail messages. ``now``: the fake's wall clock (default 2026-01-05 09:00 UTC,
    settable through ``fake.now``).
    """

    def __init__(self, document: Mapping[str, Any] | None = None, *, seed: bool = True,
                 now: datetime = EPOCH) -> None:
        self.now = now
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._fail: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._dir = Path(tempfile.mkdtemp(prefix="switchboard-fake-"))
        self._cleanup = weakref.finalize(self, _cleanup, self._loop, self._dir)
        self.registry = Registry()
        self.hub = EventHub(wall=lambda: self.now)
        register_builtins(self.registry, self.hub, __version__)
        self.store = Store(":memory:", wall=lambda: self.now)
        cfg = Config(document) if document is not None else configuration.load()
        self.config_service = ConfigService(cfg, None, publish=self.inject)
        register_store_commands(self.registry, store=self.store, config_service=self.config_service,
                                publish=self.inject)
        self.office = FakeOffice(lambda: self.config_service.config, self.store, self.inject, self._dir)
        self.office.register(self.registry)
        if seed:
            self._seed()

    # -- the client interface ---------------------------------------------------------------------------------
    def call(self, cmd: str, /, *, _timeout: float | None = None, **args: Any) -> Any:
        """Run a command as the daemon would; raises ControlError with the same codes."""
        _check_json(cmd, args)
        wire_args = json.loads(json.dumps(args))
        with self._lock:
            self.requests.append((cmd, wire_args))
            if self._fail:
                code, message = self._fail.pop(0)
                raise control_error(code, message)
            if cmd in ("subscribe", "unsubscribe"):
                raise control_error("bad_request", f"{cmd}: use events() for an event stream")
            try:
                result = self._loop.run_until_complete(self.registry.call(cmd, wire_args))
            except Exception as exc:  # noqa: BLE001 - mapped exactly as the server maps it
                code, message, details = error_fields(exc)
                raise control_error(code, message, details) from None
        return json.loads(json.dumps(result, default=str))

    def events(self, kinds: Iterable[str] | None = None, since: int | None = None) -> "FakeEventStream":
        """A live event stream (injected and generated events), like :meth:`ControlClient.events`."""
        args: dict[str, Any] = {}
        if kinds is not None:
            args["kinds"] = list(kinds)
        if since is not None:
            args["since"] = since
        check_subscribe_args(args)
        return FakeEventStream(self.hub, args.get("kinds"), since)

    def close(self) -> None:
        self.store.close()
        self._cleanup()

    def __enter__(self) -> "FakeControl":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- test verbs --------------------------------------------------------------------------------------------
    def inject(self, kind: str, /, **data: Any) -> dict[str, Any]:
        """Publish an event to every stream (and the ``events`` history)."""
        return self.hub.publish(kind, data)

    def fail_next(self, code: str = "unavailable", message: str = "the daemon is not running") -> None:
        """Make the next ``call`` raise ControlError(code) — e.g. to test the page shown when the daemon is down."""
        self._fail.append((code, message))

    def advance(self, seconds: float) -> None:
        """Move the fake's wall clock forward."""
        self.now += timedelta(seconds=seconds)

    # -- seed data ---------------------------------------------------------------------------------------------
    def _seed(self) -> None:
        cfg = self.config_service.config
        exts = [e for e in cfg.extensions if e.get("phone")]
        lines = [ln["id"] for ln in cfg.lines] or [None]
        start = self.now - timedelta(hours=3)
        callers = [("5550100", "ACME SUPPLY"), ("5550142", None), (None, None), ("5550199", "J SMITH"),
                   ("5550123", "WIRELESS CALLER")]
        for i in range(12):
            t = start + timedelta(minutes=14 * i)
            number, name = callers[i % len(callers)]
            ext = exts[i % len(exts)]["number"] if exts else None
            direction = "out" if i % 5 == 4 else "in"
            disposition = ("answered", "voicemail", "abandoned", "answered")[i % 4]
            ref = f"seed{i + 1}"
            self.store.call_started(ref, direction, line=lines[i % len(lines)], extension=ext, at=t,
                                    caller_number=number if direction == "in" else None,
                                    caller_name=name if direction == "in" else None,
                                    dialled=number if direction == "out" else None)
            if disposition == "answered":
                self.store.call_answered(ref, at=t + timedelta(seconds=6))
            self.store.call_ended(ref, disposition, at=t + timedelta(seconds=40 + 17 * i), reason="caller")
        boxes = [m["number"] for m in cfg.mailboxes()]
        for i, box in enumerate(boxes[:3]):
            path = self._dir / f"seed-{box}-{i}.wav"
            path.write_bytes(tone_wav(0.5, 350.0 + 50 * i, 0.1))
            number, name = callers[i]
            self.store.add_message(box, path, duration_s=0.5, caller_number=number, caller_name=name,
                                   received_at=start + timedelta(minutes=30 * i + 5))


class FakeEventStream:
    """Events from a :class:`FakeControl`: ``next(timeout)`` -> event or None; iteration stops at ``close()``."""

    def __init__(self, hub: EventHub, kinds: list[str] | None, since: int | None) -> None:
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.subscription = {"subscribed": True, "seq": hub.seq, "kinds": kinds}
        if since is not None:
            for event in hub.since(since, kinds, limit=1000):
                self._queue.put(event)
        self._unsubscribe = hub.subscribe(self._queue.put, kinds)
        self.closed = False

    def next(self, timeout: float | None = None) -> dict[str, Any] | None:
        try:
            return self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        except queue.Empty:
            return None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while not self.closed:
            event = self._queue.get()
            if event is None:
                return
            yield event

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._unsubscribe()
            self._queue.put(None)

    def __enter__(self) -> "FakeEventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _cleanup(loop: asyncio.AbstractEventLoop, directory: Path) -> None:
    loop.close()
    shutil.rmtree(directory, ignore_errors=True)
