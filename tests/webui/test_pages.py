"""Dashboard, voicemail, call log, schedule, menus, settings, simulation panel and the live feed."""
from __future__ import annotations

import csv
import io
import threading

import pytest

from webui_helpers import post


def commands(fake, name):
    return [args for cmd, args in fake.requests if cmd == name]


def test_dashboard_shows_lines_phones_calls_today_messages_and_chart(logged_in, fake):
    text = logged_in.get("/").get_data(as_text=True)
    assert 'id="calls-today">12<' in text          # the fake's seeded morning, in the daemon's day
    assert 'id="new-messages">3<' in text
    assert "Main line" in text and "Front desk" in text
    assert "<svg" in text and "calls" in text and "<rect" in text
    assert 'aria-label="Calls per hour, last 7 days"' in text


def test_dashboard_shows_faults(logged_in, fake):
    fake.office.faults.append({"port": "fxo2", "message": "no loop current: is the line plugged in?"})
    text = logged_in.get("/").get_data(as_text=True)
    assert "fxo2: no loop current: is the line plugged in?" in text


def test_day_night_toggle(logged_in, fake):
    resp = post(logged_in, "/mode", {"mode": "night"})
    assert resp.status_code == 302
    assert commands(fake, "schedule.set_mode")[-1] == {"mode": "night"}
    text = logged_in.get("/").get_data(as_text=True)
    assert 'id="mode">night<' in text and "Night mode is on." in text
    post(logged_in, "/mode", {"mode": "auto"})
    assert 'id="mode">auto<' in logged_in.get("/").get_data(as_text=True)
    resp = post(logged_in, "/mode", {"mode": "party"})
    assert len(commands(fake, "schedule.set_mode")) == 2


def test_live_api_wakes_on_an_event(logged_in, fake):
    first = logged_in.get("/api/live?seq=-1").get_json()
    timer = threading.Timer(0.2, lambda: fake.call("sim.call_in", number="5550777"))
    timer.start()
    seq, seen = first["seq"], False
    for _ in range(5):                       # as the page's script does: poll again after each answer
        data = logged_in.get(f"/api/live?seq={seq}&wait=10").get_json()
        assert data["seq"] > seq
        seq = data["seq"]
        seen = any(row["state"] == "answered" and "5550777" in row["detail"] for row in data["state"]["lines"])
        if seen:
            break
    timer.join()
    assert seen


def test_voicemail_inbox_play_download_mark_delete(logged_in, fake):
    text = logged_in.get("/voicemail/").get_data(as_text=True)
    assert "ACME SUPPLY" in text and text.count('class="new"') == 3
    msg = fake.call("voicemail.list")["messages"][0]
    with logged_in.get(f"/voicemail/{msg['id']}.wav") as resp:
        assert resp.status_code == 200 and resp.mimetype == "audio/wav" and resp.data[:4] == b"RIFF"
    with logged_in.get(f"/voicemail/{msg['id']}.wav?download=1") as resp:
        assert "attachment" in resp.headers["Content-Disposition"]
    post(logged_in, f"/voicemail/{msg['id']}/mark", {"heard": "1"})
    assert fake.call("voicemail.get", id=msg["id"])["heard"] is True
    post(logged_in, f"/voicemail/{msg['id']}/delete")
    assert len(fake.call("voicemail.list")["messages"]) == 2
    assert logged_in.get(f"/voicemail/{msg['id']}.wav").status_code == 404
    assert logged_in.get("/voicemail/abc.wav").status_code == 404


def test_call_log_filters_and_csv(logged_in, fake):
    page = logged_in.get("/calls/?extension=201").get_data(as_text=True)
    assert "12 calls" not in page and "calls." in page
    rows = fake.call("calllog.query", extension="201", limit=500)["calls"]
    assert f"{len(rows)} calls." in page
    with logged_in.get("/calls/export.csv?caller=smith") as resp:
        assert resp.mimetype == "text/csv"
        table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert table and all("SMITH" in r["caller_name"] for r in table)
    page = logged_in.get("/calls/?from=2026-01-06").get_data(as_text=True)
    assert "0 calls." in page
    assert "must be a date" in logged_in.get("/calls/?from=yesterday").get_data(as_text=True)


def test_csv_neutralises_formulas():
    from webui.views.calllog import _cell
    assert _cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _cell("+15551234") == "+15551234"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"


