"""Login protection and HTTP hardening for the web UI.

- :class:`LoginLimiter` — failed logins are counted per client address in a sliding window; after
  ``max_failures`` the address is locked out for ``lockout`` seconds, and a box-wide ceiling locks every
  address for a while when failures come from many places at once. Time comes from an injected ``now``
  callable so tests move it by hand. State is in memory: a restart forgets it, which only helps the owner.
- :func:`install` — security headers on every response (CSP without inline scripts, frame-ancestors,
  nosniff, Referrer-Policy, no caching of pages), cookie flags, and the ``login_required`` gate that sends
  every page to the first-run wizard until an admin password exists and to the login page afterwards.

This is not a user database: the box has one administrator (the receptionist console, later, adds roles).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from flask import Flask, Response, current_app, g, redirect, request, session, url_for

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

# endpoints reachable without a session
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.setup", "auth.healthz"}


class LoginLimiter:
    """Counts failed logins per address; locks an address out after too many."""

    def __init__(self, max_failures: int = 5, window: float = 900.0, lockout: float = 900.0,
                 global_max: int = 30, global_lockout: float = 300.0,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window, self.lockout = max_failures, window, lockout
        self.global_max, self.global_lockout = global_max, global_lockout
        self._now = now
        self._lock = threading.Lock()
        self._fails: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._all: deque[float] = deque()
        self._global_until = 0.0

    def retry_after(self, addr: str) -> float:
        """Seconds until ``addr`` may try again (0: it may try now)."""
        now = self._now()
        with self._lock:
            wait = max(self._locked_until.get(addr, 0.0), self._global_until) - now
        return max(0.0, wait)

    def failed(self, addr: str) -> None:
        now = self._now()
        with self._lock:
            fails = self._fails.setdefault(addr, deque())
            self._trim(fails, now)
            fails.append(now)
            if len(fails) >= self.max_failures:
                self._locked_until[addr] = now + self.lockout
                fails.clear()
            self._trim(self._all, now)
            self._all.append(now)
            if len(self._all) >= self.global_max:
                self._global_until = now + self.global_lockout
                self._all.clear()

    def succeeded(self, addr: str) -> None:
        with self._lock:
            self._fails.pop(addr, None)
            self._locked_until.pop(addr, None)

    def _trim(self, fails: deque[float], now: float) -> None:
        while fails and fails[0] < now - self.window:
            fails.popleft()


def client_address() -> str:
    """The address a request came from (the TLS front passes the real one through)."""
    return request.environ.get("switchboard.client_addr") or request.remote_addr or "?"


def install(app: Flask) -> None:
    """Register the login gate and the security headers on ``app``."""
    app.before_request(_gate)
    app.after_request(_headers)


def _gate() -> Response | None:
    g.logged_in = bool(session.get("admin"))
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    state = current_app.extensions["switchboard.state"]
    if not state.is_set_up():
        return redirect(url_for("auth.setup"))
    if not g.logged_in:
        if request.path.startswith("/api/"):
            return Response('{"error": "login required"}', 401, mimetype="application/json")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


def _headers(resp: Response) -> Response:
    h = resp.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=86400")  # short: the certificate is self-signed
    if request.endpoint != "static":
        h.setdefault("Cache-Control", "no-store")
    return resp
