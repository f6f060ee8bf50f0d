"""Extensions: list, create, edit, delete — number, name, phone port, mailbox, PIN reset, DND, forwarding.

Every save is a configuration put at the revision the form was loaded at (``views.common.save_config``):
if another browser saved first, the save is refused, the other version is shown, and the values this person
typed stay in the form. Renaming an extension number carries the operator, menu options, ring groups,
queues and the outgoing allow-list along; deleting one that something still points at is refused by the
daemon's cross-reference check with the place that points at it.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from webui.views.common import daemon, form_revision, save_config

bp = Blueprint("extensions", __name__, url_prefix="/extensions")

NUMBER_RE = re.compile(r"^[1-9][0-9]{1,5}$")
PIN_RE = re.compile(r"^[0-9]{4,10}$")
OUTSIDE_RE = re.compile(r"^\+?[0-9]{3,20}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
FORWARD_KINDS = ("always", "busy", "no_answer")


@bp.get("/")
def index():
    revision, doc = daemon().config(private=False)
    exts = sorted(doc.get("extensions", []), key=lambda e: e.get("number", ""))
    return render_template("extensions/index.html", extensions=exts, doc=doc, revision=revision,
                           title="Extensions")


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _edit(None)


@bp.route("/<number>/edit", methods=["GET", "POST"])
def edit(number: str):
    if not NUMBER_RE.match(number):
        abort(404)
    return _edit(number)


@bp.post("/<number>/delete")
def delete(number: str):
    def remove(doc: dict) -> list:
        before = len(doc.get("extensions", []))
        doc["extensions"] = [e for e in doc.get("extensions", []) if e.get("number") != number]
        if len(doc["extensions"]) == before:
            return [("", f"Extension {number} does not exist any more.")]
        allowed = doc.get("trunks", {}).get("outgoing", {}).get("allowed_extensions")
        if allowed and number in allowed:
            allowed.remove(number)
        return []
    saved, errors = save_config(remove, f"Extension {number} deleted.")
    if not saved:
        revision, doc = daemon().config()
        return render_template("extensions/index.html", extensions=doc.get("extensions", []), doc=doc,
                               revision=revision, errors=errors, title="Extensions"), 409
    return redirect(url_for("extensions.index"))


def _edit(number: str | None):
    revision, doc = daemon().config()
    current = _find(doc, number) if number else {}
    if number and current is None:
        abort(404)
    errors: list = []
    values = _values_from(current)
    if request.method == "POST":
        values = _values_from_form(request.form)
        saved, errors = save_config(lambda d: _apply(d, number, values),
                                    f"Extension {values['number']} saved.")
        if saved:
            return redirect(url_for("extensions.index"))
        revision, doc = daemon().config()  # show the version now saved beside what was typed
        current = (_find(doc, number) if number else {}) or {}
    status = 409 if errors and any("someone else" in r.lower() for _, r in errors) else (400 if errors else 200)
    return render_template("extensions/edit.html", v=values, original=number, current=current, doc=doc,
                           revision=revision, errors=errors,
                           title=f"Extension {number}" if number else "New extension"), status


def _find(doc: dict, number: str | None) -> dict | None:
    return next((e for e in doc.get("extensions", []) if e.get("number") == number), None)


def _values_from(ext: dict) -> dict[str, Any]:
    fwd = ext.get("forward") or {}
    return {"number": ext.get("number", ""), "name": ext.get("name", ""), "phone": ext.get("phone") or "",
            "has_mailbox": bool(ext.get("mailbox")) if ext else True, "pin": "", "email": ext.get("email", ""),
            "dnd": bool(ext.get("dnd")), "ring_timeout": str(ext.get("ring_timeout", "")),
            **{f"fwd_{k}": fwd.get(k) or "" for k in FORWARD_KINDS}}


def _values_from_form(form) -> dict[str, Any]:
    return {"number": form.get("number", "").strip(), "name": form.get("name", "").strip(),
            "phone": form.get("phone", "").strip(), "has_mailbox": bool(form.get("has_mailbox")),
            "pin": form.get("pin", "").strip(), "email": form.get("email", "").strip(),
            "dnd": bool(form.get("dnd")), "ring_timeout": form.get("ring_timeout", "").strip(),
            **{f"fwd_{k}": form.get(f"fwd_{k}", "").strip() for k in FORWARD_KINDS}}


def _check(doc: dict, original: str | None, v: dict) -> list[tuple[str, str]]:
    errors = []
    if not NUMBER_RE.match(v["number"]):
        errors.append(("Number", "Use 2 to 6 digits, not starting with 0 (0 reaches the operator)."))
    elif v["number"] != original and _find(doc, v["number"]):
        errors.append(("Number", f"Extension {v['number']} already exists."))
    if not v["name"] or len(v["name"]) > 64:
        errors.append(("Name", "Give a name of 1 to 64 characters."))
    ports = {p.get("port") for p in doc.get("phones", [])}
    if v["phone"] and v["phone"] not in ports:
        errors.append(("Phone", "Choose one of the box's phone ports, or none."))
    min_pin = int((doc.get("security") or {}).get("pin_min_length", 4))
    if v["pin"] and (not PIN_RE.match(v["pin"]) or len(v["pin"]) < min_pin):
        errors.append(("Voicemail PIN", f"Use {min_pin} to 10 digits."))
    if v["email"] and not EMAIL_RE.match(v["email"]):
        errors.append(("E-mail", "That does not look like an e-mail address."))
    if v["ring_timeout"]:
        try:
            if not 0 < float(v["ring_timeout"]) <= 600:
                raise ValueError
        except ValueError:
            errors.append(("Ring time", "Give the seconds to ring before voicemail (1 to 600), or leave empty."))
    for kind in FORWARD_KINDS:
        target = v[f"fwd_{kind}"]
        if target and not (NUMBER_RE.match(target) or OUTSIDE_RE.match(target)):
            errors.append((f"Forward ({kind.replace('_', ' ')})", "Give an extension or a phone number (digits only)."))
        elif target and target == v["number"]:
            errors.append((f"Forward ({kind.replace('_', ' ')})", "An extension cannot forward to itself."))
    return errors


def _apply(doc: dict, original: str | None, v: dict) -> list[tuple[str, str]]:
    errors = _check(doc, original, v)
    if errors:
        return errors
    exts = doc.setdefault("extensions", [])
    ext = _find(doc, original) if original else None
    if original and ext is None:
        return [("", f"Extension {original} was deleted by someone else; nothing was saved.")]
    if ext is None:
        ext = {}
        exts.append(ext)
    ext["number"], ext["name"] = v["number"], v["name"]
    ext["phone"] = v["phone"] or None
    ext["mailbox"] = v["number"] if v["has_mailbox"] else None
    if v["pin"]:
        ext["pin"] = v["pin"]
    _set_or_drop(ext, "email", v["email"] or None)
    ext["dnd"] = v["dnd"]
    _set_or_drop(ext, "ring_timeout", float(v["ring_timeout"]) if v["ring_timeout"] else None)
    fwd = {k: v[f"fwd_{k}"] for k in FORWARD_KINDS if v[f"fwd_{k}"]}
    _set_or_drop(ext, "forward", fwd or None)
    if original and original != v["number"]:
        _renumber(doc, original, v["number"])
    return []


def _set_or_drop(d: dict, key: str, value: Any) -> None:
    if value is None:
        d.pop(key, None)
    else:
        d[key] = value


def _renumber(doc: dict, old: str, new: str) -> None:
    """Carry references to an extension's number along when it changes."""
    if doc.get("operator") == old:
        doc["operator"] = new
    for menu in (doc.get("menus") or {}).values():
        for opt in (menu.get("options") or {}).values():
            if opt.get("action") in ("extension", "mailbox") and opt.get("target") == old:
                opt["target"] = new
    for group in (doc.get("ring_groups") or []) + (doc.get("queues") or []):
        group["members"] = [new if m == old else m for m in group.get("members", [])]
    allowed = (doc.get("trunks") or {}).get("outgoing", {}).get("allowed_extensions")
    if allowed:
        (doc["trunks"]["outgoing"])["allowed_extensions"] = [new if m == old else m for m in allowed]
    for ext in doc.get("extensions", []):
        for kind, target in list((ext.get("forward") or {}).items()):
            if target == old:
                ext["forward"][kind] = new
