"""First-run wizard, login with lockout, logout, CSRF, cookies and security headers."""
from __future__ import annotations

from webui_helpers import PASSWORD, csrf, form_token, post, wizard_form


def test_every_page_leads_to_the_wizard_until_a_password_is_set(client):
    for path in ("/", "/extensions/", "/settings/", "/login"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/setup")
    assert "no password yet" in client.get("/setup").get_data(as_text=True)


def test_wizard_sets_password_and_basics_and_logs_in(client, fake, app):
    resp = client.post("/setup", data=wizard_form(fake, form_token(client.get("/setup")),
                                                    office_name="Acme Dental", country="GB",
                                                    timezone="Europe/London"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    doc = fake.call("config.get")["document"]
    assert doc["office"] == {**doc["office"], "name": "Acme Dental", "country": "GB", "timezone": "Europe/London"}
    assert client.get("/").status_code == 200
    stored = (app.extensions["switchboard.state"].admin_file).read_text()
    assert PASSWORD not in stored and "argon2id" in stored


def test_wizard_refuses_weak_or_mismatched_password_and_keeps_input(client, fake):
    token = form_token(client.get("/setup"))
    resp = client.post("/setup", data=wizard_form(fake, token, password="short", password2="shorter",
                                                  office_name="Kept Name"))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "at least 10 characters" in text and "not the same" in text
    assert 'value="Kept Name"' in text
    assert not client.application.extensions["switchboard.state"].is_set_up()


def test_wizard_needs_a_line_and_an_extension(client, fake):
    form = wizard_form(fake, form_token(client.get("/setup")))
    form = {k: v for k, v in form.items() if not (k.endswith("_on") or k.endswith("_number"))}
    text = client.post("/setup", data=form).get_data(as_text=True)
    assert "Tick at least one connected phone line" in text
    assert "at least one desk phone an extension number" in text


def test_wizard_runs_once(logged_in, app):
    resp = logged_in.get("/setup")
    assert resp.status_code == 302
    other = app.test_client()
    resp = other.get("/setup")
    assert resp.status_code == 302 and "/" == resp.headers["Location"]


def test_login_logout(logged_in):
    resp = post(logged_in, "/logout")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert logged_in.get("/").status_code == 302
    resp = logged_in.post("/login?next=/calls/", data={"csrf_token": csrf(logged_in), "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/calls/"


def test_login_next_cannot_leave_the_box(logged_in):
    post(logged_in, "/logout")
    resp = logged_in.post("/login?next=//evil.example/", data={"csrf_token": csrf(logged_in), "password": PASSWORD})
    assert resp.headers["Location"] == "/"


def test_wrong_passwords_lock_the_address_out(logged_in, limiter_clock):
    post(logged_in, "/logout")
    for _ in range(5):
        resp = logged_in.post("/login", data={"csrf_token": csrf(logged_in), "password": "wrong password!"})
        assert resp.status_code == 401
    resp = logged_in.post("/login", data={"csrf_token": csrf(logged_in), "password": PASSWORD})
    assert resp.status_code == 429 and "Too many wrong passwords" in resp.get_data(as_text=True)
    limiter_clock.t += 901
    resp = logged_in.post("/login", data={"csrf_token": csrf(logged_in), "password": PASSWORD})
    assert resp.status_code == 302


def test_post_without_csrf_token_is_refused(logged_in, fake):
    before = fake.call("config.get")["revision"]
    resp = logged_in.post("/extensions/new", data={"number": "250", "name": "Sneaky", "revision": before})
    assert resp.status_code == 400 and "security token" in resp.get_data(as_text=True)
    assert fake.call("config.get")["revision"] == before
    resp = logged_in.post("/dashboard/mode" if False else "/mode", data={"mode": "night"})
    assert resp.status_code == 400
    assert not any(cmd == "schedule.set_mode" for cmd, _ in fake.requests)


def test_session_cookie_flags(client, fake):
    resp = client.post("/setup", data=wizard_form(fake, form_token(client.get("/setup"))))
    cookie = resp.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_security_headers(client):
    resp = client.get("/setup")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in resp.get_data(as_text=True)


def test_api_needs_login(client, logged_in):
    post(logged_in, "/logout")
    assert logged_in.get("/api/live").status_code == 401


def test_change_password(logged_in, app):
    resp = post(logged_in, "/settings/password", {"old": PASSWORD, "new": "another long secret", "again": "another long secret"})
    assert resp.status_code == 302
    assert app.extensions["switchboard.state"].verify("another long secret")
    post(logged_in, "/settings/password", {"old": "not it at all", "new": "third long secret", "again": "third long secret"})
    assert app.extensions["switchboard.state"].verify("another long secret")


def test_wizard_and_settings_refuse_the_same_bad_office_each_in_its_own_words(client, fake):
    form = wizard_form(fake, form_token(client.get("/setup")), office_name="x" * 81, country="XX", timezone="Mars/Base")
    text = client.post("/setup", data=form).get_data(as_text=True)
    assert "up to 80 characters" in text and "phone lines are in" in text and "time zone" in text
    assert fake.call("config.get")["document"]["office"]["country"] != "XX"
    form = wizard_form(fake, form_token(client.get("/setup")))
    assert client.post("/setup", data=form).status_code == 302
    rev = fake.call("config.get")["revision"]
    resp = post(client, "/settings/", {"revision": rev, "office_name": "", "country": "XX", "timezone": "Mars/Base",
                                       "profile": "sim"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "up to 80 characters" in text and "Choose a country from the list." in text
    assert "Choose a time zone from the list." in text
    assert fake.call("config.get")["document"]["office"]["country"] != "XX"
