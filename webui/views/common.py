"""Helpers the blueprints share: the daemon, the configuration round trip, revision checks.

A page that edits configuration loads ``(revision, doc)``, puts the revision in a hidden field, and on
save changes only what the form touched on a *fresh* copy at that revision; the daemon refuses the save if
someone else saved in between (``stale``), and the page then shows the other person's version beside the
values this person typed, so nothing typed is lost.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app, flash, request

from webui.choices import COUNTRY_CODES, timezones
from webui.daemon import Daemon, Refused, StaleConfig
from webui.state import WebState

STALE_MESSAGE = ("Someone else saved the configuration after you opened this page, so your change was "
                 "not saved. Their version is shown now; your values are kept in the form — check and "
                 "save again.")


def daemon() -> Daemon:
    return current_app.extensions["switchboard.daemon"]


def web_state() -> WebState:
    return current_app.extensions["switchboard.state"]


def form_revision() -> Any:
    """The configuration revision the page was loaded at (hidden field ``revision``)."""
    return request.form.get("revision", "") or None


def save_config(edit: Callable[[dict], list[tuple[str, str]]], success: str) -> tuple[bool, list]:
    """Apply ``edit`` to the configuration loaded at the form's revision and save it.

    ``edit(doc)`` changes ``doc`` in place and returns form errors (field, reason); with errors nothing is
    sent. Returns (saved, errors). A stale revision gives errors ``[("", STALE_MESSAGE)]``.
    """
    base = form_revision()
    current_rev, doc = daemon().config(fresh=True)
    errors = edit(doc)
    if errors:
        return False, errors
    if base is None:
        return False, [("", "The form is missing its configuration revision; reload the page.")]
    if str(base) != str(current_rev):
        return False, [("", STALE_MESSAGE)]
    try:
        daemon().put_config(doc, base)
    except StaleConfig:
        return False, [("", STALE_MESSAGE)]
    except Refused as exc:
        return False, exc.errors or [("", str(exc))]
    flash(success, "ok")
    return True, []


def apply_office(doc: dict, form: Any, errors: list, *, country_hint: str = "Choose a country from the list.",
                 zone_hint: str = "Choose a time zone from the list.") -> None:
    """Put the form's ``office_name``, ``country`` and ``timezone`` in ``doc["office"]``, adding to ``errors``
    (field, reason) for a name that is not 1 to 80 characters and for a country or zone not in the lists
    (``country_hint`` / ``zone_hint`` say what to do, in the page's words).
    """
    office = doc.setdefault("office", {})
    name = form.get("office_name", "").strip()
    if not 1 <= len(name) <= 80:
        errors.append(("Office name", "Give the office a name (up to 80 characters)."))
    office["name"] = name
    if form.get("country") not in COUNTRY_CODES:
        errors.append(("Country", country_hint))
    office["country"] = form.get("country")
    if form.get("timezone") not in set(timezones()):
        errors.append(("Time zone", zone_hint))
    office["timezone"] = form.get("timezone")
