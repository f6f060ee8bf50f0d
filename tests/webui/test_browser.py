"""The web page in a real browser: Playwright driving Debian's Chromium (headless, system executable).

One browser for the module; the app runs under waitress on 127.0.0.1 with a FakeControl daemon. The
microphone is Chromium's fake device playing a WAV spoken by espeak-ng. These tests prove the pages work
with real JavaScript, CSP and forms, and that the UI sends the daemon the right commands.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import soundfile as sf

from webui_helpers import CHEAP_HASHER, CHROMIUM, CHROMIUM_ARGS, PASSWORD, finish_setup_wizard, free_port

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

ARGS = CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                        "--autoplay-policy=no-user-gesture-required"]


def ask(box: "Box", cmd: str, **args):
    """Call the fake daemon from a worker thread (Playwright's sync API owns this thread's event loop)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(box.fake.call, cmd, **args).result(timeout=10)


class Box:
    """The app with a fake daemon, served by waitress on a free loopback port."""

    def __init__(self, data_dir, set_up: bool) -> None:
        from firmware.control import FakeControl
        from webui import create_app
        from webui.server import WaitressThread

        self.fake = FakeControl()
        self.app = create_app({"DATA_DIR": str(data_dir), "CONTROL": self.fake, "MENU_TESTER": False,
                               "PASSWORD_HASHER": CHEAP_HASHER})
        if set_up:
            assert self.app.extensions["switchboard.state"].create_admin(PASSWORD)
        self.server = WaitressThread(self.app, [f"127.0.0.1:{free_port()}"], threads=8)
        self.url = f"http://127.0.0.1:{self.server.ports[0]}"
        self.server.start()

    def stop(self) -> None:
        self.app.extensions["switchboard.live"].stop()
        self.server.stop()
        self.fake.close()


