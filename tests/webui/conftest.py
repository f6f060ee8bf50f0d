"""Fixtures for the web UI tests: a FakeControl daemon, the app on a temporary data folder, a logged-in client.

``client`` is Flask's test client with CSRF on (as in production); ``logged_in`` runs the first-run wizard
once so pages can be reached. Helpers (``post``, ``form_token``, ``PASSWORD``) are in ``webui_helpers``.
"""
from __future__ import annotations

import pytest

from firmware.control import FakeControl
from webui import create_app
from webui.security import LoginLimiter
from webui_helpers import CHEAP_HASHER, Clock, form_token, wizard_form


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
    app.extensions["switchboard.menutester"].stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def logged_in(client, fake):
    """Run the first-run wizard; the client is then logged in."""
    resp = client.get("/setup")
    resp = client.post("/setup", data=wizard_form(fake, form_token(resp)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client