def test_schedule_save_and_validation(logged_in, fake):
    rev = fake.call("config.get")["revision"]
    form = {"revision": rev, "hours_mon": "09:00-12:00, 13:00-17:00", "lunch_start": "12:00", "lunch_end": "13:00",
            "lunch_mon": "1", "holiday_count": "1", "hol_date_0": "2026-12-25", "hol_name_0": "Christmas",
            "hol_annual_0": "1", "mode": "auto"}
    resp = post(logged_in, "/schedule/", form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    sched = fake.call("config.get")["document"]["schedule"]
    assert sched["hours"]["mon"] == ["09:00-12:00", "13:00-17:00"] and sched["hours"]["sun"] == []
    assert sched["holidays"] == [{"date": "2026-12-25", "name": "Christmas", "annual": True}]
    rev = fake.call("config.get")["revision"]
    resp = post(logged_in, "/schedule/", {**form, "revision": rev, "hours_tue": "17:00-09:00",
                                          "hol_date_0": "25/12/2026"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "ends before it starts" in text and "YYYY-MM-DD" in text
    assert fake.call("config.get")["revision"] == rev


def test_menu_editor_saves_keys_and_refuses_bad_input(logged_in, fake):
    page = logged_in.get("/menus/main").get_data(as_text=True)
    assert "Greeting per schedule state" in page
    rev = fake.call("config.get")["revision"]
    keys = list("1234567890*#")
    form = {"revision": rev, "greeting_day": "greeting-day", "greeting_night": "greeting-night", "timeout": "6",
            "retries": "3", "on_fail": "operator", "dial_by_extension": "1",
            f"action_{keys.index('1')}": "extension", f"target_{keys.index('1')}": "202",
            f"action_{keys.index('0')}": "operator"}
    resp = post(logged_in, "/menus/main", form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    menu = fake.call("config.get")["document"]["menus"]["main"]
    assert menu["options"] == {"1": {"action": "extension", "target": "202"}, "0": {"action": "operator"}}
    assert menu["timeout"] == 6 and menu["retries"] == 3
    rev = fake.call("config.get")["revision"]
    resp = post(logged_in, "/menus/main", {**form, "revision": rev, "greeting_day": "", "timeout": "abc",
                                           f"action_{keys.index('2')}": "extension"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "day greeting is required" in text and "number from 1 to 60" in text and "needs a target" in text


def test_menu_tester_report_is_shown(logged_in, app, monkeypatch):
    from webui import menutest
    app.config["MENU_TESTER"] = True
    monkeypatch.setattr(menutest, "_from_subprocess", lambda doc: menutest.normalise(
        {"ok": False, "problems": [{"severity": "error", "kind": "dead_end", "state": "day", "path": "answer > 3",
                                    "detail": "key 3 leads nowhere"}],
         "paths": [{"state": "day", "path": "answer > 1", "outcome": "rings 201; leaves a message"}]}))
    text = logged_in.get("/menus/main").get_data(as_text=True)
    assert "key 3 leads nowhere" in text and "1 paths called" in text and "rings 201" in text


@pytest.mark.slow
def test_menu_tester_runs_the_real_tester(logged_in, app):
    app.config["MENU_TESTER"] = True
    tester = app.extensions["switchboard.menutester"]
    revision = app.extensions["switchboard.daemon"].config()[0]
    _, doc = app.extensions["switchboard.daemon"].config()
    report = tester.report(revision, doc, wait=60)
    tester.stop()
    assert report.get("error") is None, report
    assert report["paths"] and all({"state", "path", "outcome"} <= set(p) for p in report["paths"])


def test_add_and_delete_a_menu(logged_in, fake):
    post(logged_in, "/menus/new", {"name": "sales", "revision": fake.call("config.get")["revision"]})
    assert "sales" in fake.call("config.get")["document"]["menus"]
    resp = post(logged_in, "/menus/new", {"name": "Bad Name!", "revision": fake.call("config.get")["revision"]})
    assert resp.status_code == 400
    post(logged_in, "/menus/sales/delete", {"revision": fake.call("config.get")["revision"]})
    assert "sales" not in fake.call("config.get")["document"]["menus"]
    resp = post(logged_in, "/menus/main/delete", {"revision": fake.call("config.get")["revision"]})
    assert resp.status_code == 400 and "entry menu cannot be deleted" in resp.get_data(as_text=True)


def test_settings_save_smtp_and_board(logged_in, fake):
    rev = fake.call("config.get")["revision"]
    form = {"revision": rev, "office_name": "Acme", "country": "DE", "timezone": "Europe/Berlin", "profile": "sim",
            "smtp_host": "mail.example.com", "smtp_port": "587", "smtp_security": "starttls",
            "smtp_username": "box", "smtp_password": "s3cret", "smtp_sender": "box@example.com",
            "smtp_attach_audio": "1"}
    assert post(logged_in, "/settings/", form).status_code == 302
    doc = fake.call("config.get")["document"]
    assert doc["office"]["country"] == "DE" and doc["voicemail"]["smtp"]["password"] == "s3cret"
    page = logged_in.get("/settings/").get_data(as_text=True)
    assert "s3cret" not in page                     # a stored password is never sent back to the browser
    rev = fake.call("config.get")["revision"]
    resp = post(logged_in, "/settings/", {**form, "revision": rev, "smtp_password": "", "smtp_port": "99999",
                                          "country": "XX"})
    assert resp.status_code == 400
    assert fake.call("config.get")["document"]["voicemail"]["smtp"]["password"] == "s3cret"


def test_simulated_call_from_the_panel_ends_in_a_mailbox(logged_in, fake):
    hdr = {"X-Requested-With": "fetch"}
    assert "Simulation" in logged_in.get("/").get_data(as_text=True)
    res = post(logged_in, "/sim/call", {"number": "5550188", "name": "PAT CALLER", "line": "line1"}, headers=hdr)
    assert res.status_code == 200, res.get_json()
    call = res.get_json()["result"]["call"]
    assert commands(fake, "sim.call_in")[-1] == {"number": "5550188", "name": "PAT CALLER", "line": "line1"}
    assert post(logged_in, f"/sim/caller/{call}/press", {"digits": "1"}, headers=hdr).status_code == 200
    state = logged_in.get("/sim/state").get_json()
    assert state["callers"][0]["extension"] == "201"
    assert post(logged_in, f"/sim/call/{call}/voicemail", headers=hdr).status_code == 200
    assert post(logged_in, f"/sim/caller/{call}/speak", headers=hdr).status_code == 200
    assert commands(fake, "sim.speak")[-1] == {"call": call, "seconds": 3}
    assert post(logged_in, f"/sim/caller/{call}/hang-up", headers=hdr).status_code == 200
    boxes = [m["mailbox"] for m in fake.call("voicemail.list", mailbox="201")["messages"]]
    assert len(boxes) == 2      # the seeded one and the one just left
    assert "PAT CALLER" in logged_in.get("/voicemail/?mailbox=201").get_data(as_text=True)


def test_sim_desk_phone_keypad_and_bad_digits(logged_in, fake):
    hdr = {"X-Requested-With": "fetch"}
    assert post(logged_in, "/sim/phone/fxs1/lift", headers=hdr).status_code == 200
    assert post(logged_in, "/sim/phone/fxs1/dial", {"digits": "202"}, headers=hdr).status_code == 200
    assert commands(fake, "sim.dial")[-1] == {"phone": "fxs1", "digits": "202"}
    assert post(logged_in, "/sim/phone/fxs1/dial", {"digits": "2;rm"}, headers=hdr).status_code == 400
    assert post(logged_in, "/sim/phone/fxs1/hang-up", headers=hdr).status_code == 200
    with logged_in.get("/sim/listen/fxs1.wav?ms=500") as resp:
        assert resp.status_code == 200 and resp.data[:4] == b"RIFF"


def test_sim_panel_hidden_without_simulation(logged_in, fake, monkeypatch):
    real = fake.call

    def no_sim(cmd, **args):
        result = real(cmd, **args)
        return [c for c in result if not c["name"].startswith("sim.")] if cmd == "commands" else result
    monkeypatch.setattr(fake, "call", no_sim)
    assert logged_in.get("/sim/").status_code == 404
    assert "Simulation</a>" not in logged_in.get("/").get_data(as_text=True)


def test_daemon_down_gives_a_clear_page(logged_in, fake):
    fake.fail_next("unavailable", "the Switchboard daemon is not running")
    resp = logged_in.get("/extensions/")
    assert resp.status_code == 503 and "not running" in resp.get_data(as_text=True)


def test_live_long_polls_are_capped(logged_in, monkeypatch):
    from webui.views import api
    monkeypatch.setattr(api, "_waiters", __import__("threading").BoundedSemaphore(1))
    api._waiters.acquire()                      # one dashboard already waits
    data = logged_in.get("/api/live?seq=0&wait=10").get_json()
    assert data["retry_ms"] == 2000 and "lines" in data["state"]
    api._waiters.release()
