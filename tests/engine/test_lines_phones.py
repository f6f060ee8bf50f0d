"""Line hunting and desk phones over small fake ports: answer rules, outgoing hunting, extension calls."""
from __future__ import annotations

import copy

import pytest

from tests.engine.conftest import OFFICE, Office, office_with_store


async def _idle(leg):
    await leg.sleep(3600)


def _office(vclock, **trunk_incoming):
    cfg = copy.deepcopy(OFFICE)
    cfg["trunks"]["incoming"].update(trunk_incoming)
    o = Office(vclock, cfg).start()
    o.engine.register_app("test", _idle)
    return o


def test_answers_as_soon_as_caller_id_is_complete(vclock):
    o = _office(vclock)
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "ring_end", count=1)
    o.run(1)
    assert o.ports["fxo1"].names() == []
    o.emit("fxo1", "caller_id", number="5551234", name="SMITH")
    o.run(0.1)
    assert o.ports["fxo1"].names() == ["seize"]
    ans = o.kinds("answer")[0]
    assert ans["caller_id"]["number"] == "5551234" and ans["destination"] == "test"
    assert o.engine.lines.lines[0].state == "answered"
    o.stop()


def test_without_caller_id_answers_at_the_second_ring(vclock):
    o = _office(vclock)
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "ring_end", count=1)
    o.run(4)
    assert o.ports["fxo1"].names() == []
    o.emit("fxo1", "ring", count=2)
    o.run(0.1)
    assert o.ports["fxo1"].names() == ["seize"]
    assert o.kinds("answer")[0]["caller_id"] is None
    o.stop()


def test_rings_before_answer_counts_rings(vclock):
    o = _office(vclock, rings_before_answer=3)
    for n in (1, 2):
        o.emit("fxo1", "ring", count=n)
        o.emit("fxo1", "caller_id", number="1") if n == 1 else None
        o.emit("fxo1", "ring_end", count=n)
    assert o.ports["fxo1"].names() == []
    o.emit("fxo1", "ring", count=3)
    o.emit("fxo1", "ring_end", count=3)
    o.run(0.1)
    assert o.ports["fxo1"].names() == ["seize"]
    o.stop()


def test_abandoned_ring_is_a_missed_call(vclock):
    o = _office(vclock)
    o.emit("fxo2", "ring", count=1)
    o.emit("fxo2", "ring_end", count=1)
    o.emit("fxo2", "ring_abandoned")
    assert o.kinds("missed")[0]["line"] == "line2"
    assert o.engine.lines.lines[1].state == "idle"
    o.stop()


def test_fault_marks_the_line_and_ends_its_call(vclock):
    o = _office(vclock)
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="1")
    o.run(0.1)
    o.emit("fxo1", "fault", reason="no line voltage")
    o.run(0.1)
    assert o.engine.lines.lines[0].state == "fault"
    assert o.kinds("hangup")[0]["by"] == "fault"
    o.emit("fxo1", "fault_cleared")
    assert o.engine.lines.lines[0].state == "idle"
    o.stop()


def test_off_hook_gives_dial_tone_and_first_digit_timeout_gives_reorder(office):
    office.emit("fxs2", "off_hook")
    office.run(0.1)
    assert office.kinds("tone")[0]["tone"] == "dial"
    office.run(10)
    assert office.kinds("reorder")[0]["reason"] == "first_digit_timeout"
    assert office.kinds("tone")[-1]["tone"] == "reorder"
    office.emit("fxs2", "on_hook")
    office.run(0.1)
    assert office.kinds("hangup")[-1]["by"] == "on_hook"


def test_stutter_dial_tone_when_messages_wait(office):
    office.engine.set_message_waiting("201", True)
    assert ("vmwi", True) in office.ports["fxs2"].commands
    office.emit("fxs2", "off_hook")
    office.run(0.1)
    assert office.kinds("tone")[0]["tone"] == "stutter"


def test_extension_to_extension_rings_with_caller_id_and_bridges(office):
    office.lift_and_dial("fxs2", "202")
    ring = [c for c in office.ports["fxs3"].commands if c[0] == "ring"][0]
    assert ring[1] == "US" and ring[2]["number"] == "201" and ring[2]["name"] == "Sales"
    assert office.kinds("tone")[-1]["tone"] == "ringback"
    office.run(3)
    office.emit("fxs3", "off_hook")
    office.run(0.1)
    bridge = office.kinds("bridge")[0]
    assert sorted(bridge["ports"]) == ["fxs2", "fxs3"]
    office.emit("fxs3", "on_hook")
    office.run(0.1)
    assert ("open_loop", 500) in office.ports["fxs2"].commands
    assert office.kinds("reorder")[-1]["reason"] == "far_end_hung_up"


def test_busy_extension_gives_busy_tone(office):
    office.emit("fxs3", "off_hook")
    office.lift_and_dial("fxs2", "202")
    assert office.kinds("dial_result")[-1]["result"] == "busy"
    assert office.kinds("tone")[-1]["tone"] == "busy"


