"""First-run wizard, login and logout.

There is no default password. Until an admin password exists every page leads to ``/setup``: it sets the
password (argon2id) and the basics — office name, country, time zone, which lines are connected, one
extension per desk phone — and logs the owner in. ``/login`` is rate limited per address with a lockout
(``webui.security.LoginLimiter``); the session is renewed on login and cleared on logout.
"""
from __future__ import annotations

import logging

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session, url_for)

from webui.choices import COUNTRIES, timezones
from webui.daemon import Refused, StaleConfig
from webui.security import client_address
from webui.state import check_password_strength
from webui.views.common import apply_office, daemon, web_state
from webui.views.extensions import NUMBER_RE

bp = Blueprint("auth", __name__)
log = logging.getLogger("switchboard.web.auth")


@bp.get("/healthz")
def healthz():
    return {"ok": True}


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if web_state().is_set_up():
        return redirect(url_for("dashboard.index"))
    revision, doc = daemon().config()
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        errors = _apply_setup(doc, request.form)
        if not errors:
            errors = _finish_setup(doc, revision)
            if not errors:
                _start_session()
                flash("Welcome. The box is set up; you can refine everything from these pages.", "ok")
                return redirect(url_for("dashboard.index"))
    return render_template("setup.html", doc=doc, revision=revision, errors=errors, form=request.form,
                           countries=COUNTRIES, timezones=timezones(), title="First-time setup")


def _apply_setup(doc: dict, form) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    pw, pw2 = form.get("password", ""), form.get("password2", "")
    try:
        check_password_strength(pw)
    except ValueError as exc:
        errors.append(("Password", str(exc)))
    if pw != pw2:
        errors.append(("Password", "The two passwords are not the same."))
    apply_office(doc, form, errors, country_hint="Choose the country the phone lines are in.",
                 zone_hint="Choose the office's time zone.")
    lines = [ln for ln in doc.get("lines", []) if form.get(f"line_{ln.get('port')}_on")]
    for ln in lines:
        ln["label"] = form.get(f"line_{ln['port']}_label", ln.get("label", "")).strip()[:64] or ln["port"]
    if doc.get("lines") and not lines:
        errors.append(("Lines", "Tick at least one connected phone line."))
    doc["lines"] = lines
    errors += _setup_extensions(doc, form)
    return errors


def _setup_extensions(doc: dict, form) -> list[tuple[str, str]]:
    errors, exts, seen = [], [], set()
    for phone in doc.get("phones", []):
        port = phone.get("port")
        number = form.get(f"ext_{port}_number", "").strip()
        name = form.get(f"ext_{port}_name", "").strip()
        if not number:
            continue
        if not NUMBER_RE.match(number):
            errors.append((f"Extension for {phone.get('label') or port}", "Use 2 to 6 digits."))
        elif number in seen:
            errors.append((f"Extension {number}", "Two phones cannot share a number."))
        seen.add(number)
        old = next((e for e in doc.get("extensions", []) if e.get("phone") == port), {})
        exts.append({**old, "number": number, "name": (name or phone.get("label") or number)[:64], "phone": port,
                     "mailbox": number if old.get("mailbox", True) else None})
    if doc.get("phones") and not exts:
        errors.append(("Extensions", "Give at least one desk phone an extension number."))
    exts += [e for e in doc.get("extensions", []) if not e.get("phone") and e.get("number") not in seen]
    seen |= {e["number"] for e in exts}
    doc["extensions"] = exts
    if doc.get("operator") not in seen and exts:
        doc["operator"] = exts[0]["number"]
    _drop_dangling_targets(doc, seen)
    return errors


def _drop_dangling_targets(doc: dict, numbers: set[str]) -> None:
    """Keep the rest of the document consistent with the new extension list."""
    trunks = doc.get("trunks", {}).get("outgoing")
    if trunks and "allowed_extensions" in trunks:
        trunks["allowed_extensions"] = sorted(numbers)
    for menu in doc.get("menus", {}).values():
        opts = menu.get("options", {})
        for key in [k for k, o in opts.items() if o.get("action") in ("extension", "mailbox")
                    and str(o.get("target")) not in numbers]:
            del opts[key]


def _finish_setup(doc: dict, revision) -> list[tuple[str, str]]:
    try:
        problems = daemon().validate(doc)
    except Refused as exc:
        return exc.errors or [("", str(exc))]
    if problems:
        return problems
    if not web_state().create_admin(request.form["password"]):
        return [("", "The box was set up from another browser a moment ago; log in instead.")]
    try:
        daemon().put_config(doc, revision)
    except (StaleConfig, Refused) as exc:
        flash(f"The password is set, but the office settings were not saved: {exc}. "
              "Set them again under Settings.", "error")
    return []


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not web_state().is_set_up():
        return redirect(url_for("auth.setup"))
    limiter = current_app.extensions["switchboard.limiter"]
    addr = client_address()
    error = None
    status = 200
    if request.method == "POST":
        wait = limiter.retry_after(addr)
        if wait > 0:
            log.warning("web login: %s is locked out for %.0f s more", addr, wait)
            error = f"Too many wrong passwords. Try again in {int(wait // 60) + 1} minutes."
            status = 429
        elif web_state().verify(request.form.get("password", "")):
            limiter.succeeded(addr)
            _start_session()
            return redirect(_safe_next(request.args.get("next")))
        else:
            limiter.failed(addr)
            log.warning("web login: wrong password from %s", addr)
            error = "That password is not right."
            status = 401
    return render_template("login.html", error=error, title="Log in"), status


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the dashboard."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


def _start_session() -> None:
    session.clear()
    session.permanent = True
    session["admin"] = True


@bp.post("/logout")
def logout():
    session.clear()
    flash("You are logged out.", "ok")
    return redirect(url_for("auth.login"))
