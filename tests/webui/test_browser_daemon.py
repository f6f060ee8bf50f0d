"""The web page against the real daemon: ``switchboard run --sim`` starts ``switchboard web`` over HTTPS.

One bounded end-to-end check in real time: the box makes its certificate, the first-run wizard runs over
HTTPS, the dashboard shows the simulated office's lines, night mode reaches the daemon, and a call rung in
from the simulation panel shows up on the dashboard with its caller ID.
"""
from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest

from webui_helpers import CHROMIUM, CHROMIUM_ARGS, finish_setup_wizard, free_port

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def wait_for_https(url: str, proc: subprocess.Popen, limit: float = 90.0) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"switchboard run --sim exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", context=ctx, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the web UI did not come up over HTTPS")


@pytest.fixture
def daemon(tmp_path):
    port = free_port()
    env = {**os.environ, "SWITCHBOARD_WEB_HTTP_PORT": "0", "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / "daemon.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "firmware.cli", "run", "--sim", "--data", str(tmp_path / "data"),
                             "--web-port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    url = f"https://127.0.0.1:{port}"
    try:
        wait_for_https(url, proc)
        yield url, tmp_path / "data"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_wizard_dashboard_night_and_a_call_against_the_real_daemon(daemon):
    url, data = daemon
    assert (data / "web" / "tls" / "cert.pem").exists()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=url, ignore_https_errors=True)
            context.set_default_timeout(30_000)
            page = context.new_page()
            finish_setup_wizard(page, "Simulated Office")
            page.wait_for_url(url + "/")
            assert "Main line" in page.inner_text("#lines")
            page.click("#mode-night")
            page.wait_for_url(url + "/")
            assert "night" in page.inner_text("#schedule-state")
            page.click("#mode-day")
            page.wait_for_url(url + "/")
            assert "day" in page.inner_text("#schedule-state")
            page.goto("/sim/")
            page.fill("#caller-number", "5550142")
            page.click("#ring")
            page.locator(".caller", has_text="5550142").wait_for()
            page.goto("/")
            page.wait_for_function("() => document.querySelector('#lines').textContent.includes('5550142')")
            context.close()
        finally:
            browser.close()