def test_unanswered_extension_rings_out_and_stops_ringing(office):
    office.lift_and_dial("fxs1", "201")
    office.run(21)
    assert office.kinds("dial_result")[-1]["result"] == "no_answer"
    assert office.ports["fxs2"].names()[-1] == "stop_ring"
    assert office.engine.desk.phones["fxs2"].state == "idle"


def test_an_extensions_own_ring_timeout_overrides_the_office_one(office):
    config = office.engine.config
    doc = {**config, "extensions": [dict(e) for e in config["extensions"]]}
    next(e for e in doc["extensions"] if e["number"] == "201")["ring_timeout"] = 5
    office.engine.reconfigure(doc)
    office.lift_and_dial("fxs1", "201")
    office.run(4.5)
    assert not office.kinds("dial_result")           # still ringing after 4.5 s
    office.run(1)
    assert office.kinds("dial_result")[-1]["result"] == "no_answer"


def test_operator_and_unknown_numbers(office):
    office.lift_and_dial("fxs2", "0")
    assert office.kinds("ringing")[-1]["extension"] == "200"
    office.emit("fxs2", "on_hook")
    office.run(0.1)
    assert office.ports["fxs1"].names()[-1] == "stop_ring"
    office.lift_and_dial("fxs2", "5")
    assert office.kinds("reorder")[-1]["reason"] == "no_such_number"


def test_outgoing_hunts_last_line_first_waits_for_dial_tone_and_dials(office):
    office.lift_and_dial("fxs1", "9")
    assert office.ports["fxo2"].names() == ["seize"] and office.ports["fxo1"].names() == []
    office.dial("fxs1", "55")       # typed before dial tone: held, dialled after
    office.emit("fxo2", "dial_tone")
    office.run(0.1)
    office.dial("fxs1", "5")
    office.run(5)
    assert [c for c in office.ports["fxo2"].commands if c[0] == "dial"] == [("dial", "555")]  # checked, then dialled
    assert office.kinds("dialled")[0]["digits"] == "555"
    assert office.engine.lines.lines[1].state == "in_use"
    office.emit("fxs1", "on_hook")
    office.run(0.1)
    assert office.ports["fxo2"].names()[-1] == "release"
    assert office.engine.lines.lines[1].state == "idle"


def test_second_outgoing_takes_line1_and_third_hears_reorder(office):
    for port in ("fxs1", "fxs2"):
        office.lift_and_dial(port, "9")
    assert office.ports["fxo2"].names() == ["seize"] and office.ports["fxo1"].names() == ["seize"]
    office.lift_and_dial("fxs3", "9")
    assert office.kinds("reorder")[-1]["reason"] == "not_allowed"  # 202 may not dial out in this office
    office.emit("fxs3", "on_hook")
    office.engine.office.doc["trunks"]["outgoing"]["allowed_extensions"].append("202")
    office.lift_and_dial("fxs3", "9")
    assert office.kinds("reorder")[-1]["reason"] == "all_lines_busy"


def test_no_dial_tone_tries_the_next_line_then_reorder(office):
    office.lift_and_dial("fxs1", "9")
    office.run(3.5)
    assert office.ports["fxo2"].names() == ["seize", "release"]
    assert office.ports["fxo1"].names() == ["seize"]
    office.run(3.5)
    assert office.ports["fxo1"].names() == ["seize", "release"]
    assert [e["line"] for e in office.kinds("no_dial_tone")] == ["line2", "line1"]
    assert office.kinds("reorder")[-1]["reason"] == "no_dial_tone"


def test_a_dead_line_is_skipped_for_the_next(office):
    office.lift_and_dial("fxs1", "9")
    office.run(3.5)
    office.emit("fxo1", "dial_tone")
    office.dial("fxs1", "123")
    office.run(5)
    assert [c for c in office.ports["fxo1"].commands if c[0] == "dial"] == [("dial", "123")]


def test_an_outside_caller_never_reaches_a_line(office):
    from drivers.errors import PortError
    errors = []

    async def app(leg):
        try:
            await office.engine.lines.call_out(leg)
        except PortError as exc:
            errors.append(str(exc))
        other = office.engine.new_leg(office.ports["fxo2"], "out")
        try:
            office.engine.bridge(leg, other)
        except PortError as exc:
            errors.append(str(exc))
    office.engine.register_app("test", app)
    office.emit("fxo1", "ring", count=1)
    office.emit("fxo1", "caller_id", number="1")
    office.run(0.5)
    assert len(errors) == 2
    assert [e["reason"] for e in office.kinds("security")] == ["outside_caller_to_line_refused",
                                                               "line_to_line_refused"]


