"""Fixtures for the web UI tests: a FakeControl daemon, the app on a temporary data folder, a logged-in client.

``client`` is Flask's test client with CSRF on (as in production); ``form_token(resp)`` reads the token a page
rendered, and ``logged_in`` runs the first-run wizard once so pages can be reached.
"""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from firmware.control import FakeControl
from webui import create_app
from webui.security import LoginLimiter

PASSWORD = "correct horse battery"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # argon2id, test-sized
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A hand-moved clock for the login limiter."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def fake():
    with FakeControl() as control:
        yield control


@pytest.fixture
def limiter_clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path, fake, limiter_clock):
    app = create_app({"DATA_DIR": str(tmp_path / "data"), "CONTROL": fake, "TESTING": True,
                      "LOGIN_LIMITER": LoginLimiter(now=limiter_clock), "MENU_TESTER": False,
                      "PASSWORD_HASHER": CHEAP_HASHER})
    yield app
    app.extensions["switchboard.live"].stop()


@pytest.fixture
def client(app):
    return app.test_client()


def form_token(resp) -> str:
    match = TOKEN_RE.search(resp.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


def wizard_form(fake, token: str, **overrides) -> dict:
    doc = fake.call("config.get")
    form = {"csrf_token": token, "password": PASSWORD, "password2": PASSWORD, "office_name": "Acme Dental",
            "country": "US", "timezone": "America/New_York", "revision": doc["revision"]}
    for line in doc["document"]["lines"]:
        form[f"line_{line['port']}_on"] = "1"
        form[f"line_{line['port']}_label"] = line.get("label", line["id"])
    for ext in doc["document"]["extensions"]:
        if ext.get("phone"):
            form[f"ext_{ext['phone']}_number"] = ext["number"]
            form[f"ext_{ext['phone']}_name"] = ext["name"]
    form.update(overrides)
    return form


@pytest.fixture
def logged_in(client, fake):
    """Run the first-run wizard; the client is then logged in."""
    resp = client.get("/setup")
    resp = client.post("/setup", data=wizard_form(fake, form_token(resp)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


def csrf(client) -> str:
    """A valid CSRF token for this client's session (read from a light page)."""
    return form_token(client.get("/login"))


def post(client, url: str, data: dict | None = None, **kw):
    """POST a form with this session's CSRF token added."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kw)
