"""JSON for live pages (same session and login as the pages; GET only, so no CSRF token needed).

``GET /api/live?seq=N`` — waits up to ``wait`` seconds (default 20, at most 25) for an event newer than
``N``, then answers ``{"seq": M, "state": {...dashboard state...}}``. At most ``LIVE_WAITERS`` requests wait at
once (each holds a server thread); beyond that the answer comes at once with ``retry_ms`` and the page polls.
``GET /api/events?since=N`` — the recent events after ``N`` (the simulation panel's transcript).
"""
from __future__ import annotations

import threading

from flask import Blueprint, current_app, jsonify, request

from webui.views.dashboard import live_state

bp = Blueprint("api", __name__, url_prefix="/api")
LIVE_WAITERS = 8
_waiters = threading.BoundedSemaphore(LIVE_WAITERS)


def feed():
    return current_app.extensions["switchboard.live"]


def _int_arg(name: str, default: int, hi: int) -> int:
    raw = request.args.get(name, "")
    return min(int(raw), hi) if raw.isdigit() else default


@bp.get("/live")
def live():
    seq = _int_arg("seq", -1, 2**62)
    wait = _int_arg("wait", 20, 25)
    live_feed = feed()
    live_feed.start()
    if seq < 0:
        return jsonify(seq=live_feed.seq, state=live_state())
    if not _waiters.acquire(blocking=False):
        return jsonify(seq=live_feed.seq, state=live_state(), retry_ms=2000)
    try:
        now_seq = live_feed.wait_for(seq, wait)
    finally:
        _waiters.release()
    return jsonify(seq=now_seq, state=live_state())


@bp.get("/events")
def events():
    since = _int_arg("since", 0, 2**62)
    live_feed = feed()
    live_feed.start()
    return jsonify(seq=live_feed.seq, events=[e for e in list(live_feed.recent) if e["seq"] > since])
