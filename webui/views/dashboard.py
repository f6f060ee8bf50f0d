"""Dashboard: lines and phones live, calls today, new messages, day/night toggle, calls per hour (7 days).

The page is complete without script; ``static/dashboard.js`` long-polls ``/api/live`` and updates the
line, phone and mode cells in place (text only, never markup from the daemon).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from webui.charts import calls_per_hour_svg, hourly_counts, parse_time
from webui.daemon import Refused
from webui.views.common import daemon

bp = Blueprint("dashboard", __name__)

MODES = ("auto", "day", "night")


@bp.get("/")
def index():
    _, doc = daemon().config(private=False)
    state = live_state()
    calls_today, chart = _week(doc, state)
    return render_template("dashboard.html", state=state, doc=doc, calls_today=calls_today, chart=chart,
                           modes=MODES, title="Dashboard")


def _week(doc: dict, state: dict) -> tuple[int, str]:
    """Calls today and the 7-day chart, made at most every few seconds (the call log only grows)."""
    hit = daemon().cached("week", max_age=5.0)
    if hit is not None:
        return hit
    tz = office_tz(doc)
    now = parse_time(state["time"], timezone.utc) or datetime.now(timezone.utc)  # the daemon's clock
    records = daemon().calls(start=_stamp(now - timedelta(days=7)))
    today = now.astimezone(tz).date()
    calls_today = sum(1 for r in records if (t := parse_time(r.get("started_at"), tz)) and t.date() == today)
    return daemon().remember("week", (calls_today, calls_per_hour_svg(hourly_counts(records, now, tz))))


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


def _stamp(t: datetime) -> str:
    """The call log's time format: ISO 8601 UTC with a Z."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def live_state() -> dict:
    """The snapshot reduced to what the dashboard shows: lines, phones, mode, new messages."""
    snap = _snapshot()
    sched = snap.get("schedule") or {"state": "night" if snap.get("night") else "day",
                                     "forced": None, "night": bool(snap.get("night"))}
    calls = {c.get("id"): c for c in snap.get("calls", [])}
    return {
        "time": snap.get("time"),
        "mode": sched.get("forced") or "auto",
        "state": _state_text(sched),
        "night": bool(sched.get("night", snap.get("night"))),
        "lines": [_port_row(p, calls, p.get("id") or p.get("port")) for p in snap.get("lines", [])],
        "phones": [_port_row(p, calls, p.get("port") or p.get("phone")) for p in snap.get("phones", [])],
        "new_messages": _new_messages(snap),
        "calls": len(calls),
        "faults": [_fault_text(f) for f in snap.get("faults", [])],
    }


def _snapshot() -> dict:
    """The daemon's snapshot; while the live feed follows the event stream, reused until the next event."""
    feed = current_app.extensions["switchboard.live"]
    if not feed.following:
        return daemon().snapshot()
    seq = feed.seq
    hit = daemon().cached("snapshot", max_age=10.0)
    if hit is not None and hit[0] == seq:
        return hit[1]
    snap = daemon().snapshot()
    daemon().remember("snapshot", (seq, snap))
    return snap


def _new_messages(snap: dict) -> int:
    """Unheard messages in every mailbox: the snapshot's ``mwi`` or, without it, the voicemail counts."""
    mwi = snap.get("mwi")
    if mwi is None:
        mwi = daemon().cached("vm-counts", max_age=2.0)
        if mwi is None:
            mwi = daemon().remember("vm-counts", (daemon().call("voicemail.list", limit=1) or {}).get("counts", {}))
    return sum(int(b.get("new", 0)) for b in mwi.values())


def _fault_text(fault) -> str:
    if isinstance(fault, dict):
        where = fault.get("port") or fault.get("line") or fault.get("phone")
        return f"{where}: {fault.get('message', '')}" if where else str(fault.get("message", fault))
    return str(fault)


def _state_text(sched: dict) -> str:
    state = sched.get("state") or ""
    if sched.get("forced"):
        return f"{sched['forced']} (set by hand)"
    return f"{state} (by the schedule)" if state else ""


def _port_row(p: dict, calls: dict, name: str | None) -> dict:
    call = calls.get(p.get("call")) or {}
    cid = p.get("caller_id") if isinstance(p.get("caller_id"), dict) else {}
    who = " ".join(str(x) for x in (call.get("caller_name") or cid.get("name"),
                                    call.get("caller_number") or cid.get("number")) if x)
    if not who and call.get("extension"):
        who = f"extension {call['extension']}"
    label = str(p.get("label", ""))
    if p.get("extension"):
        label = f"{label} ({p['extension']})"
    return {"port": str(name or ""), "label": label, "state": str(p.get("state", "")).replace("_", " "),
            "detail": who}
