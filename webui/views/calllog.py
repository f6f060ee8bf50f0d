"""Call log: filter by date range, line, extension and caller; export what is shown as CSV.

Filters go to the daemon's ``calllog.query`` and are applied again here, so the page and the CSV always
agree with what the filter says. The CSV neutralises cells that a spreadsheet would run as a formula
(caller-ID names come from outside the office).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request

from webui.charts import parse_time
from webui.views.common import daemon
from webui.views.dashboard import office_tz

bp = Blueprint("calllog", __name__, url_prefix="/calls")
COLUMNS = ["start", "direction", "line", "extension", "caller_id", "caller_name", "dialed", "duration",
           "result"]
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
    query = {"limit": MAX_ROWS}
    if f["from"]:
        query["since"] = datetime.combine(date.fromisoformat(f["from"]), time(), tz).isoformat()
    if f["to"]:
        query["until"] = datetime.combine(date.fromisoformat(f["to"]) + timedelta(days=1), time(), tz).isoformat()
    for key in ("line", "extension", "caller"):
        if f[key]:
            query[key] = f[key]
    res = daemon().call("calllog.query", **query)
    rows = list(res.get("calls", res.get("records", [])) if isinstance(res, dict) else res or [])
    return [r for r in rows if _matches(r, f, tz)]


def _matches(r: dict, f: dict, tz) -> bool:
    t = parse_time(r.get("start"), tz)
    if f["from"] and (t is None or t.date() < date.fromisoformat(f["from"])):
        return False
    if f["to"] and (t is None or t.date() > date.fromisoformat(f["to"])):
        return False
    if f["line"] and str(r.get("line", "")) != f["line"]:
        return False
    if f["extension"] and str(r.get("extension", "")) != f["extension"]:
        return False
    if f["caller"]:
        needle = f["caller"].lower()
        hay = f'{r.get("caller_id", "")} {r.get("caller_name", "")}'.lower()
        if needle not in hay:
            return False
    return True


@bp.get("/")
def index():
    f, errors = _filters()
    _, doc = daemon().config()
    rows = _records(f)
    rows.sort(key=lambda r: str(r.get("start", "")), reverse=True)
    return render_template("calllog.html", rows=rows, f=f, errors=[("", e) for e in errors],
                           lines=[ln.get("id") for ln in doc.get("lines", [])], columns=COLUMNS,
                           title="Call log")


@bp.get("/export.csv")
def export():
    f, _ = _filters()
    rows = sorted(_records(f), key=lambda r: str(r.get("start", "")))
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
