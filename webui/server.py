"""Serving the web UI: waitress for HTTP, a small TLS front for HTTPS, and HTTP redirecting to HTTPS.

Waitress has no TLS of its own, so the box terminates TLS itself: :class:`TlsFront` runs one asyncio loop on
one thread, accepts TLS connections on the public port and relays each to waitress on a loopback-only port.
It remembers which loopback source port belongs to which client, and :class:`FrontDoor` (WSGI middleware)
gives the app the real client address (for the login lockout) and ``https`` as the URL scheme. Requests that
arrive on the plain-HTTP listener are redirected to the HTTPS port.

:class:`WaitressThread` runs waitress on a thread with a stop that closes every socket and joins (also used
by the tests and the benchmark). Every thread here has an owner, a stop and a join with a timeout.
"""
from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from typing import Any, Callable, Iterable

from waitress.server import create_server
from waitress import wasyncore

log = logging.getLogger(__name__)


class WaitressThread:
    """waitress on a background thread: ``start()``, ``stop()``; ``ports`` lists the bound ports."""

    def __init__(self, app: Callable, listen: Iterable[str], threads: int = 8, **adjust: Any) -> None:
        self.server = create_server(app, listen=" ".join(listen), threads=threads,
                                    ident="switchboard", clear_untrusted_proxy_headers=True, **adjust)
        self._thread = threading.Thread(target=self.server.run, name="webui-waitress", daemon=True)

    @property
    def ports(self) -> list[int]:
        listen = getattr(self.server, "effective_listen", None)
        if listen:
            return [int(p) for _, p in listen]
        return [self.server.effective_port]

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(getattr(self.server, "map", None) or self.server._map)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("waitress thread did not stop within %.1f s", timeout)


class TlsFront:
    """Accepts TLS on (host, port) and relays each connection to waitress on 127.0.0.1:backend_port."""

    def __init__(self, host: str, port: int, backend_port: int, context: ssl.SSLContext,
                 max_connections: int = 200, idle_seconds: float = 120.0) -> None:
        self.host, self.port, self.backend_port, self.context = host, port, backend_port, context
        self.idle_seconds = idle_seconds
        self.peers: dict[int, str] = {}  # loopback source port -> client address
        self._max = max_connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="webui-tls-front", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the HTTPS listener did not start")
        if self._error is not None:
            raise self._error

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("TLS front thread did not stop within %.1f s", timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.set_exception_handler(lambda _loop, ctx: log.debug("tls front: %s", ctx.get("message")))
        try:
            self._sem = asyncio.Semaphore(self._max)
            self._server = loop.run_until_complete(asyncio.start_server(
                self._handle, self.host, self.port, ssl=self.context, reuse_address=True,
                ssl_handshake_timeout=15))
            if self.port == 0:
                self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = (writer.get_extra_info("peername") or ("?",))[0]
        if self._sem.locked():
            writer.close()
            return
        async with self._sem:
            try:
                b_reader, b_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
            except OSError:
                writer.close()
                return
            local_port = b_writer.get_extra_info("sockname")[1]
            self.peers[local_port] = peer
            try:
                await asyncio.gather(self._pump(reader, b_writer), self._pump(b_reader, writer))
            finally:
                self.peers.pop(local_port, None)
                for w in (writer, b_writer):
                    w.close()

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await asyncio.wait_for(src.read(65536), self.idle_seconds)
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.TimeoutError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            dst.close()


class FrontDoor:
    """WSGI middleware: HTTPS requests (via the TLS front) get the client address; HTTP ones a redirect."""

    def __init__(self, app: Callable, front: TlsFront | None, backend_port: int, https_port: int | None) -> None:
        self.app, self.front, self.backend_port, self.https_port = app, front, backend_port, https_port

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.front is not None and environ.get("SERVER_PORT") == str(self.backend_port):
            environ["wsgi.url_scheme"] = "https"
            remote_port = int(environ.get("REMOTE_PORT") or 0)
            environ["switchboard.client_addr"] = self.front.peers.get(remote_port, environ.get("REMOTE_ADDR"))
            return self.app(environ, start_response)
        if self.https_port is None:
            return self.app(environ, start_response)
        host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost").rsplit(":", 1)[0]
        if host.startswith("[") is False and ":" in host:
            host = f"[{host}]"
        port = "" if self.https_port == 443 else f":{self.https_port}"
        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING")
        location = f"https://{host}{port}{path}" + (f"?{query}" if query else "")
        start_response("301 Moved Permanently", [("Location", location), ("Content-Length", "0")])
        return [b""]
