"""JSON for live pages (same session and login as the pages; GET only, so no CSRF token needed).

``GET /api/live?seq=N`` — waits up to ``wait`` seconds (default 20, at most 25) for an event newer than
``N``, then answers ``{"seq": M, "state": {...dashboard state...}}``.
``GET /api/events?since=N`` — the recent events after ``N`` (the simulation panel's transcript).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from webui.views.dashboard import live_state

bp = Blueprint("api", __name__, url_prefix="/api")


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
    now_seq = live_feed.wait_for(seq, wait) if seq >= 0 else live_feed.seq
    return jsonify(seq=now_seq, state=live_state())


@bp.get("/events")
def events():
    since = _int_arg("since", 0, 2**62)
    live_feed = feed()
    live_feed.start()
    return jsonify(seq=live_feed.seq, events=[e for e in list(live_feed.recent) if e["seq"] > since])
