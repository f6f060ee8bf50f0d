"""Dashboard: lines and phones live, calls today, new messages, day/night toggle, calls per hour (7 days).

The page is complete without script; ``static/dashboard.js`` long-polls ``/api/live`` and updates the
line, phone and mode cells in place (text only, never markup from the daemon).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, flash, redirect, render_template, request, url_for

from webui.charts import calls_per_hour_svg, hourly_counts, parse_time
from webui.daemon import Refused
from webui.views.common import daemon

bp = Blueprint("dashboard", __name__)

MODES = ("auto", "day", "night")


@bp.get("/")
def index():
    revision, doc = daemon().config()
    tz = office_tz(doc)
    now = datetime.now(timezone.utc)
    records = query_calls(since=now - timedelta(days=7))
    today = now.astimezone(tz).date()
    calls_today = sum(1 for r in records if (t := parse_time(r.get("start"), tz)) and t.date() == today)
    return render_template("dashboard.html", state=live_state(), doc=doc, calls_today=calls_today,
                           chart=calls_per_hour_svg(hourly_counts(records, now, tz)), modes=MODES,
                           title="Dashboard")


@bp.post("/mode")
def set_mode():
    mode = request.form.get("mode", "")
    if mode not in MODES:
        flash("Choose day, night or automatic (by the schedule).", "error")
    else:
        try:
            daemon().call("schedule.set_mode", mode=mode)
            flash({"auto": "The schedule decides day and night again.", "day": "Day mode is on.",
                   "night": "Night mode is on."}[mode], "ok")
        except Refused as exc:
            flash(f"The mode was not changed: {exc}", "error")
    return redirect(url_for("dashboard.index"))


def office_tz(doc: dict) -> ZoneInfo:
    name = (doc.get("schedule") or {}).get("timezone") or (doc.get("office") or {}).get("timezone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def query_calls(**filters) -> list[dict]:
    args = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in filters.items() if v not in (None, "")}
    res = daemon().call("calllog.query", **args)
    return list(res.get("calls", res.get("records", [])) if isinstance(res, dict) else res or [])


def live_state() -> dict:
    """The snapshot reduced to what the dashboard shows: lines, phones, mode, new messages."""
    snap = daemon().snapshot()
    return {
        "mode": snap.get("mode") or (snap.get("schedule") or {}).get("mode") or "auto",
        "state": snap.get("schedule_state") or (snap.get("schedule") or {}).get("state") or "",
        "sim": bool(snap.get("sim")),
        "lines": [_port_row(p) for p in snap.get("lines", [])],
        "phones": [_port_row(p) for p in snap.get("phones", [])],
        "new_messages": _new_messages(snap),
        "calls": len(snap.get("calls", [])),
    }


def _port_row(p: dict) -> dict:
    return {"port": str(p.get("port", p.get("id", ""))), "label": str(p.get("label", "")),
            "state": str(p.get("state", "")), "detail": str(p.get("caller_id") or p.get("peer") or "")}


def _new_messages(snap: dict) -> int:
    vm = snap.get("voicemail")
    if isinstance(vm, dict):
        if "new" in vm:
            return int(vm["new"])
        return sum(int(b.get("new", 0)) for b in vm.values() if isinstance(b, dict))
    return int(snap.get("new_messages", 0))
