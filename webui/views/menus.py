"""Attendant menus: edit the tree — greeting per schedule state, keys and their actions, timeouts —
with the menu tester's report beside it.

One page per menu: the greeting prompt for each schedule state (day is required; the rest fall back to
day), silence timeout, retries, where a caller goes after the last retry, dial-by-extension, and one row per
key (0–9, *, #) with an action and its target. Menus can be added and deleted (the entry menu cannot).
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from webui.choices import MENU_ACTION_CODES, MENU_ACTIONS, NEEDS_TARGET
from webui.views.common import daemon, save_config

bp = Blueprint("menus", __name__, url_prefix="/menus")
KEYS = list("1234567890*#")
STATES = ("day", "lunch", "night", "holiday", "override")
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
PROMPT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,127}$")
DEST_RE = re.compile(r"^(operator|hangup|directory|(menu|ring_group|queue):[a-z][a-z0-9_-]*|(extension|mailbox):[0-9]+)$")


@bp.get("/")
def index():
    revision, doc = daemon().config()
    menus = doc.get("menus") or {}
    entry = (doc.get("attendant") or {}).get("menu", "main")
    if menus:
        return redirect(url_for("menus.edit", name=entry if entry in menus else sorted(menus)[0]))
    return render_template("menus/index.html", menus=menus, entry=entry, revision=revision, title="Menus")


@bp.post("/new")
def new():
    name = request.form.get("name", "").strip()

    def add(doc: dict) -> list:
        if not NAME_RE.match(name):
            return [("Menu name", "Use lower-case letters, digits, '-' and '_', starting with a letter.")]
        menus = doc.setdefault("menus", {})
        if name in menus:
            return [("Menu name", f"A menu called {name} already exists.")]
        menus[name] = {"greeting": {"day": "greeting-default"}, "timeout": 5, "retries": 2,
                       "on_fail": "operator", "options": {"0": {"action": "operator"}}}
        return []
    saved, errors = save_config(add, f"Menu {name} added.")
    if saved:
        return redirect(url_for("menus.edit", name=name))
    revision, doc = daemon().config()
    return render_template("menus/index.html", menus=doc.get("menus") or {}, errors=errors, revision=revision,
                           entry=(doc.get("attendant") or {}).get("menu", "main"), title="Menus"), 400


@bp.route("/<name>", methods=["GET", "POST"])
def edit(name: str):
    if not NAME_RE.match(name):
        abort(404)
    errors: list = []
    if request.method == "POST":
        saved, errors = save_config(lambda doc: _apply(doc, name, request.form), f"Menu {name} saved.")
        if saved:
            return redirect(url_for("menus.edit", name=name))
    revision, doc = daemon().config()
    menus = doc.get("menus") or {}
    if name not in menus:
        abort(404)
    tester = current_app.extensions["switchboard.menutester"]
    report = tester.report(revision, doc, wait=2.0) if current_app.config.get("MENU_TESTER", True) else None
    return render_template("menus/edit.html", name=name, menu=menus[name], menus=sorted(menus), keys=KEYS,
                           states=STATES, actions=MENU_ACTIONS, revision=revision, errors=errors,
                           form=request.form if errors else None, report=report, doc=doc,
                           entry=(doc.get("attendant") or {}).get("menu", "main"), title=f"Menu {name}"), \
        (400 if errors else 200)


@bp.post("/<name>/delete")
def delete(name: str):
    def remove(doc: dict) -> list:
        if name == (doc.get("attendant") or {}).get("menu", "main"):
            return [("", "The entry menu cannot be deleted; make another menu the entry first.")]
        if name not in (doc.get("menus") or {}):
            return [("", f"There is no menu {name}.")]
        del doc["menus"][name]
        return []
    saved, errors = save_config(remove, f"Menu {name} deleted.")
    if saved:
        return redirect(url_for("menus.index"))
    revision, doc = daemon().config()
    return render_template("menus/index.html", menus=doc.get("menus") or {}, errors=errors, revision=revision,
                           entry=(doc.get("attendant") or {}).get("menu", "main"), title="Menus"), 400


def _apply(doc: dict, name: str, form) -> list:
    menu = (doc.get("menus") or {}).get(name)
    if menu is None:
        return [("", f"Menu {name} was deleted by someone else; nothing was saved.")]
    errors: list = []
    greeting = {}
    for state in STATES:
        prompt = form.get(f"greeting_{state}", "").strip()
        if prompt and not PROMPT_RE.match(prompt):
            errors.append((f"Greeting ({state})", "A prompt name uses letters, digits, '-', '_', '.' or '/'."))
        if prompt:
            greeting[state] = prompt
    if "day" not in greeting:
        errors.append(("Greeting (day)", "The day greeting is required; the other states fall back to it."))
    menu["greeting"] = greeting
    menu["timeout"] = _number(form, "timeout", "Timeout", 1, 60, errors, float)
    menu["retries"] = _number(form, "retries", "Retries", 0, 9, errors, int)
    on_fail = form.get("on_fail", "").strip()
    if not DEST_RE.match(on_fail):
        errors.append(("After the last retry", "Choose operator, hangup, directory, menu:NAME, extension:NUMBER "
                                               "or mailbox:NUMBER."))
    menu["on_fail"] = on_fail
    menu["dial_by_extension"] = bool(form.get("dial_by_extension"))
    menu["options"] = _options(form, menu.get("options") or {}, errors)
    return errors


def _number(form, key: str, label: str, lo: float, hi: float, errors: list, kind):
    raw = form.get(key, "").strip()
    try:
        value = kind(raw)
        if not lo <= value <= hi:
            raise ValueError
    except ValueError:
        errors.append((label, f"Give a number from {lo:g} to {hi:g}."))
        return raw
    return value


def _options(form, old: dict, errors: list) -> dict:
    options = {}
    for i, key in enumerate(KEYS):
        action = form.get(f"action_{i}", "")
        if not action:
            continue
        if action not in MENU_ACTION_CODES:
            errors.append((f"Key {key}", "Choose an action from the list."))
            continue
        opt = {"action": action}
        target = form.get(f"target_{i}", "").strip()
        if action in NEEDS_TARGET and not target:
            errors.append((f"Key {key}", "This action needs a target (an extension, menu, group or number)."))
        if target and action in NEEDS_TARGET:
            opt["target"] = target
        for field in ("prompt", "label"):
            value = form.get(f"{field}_{i}", "").strip()
            if value:
                opt[field] = value[:64]
        if action == "info" and "prompt" not in opt:
            errors.append((f"Key {key}", "“Play a message” needs the prompt to play."))
        options[key] = opt
    return options