@pytest.fixture(scope="module")
def mic_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("mic") / "speech.wav"
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-w", str(path), "Thank you for calling Acme Dental. Please hold."],
                       check=True, timeout=30)
    else:
        import numpy as np
        t = np.arange(16000 * 3) / 16000
        sf.write(path, 0.3 * np.sin(2 * np.pi * 300 * t), 16000, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def browser(mic_wav):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=ARGS + [f"--use-file-for-fake-audio-capture={mic_wav}"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("box"), set_up=True)
    yield box
    box.stop()


@pytest.fixture
def page(browser, box):
    context = browser.new_context(base_url=box.url)
    context.grant_permissions(["microphone"], origin=box.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def log_in(page) -> None:
    page.goto("/login")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url("**/")


def test_first_run_wizard(browser, tmp_path):
    fresh = Box(tmp_path / "fresh", set_up=False)
    try:
        context = browser.new_context(base_url=fresh.url)
        page = context.new_page()
        finish_setup_wizard(page, "Acme <Dental>", country="GB", timezone="Europe/London")
        page.wait_for_url(fresh.url + "/")
        assert page.inner_text("h1") == "Acme <Dental>"
        assert ask(fresh, "config.get")["document"]["office"]["country"] == "GB"
        context.close()
    finally:
        fresh.stop()


def test_login_and_logout(page):
    page.goto("/")
    assert "/login" in page.url
    page.fill("#password", "not the password")
    page.click("#login")
    assert "not right" in page.inner_text(".errors")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url("**/")
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto("/extensions/")
    assert "/login" in page.url


def test_add_an_extension(page, box):
    log_in(page)
    page.click("text=Extensions")
    page.click("#new-extension")
    page.fill("#number", "240")
    page.fill("#name", "Hygienist <b>Jo</b>")
    page.select_option("#phone", "fxs4")
    page.click("#save")
    page.wait_for_url("**/extensions/")
    row = page.locator('tr[data-number="240"] .name')
    assert row.inner_text() == "Hygienist <b>Jo</b>"
    assert any(e["number"] == "240" for e in ask(box, "config.get")["document"]["extensions"])


def test_record_a_greeting_from_the_microphone(page, box):
    log_in(page)
    page.goto("/greetings/")
    target = page.locator("#mailbox-201-unavailable")
    target.locator(".record-start").click()
    page.wait_for_function("() => document.querySelector('#mailbox-201-unavailable .record-status')"
                           ".textContent.startsWith('Recording')")
    page.wait_for_timeout(1500)
    target.locator(".record-stop").click()
    page.wait_for_function("() => document.querySelector('#mailbox-201-unavailable').dataset.saved === 'yes'")
    info = sf.info(os.path.join(box.app.config["DATA_DIR"], "voicemail", "201", "greeting-unavailable.wav"))
    assert info.samplerate == 8000 and info.frames / 8000 > 0.3   # ~1.5 s recorded; bounded for a busy machine


def test_upload_a_greeting(page, box, tmp_path):
    log_in(page)
    page.goto("/greetings/")
    wav = tmp_path / "day.wav"
    import numpy as np
    sf.write(wav, 0.2 * np.sin(2 * np.pi * 500 * np.arange(22050) / 44100), 44100, subtype="PCM_16")
    form = page.locator("#prompt-greeting-day form.upload")
    form.locator('input[type="file"]').set_input_files(str(wav))
    form.locator('button[type="submit"]').click()
    page.wait_for_url("**/greetings/")
    assert "saved" in page.inner_text(".flash")
    assert page.locator("#prompt-greeting-day audio").count() == 1
    info = sf.info(os.path.join(box.app.config["DATA_DIR"], "prompts", "greeting-day.wav"))
    assert info.samplerate == 8000 and abs(info.frames - 4000) < 5


def test_play_a_voicemail(page):
    log_in(page)
    page.goto("/voicemail/")
    played = page.evaluate("""async () => {
        const a = document.querySelector('#messages audio');
        await a.play();
        await Promise.race([new Promise((resolve) => a.addEventListener('ended', resolve, {once: true})),
                            new Promise((resolve) => setTimeout(resolve, 10000))]);
        return {duration: a.duration, ended: a.ended};
    }""")
    assert played["ended"] and 0.4 < played["duration"] < 0.6


def test_toggle_night_mode_and_live_dashboard(page, box):
    log_in(page)
    page.click("#mode-night")
    page.wait_for_url("**/")
    assert page.inner_text("#mode") == "night"
    assert box.fake.office.mode == "night"
    page.wait_for_function("() => document.body.dataset.liveSeq !== undefined")
    ask(box, "sim.call_in", number="5550111", name="LIVE TEST")
    page.wait_for_function("() => document.querySelector('#lines').textContent.includes('5550111')")
    page.click("#mode-auto")
    page.wait_for_url("**/")
    assert page.inner_text("#mode") == "auto"


def test_simulated_call_from_the_panel_ends_in_a_mailbox(page, box):
    log_in(page)
    page.click("text=Simulation")
    page.fill("#caller-number", "5550199")
    page.fill("#caller-name", "PANEL CALLER")
    page.click("#ring")
    caller = page.locator(".caller", has_text="5550199")
    caller.wait_for()
    caller.locator("button.key", has_text="2").click()
    page.wait_for_function("() => [...document.querySelectorAll('.caller h3')].some(h => h.textContent.includes('202'))")
    caller.locator("button.to-voicemail").click()
    page.wait_for_function("() => [...document.querySelectorAll('.caller')].some(c => c.dataset.state === 'voicemail')")
    caller.locator("button.hangup").click()
    page.wait_for_function("() => !document.querySelector('#callers').textContent.includes('5550199')")
    sent = [cmd for cmd, _ in box.fake.requests]
    assert {"sim.call_in", "sim.press", "call.to_voicemail", "sim.hang_up"} <= set(sent)
    messages = ask(box, "voicemail.list", mailbox="202")["messages"]
    assert any(m["caller_name"] == "PANEL CALLER" for m in messages)
    page.goto("/voicemail/?mailbox=202")
    assert "PANEL CALLER" in page.inner_text("#messages")
