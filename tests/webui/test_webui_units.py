"""The web UI's pieces on their own: names and paths, login limiter, state, chart, TLS front, live feed."""
from __future__ import annotations

import argparse
import http.client
import ssl
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from webui.charts import calls_per_hour_svg, hourly_counts
from webui.files import BadInput, atomic_write, inside, safe_name
from webui.live import LiveFeed
from webui.security import LoginLimiter
from webui.state import WebState
from webui_helpers import CHEAP_HASHER


@pytest.mark.parametrize("name", ["greeting-day", "menu_2", "A1"])
def test_safe_names(name):
    assert safe_name(name) == name


@pytest.mark.parametrize("name", ["", "../x", "a/b", "-rf", ".hidden", "a" * 65, "x\x00y", "é", "a b"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(BadInput):
        safe_name(name)


def test_inside_refuses_escape(tmp_path):
    assert inside(tmp_path, "a", "b.wav") == (tmp_path / "a" / "b.wav").resolve()
    with pytest.raises(BadInput):
        inside(tmp_path, "..", "etc")
    with pytest.raises(BadInput):
        inside(tmp_path, "/etc/passwd")


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in target.parent.iterdir()] == ["f.bin"]


def test_limiter_locks_per_address_and_globally():
    now = [0.0]
    lim = LoginLimiter(max_failures=3, window=60, lockout=100, global_max=5, global_lockout=50, now=lambda: now[0])
    for _ in range(3):
        lim.failed("10.0.0.1")
    assert lim.retry_after("10.0.0.1") == 100 and lim.retry_after("10.0.0.2") == 0
    lim.failed("10.0.0.2")
    lim.failed("10.0.0.3")            # the fifth failure in the window: everyone waits a little
    assert lim.retry_after("10.0.0.9") == 50
    now[0] = 101
    assert lim.retry_after("10.0.0.1") == 0


def test_limiter_window_forgets_old_failures():
    now = [0.0]
    lim = LoginLimiter(max_failures=3, window=60, lockout=100, now=lambda: now[0])
    lim.failed("a")
    lim.failed("a")
    now[0] = 61
    lim.failed("a")
    assert lim.retry_after("a") == 0


def test_admin_is_created_only_once(tmp_path):
    state = WebState(tmp_path, CHEAP_HASHER)
    assert state.create_admin("first long password")
    assert not state.create_admin("second long password")
    assert state.verify("first long password") and not state.verify("second long password")
    assert (tmp_path / "web" / "admin.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError):
        WebState(tmp_path / "other", CHEAP_HASHER).create_admin("short")


def test_secret_key_survives_restart(tmp_path):
    assert WebState(tmp_path).secret_key() == WebState(tmp_path).secret_key()


def test_hourly_counts_and_chart():
    tz = ZoneInfo("America/New_York")
    now = datetime(2026, 1, 5, 15, 30, tzinfo=timezone.utc)
    records = [{"started_at": "2026-01-05T15:10:00Z"}, {"started_at": "2026-01-05T15:50:00Z"},
               {"started_at": "2026-01-05T14:00:00Z"}, {"started_at": "2025-12-01T10:00:00Z"}, {"started_at": None}]
    buckets = hourly_counts(records, now, tz)
    assert len(buckets) == 168
    assert buckets[-1].count == 2 and buckets[-2].count == 1 and sum(b.count for b in buckets) == 3
    assert buckets[-1].start.hour == 10          # 15:00 UTC is 10:00 in New York
    svg = calls_per_hour_svg(buckets)
    assert svg.startswith("<svg") and svg.count("<rect") == 2 and "style=" not in svg


def test_live_feed_follows_and_stops():
    import queue

    q: queue.Queue = queue.Queue()

    class Stream:
        def next(self, timeout=None):
            try:
                return q.get(timeout=timeout)
            except queue.Empty:
                return None

        def close(self):
            pass

    feed = LiveFeed(lambda: Stream())
    feed.start()
    assert feed.wait_for(0, 5) == 1 and feed.recent[-1]["event"] == "feed_started" and feed.following
    q.put({"event": "ring"})
    assert feed.wait_for(1, 5) == 2 and feed.recent[-1]["event"] == "ring"
    assert feed.wait_for(2, 0.05) == 2
    feed.stop(timeout=3)
    assert feed._thread is None


def test_tls_front_serves_https(tmp_path, fake, monkeypatch):
    from webui.serve import build

    args = argparse.Namespace(data=str(tmp_path), config=None, socket=None, host="127.0.0.1", port=0)
    monkeypatch.setenv("SWITCHBOARD_WEB_HTTP_PORT", "0")
    app, servers = build_with_fake(args, fake, build)
    waitress, front = servers
    waitress.start()
    front.start()
    try:
        ctx = ssl.create_default_context(cafile=str(tmp_path / "web" / "tls" / "cert.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", front.port, context=ctx, timeout=10)
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Strict-Transport-Security")
        resp.read()
        conn.request("GET", "/")
        resp = conn.getresponse()
        assert resp.status == 302 and resp.getheader("Location") == "/setup"
        resp.read()
        conn.close()
    finally:
        front.stop()
        waitress.stop()
        app.extensions["switchboard.live"].stop()


def build_with_fake(args, fake, build):
    import webui.serve as serve

    original = serve.create_app
    serve.create_app = lambda config: original({**config, "CONTROL": fake})
    try:
        return build(args)
    finally:
        serve.create_app = original


def test_front_door_redirects_plain_http():
    from webui.server import FrontDoor

    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)
    door = FrontDoor(lambda e, s: [b"app"], front=object(), backend_port=1234, https_port=8443)
    door({"SERVER_PORT": "8080", "HTTP_HOST": "box.local:8080", "PATH_INFO": "/calls/",
          "QUERY_STRING": "x=1"}, start_response)
    assert seen["status"].startswith("301") and seen["headers"]["Location"] == "https://box.local:8443/calls/?x=1"


def test_certificate_is_made_once(tmp_path):
    from cryptography import x509

    from webui.tls import ensure_certificate

    cert, key = ensure_certificate(tmp_path / "tls", ["192.0.2.7"])
    first = cert.read_bytes()
    assert ensure_certificate(tmp_path / "tls")[0].read_bytes() == first
    parsed = x509.load_pem_x509_certificate(first)
    sans = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert key.stat().st_mode & 0o777 == 0o600


def test_menutest_normalises_reports():
    from webui.menutest import normalise

    assert normalise([{"message": "x"}])["ok"] is False
    assert normalise({"problems": [{"severity": "warning", "message": "w"}]})["ok"] is True
    assert normalise({"ok": True, "paths": ["1 -> 201"]})["paths"] == [{"path": "1 -> 201"}]


def test_settings_show_the_certificate_fingerprint(logged_in, app):
    from webui.tls import ensure_certificate, fingerprint

    cert, _ = ensure_certificate(app.extensions["switchboard.state"].tls_dir)
    text = logged_in.get("/settings/").get_data(as_text=True)
    assert fingerprint(cert) in text and len(fingerprint(cert).split(":")) == 32
