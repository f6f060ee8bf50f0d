"""The control API client: blocking, for the command line and the web UI.

What it is: :class:`ControlClient` — ``call(cmd, **args) -> result`` over one connection (thread-safe: calls from
several web-server threads take turns; a broken connection is reopened once), and ``events(kinds=None)`` — an
:class:`EventStream` on its own connection that yields event dicts (``next(timeout)`` returns None on timeout,
iteration blocks). Every failure is a :class:`ControlError` with a ``code``: ``unavailable`` when the daemon is
not running, ``forbidden`` when the socket's group does not include this user, ``timeout``, or the code of the
daemon's error reply (``details`` as sent).

What it is not: asynchronous. Code on the engine's loop calls the registry directly, not this client.

The socket path defaults to ``$SWITCHBOARD_SOCKET`` or ``/run/switchboard/control.sock``.
"""
from __future__ import annotations

import errno
import itertools
import json
import os
import socket
import threading
from typing import Any, Iterable, Iterator

from drivers.errors import ControlError
from firmware.control.protocol import DEFAULT_SOCKET, MAX_LINE, SOCKET_ENV, LineSplitter, encode
from firmware.control.registry import control_error


def default_socket() -> str:
    return os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET


class _LineSocket:
    """A connected Unix socket that sends and receives protocol lines with a timeout."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as exc:
            self.sock.close()
            raise _connect_error(path, exc) from None
        self._splitter = LineSplitter(MAX_LINE)
        self._lines: list[bytes | None] = []

    def send(self, obj: dict[str, Any]) -> None:
        try:
            self.sock.sendall(encode(obj))
        except OSError as exc:
            raise ControlError(f"the connection to the daemon broke: {exc.strerror or exc}", "unavailable") from None

    def recv(self, timeout: float | None) -> dict[str, Any] | None:
        """The next line as a dict; None on timeout. Raises ControlError when the daemon closes the connection."""
        while not self._lines:
            self.sock.settimeout(timeout)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except OSError as exc:
                raise ControlError(f"the connection to the daemon broke: {exc.strerror or exc}",
                                   "unavailable") from None
            if not data:
                raise ControlError("the daemon closed the connection", "unavailable")
            self._lines.extend(self._splitter.feed(data))
        line = self._lines.pop(0)
        if line is None:
            raise ControlError("the daemon sent a line that is too long", "bad_request")
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise ControlError(f"the daemon sent a line that is not JSON: {exc}", "bad_request") from None

    def close(self) -> None:
        """Close; a thread blocked in :meth:`recv` on this socket wakes up (shutdown before close)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def _connect_error(path: str, exc: OSError) -> ControlError:
    if exc.errno in (errno.ENOENT, errno.ECONNREFUSED):
        return ControlError(f"the Switchboard daemon is not running (no control socket at {path}); "
                            "start it with `switchboard run` or `systemctl start switchboard`", "unavailable")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ControlError(f"not allowed to use the control socket {path}; add this user to the "
                            "switchboard group", "forbidden")
    return ControlError(f"cannot connect to the daemon at {path}: {exc.strerror or exc}", "unavailable")


class ControlClient:
    """Blocking client. ``timeout`` (seconds) bounds connecting and each reply."""

    def __init__(self, path: str | os.PathLike[str] | None = None, timeout: float = 5.0) -> None:
        self.path = str(path) if path is not None else default_socket()
        self.timeout = timeout
        self._conn: _LineSocket | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def call(self, cmd: str, /, *, _timeout: float | None = None, **args: Any) -> Any:
        """Run ``cmd`` with ``args`` and return its result; raises ControlError with the daemon's error code.
        ``_timeout`` overrides the client's reply timeout for this call."""
        _check_json(cmd, args)
        with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                conn = self._connection()
                req_id = next(self._ids)
                try:
                    conn.send({"id": req_id, "cmd": cmd, "args": args})
                    reply = self._await_reply(conn, req_id, _timeout or self.timeout)
                except ControlError as exc:
                    self._drop()
                    if exc.code == "unavailable" and reused and attempt == 1:
                        continue      # a connection left from before a daemon restart: the request never arrived
                    raise
                return _result(reply)
        raise AssertionError("unreachable")

    def _await_reply(self, conn: _LineSocket, req_id: int, timeout: float) -> dict[str, Any]:
        while True:
            msg = conn.recv(timeout)
            if msg is None:
                raise ControlError(f"no reply from the daemon within {timeout:g} s", "timeout")
            if "event" in msg:
                continue                          # a stray event on a command connection
            if msg.get("id") in (req_id, None):
                return msg

    def _connection(self) -> _LineSocket:
        if self._conn is None:
            self._conn = _LineSocket(self.path, self.timeout)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def events(self, kinds: Iterable[str] | None = None, since: int | None = None) -> "EventStream":
        """Subscribe on a new connection; iterate the returned stream (close it when done)."""
        return EventStream(self.path, self.timeout, kinds, since)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> "ControlClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _check_json(cmd: str, args: dict[str, Any]) -> None:
    try:
        encode({"cmd": cmd, "args": args})
    except (TypeError, ValueError) as exc:
        raise ControlError(f"{cmd}: the arguments cannot be sent as JSON: {exc}", "bad_request") from None


def _result(reply: dict[str, Any]) -> Any:
    if reply.get("ok"):
        return reply.get("result")
    error = reply.get("error") or {}
    raise control_error(error.get("code", "error"), error.get("message", "the daemon refused the request"),
                        error.get("details"))


class EventStream:
    """Live events from the daemon. ``next(timeout)`` -> event dict or None; iterating blocks for each event."""

    def __init__(self, path: str, timeout: float, kinds: Iterable[str] | None, since: int | None) -> None:
        self._conn = _LineSocket(path, timeout)
        args: dict[str, Any] = {}
        if kinds is not None:
            args["kinds"] = list(kinds)
        if since is not None:
            args["since"] = since
        self._conn.send({"id": "subscribe", "cmd": "subscribe", "args": args})
        self._backlog: list[dict[str, Any]] = []
        while True:
            msg = self._conn.recv(timeout)
            if msg is None:
                self.close()
                raise ControlError("the daemon did not answer the subscription", "timeout")
            if "event" in msg:
                self._backlog.append(msg)
                continue
            self.subscription = _result(msg)
            break
        self.closed = False

    def next(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event, or None when ``timeout`` passes first. ControlError when the daemon goes away."""
        if self._backlog:
            return self._backlog.pop(0)
        while True:
            msg = self._conn.recv(timeout)
            if msg is None or "event" in msg:
                return msg

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Events until :meth:`close` (from any thread) ends the stream; ControlError if the daemon goes away."""
        while not self.closed:
            try:
                event = self.next(None)
            except ControlError:
                if self.closed:
                    return
                raise
            if event is not None:
                yield event

    def close(self) -> None:
        """End the stream; safe from another thread (an iterating thread stops)."""
        self.closed = True
        self._conn.close()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
