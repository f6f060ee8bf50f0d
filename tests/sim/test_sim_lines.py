"""The simulated exchange works the real FXO drivers: rings, caller ID, hunting, digits, hang-ups, dialling out."""
from __future__ import annotations

import pytest


def test_a_caller_rings_line_1_with_caller_id_and_talks(make_office, run):
    office, events, tick = make_office()
    caller = office.exchange.call_in(caller_id={"number": "5551234", "name": "ALICE"})
    run(4.0)
    assert caller.port == "fxo1" and caller.state == "ringing"
    assert events.kinds("fxo1")[:3] == ["ring", "ring_end", "caller_id"]
    (cid,) = events.of("fxo1", "caller_id")
    assert cid.data["number"] == "5551234" and cid.data["name"] == "ALICE"
    assert cid.data["datetime"] == "01050400"        # 09:00 UTC is 04:00 in the office (America/New_York)
    assert 2.5 < cid.t < 4.0                         # between ring 1 and ring 2
    office.ports["fxo1"].seize()
    run(0.5)
    assert caller.state == "connected"
    caller.press("42#")
    run(1.5)
    assert [e.data["digit"] for e in events.of("fxo1", "digit")] == ["4", "2", "#"]
    assert all(e.data["source"] == "dtmf" for e in events.of("fxo1", "digit"))
    caller.hang_up()
    run(1.0)
    (gone,) = events.of("fxo1", "disconnect")
    assert gone.data["reason"] == "loop_drop"


def test_the_office_hears_what_the_caller_says_and_the_caller_hears_the_office(make_office, run):
    office, events, tick = make_office()
    caller = office.exchange.call_in(port="fxo2")
    run(1.0)
    office.ports["fxo2"].seize()
    run(0.2)
    tick.capture = True
    caller.speak(1.0)
    from drivers.dsp.tones import ToneGenerator

    gen = ToneGenerator("US", "busy")
    tick.feeds["fxo2"] = lambda: gen.read(160)
    run(3.0)
    said = sum(int(abs(f.astype(int)).sum()) for f in tick.captured["fxo2"])
    assert said > 0
    assert caller.hears("busy") and not caller.hears("reorder")


def test_hunt_group_rolls_over_and_all_busy_gives_busy(make_office, run):
    office, events, tick = make_office()
    first = office.exchange.call_in()
    run(0.5)
    office.ports["fxo1"].seize()
    run(0.5)
    second = office.exchange.call_in()
    run(0.5)
    assert second.port == "fxo2" and events.of("fxo2", "ring")
    office.ports["fxo2"].seize()
    run(0.5)
    third = office.exchange.call_in()
    assert third.state == "busy" and third.hears("busy") and third.port is None
    assert first.state == second.state == "connected"


def test_unanswered_caller_who_gives_up_is_an_abandoned_ring(make_office, run):
    office, events, tick = make_office()
    caller = office.exchange.call_in()
    run(3.0)
    caller.hang_up()
    run(10.0)
    assert events.kinds("fxo1") == ["ring", "ring_end", "ring_abandoned"]


def test_dialling_out_reaches_a_remote_party_that_answers(make_office, run):
    office, events, tick = make_office()
    office.exchange.remote("5550100", answer_after=2.0)
    fxo = office.ports["fxo2"]
    fxo.seize()
    fxo.dial("5550100")           # held until dial tone is heard (or the dial-tone timeout)
    run(8.0)
    assert events.of("fxo2", "dial_done")[0].data["digits"] == "5550100"
    remote = office.exchange.last_dialled("5550100")
    assert remote is not None
    run(3.0)
    assert remote.state == "connected"
    assert events.kinds("fxo2").count("answered") == 1
    remote.hang_up()
    run(1.0)
    assert events.of("fxo2", "disconnect")[0].data["reason"] == "loop_drop"


def test_dialled_busy_number_gives_busy_to_the_office(make_office, run):
    office, events, tick = make_office()
    office.exchange.remote("5550199", busy=True)
    fxo = office.ports["fxo1"]
    fxo.seize()
    fxo.dial("5550199")
    run(10.0)
    line = office.exchange.lines["fxo1"]
    assert line.state == "busy"
    assert line.ear.hears("silence")   # the office sends nothing
    assert office.exchange.last_dialled().state == "busy"


def test_released_line_ends_the_call_and_a_short_break_is_a_flash(make_office, run):
    office, events, tick = make_office()
    caller = office.exchange.call_in()
    run(1.0)
    fxo = office.ports["fxo1"]
    fxo.seize()
    run(1.0)
    fxo.flash()
    run(2.0)
    line = office.exchange.lines["fxo1"]
    assert line.flashes == 1 and caller.state == "connected"
    assert not events.of("fxo1", "disconnect")      # our own flash is not a far-end loop drop
    fxo.release()
    run(1.5)
    assert caller.state == "ended" and line.state == "idle"


def test_a_line_reseized_too_soon_waits_for_the_guard(make_office, run, vclock):
    office, events, tick = make_office()
    fxo = office.ports["fxo1"]
    fxo.seize()
    run(1.0)
    fxo.release()
    fxo.seize()
    assert not fxo.seized
    run(1.1)
    assert fxo.seized


