"""Ringing several desk phones at once for one caller (``leg.dial_extensions``): first lift wins, the others stop,
skips, forwards, caller ID on every phone, the call log, and a caller who gives up."""
from __future__ import annotations

import copy

from firmware.engine import LegHungUp
from firmware.store import Store

from tests.engine.conftest import OFFICE, Office


def _office(vclock, doc=None, store=None, numbers=("200", "201", "202"), timeout=10):
    """An office whose incoming calls ring ``numbers`` together; ``results`` collects what the app saw."""
    results: list = []

    async def app(leg):
        try:
            results.append(await leg.dial_extensions(list(numbers), timeout))
        except LegHungUp:
            results.append("hung_up")
    o = Office(vclock, doc)
    if store is not None:
        o.engine.store = store
    o.engine.register_app("test", app)
    return o.start(), results


def _call_in(o, number="5551234", name="BOB"):
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number=number, name=name)


def _rings(o, port):
    return [c for c in o.ports[port].commands if c[0] == "ring"]


def _stops(o, port):
    return [c for c in o.ports[port].commands if c[0] == "stop_ring"]


def _states(o):
    return {name: p.state for name, p in o.engine.desk.phones.items()}


def test_every_free_phone_rings_at_once_with_the_callers_id(vclock):
    o, _ = _office(vclock)
    _call_in(o)
    o.run(2)
    rang = o.kinds("ringing")
    assert sorted(e["extension"] for e in rang) == ["200", "201", "202"]
    assert max(e["t"] for e in rang) - min(e["t"] for e in rang) < 0.05          # together, not in turn
    for port in ("fxs1", "fxs2", "fxs3"):
        [(_, cadence, cid)] = _rings(o, port)
        assert cadence == "US" and cid["number"] == "5551234" and cid["name"] == "BOB"
    assert set(_states(o).values()) == {"ringing"}
    assert o.kinds("tone")[-1]["tone"] == "ringback"
    o.stop()


def test_the_first_to_lift_gets_the_call_and_the_others_stop_ringing(vclock):
    o, results = _office(vclock)
    _call_in(o)
    o.run(3)
    o.emit("fxs2", "off_hook")
    o.run(0.1)
    assert _states(o) == {"fxs1": "idle", "fxs2": "off_hook", "fxs3": "idle"}
    assert len(_stops(o, "fxs1")) == 1 and len(_stops(o, "fxs3")) == 1 and not _stops(o, "fxs2")
    [bridge] = o.kinds("bridge")
    caller = o.engine.leg_at("fxo1")
    callee = o.engine.leg_at("fxs2")
    assert callee.call is caller.call and callee.extension == "201" and caller.bridge is callee.bridge
    answered = [e for e in o.kinds("dial_result") if e["result"] == "answered"]
    assert [e["extension"] for e in answered] == ["201"]
    o.emit("fxo1", "disconnect")
    o.run(0.5)
    assert results == [("answered", "201")]
    o.stop()


def test_a_member_who_lifts_a_moment_later_gets_dial_tone_not_the_call(vclock):
    o, _ = _office(vclock)
    _call_in(o)
    o.run(3)
    o.emit("fxs2", "off_hook")
    o.emit("fxs3", "off_hook")            # in the same instant: the call is already taken
    o.run(1)
    late = o.engine.leg_at("fxs3")
    assert late is not None and late.call is not o.engine.leg_at("fxo1").call
    assert late.direction == "internal" and o.engine.desk.phones["fxs3"].state == "off_hook"
    assert [t["tone"] for t in o.kinds("tone") if t["leg"] == late.id] == ["dial"]
    assert len(o.kinds("bridge")) == 1
    o.emit("fxs1", "off_hook")            # a second later: an idle phone, dial tone too
    o.run(0.5)
    assert o.engine.leg_at("fxs1").call is not o.engine.leg_at("fxo1").call
    o.stop()


def test_no_answer_stops_every_phone_after_the_ring_timeout(vclock):
    o, results = _office(vclock, timeout=8)
    _call_in(o)
    o.run(7.5)
    assert results == [] and set(_states(o).values()) == {"ringing"}
    o.run(1)
    assert results == [("no_answer", None)]
    assert set(_states(o).values()) == {"idle"}
    assert all(len(_stops(o, p)) == 1 for p in ("fxs1", "fxs2", "fxs3"))
    assert sorted(e["extension"] for e in o.kinds("dial_result")) == ["200", "201", "202"]
    o.emit("fxs2", "off_hook")            # too late: an ordinary off hook
    o.run(0.5)
    late = o.engine.leg_at("fxs2")
    assert [t["tone"] for t in o.kinds("tone") if t["leg"] == late.id] == ["dial"] and late.bridge is None
    o.stop()


def test_the_caller_hanging_up_stops_every_phone(vclock):
    o, results = _office(vclock)
    _call_in(o)
    o.run(3)
    o.emit("fxo1", "disconnect")
    o.run(0.5)
    assert results == ["hung_up"]
    assert set(_states(o).values()) == {"idle"}
    assert all(len(_stops(o, p)) == 1 for p in ("fxs1", "fxs2", "fxs3"))
    assert all(p.ringing_for is None and p.answer is None for p in o.engine.desk.phones.values())
    o.stop()


