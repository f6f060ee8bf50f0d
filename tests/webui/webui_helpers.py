"""Helpers shared by the web UI tests (a uniquely named module, so it never collides with another conftest)."""
from __future__ import annotations

import re
import shutil
import socket

from argon2 import PasswordHasher

PASSWORD = "correct horse battery"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # argon2id, test-sized
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Headless Chromium for the browser tests: no sandbox (containers), no network of its own."""


class Clock:
    """A hand-moved clock for the login limiter."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


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


def csrf(client) -> str:
    """A valid CSRF token for this client's session (read from a light page)."""
    return form_token(client.get("/login"))


def post(client, url: str, data: dict | None = None, **kw):
    """POST a form with this session's CSRF token added."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kw)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def finish_setup_wizard(page, office_name: str, **choices: str) -> None:
    """In a browser on a box not set up yet: the first page must be the wizard; set the password, name the
    office, pick ``choices`` (select id → value, e.g. ``country="GB"``) and finish."""
    page.goto("/")
    assert page.url.endswith("/setup")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.fill("#office_name", office_name)
    for field, value in choices.items():
        page.select_option(f"#{field}", value)
    page.click("#finish-setup")
