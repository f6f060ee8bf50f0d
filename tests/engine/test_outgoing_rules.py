"""Outgoing dialling rules and lines out of service: blocked prefixes, max digits, emergency numbers,
``lines[].enabled`` / ``incoming`` / ``outgoing``."""
from __future__ import annotations

import copy

from tests.engine.conftest import OFFICE, Office


def _office(vclock, **outgoing):
    doc = copy.deepcopy(OFFICE)
    doc["trunks"]["outgoing"].update(outgoing)
    return doc


def _start(vclock, doc):
    return Office(vclock, doc).start()


def _dialled(o, port):
    return [c[1] for c in o.ports[port].commands if c[0] == "dial"]


def _go_out(o, phone="fxs1", line="fxo2"):
    o.lift_and_dial(phone, "9")
    o.emit(line, "dial_tone")
    o.run(0.1)


def test_a_blocked_prefix_is_refused_before_anything_is_dialled(vclock):
    o = _start(vclock, _office(vclock, blocked_prefixes=["1900", "011"]))
    _go_out(o)
    o.dial("fxs1", "19005551234")
    o.run(5)
    assert _dialled(o, "fxo2") == []
    [refused] = o.kinds("outgoing_refused")
    assert refused["reason"] == "blocked_prefix" and refused["digits"] == "19005551234"
    assert o.ports["fxo2"].names()[-1] == "release" and o.engine.lines.lines[1].state == "idle"
    assert o.kinds("reorder")[-1]["reason"] == "blocked_prefix"
    o.stop()


def test_a_number_not_blocked_is_dialled_whole(vclock):
    o = _start(vclock, _office(vclock, blocked_prefixes=["1900"]))
    _go_out(o)
    o.dial("fxs1", "5551234")
    o.run(5)
    assert _dialled(o, "fxo2") == ["5551234"] and o.kinds("outgoing_refused") == []
    o.stop()


def test_more_digits_than_max_digits_is_refused(vclock):
    o = _start(vclock, _office(vclock, max_digits=7))
    _go_out(o)
    o.dial("fxs1", "55512345")           # 8 digits
    o.run(5)
    assert _dialled(o, "fxo2") == []
    assert o.kinds("outgoing_refused")[0]["reason"] == "too_many_digits"
    o.stop()


def test_max_digits_itself_is_accepted(vclock):
    o = _start(vclock, _office(vclock, max_digits=7))
    _go_out(o)
    o.dial("fxs1", "5551234#")
    o.run(1)
    assert _dialled(o, "fxo2") == ["5551234"]
    o.stop()


def test_an_extension_not_allowed_out_may_still_call_emergency_without_waiting(vclock):
    o = _start(vclock, _office(vclock, emergency_numbers=["911"], blocked_prefixes=["9"]))
    _go_out(o, phone="fxs3")                 # 202 is not in allowed_extensions
    o.dial("fxs3", "11")                   # 9-1-1
    assert _dialled(o, "fxo2") == ["911"]    # dialled at once, no inter-digit wait
    assert o.kinds("emergency_call")[0]["digits"] == "911"
    o.run(1)
    assert o.engine.lines.lines[1].state == "in_use"
    o.stop()


def test_an_extension_not_allowed_out_is_refused_anything_else(vclock):
    o = _start(vclock, _office(vclock, emergency_numbers=["911"]))
    _go_out(o, phone="fxs3")
    o.dial("fxs3", "5551234")
    o.run(5)
    assert _dialled(o, "fxo2") == [] and o.kinds("outgoing_refused")[0]["reason"] == "not_allowed"
    o.stop()


def test_an_emergency_number_dialled_directly_takes_a_line_not_marked_for_outgoing(vclock):
    doc = _office(vclock, emergency_numbers=["112"])
    doc["lines"][0]["outgoing"] = False
    doc["lines"][1]["enabled"] = False
    o = _start(vclock, doc)
    o.lift_and_dial("fxs3", "112")
    assert o.ports["fxo1"].names() == ["seize"] and o.ports["fxo2"].names() == []
    o.emit("fxo1", "dial_tone")
    o.run(0.1)
    assert _dialled(o, "fxo1") == ["112"]
    o.stop()


def test_a_line_out_of_service_is_never_seized_nor_answered(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["lines"][1]["enabled"] = False
    o = _start(vclock, doc)
    o.emit("fxo2", "ring", count=1)
    o.emit("fxo2", "caller_id", number="5551234")
    o.run(8)
    assert o.ports["fxo2"].names() == [] and o.kinds("answer") == []
    o.lift_and_dial("fxs1", "9")
    assert o.ports["fxo1"].names() == ["seize"] and o.ports["fxo2"].names() == []
    o.stop()


def test_incoming_false_rings_on_and_outgoing_false_is_not_seized(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["lines"][0]["incoming"] = False
    doc["lines"][1]["outgoing"] = False
    o = _start(vclock, doc)
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="5551234")
    o.run(1)
    assert o.ports["fxo1"].names() == [] and o.engine.lines.lines[0].state == "ringing"
    o.emit("fxo1", "ring_abandoned")
    assert o.kinds("missed")
    o.run(1)
    o.lift_and_dial("fxs1", "9")
    assert o.ports["fxo1"].names() == ["seize"] and o.ports["fxo2"].names() == []
    o.stop()


def test_a_line_answers_after_its_own_rings_before_answer(vclock):
    doc = copy.deepcopy(OFFICE)
    doc["lines"][0]["rings_before_answer"] = 2     # the office answers at once (0)
    o = Office(vclock, doc)

    async def app(leg):
        await leg.wait_hangup()
    o.engine.register_app("test", app)
    o.start()
    o.emit("fxo1", "ring", count=1)
    o.emit("fxo1", "caller_id", number="5551234")
    o.emit("fxo1", "ring_end", count=1)
    o.run(1)
    assert o.ports["fxo1"].names() == []
    o.emit("fxo1", "ring", count=2)
    o.emit("fxo1", "ring_end", count=2)
    o.run(0.1)
    assert o.ports["fxo1"].names() == ["seize"]
    o.stop()