def test_busy_and_do_not_disturb_members_are_skipped(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["extensions"][2]["dnd"] = True                     # 202
    o, _ = _office(vclock, doc)
    o.emit("fxs1", "off_hook")                             # 200 busy (dial tone)
    o.run(0.5)
    _call_in(o)
    o.run(2)
    assert [e["extension"] for e in o.kinds("ringing")] == ["201"]
    assert not _rings(o, "fxs1") and not _rings(o, "fxs3")
    skipped = {e["extension"]: e["result"] for e in o.kinds("dial_result")}
    assert skipped == {"200": "busy", "202": "busy"}
    o.stop()


def test_nobody_free_is_busy_at_once_and_no_phone_is_unavailable(vclock):
    doc = copy.deepcopy(OFFICE)
    for ext in doc["extensions"]:
        ext["dnd"] = True
    o, results = _office(vclock, doc)
    _call_in(o)
    o.run(1)
    assert results == [("busy", None)] and o.kinds("ringing") == []
    o.stop()
    o, results = _office(vclock, numbers=("299",))         # not an extension: no phone to ring
    _call_in(o)
    o.run(1)
    assert results == [("unavailable", None)]
    o.stop()


def test_presence_do_not_disturb_is_skipped(vclock, tmp_path):
    store = Store.for_clock(tmp_path / "sb.db", vclock)
    o, _ = _office(vclock, store=store)
    store.set_presence("200", "dnd")
    _call_in(o)
    o.run(2)
    assert sorted(e["extension"] for e in o.kinds("ringing")) == ["201", "202"]
    o.stop()
    store.close()


def test_forwards_always_and_busy_are_followed_and_each_phone_rings_once(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["extensions"][1]["forward"] = {"always": "202"}   # 201 → 202, which is rung anyway: once
    doc["extensions"][0]["forward"] = {"busy": "201"}     # 200 busy → 201 → 202 (already ringing)
    o, results = _office(vclock, doc, numbers=("200", "201"))
    o.emit("fxs1", "off_hook")
    o.run(0.5)
    _call_in(o)
    o.run(2)
    assert [e["extension"] for e in o.kinds("ringing")] == ["202"] and len(_rings(o, "fxs3")) == 1
    assert {(e["extension"], e["to"], e["when"]) for e in o.kinds("forward")} >= {("201", "202", "always")}
    o.emit("fxs3", "off_hook")
    o.run(0.5)
    o.emit("fxo1", "disconnect")
    o.run(0.5)
    assert results == [("answered", "202")]
    o.stop()


def test_no_answer_forwards_do_not_apply_to_ringing_all(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["extensions"][1]["forward"] = {"no_answer": "200"}
    o, results = _office(vclock, doc, numbers=("201", "202"), timeout=5)
    _call_in(o)
    o.run(6)
    assert results == [("no_answer", None)] and not _rings(o, "fxs1") and o.kinds("forward") == []
    o.stop()


def test_the_call_log_has_one_call_answered_by_the_member_who_lifted(vclock, tmp_path):
    store = Store.for_clock(tmp_path / "sb.db", vclock)
    o, _ = _office(vclock, store=store)
    _call_in(o)
    o.run(4)
    o.emit("fxs3", "off_hook")
    o.run(10)
    o.emit("fxo1", "disconnect")
    o.run(0.5)
    assert o.engine.flush_call_log()
    rows = store.query_calls()[0]
    assert len(rows) == 1
    [row] = rows
    assert row["disposition"] == "answered" and row["extension"] == "202"
    assert 9.5 <= row["talk_s"] <= 10.5
    o.stop()
    store.close()


def test_a_single_extension_still_rings_alone(vclock):
    """``dial_extension`` keeps its behaviour: one phone, the extension's answer; the shared-answer change in the
    desk phones does not disturb it."""
    async def app(leg):
        await leg.dial_extension("201")
    o = Office(vclock)
    o.engine.register_app("test", app)
    o.start()
    _call_in(o)
    o.run(2)
    assert [e["extension"] for e in o.kinds("ringing")] == ["201"]
    o.emit("fxs2", "off_hook")
    o.run(0.5)
    assert o.kinds("bridge") and o.engine.leg_at("fxs2").call is o.engine.leg_at("fxo1").call
    o.stop()


def test_a_phone_that_cannot_ring_is_left_out_and_the_others_still_ring(vclock):
    from drivers.errors import PortError

    o, results = _office(vclock, numbers=("201", "202"), timeout=5)

    def broken(cadence=None, caller_id=None):
        raise PortError("ring generator fault")
    o.ports["fxs2"].ring = broken
    _call_in(o)
    o.run(2)
    assert [e["extension"] for e in o.kinds("ringing")] == ["202"]
    assert o.engine.desk.phones["fxs2"].state == "idle" and o.engine.desk.phones["fxs2"].answer is None
    o.run(4)
    assert results == [("no_answer", None)]
    o.ports["fxs3"].ring = broken
    o.emit("fxo2", "ring", count=1)
    o.emit("fxo2", "caller_id", number="5550000", name="CAROL")
    o.run(1)
    assert results[-1] == ("unavailable", None)
    o.stop()