def test_outside_caller_dial_extension_answered_then_caller_hangs_up(office):
    results = []

    async def app(leg):
        results.append(await leg.dial_extension("201", ring_timeout=10))
    office.engine.register_app("test", app)
    office.emit("fxo1", "ring", count=1)
    office.emit("fxo1", "caller_id", number="5551234", name="SMITH")
    office.run(2)
    ring = [c for c in office.ports["fxs2"].commands if c[0] == "ring"][0]
    assert ring[2]["number"] == "5551234"
    office.emit("fxs2", "off_hook")
    office.run(5)
    office.emit("fxo1", "disconnect", reason="loop_drop")
    office.run(0.1)
    assert results == ["answered"]
    assert office.ports["fxo1"].names() == ["seize", "release"]
    assert office.kinds("call_end")


@pytest.mark.parametrize("fault", [True, False])
def test_unavailable_extension(office, fault):
    results = []

    async def app(leg):
        results.append(await leg.dial_extension("202" if fault else "299"))
    office.engine.register_app("test", app)
    if fault:
        office.emit("fxs3", "fault", reason="SLIC not answering")
    office.emit("fxo1", "ring", count=1)
    office.emit("fxo1", "caller_id", number="1")
    office.run(0.5)
    assert results == ["unavailable"]


def test_stop_ends_calls_cleanly(vclock):
    o = _office(vclock)
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="1")
    o.emit("fxs1", "off_hook")
    o.run(1)
    o.stop()
    assert o.ports["fxo1"].names() == ["seize", "release"]
    assert {e["by"] for e in o.kinds("hangup")} == {"shutdown"}
    assert not o.engine.media.running


def test_outgoing_call_is_logged_with_the_number_dialled(vclock, tmp_path):
    o, store = office_with_store(vclock, tmp_path)
    o.lift_and_dial("fxs1", "9")
    o.emit("fxo2", "dial_tone")
    o.dial("fxs1", "5551234")
    o.run(5)
    o.emit("fxs1", "on_hook")
    o.run(0.1)
    assert o.engine.flush_call_log()
    rows, _ = store.query_calls()
    assert rows[0]["dialled"] == "5551234" and rows[0]["line"] == "line2" and rows[0]["extension"] == "200"
    o.stop()
    store.close()


def test_calls_are_written_to_the_store(vclock, tmp_path):
    o, store = office_with_store(vclock, tmp_path)
    o.emit("fxs1", "off_hook")
    o.run(1)
    assert o.engine.flush_call_log()
    assert len(store.open_calls()) == 1
    o.emit("fxs1", "on_hook")
    o.run(0.1)
    assert o.engine.flush_call_log()
    assert store.open_calls() == []
    rows, total = store.query_calls()
    assert rows[0]["direction"] == "internal" and rows[0]["disposition"] == "abandoned"
    o.stop()
    store.close()


def test_missed_call_is_logged(vclock, tmp_path):
    o, store = office_with_store(vclock, tmp_path)
    o.emit("fxo2", "ring", count=1)
    o.emit("fxo2", "ring_end", count=1)
    o.emit("fxo2", "ring_abandoned")
    assert o.engine.flush_call_log()
    rows, total = store.query_calls()
    assert total == 1 and rows[0]["disposition"] == "missed" and rows[0]["line"] == "line2"
    o.stop()
    store.close()


def test_three_legs_join_in_a_mixer(office):
    from firmware.engine.bridge import Mixer
    legs = [office.engine.new_leg(office.ports[p], "internal") for p in ("fxs1", "fxs2", "fxs3")]
    mixer = office.engine.bridge(*legs)
    assert isinstance(mixer, Mixer)
    import numpy as np
    office.ports["fxs1"].captured.extend([np.full(160, 100, dtype=np.int16)] * 5)
    office.ports["fxs2"].captured.extend([np.full(160, 10, dtype=np.int16)] * 5)
    office.ports["fxs3"].keep_written = True
    office.run(0.05)
    assert office.ports["fxs3"].written[0][0] == 110
    office.engine.hangup_leg(legs[0], "test")
    assert len(mixer.legs) == 2 and mixer in office.engine.bridges
    office.engine.hangup_leg(legs[1], "test")
    assert mixer not in office.engine.bridges


def test_caller_id_before_the_first_ring_answers_at_that_ring_and_stale_caller_id_is_dropped(vclock):
    o = _office(vclock)
    o.emit("fxo1", "caller_id", number="441234", name="ETSI")
    o.run(0.5)
    o.emit("fxo1", "ring", count=1)
    o.run(0.1)
    assert o.kinds("answer")[0]["caller_id"]["number"] == "441234"
    o.emit("fxo2", "caller_id", number="999", name="LINE TEST")
    o.run(30)
    o.emit("fxo2", "ring", count=1)
    o.run(0.1)
    assert len(o.kinds("answer")) == 1       # no answer at ring 1: the old caller ID is not this call's
    o.stop()


def test_do_not_disturb_presence_makes_the_extension_busy(vclock, tmp_path):
    o, store = office_with_store(vclock, tmp_path)
    store.set_presence("202", "dnd")
    o.lift_and_dial("fxs2", "202")
    assert o.kinds("dial_result")[-1]["result"] == "busy"
    assert not [c for c in o.ports["fxs3"].commands if c[0] == "ring"]
    o.stop()
    store.close()
