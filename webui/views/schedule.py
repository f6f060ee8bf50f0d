"""Schedule: open hours per weekday, lunch break, holidays, and the day/night override.

Hours are typed as ranges (``09:00-12:00, 13:00-17:00``; empty = closed). Each holiday has a date, a name,
optional open hours (e.g. Christmas Eve mornings) and "every year". The override (``schedule.mode``) is saved
in the configuration here; the dashboard's toggle sets it live through the daemon.
"""
from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for

from webui.views.common import daemon, save_config

bp = Blueprint("schedule", __name__, url_prefix="/schedule")
DAYS = [("mon", "Monday"), ("tue", "Tuesday"), ("wed", "Wednesday"), ("thu", "Thursday"), ("fri", "Friday"),
        ("sat", "Saturday"), ("sun", "Sunday")]
RANGE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
BLANK_HOLIDAYS = 3


def parse_ranges(text: str, label: str, errors: list) -> list[str]:
    ranges = [r.replace(" ", "") for r in re.split(r"[,;]", text or "") if r.strip()]
    for r in ranges:
        if not RANGE.match(r):
            errors.append((label, f"“{r}” is not a time range like 09:00-17:00."))
        elif r.split("-")[0] >= r.split("-")[1]:
            errors.append((label, f"“{r}” ends before it starts."))
    return ranges


@bp.route("/", methods=["GET", "POST"])
def index():
    errors: list = []
    if request.method == "POST":
        saved, errors = save_config(lambda doc: _apply(doc, request.form), "Schedule saved.")
        if saved:
            return redirect(url_for("schedule.index"))
    revision, doc = daemon().config()
    sched = doc.get("schedule") or {}
    holidays = list(sched.get("holidays", [])) + [{}] * BLANK_HOLIDAYS
    return render_template("schedule.html", sched=sched, holidays=holidays, days=DAYS, revision=revision,
                           errors=errors, form=request.form if errors else None, title="Schedule"), \
        (400 if errors else 200)


def _apply(doc: dict, form) -> list:
    errors: list = []
    sched = doc.setdefault("schedule", {})
    sched["hours"] = {d: parse_ranges(form.get(f"hours_{d}", ""), name, errors) for d, name in DAYS}
    lunch_start, lunch_end = form.get("lunch_start", "").strip(), form.get("lunch_end", "").strip()
    if lunch_start or lunch_end:
        if not (HHMM.match(lunch_start) and HHMM.match(lunch_end)) or lunch_start >= lunch_end:
            errors.append(("Lunch", "Give the lunch break as two times, e.g. 12:00 and 13:00."))
        days = [d for d, _ in DAYS if form.get(f"lunch_{d}")]
        sched["lunch"] = {"start": lunch_start, "end": lunch_end, "days": days or [d for d, _ in DAYS[:5]]}
    else:
        sched.pop("lunch", None)
    sched["holidays"] = _holidays(form, errors)
    mode = form.get("mode", "auto")
    if mode not in ("auto", "day", "night"):
        errors.append(("Override", "Choose automatic, always day or always night."))
    sched["mode"] = mode
    return errors


def _holidays(form, errors: list) -> list[dict]:
    out, seen = [], set()
    count = int(form.get("holiday_count", "0")) if form.get("holiday_count", "").isdigit() else 0
    for i in range(min(count, 200)):
        day = form.get(f"hol_date_{i}", "").strip()
        name = form.get(f"hol_name_{i}", "").strip()
        if not day and not name:
            continue
        try:
            date.fromisoformat(day)
        except ValueError:
            errors.append((f"Holiday {name or i + 1}", "Give the date as YYYY-MM-DD."))
            continue
        if day in seen:
            errors.append((f"Holiday {day}", "This date is listed twice."))
        seen.add(day)
        item = {"date": day, "name": (name or "Holiday")[:64], "annual": bool(form.get(f"hol_annual_{i}"))}
        hours = parse_ranges(form.get(f"hol_hours_{i}", ""), f"Holiday {day}", errors)
        if hours:
            item["hours"] = hours
        out.append(item)
    return sorted(out, key=lambda h: h["date"])
