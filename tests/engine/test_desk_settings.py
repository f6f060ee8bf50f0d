"""Desk-phone settings: ``phones[].dialing``."""
from __future__ import annotations

import copy

import pytest

from tests.engine.conftest import OFFICE, Office


@pytest.mark.parametrize("dialing,source,heard", [
    ("tone", "dtmf", True), ("tone", "pulse", False), ("pulse", "pulse", True), ("pulse", "dtmf", False),
    ("pulse", "mt8870", False), ("both", "pulse", True), ("both", "dtmf", True), (None, "pulse", True),
])
def test_a_phone_takes_the_digits_its_dialing_setting_accepts(vclock, dialing, source, heard):
    doc = copy.deepcopy(OFFICE)
    if dialing is not None:
        doc["phones"][1]["dialing"] = dialing          # fxs2, extension 201
    o = Office(vclock, doc).start()
    o.lift_and_dial("fxs2", "202", source=source)
    rang = any(c[0] == "ring" for c in o.ports["fxs3"].commands)
    assert rang is heard
    assert bool(o.kinds("digit_ignored")) is not heard
    o.stop()


def test_a_call_is_warned_then_cleared_at_max_call(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["max_call"] = 120
    o = Office(vclock, doc).start()
    o.lift_and_dial("fxs2", "202")
    o.emit("fxs3", "off_hook")
    o.run(80)
    assert o.kinds("max_call_warning") == []
    o.run(10.5)                            # 30 s before the limit
    [warning] = o.kinds("max_call_warning")
    assert len(warning["legs"]) == 2
    assert {e["tone"] for e in o.kinds("tone")} >= {"beep"}
    assert o.kinds("hangup") == []
    o.run(30)
    assert o.kinds("max_call") and {e["by"] for e in o.kinds("hangup")} == {"max_call"}
    assert o.engine.calls == {}
    o.stop()


def test_a_call_that_ends_in_time_leaves_no_timer(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["max_call"] = 60
    o = Office(vclock, doc).start()
    o.emit("fxs2", "off_hook")
    o.run(5)
    o.emit("fxs2", "on_hook")
    o.run(0.5)
    o.emit("fxs2", "off_hook")            # a new call: its own limit
    o.run(58)
    assert o.kinds("max_call") == [] and o.kinds("max_call_warning") != []
    o.emit("fxs2", "on_hook")
    o.run(10)
    assert o.kinds("max_call") == []
    o.stop()


def _transferred_call(vclock, recall=10):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["transfer_recall"] = recall
    o = Office(vclock, doc)

    async def app(leg):
        await leg.dial_extension("201")
    o.engine.register_app("test", app)
    o.start()
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="5551234")
    o.run(1)
    o.emit("fxs2", "off_hook")             # 201 answers the outside caller
    o.run(2)
    o.emit("fxs2", "flash")                # and transfers it, blind, to 202
    o.run(0.5)
    o.dial("fxs2", "202")
    o.emit("fxs2", "on_hook")
    o.run(0.5)
    return o


def _rings(o, port):
    return sum(1 for c in o.ports[port].commands if c[0] == "ring")


def test_an_unanswered_blind_transfer_comes_back_to_the_transferrer(vclock):
    o = _transferred_call(vclock, recall=10)
    rings_201 = _rings(o, "fxs2")
    assert _rings(o, "fxs3") == 1
    o.run(9)
    assert o.kinds("transfer_recall") == []
    o.run(1.5)                             # 202 rang for transfer_recall seconds
    [recall] = o.kinds("transfer_recall")
    assert recall["extension"] == "202" and recall["to"] == "201"
    assert _rings(o, "fxs2") == rings_201 + 1
    o.emit("fxs2", "off_hook")
    o.run(1)
    assert o.engine.desk.phones["fxs2"].leg.bridge is not None    # back with the caller
    o.stop()


def test_a_blind_transfer_answered_in_time_stays(vclock):
    o = _transferred_call(vclock, recall=10)
    o.run(5)
    o.emit("fxs3", "off_hook")
    o.run(20)
    assert o.kinds("transfer_recall") == [] and o.engine.desk.phones["fxs3"].leg.bridge is not None
    o.stop()


def _loud(frames):
    import numpy as np
    return [bool(np.abs(f).max() > 0) for f in frames]


@pytest.mark.parametrize("digits", ["", "5", "201"])   # no digit, no such number, own number (busy)
def test_a_phone_left_off_hook_hears_its_tone_for_off_hook_warning_then_silence(vclock, digits):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["off_hook_warning"] = 5
    o = Office(vclock, doc).start()
    port = o.ports["fxs2"]
    port.keep_written = True
    o.lift_and_dial("fxs2", digits)
    o.run(10.2 if not digits else 0.2)     # dial tone gives up after first_digit (10 s) when nothing is dialled
    port.written.clear()
    o.run(2)
    assert all(_loud(port.written))        # reorder or busy
    o.run(3)
    assert o.kinds("off_hook_warning")
    port.written.clear()
    o.run(5)
    assert not any(_loud(port.written))    # then silence, still off hook
    o.emit("fxs2", "on_hook")
    o.run(0.5)
    assert o.engine.leg_at("fxs2") is None
    o.stop()


def test_after_the_far_end_hangs_up_reorder_stops_after_off_hook_warning(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["timeouts"]["off_hook_warning"] = 5
    o = Office(vclock, doc).start()
    o.lift_and_dial("fxs2", "202")
    o.emit("fxs3", "off_hook")
    o.run(2)
    o.emit("fxs3", "on_hook")             # 202 hangs up; 201 stays off hook
    port = o.ports["fxs2"]
    port.keep_written = True
    o.run(3)
    assert any(_loud(port.written))
    o.run(4)
    port.written.clear()
    o.run(3)
    assert not any(_loud(port.written))
    o.stop()


def _forwarding_office(vclock, forward, **ext):
    doc = copy.deepcopy(OFFICE)
    doc["extensions"][2]["forward"] = forward      # 202 on fxs3
    doc["extensions"][2].update(ext)
    o = Office(vclock, doc).start()
    o.lift_and_dial("fxs2", "202")                 # 201 calls 202
    return o


def test_forward_always_rings_the_target_instead(vclock):
    o = _forwarding_office(vclock, {"always": "200"})
    assert _rings(o, "fxs3") == 0 and _rings(o, "fxs1") == 1
    assert o.kinds("forward")[0] == {**o.kinds("forward")[0], "extension": "202", "to": "200", "when": "always"}
    o.emit("fxs1", "off_hook")
    o.run(0.5)
    assert o.engine.desk.phones["fxs1"].leg.bridge is not None
    o.stop()


def test_forward_on_no_answer_rings_the_target_after_the_ring_timeout(vclock):
    o = _forwarding_office(vclock, {"no_answer": "200"}, ring_timeout=5)
    assert _rings(o, "fxs3") == 1 and _rings(o, "fxs1") == 0
    o.run(5.5)
    assert _rings(o, "fxs1") == 1 and o.kinds("forward")[0]["when"] == "no_answer"
    o.stop()


def test_forward_on_busy(vclock):
    o = _forwarding_office(vclock, {"busy": "200"})
    o.emit("fxs2", "on_hook")
    o.run(0.5)
    o.emit("fxs3", "off_hook")                     # 202 is now busy
    o.run(0.5)
    o.lift_and_dial("fxs2", "202")
    assert o.kinds("forward")[-1]["when"] == "busy" and _rings(o, "fxs1") == 1
    o.stop()


def test_forwards_never_loop(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["extensions"][2]["forward"] = {"always": "200"}
    doc["extensions"][0]["forward"] = {"always": "202"}
    o = Office(vclock, doc).start()
    o.lift_and_dial("fxs2", "202")
    assert [e["to"] for e in o.kinds("forward")] == ["200"] and _rings(o, "fxs1") == 1
    o.stop()


@pytest.mark.parametrize("mwi,stutter,lamp", [
    ("stutter", True, False), ("lamp", False, True), ("both", True, True), ("none", False, False),
    (None, True, True)])
def test_a_phone_shows_waiting_messages_as_its_mwi_setting_says(vclock, mwi, stutter, lamp):
    doc = copy.deepcopy(OFFICE)
    if mwi is not None:
        doc["phones"][1]["mwi"] = mwi                  # fxs2, extension 201, mailbox 201
    o = Office(vclock, doc).start()
    o.engine.set_message_waiting("201", True)
    assert (("vmwi", True) in o.ports["fxs2"].commands) is lamp
    o.emit("fxs2", "off_hook")
    o.run(0.1)
    assert o.kinds("tone")[0]["tone"] == ("stutter" if stutter else "dial")
    o.stop()


def test_do_not_disturb_is_not_forwarded_on_busy(vclock):
    o = _forwarding_office(vclock, {"busy": "200"}, dnd=True)
    assert o.kinds("forward") == [] and _rings(o, "fxs1") == 0
    o.stop()
