"""Extensions: create, edit, delete with clear validation; a stale save is refused and nothing is lost."""
from __future__ import annotations

import re

from webui_helpers import csrf, form_token, post


def ext_form(revision: str, **values) -> dict:
    form = {"number": "250", "name": "Dana Dental", "phone": "", "has_mailbox": "1", "pin": "", "email": "",
            "ring_timeout": "", "fwd_always": "", "fwd_busy": "", "fwd_no_answer": "", "revision": revision}
    form.update(values)
    return form


def revision(fake) -> str:
    return fake.call("config.get")["revision"]


def extension(fake, number):
    return next((e for e in fake.call("config.get")["document"]["extensions"] if e["number"] == number), None)


def test_add_an_extension(logged_in, fake):
    resp = post(logged_in, "/extensions/new", ext_form(revision(fake), number="250", name="Dana Dental",
                                                        pin="432198", fwd_no_answer="201", dnd="1"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ext = extension(fake, "250")
    assert ext["name"] == "Dana Dental" and ext["mailbox"] == "250" and ext["pin"] == "432198" and ext["dnd"]
    assert ext["forward"] == {"no_answer": "201"}
    listing = logged_in.get("/extensions/").get_data(as_text=True)
    assert "Dana Dental" in listing and "Extension 250 saved." in listing


def test_validation_messages_say_what_to_fix(logged_in, fake):
    rev = revision(fake)
    resp = post(logged_in, "/extensions/new", ext_form(rev, number="05", name="", pin="12", email="nope",
                                                        fwd_busy="abc", ring_timeout="-3"))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for message in ("not starting with 0", "name of 1 to 64", "to 10 digits", "e-mail address",
                    "extension or a phone number", "seconds to ring"):
        assert message in text
    assert revision(fake) == rev
    resp = post(logged_in, "/extensions/new", ext_form(rev, number="201"))
    assert "Extension 201 already exists" in resp.get_data(as_text=True)


def test_markup_in_a_name_is_escaped_everywhere(logged_in, fake):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    post(logged_in, "/extensions/new", ext_form(revision(fake), number="260", name=evil, phone="fxs1"))
    assert extension(fake, "260")["name"] == evil
    fake.call("sim.call_in", number="5551234", name="<b>bold</b>")
    for path in ("/extensions/", "/extensions/260/edit", "/", "/greetings/", "/voicemail/", "/calls/", "/sim/"):
        text = logged_in.get(path).get_data(as_text=True)
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in logged_in.get("/extensions/").get_data(as_text=True)


def test_two_browsers_editing_the_same_extension(app, logged_in, fake):
    other = app.test_client()
    with other.session_transaction() as sess:
        sess["admin"] = True
    page_a = logged_in.get("/extensions/201/edit")
    page_b = other.get("/extensions/201/edit")
    rev_a = re.search(r'name="revision" value="([^"]+)"', page_a.get_data(as_text=True)).group(1)
    rev_b = re.search(r'name="revision" value="([^"]+)"', page_b.get_data(as_text=True)).group(1)
    assert rev_a == rev_b
    resp = other.post("/extensions/201/edit", data=ext_form(rev_b, number="201", name="Sales Team B",
                                                            phone="fxs2", csrf_token=form_token(page_b)))
    assert resp.status_code == 302
    resp = logged_in.post("/extensions/201/edit", data=ext_form(rev_a, number="201", name="Sales Team A",
                                                                phone="fxs2", csrf_token=form_token(page_a)))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Someone else saved the configuration" in text
    assert 'value="Sales Team A"' in text          # what this person typed is still in the form
    assert "Sales Team B" in text                   # and the version now saved is shown
    assert extension(fake, "201")["name"] == "Sales Team B"
    new_rev = re.search(r'name="revision" value="([^"]+)"', text).group(1)
    resp = logged_in.post("/extensions/201/edit", data=ext_form(new_rev, number="201", name="Sales Team A",
                                                                phone="fxs2", csrf_token=csrf(logged_in)))
    assert resp.status_code == 302 and extension(fake, "201")["name"] == "Sales Team A"


def test_renumbering_carries_references(logged_in, fake):
    post(logged_in, "/extensions/201/edit", ext_form(revision(fake), number="211", name="Sales", phone="fxs2"))
    doc = fake.call("config.get")["document"]
    assert extension(fake, "201") is None and extension(fake, "211")
    targets = [o.get("target") for m in doc["menus"].values() for o in m.get("options", {}).values()]
    assert "201" not in targets and "211" in targets


def test_pin_reset_keeps_pin_when_left_empty(logged_in, fake):
    post(logged_in, "/extensions/202/edit", ext_form(revision(fake), number="202", name="Support", phone="fxs3",
                                                       pin="987654"))
    assert extension(fake, "202")["pin"] == "987654"
    post(logged_in, "/extensions/202/edit", ext_form(revision(fake), number="202", name="Support desk",
                                                       phone="fxs3"))
    assert extension(fake, "202") == {**extension(fake, "202"), "pin": "987654", "name": "Support desk"}


def test_delete_and_refused_delete(logged_in, fake):
    post(logged_in, "/extensions/new", ext_form(revision(fake), number="270", name="Temp"))
    resp = post(logged_in, "/extensions/270/delete", {"revision": revision(fake)})
    assert resp.status_code == 302 and extension(fake, "270") is None
    # the operator cannot vanish: the daemon's cross-check refuses, the page says why, nothing changes
    rev = revision(fake)
    operator = fake.call("config.get")["document"]["operator"]
    resp = post(logged_in, f"/extensions/{operator}/delete", {"revision": rev})
    assert resp.status_code == 409 and "Nothing was saved" in resp.get_data(as_text=True)
    assert revision(fake) == rev and extension(fake, operator)


def test_unknown_extension_is_404(logged_in):
    assert logged_in.get("/extensions/999/edit").status_code == 404
    assert logged_in.get("/extensions/..%2F..%2Fetc/edit").status_code == 404