def test_dialling_on_hook_is_refused(make_office):
    from drivers.errors import PortError

    office, events, tick = make_office()
    with pytest.raises(PortError, match="seize"):
        office.ports["fxo1"].dial("123")
    office.ports["fxo1"].seize()
    with pytest.raises(PortError, match="cannot dial"):
        office.ports["fxo1"].dial("12x")


def test_a_caller_who_leaves_with_busy_tone_is_a_busy_tone_disconnect(make_office, run):
    office, events, tick = make_office()
    caller = office.exchange.call_in(port="fxo1")
    run(1.0)
    office.ports["fxo1"].seize()
    run(1.0)
    caller.hang_up(how="busy_tone")
    run(3.0)
    (gone,) = events.of("fxo1", "disconnect")
    assert gone.data["reason"] == "busy_tone"
    assert gone.t - caller.ended_at <= 2.1            # within two busy cycles


def test_seizing_hears_dial_tone_before_dialling(make_office, run):
    office, events, tick = make_office()
    fxo = office.ports["fxo1"]
    fxo.seize()
    fxo.dial("12")
    run(2.0)
    kinds = events.kinds("fxo1")
    assert kinds.index("dial_tone") < kinds.index("dial_done")
    assert events.of("fxo1", "dial_tone")[0].t < 1.5
    assert office.exchange.lines["fxo1"].digits == "12"


def test_uk_caller_id_comes_before_the_first_ring_after_a_line_reversal(make_office, run, example_doc):
    doc = example_doc()
    doc["office"]["country"] = "GB"
    office, events, tick = make_office(doc)
    office.exchange.call_in(caller_id={"number": "02079460000", "name": "BOB"})
    run(5.0)
    kinds = events.kinds("fxo1")
    assert kinds.index("caller_id") < kinds.index("ring")
    (cid,) = events.of("fxo1", "caller_id")
    assert cid.data["standard"] == "v23" and cid.data["number"] == "02079460000"
    assert events.of("fxo1", "ring_end")[0].data["cadence"] == "uk"


@pytest.mark.parametrize("country,standard", [("DK", "dtmf"), ("DE", "v23"), ("CA", "bell202")])
def test_caller_id_from_the_exchange_in_the_country_s_way(make_office, run, example_doc, country, standard):
    doc = example_doc()
    doc["office"]["country"] = country
    office, events, tick = make_office(doc)
    office.exchange.call_in(caller_id={"number": "4512345678901234", "name": None})
    run(8.0)
    (cid,) = events.of("fxo1", "caller_id")
    assert cid.data["number"] == "4512345678901234"      # a long number: the first ring waits for it
    assert cid.data["standard"] == standard


def test_a_phone_lifted_in_parallel_on_the_line_is_reported(make_office, run, example_doc):
    doc = example_doc()
    doc["board"]["ports"] = {"fxo1": {"kind": "fxo", "pins": {"relay": 5, "ring": 6, "loop": 13, "polarity": 19,
                                                              "in_use": 1}}}
    office, events, tick = make_office(doc)
    line = office.exchange.lines["fxo1"]
    line.parallel_lift()
    run(1.0)
    line.parallel_hang_up()
    run(1.0)
    assert [(e.kind, e.data.get("parallel")) for e in events.of("fxo1")] == [("off_hook", True), ("on_hook", True)]


def test_caller_id_date_on_the_desk_phone_is_office_local_time(make_office, run, example_doc):
    office, events, tick = make_office()       # America/New_York; the virtual wall clock starts 09:00 UTC
    office.ports["fxs2"].ring("US", {"number": "5551234", "name": "ALICE"})
    run(4.0)
    assert office.phones["fxs2"].caller_id["datetime"] == "01050400"


def test_an_answered_call_is_never_abandoned_and_the_next_call_counts_from_one(make_office, run):
    office, events, tick = make_office()
    first = office.exchange.call_in(caller_id={"number": "5551234", "name": "ALICE"})
    run(7.0)                                      # ring 2 has started
    office.ports["fxo1"].seize()
    run(12.0)
    first.hang_up()
    run(1.0)
    office.ports["fxo1"].release()
    run(2.0)
    assert "ring_abandoned" not in events.kinds("fxo1")
    office.exchange.call_in(caller_id={"number": "5559876", "name": "BOB"})
    run(5.0)
    rings = events.of("fxo1", "ring")
    assert [r.data["count"] for r in rings] == [1, 2, 1]
    assert [c.data["number"] for c in events.of("fxo1", "caller_id")] == ["5551234", "5559876"]


def test_pre_ring_caller_id_without_polarity_sensing_is_still_caught(make_office, run, example_doc):
    doc = example_doc()
    doc["office"]["country"] = "DK"
    doc["board"]["ports"] = {"fxo1": {"kind": "fxo", "pins": {"relay": 5, "ring": 6, "loop": 13, "polarity": None}}}
    office, events, tick = make_office(doc)
    line = office.exchange.lines["fxo1"]
    line.polarity = office.factory.pin(1, "in", pull="down")   # the exchange still reverses; the box cannot see it
    office.exchange.call_in(port="fxo1", caller_id={"number": "4512345678", "name": None})
    run(6.0)
    kinds = events.kinds("fxo1")
    assert kinds.index("caller_id") < kinds.index("ring")
    assert events.of("fxo1", "caller_id")[0].data["standard"] == "dtmf"
