"""The control API server: a Unix stream socket on the engine's asyncio loop.

What it is: :class:`ControlServer` accepts connections on ``path`` (file mode 0660, so the web UI's group can
connect and nobody else), reads JSON-lines requests (:mod:`firmware.control.protocol`), runs the command from its
:class:`~firmware.control.registry.Registry` and writes the reply. A ``subscribe`` request turns the connection
into an event stream as well: every event published on the hub is written to it until ``unsubscribe`` or the
client goes away. A malformed line gets an error reply and the connection stays open; a line longer than
``MAX_LINE`` gets ``too_large`` and is skipped. A subscriber that stops reading is cut off after
``queue_limit`` unsent events (with an ``overflow`` event) so it cannot make the daemon's memory grow.

What it is not: the commands (their owners register them) or a network server: it never listens on TCP.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any, Callable

from drivers.errors import ControlError
from firmware import __version__
from firmware.control.protocol import (MAX_LINE, LineSplitter, RequestError, encode, parse_request,
                                       reply_error, reply_ok)
from firmware.control.registry import EventHub, Handler, Registry, error_fields, register_builtins

log = logging.getLogger(__name__)

_CLOSE = object()
SUBSCRIBE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"kinds": {"type": "array", "items": {"type": "string"}},
                   "since": {"type": "integer", "minimum": 0}},
}


def check_subscribe_args(args: dict[str, Any]) -> None:
    """Refuse ``subscribe`` arguments that do not match :data:`SUBSCRIBE_SCHEMA`: ``ControlError``
    ``invalid_args``, naming what is wrong.
    """
    import jsonschema

    try:
        jsonschema.validate(args, SUBSCRIBE_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise ControlError(f"subscribe: {exc.message}", "invalid_args") from None


class _Connection:
    """One client: an outbox drained by a writer task, and its event subscription."""

    def __init__(self, server: "ControlServer", writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.writer = writer
        self.loop = asyncio.get_running_loop()
        self.outbox: asyncio.Queue[Any] = asyncio.Queue()
        self.unsubscribe: Callable[[], None] | None = None
        self.pending_events = 0
        self.closing = False

    def send(self, line: bytes) -> None:
        self.outbox.put_nowait(line)

    def push_event(self, event: dict[str, Any]) -> None:
        """Hub listener: may run on any thread."""
        if threading.get_ident() == self.server.loop_thread:
            self._push(event)
        else:
            self.loop.call_soon_threadsafe(self._push, event)

    def _push(self, event: dict[str, Any]) -> None:
        if self.closing or self.unsubscribe is None:
            return
        if self.pending_events >= self.server.queue_limit:
            self.drop_subscription()
            self.outbox.put_nowait(encode({"event": "overflow", "seq": event["seq"], "data": {
                "reason": "the client did not read events fast enough; subscribe again"}}))
            self.outbox.put_nowait(_CLOSE)
            self.closing = True
            return
        self.pending_events += 1
        self.outbox.put_nowait(("event", encode(event)))

    def drop_subscription(self) -> None:
        if self.unsubscribe is not None:
            self.unsubscribe()
            self.unsubscribe = None

    async def write_loop(self) -> None:
        try:
            while True:
                item = await self.outbox.get()
                if item is _CLOSE:
                    break
                if isinstance(item, tuple):
                    self.pending_events -= 1
                    item = item[1]
                self.writer.write(item)
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.closing = True
            self.drop_subscription()
            self.writer.close()


class ControlServer:
    """The daemon's control socket. Register commands, ``await start()``, ``publish(kind, **data)``,
    ``await stop()``. Must be started and stopped on the loop it serves."""

    def __init__(self, path: str | os.PathLike[str], *, clock: Any = None, registry: Registry | None = None,
                 hub: EventHub | None = None, mode: int = 0o660, max_clients: int = 32,
                 queue_limit: int = 1000) -> None:
        self.path = Path(path)
        self.clock = clock
        self.registry = registry or Registry()
        self.hub = hub or EventHub(wall=clock.wall if clock is not None else None)
        self.mode = mode
        self.max_clients = max_clients
        self.queue_limit = queue_limit
        self.loop_thread: int | None = None
        self._stopping = False
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[_Connection] = set()
        self._readers: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.Task[Any]] = set()
        if "ping" not in self.registry:
            register_builtins(self.registry, self.hub, __version__)

    # -- registry and events ---------------------------------------------------------------------------------
    def register(self, name: str, handler: Handler, *, schema: dict[str, Any] | None = None,
                 description: str | None = None, replace: bool = False) -> Callable[[], None]:
        """Add a command (see :meth:`Registry.register`)."""
        return self.registry.register(name, handler, schema=schema, description=description, replace=replace)

    def publish(self, kind: str, /, **data: Any) -> dict[str, Any]:
        """Send an event to every subscriber (and keep it for the ``events`` command)."""
        return self.hub.publish(kind, data, t=self.clock.now() if self.clock is not None else None)

    # -- lifecycle --------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the socket (replacing a stale one left by a crash) and start accepting."""
        self.loop_thread = threading.get_ident()
        self._stopping = False
        self._prepare_path()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_LINE)
        os.chmod(self.path, self.mode)
        log.info("control API listening on %s", self.path)

    def _prepare_path(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            st = self.path.lstat()
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise ControlError(f"{self.path} exists and is not a socket; remove it or choose another path",
                               "unavailable")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.path))
        except OSError as exc:
            if exc.errno not in (errno.ECONNREFUSED, errno.ENOENT):
                raise ControlError(f"cannot check {self.path}: {exc.strerror}", "unavailable") from exc
            self.path.unlink(missing_ok=True)          # left behind by a daemon that died
        else:
            raise ControlError(f"another Switchboard daemon is already serving {self.path}", "busy")
        finally:
            probe.close()

    async def stop(self, timeout: float = 2.0) -> None:
        """Stop accepting, cancel requests in progress, flush what is queued, close every connection, remove
        the socket file."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._readers):
            task.cancel()
        for conn in list(self._conns):
            conn.drop_subscription()
            conn.outbox.put_nowait(_CLOSE)
        tasks = list(self._readers | self._writers)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=timeout)
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    @property
    def clients(self) -> int:
        return len(self._conns)

    # -- connections ------------------------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._readers.add(task)
        conn = _Connection(self, writer)
        writer_task = asyncio.create_task(conn.write_loop())
        self._writers.add(writer_task)
        writer_task.add_done_callback(self._writers.discard)
        try:
            if len(self._conns) >= self.max_clients:
                conn.send(encode(reply_error(None, "busy", f"too many control connections ({self.max_clients})")))
                return
            self._conns.add(conn)
            await self._read_loop(reader, conn)
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # cancelled by stop(): end normally, so asyncio's stream callback does not log the cancellation
        finally:
            self._conns.discard(conn)
            conn.drop_subscription()
            conn.outbox.put_nowait(_CLOSE)
            self._readers.discard(task)

    async def _read_loop(self, reader: asyncio.StreamReader, conn: _Connection) -> None:
        splitter = LineSplitter(MAX_LINE)
        while not conn.closing:
            data = await reader.read(65536)
            if not data:
                return
            for line in splitter.feed(data):
                if line is None:
                    conn.send(encode(reply_error(None, "too_large", f"request longer than {MAX_LINE} bytes")))
                elif line.strip():
                    conn.send(await self._handle(conn, line))
                if conn.outbox.qsize() > self.queue_limit:
                    log.warning("control client sends requests without reading the replies; disconnected")
                    return

    async def _handle(self, conn: _Connection, line: bytes) -> bytes:
        try:
            req_id, cmd, args = parse_request(line)
        except RequestError as exc:
            return encode(reply_error(exc.req_id, "bad_request", str(exc)))
        except ValueError as exc:
            return encode(reply_error(None, "bad_request", str(exc)))
        try:
            if cmd == "subscribe":
                result = self._subscribe(conn, args)
            elif cmd == "unsubscribe":
                conn.drop_subscription()
                result = {"subscribed": False}
            else:
                result = await self.registry.call(cmd, args)
            return encode(reply_ok(req_id, result))
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error reply
            code, message, details = error_fields(exc)
            if code == "internal":
                log.exception("control command %s failed", cmd)
            return encode(reply_error(req_id, code, message, details))

    def _subscribe(self, conn: _Connection, args: dict[str, Any]) -> dict[str, Any]:
        check_subscribe_args(args)
        kinds = args.get("kinds")
        conn.drop_subscription()
        backlog = self.hub.since(args["since"], kinds, limit=self.queue_limit) if "since" in args else []
        conn.unsubscribe = self.hub.subscribe(conn.push_event, kinds)
        for event in backlog:                     # queued after the reply: replies are written first
            self.loop_call(conn._push, event)
        return {"subscribed": True, "seq": self.hub.seq, "kinds": kinds}

    @staticmethod
    def loop_call(fn: Callable[..., Any], *args: Any) -> None:
        asyncio.get_running_loop().call_soon(fn, *args)
