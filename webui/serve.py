"""``switchboard web``: run the web UI with waitress behind the box's own HTTPS.

    switchboard web [--config PATH] [--data DIR] [--socket PATH] [--host H] [--port N]

``--port`` is the HTTPS port (default 8443; 443 on the appliance). Plain HTTP on 8080 (80 when ``--port``
is 443; ``SWITCHBOARD_WEB_HTTP_PORT`` overrides, 0 turns it off) only redirects to HTTPS. With ``web.https:
false`` in the configuration, or ``SWITCHBOARD_WEB_HTTPS=0``, the page is served as plain HTTP on ``--port``
(default 8080) — only sensible on a trusted bench; the browser then records only on ``localhost``.
``--host`` defaults to all addresses (``0.0.0.0``). The certificate is made on first start under
``<data>/web/tls/``. Stops cleanly on SIGTERM/SIGINT. Exit codes: 0 stopped, 1 could not start, 2 bad usage.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import ssl
import sys
import threading
from datetime import timedelta
from typing import Any

from webui import DEFAULT_DATA, create_app
from webui.server import FrontDoor, TlsFront, WaitressThread
from webui.tls import ensure_certificate

log = logging.getLogger("switchboard.web")
THREADS = 16  # up to 8 of them may hold a dashboard's long-poll (webui.views.api.LIVE_WAITERS)


def _web_settings(app) -> dict:
    """The configuration's ``web`` section (``https``, ``session_minutes``); empty if the daemon is not up."""
    try:
        _, doc = app.extensions["switchboard.daemon"].config()
        return doc.get("web") or {}
    except Exception:  # the daemon is not up yet: the defaults are the safe choice
        return {}


def _https_wanted(web: dict) -> bool:
    if os.environ.get("SWITCHBOARD_WEB_HTTPS", "").strip() == "0":
        return False
    return bool(web.get("https", True))


def _http_port(https_port: int) -> int | None:
    raw = os.environ.get("SWITCHBOARD_WEB_HTTP_PORT")
    if raw is not None and raw.strip().isdigit():
        return int(raw) or None
    return 80 if https_port == 443 else 8080


def build(args: argparse.Namespace) -> tuple[Any, list]:
    """Make the app and the servers (not started); returns (app, [servers in start order])."""
    data = args.data or os.environ.get("SWITCHBOARD_DATA") or DEFAULT_DATA
    config = {"DATA_DIR": data}
    if args.config:
        config["CONFIG_PATH"] = args.config
    if args.socket:
        config["CONTROL_SOCKET"] = args.socket
    app = create_app(config)
    app.extensions["switchboard.live"].start()  # follows the daemon's events from the start
    web = _web_settings(app)
    if isinstance(web.get("session_minutes"), int):
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=web["session_minutes"])
    host = args.host or "0.0.0.0"
    if not _https_wanted(web):
        port = args.port or 8080
        waitress = WaitressThread(app, [f"{host}:{port}"], threads=THREADS)
        return app, [waitress]
    port = args.port or 8443
    app.config["SESSION_COOKIE_SECURE"] = True
    cert, key = ensure_certificate(app.extensions["switchboard.state"].tls_dir,
                                   [host] if host not in ("0.0.0.0", "::") else [])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    http_port = _http_port(port)
    listen = ["127.0.0.1:0"] + ([f"{host}:{http_port}"] if http_port else [])
    door = FrontDoor(app.wsgi_app, None, 0, port)
    app.wsgi_app = door
    waitress = WaitressThread(app, listen, threads=THREADS)
    backend = waitress.ports[0]
    front = TlsFront(host, port, backend, context)
    door.front, door.backend_port = front, backend
    return app, [waitress, front]


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        app, servers = build(args)
        for server in servers:
            server.start()
    except OSError as exc:
        print(f"switchboard web: cannot listen: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("web UI up: %s", ", ".join(_describe(s) for s in servers))
    stop.wait()
    log.info("web UI stopping")
    app.extensions["switchboard.live"].stop()  # first: wakes the dashboards' long-polls
    for server in reversed(servers):
        server.stop()
    app.extensions["switchboard.menutester"].stop(timeout=5)
    return 0


def _describe(server: Any) -> str:
    if isinstance(server, TlsFront):
        return f"https on {server.host}:{server.port}"
    return "waitress on port(s) " + ", ".join(str(p) for p in server.ports)
