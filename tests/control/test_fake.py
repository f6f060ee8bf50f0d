"""FakeControl answers like the daemon: same interface, same results and errors, a plausible office."""
from __future__ import annotations

import base64
import copy
import inspect
import re
from pathlib import Path

import pytest

from drivers.errors import ControlError
from firmware.control import ControlClient, FakeControl

DOC = Path(__file__).parents[2] / "docs" / "control-api.md"


def documented_commands() -> set[str]:
    """Every command named in the first column of a table in docs/control-api.md."""
    names: set[str] = set()
    for first_cell in re.findall(r"^\| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.M):
        names |= set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", first_cell))
    return {n for n in names if "." in n or n in ("ping", "commands", "events", "snapshot")}


@pytest.fixture
def fake():
    f = FakeControl()
    yield f
    f.close()


def test_same_interface_as_the_client():
    for name in ("call", "events", "close"):
        assert name in dir(FakeControl)
        client_params = list(inspect.signature(getattr(ControlClient, name)).parameters)
        fake_params = list(inspect.signature(getattr(FakeControl, name)).parameters)
        assert client_params == fake_params, name


def test_every_documented_command_is_answered(fake):
    documented = documented_commands()
    assert {"snapshot", "config.put", "calllog.query", "voicemail.audio", "call.park", "sim.listen"} <= documented
    assert documented <= {c["name"] for c in fake.call("commands")}


def test_snapshot_of_a_quiet_office(fake):
    snap = fake.call("snapshot")
    assert [ln["state"] for ln in snap["lines"]] == ["idle", "idle"]
    assert [p["extension"] for p in snap["phones"]] == ["200", "201", "202", "203"]
    assert snap["calls"] == [] and snap["night"] is False and snap["faults"] == []
    reception = snap["extensions"][0]
    assert reception["presence"]["state"] == "available" and reception["mwi"]["new"] == 1


def test_seeded_call_log_and_voicemail(fake):
    page = fake.call("calllog.query", limit=5)
    assert page["total"] == 12 and len(page["calls"]) == 5
    assert {c["disposition"] for c in fake.call("calllog.query", limit=50)["calls"]} >= {"answered", "voicemail"}
    msgs = fake.call("voicemail.list")["messages"]
    audio = fake.call("voicemail.audio", id=msgs[0]["id"])
    assert base64.b64decode(audio["data"])[:4] == b"RIFF"


def test_a_caller_reaches_sales(fake):
    stream = fake.events()
    call = fake.call("sim.call_in", number="5551234", name="BOB")["call"]
    assert fake.call("snapshot")["calls"][0]["state"] == "attendant"
    assert fake.call("sim.press", call=call, digits="1")["state"] == "ringing"
    assert fake.call("snapshot")["phones"][1]["state"] == "ringing"
    assert fake.call("sim.lift", phone="fxs2")["call"] == call
    snap = fake.call("snapshot")
    assert snap["lines"][0]["state"] == "in_use" and snap["calls"][0]["state"] == "connected"
    fake.advance(65)
    fake.call("sim.phone_hang_up", phone="fxs2")
    row = fake.call("calllog.query", limit=1)["calls"][0]
    assert (row["ref"], row["disposition"], row["extension"], row["caller_name"]) == (call, "answered", "201", "BOB")
    kinds = []
    while (event := stream.next()) is not None:
        kinds.append(event["event"])
    assert kinds[:3] == ["leg", "line", "ring"] and "bridge" in kinds and kinds[-2:] == ["call_end", "phone"]
    stream.close()


def test_unanswered_caller_leaves_a_message(fake):
    call = fake.call("sim.call_in", number="5559876")["call"]
    fake.call("sim.press", call=call, digits="202")                     # dial-by-extension
    fake.call("call.to_voicemail", call=call)
    before = fake.call("voicemail.list", mailbox="202")["counts"]["202"]["new"]
    fake.call("sim.hang_up", call=call)
    assert fake.call("voicemail.list", mailbox="202")["counts"]["202"]["new"] == before + 1
    assert fake.call("calllog.query", limit=1)["calls"][0]["disposition"] == "voicemail"
    assert fake.call("snapshot")["phones"][2]["state"] == "idle"


def test_console_commands(fake):
    call = fake.call("sim.call_in")["call"]
    fake.call("sim.press", call=call, digits="0")
    fake.call("sim.lift", phone="fxs1")
    parked = fake.call("call.park", call=call)
    assert parked["state"] == "parked" and parked["parked_slot"] == "701"
    assert fake.call("snapshot")["parking"] == [{"slot": "701", "call": call}]
    assert fake.call("call.transfer", call=call, to="203")["state"] == "ringing"
    assert fake.call("call.hangup", call=call) == {"call": call, "ended": True}
    with pytest.raises(ControlError) as exc:
        fake.call("call.hangup", call=call)
    assert exc.value.code == "not_found"


def test_all_lines_busy(fake):
    fake.call("sim.call_in")
    fake.call("sim.call_in")
    assert fake.call("sim.call_in") == {"call": None, "result": "busy"}


def test_desk_phones_call_each_other_and_out(fake):
    fake.call("sim.lift", phone="fxs1")
    result = fake.call("sim.dial", phone="fxs1", digits="203")
    assert result["result"] == "ringing"
    fake.call("sim.lift", phone="fxs4")
    fake.call("sim.phone_hang_up", phone="fxs4")
    fake.call("sim.phone_hang_up", phone="fxs1")
    fake.call("sim.lift", phone="fxs2")
    out = fake.call("sim.dial", phone="fxs2", digits="95550100")
    assert out["result"] == "connected"
    assert fake.call("snapshot")["lines"][1]["state"] == "in_use"       # outgoing hunts from the last line
    with pytest.raises(ControlError) as exc:
        fake.call("sim.dial", phone="fxs3", digits="201")
    assert exc.value.code == "conflict"


def test_schedule_and_presence(fake):
    with fake.events(kinds=["night", "presence"]) as stream:
        assert fake.call("schedule.set_mode", mode="night")["night"] is True
        fake.call("presence.set", extension="201", state="lunch", note="back at 1")
        assert stream.next()["data"] == {"active": True}
        assert stream.next()["data"]["state"] == "lunch"
    ext = fake.call("snapshot")["extensions"][1]
    assert ext["presence"] == {"state": "lunch", "note": "back at 1", "until": None}
    with pytest.raises(ControlError) as exc:
        fake.call("presence.set", extension="999", state="away")
    assert exc.value.code == "not_found"
    with pytest.raises(ControlError) as exc:
        fake.call("schedule.set_mode", mode="weekend")
    assert exc.value.code == "invalid_args"


def test_config_put_with_revision(fake):
    got = fake.call("config.get")
    doc = copy.deepcopy(got["document"])
    doc["office"]["name"] = "Fake Office"
    result = fake.call("config.put", document=doc, base_revision=got["revision"])
    assert result["saved"] is False and fake.call("snapshot")["office"] == "Fake Office"
    with pytest.raises(ControlError) as exc:
        fake.call("config.put", document=doc, base_revision=got["revision"])
    assert exc.value.code == "stale"


def test_test_verbs(fake):
    with fake.events(kinds=["fault"]) as stream:
        fake.inject("fault", port="fxo2", kind="no_loop_current")
        assert stream.next()["data"] == {"port": "fxo2", "kind": "no_loop_current"}
    fake.fail_next("unavailable")
    with pytest.raises(ControlError) as exc:
        fake.call("snapshot")
    assert exc.value.code == "unavailable"
    assert fake.requests[-1] == ("snapshot", {})
    assert fake.call("sim.listen", port="fxs1")["format"] == "wav"


def test_arguments_make_the_json_round_trip(fake):
    with pytest.raises(ControlError) as exc:
        fake.call("voicemail.get", id=object())
    assert exc.value.code == "bad_request"


def test_no_temp_files_left(tmp_path):
    f = FakeControl()
    d = f._dir
    assert any(d.iterdir())
    f.close()
    assert not d.exists()


def test_panel_button_and_flash(fake):
    assert fake.call("sim.button", name="daynight")["night"] is True
    assert fake.call("sim.button", name="daynight")["night"] is False
    assert fake.call("sim.flash", phone="fxs1") == {"phone": "fxs1"}
    with pytest.raises(ControlError) as exc:
        fake.call("sim.button", name="self_destruct")
    assert exc.value.code == "not_found"


def test_presence_starts_from_the_configuration():
    from firmware import config

    doc = config.load().document
    doc["extensions"][3]["presence"] = {"state": "out", "note": "on holiday"}
    with FakeControl(doc, seed=False) as fake:
        owner = fake.call("snapshot")["extensions"][3]
        assert owner["presence"] == {"state": "out", "note": "on holiday", "until": None}
        assert fake.call("calllog.query")["total"] == 0 and fake.call("voicemail.list")["messages"] == []
