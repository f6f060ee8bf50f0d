"""Call log: filter by date range, line, extension and caller; export what is shown as CSV.

Filters go to the daemon's ``calllog.query`` and are applied again here, so the page and the CSV always
agree with what the filter says. The CSV neutralises cells that a spreadsheet would run as a formula
(caller-ID names come from outside the office).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, Response, render_template, request

from webui.charts import parse_time
from webui.views.common import daemon
from webui.views.dashboard import office_tz

bp = Blueprint("calllog", __name__, url_prefix="/calls")
COLUMNS = ["started_at", "direction", "line", "extension", "caller_number", "caller_name", "dialled",
           "duration_s", "talk_s", "disposition"]
MAX_ROWS = 5000


def _filters() -> tuple[dict, list[str]]:
    args, errors = request.args, []
    f = {k: args.get(k, "").strip() for k in ("from", "to", "line", "extension", "caller")}
    for key in ("from", "to"):
        if f[key]:
            try:
                date.fromisoformat(f[key])
            except ValueError:
                errors.append(f"“{key}” must be a date like 2026-03-01.")
                f[key] = ""
    if f["extension"] and not f["extension"].isdigit():
        errors.append("The extension filter takes digits only.")
        f["extension"] = ""
    if f["line"] and not re.match(r"^[a-z0-9_-]{1,32}$", f["line"]):
        errors.append("Choose a line from the list.")
        f["line"] = ""
    f["caller"] = f["caller"][:40]
    return f, errors


def _records(f: dict) -> list[dict]:
    _, doc = daemon().config()
    tz = office_tz(doc)
    query = {}
    if f["from"]:
        query["start"] = _stamp(datetime.combine(date.fromisoformat(f["from"]), time(), tz))
    if f["to"]:
        query["end"] = _stamp(datetime.combine(date.fromisoformat(f["to"]) + timedelta(days=1), time(), tz))
    for key in ("line", "extension", "caller"):
        if f[key]:
            query[key] = f[key]
    return [r for r in daemon().calls(limit=MAX_ROWS, **query) if _matches(r, f, tz)]


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _matches(r: dict, f: dict, tz) -> bool:
    """The same filter again, here, so page and CSV always say what the filter says."""
    t = parse_time(r.get("started_at"), tz)
    if f["from"] and (t is None or t.date() < date.fromisoformat(f["from"])):
        return False
    if f["to"] and (t is None or t.date() > date.fromisoformat(f["to"])):
        return False
    if f["line"] and str(r.get("line") or "") != f["line"]:
        return False
    if f["extension"] and str(r.get("extension") or "") != f["extension"]:
        return False
    if f["caller"]:
        hay = f'{r.get("caller_number") or ""} {r.get("caller_name") or ""}'.lower()
        if f["caller"].lower() not in hay:
            return False
    return True


@bp.get("/")
def index():
    f, errors = _filters()
    _, doc = daemon().config()
    rows = _records(f)
    for r in rows:
        t = parse_time(r.get("started_at"), office_tz(doc))
        r["local_start"] = t.strftime("%Y-%m-%d %H:%M:%S") if t else ""
    return render_template("calllog.html", rows=rows, f=f, errors=[("", e) for e in errors],
                           lines=[ln.get("id") for ln in doc.get("lines", [])], columns=COLUMNS,
                           title="Call log")


@bp.get("/export.csv")
def export():
    f, _ = _filters()
    rows = sorted(_records(f), key=lambda r: str(r.get("started_at") or ""))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([_cell(r.get(c, "")) for c in COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="switchboard-calls.csv"'})


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.match(r"^\+?[0-9]+$", text):
        return "'" + text
    return text
