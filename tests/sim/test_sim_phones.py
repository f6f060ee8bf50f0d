"""Simulated desk phones work the real FXS drivers: ringing, caller ID, ring trip, dialling, flash, VMWI."""
from __future__ import annotations

import pytest

from drivers.errors import PortError

ALICE = {"number": "5551234", "name": "ALICE"}


def test_a_ringing_phone_shows_caller_id_and_lifting_trips_the_ring(make_office, run, vclock):
    office, events, tick = make_office()
    port, phone = office.ports["fxs2"], office.phones["fxs2"]
    port.ring("US", ALICE)
    run(1.0)
    assert phone.ringing and phone.bell_strikes > 30      # F/R reversing at 20 Hz under RM
    run(3.0)
    assert phone.caller_id["number"] == "5551234" and phone.caller_id["name"] == "ALICE"
    run(2.5)
    assert phone.rings == 2
    lifted = vclock.now()
    phone.lift()
    run(0.3)
    (off,) = events.of("fxs2", "off_hook")
    assert off.t == pytest.approx(lifted)
    rm = port.rm.pin
    stopped = [t for t, level in rm.history if not level and t >= lifted]
    assert stopped and stopped[0] - lifted <= 0.2          # ring trip within 200 ms
    assert not port.ringing and not phone.ringing


def test_ringing_follows_the_country_cadence_without_drift(make_office, run):
    office, events, tick = make_office()
    port = office.ports["fxs1"]
    start = tick.clock.now()
    port.ring("GB")
    run(30.0)
    port.stop_ring()
    rises = [t - start for t, level in port.rm.pin.history if level]
    # UK double ring 400/200/400/2000: bursts start at 0, 0.6, 3.0, 3.6, 6.0 ... exactly
    expected = [k * 3.0 + d for k in range(10) for d in (0.0, 0.6)]
    assert rises[:20] == pytest.approx(expected, abs=1e-6)
    toggles = [t for t, _ in port.fr.pin.history if 27.0 <= t - start < 27.4]
    assert len(toggles) == pytest.approx(16, abs=1)      # a US office rings at 20 Hz: 40 reversals a second


def test_tone_and_pulse_dialling_and_flash(make_office, run):
    office, events, tick = make_office()
    phone = office.phones["fxs3"]
    phone.lift()
    run(0.5)
    phone.dial("20", mode="pulse")
    run(4.0)
    phone.dial("3*", mode="tone")
    run(1.0)
    phone.flash()
    run(1.5)
    phone.hang_up()
    run(2.0)
    digits = [(e.data["digit"], e.data["source"]) for e in events.of("fxs3", "digit")]
    assert digits == [("2", "pulse"), ("0", "pulse"), ("3", "dtmf"), ("*", "dtmf")]
    assert events.kinds("fxs3")[-2:] == ["flash", "on_hook"]


def test_message_waiting_lamp(make_office, run):
    office, events, tick = make_office()
    office.ports["fxs4"].send_vmwi(True)
    run(1.5)
    assert office.phones["fxs4"].mwi is True
    office.ports["fxs4"].send_vmwi(False)
    run(1.5)
    assert office.phones["fxs4"].mwi is False


def test_phone_hears_what_the_port_plays(make_office, run):
    from drivers.dsp.tones import ToneGenerator

    office, events, tick = make_office()
    phone = office.phones["fxs1"]
    phone.lift()
    gen = ToneGenerator("US", "dial")
    tick.feeds["fxs1"] = lambda: gen.read(160)
    run(1.5)
    assert phone.hears("dial") and not phone.hears("busy")
    tick.feeds.pop("fxs1")
    run(1.5)
    assert phone.hears("silence")


def test_open_loop_with_a_relay_drops_loop_current_but_is_not_a_hang_up(make_office, run, example_doc):
    doc = example_doc()
    doc["board"]["ports"] = {"fxs1": {"kind": "fxs", "pins": {"shk": 17, "rm": 27, "fr": 22, "ol": 1}}}
    office, events, tick = make_office(doc)
    phone, port = office.phones["fxs1"], office.ports["fxs1"]
    phone.lift()
    run(0.5)
    port.open_loop(500)
    run(0.2)
    assert not port.shk.active            # no loop current while the relay is open
    run(1.0)
    assert events.kinds("fxs1") == ["off_hook"]
    phone.hang_up()
    run(2.0)
    assert events.kinds("fxs1") == ["off_hook", "on_hook"]


def test_a_lifted_phone_cannot_be_rung_and_unknown_cadences_are_refused(make_office, run):
    office, events, tick = make_office()
    office.phones["fxs2"].lift()
    run(0.2)
    with pytest.raises(PortError, match="off-hook"):
        office.ports["fxs2"].ring("US")
    with pytest.raises(PortError, match="cadence"):
        office.ports["fxs3"].ring("XX-nonsense")


@pytest.mark.parametrize("country,standard,before", [("GB", "v23", True), ("DK", "dtmf", True),
                                                     ("DE", "v23", False), ("US", "bell202", False)])
def test_caller_id_to_the_phone_follows_the_country(make_office, run, example_doc, country, standard, before):
    doc = example_doc()
    doc["office"]["country"] = country
    office, events, tick = make_office(doc)
    port, phone = office.ports["fxs1"], office.phones["fxs1"]
    start = tick.clock.now()
    at_first_ring = []
    port.rm.pin.when_changed(lambda t, level: level and not at_first_ring and at_first_ring.append(phone.caller_id))
    port.ring(None, {"number": "4412345", "name": None, "number_absent": None})
    run(7.0)
    shown_before_ring = at_first_ring[0] is not None
    assert phone.caller_id["number"] == "4412345" and phone.caller_id["standard"] == standard
    assert shown_before_ring == before
    first_ring = next(t for t, level in port.rm.pin.history if level)
    assert (first_ring - start > 0.5) == before


def test_the_front_panel_of_the_simulated_box(make_office, run):
    office, events, tick = make_office()
    presses = []
    office.panel.subscribe(presses.append)
    office.panel.press("daynight", hold=3.0)
    run(3.5)
    assert [e.kind for e in presses] == ["press", "long_press", "release"]
    office.panel.set_led("line1", "flash")
    office.panel.set_led("mwi", "on")
    assert office.panel.leds["line1"] == "flash" and office.panel.leds["night"] == "off"
    assert office.panel.lit["mwi"] is True
    with pytest.raises(ValueError, match="no button"):
        office.panel.press("reset")


def test_lifeline_released_joins_phone_1_to_line_1(make_office, run):
    office, events, tick = make_office()
    office.lifeline.write(True)
    office.lifeline.write(False)               # power cut or a hung daemon
    phone = office.phones["fxs1"]
    caller = office.exchange.call_in(caller_id={"number": "5551234", "name": "ALICE"})
    assert caller.port == "fxo1"
    run(5.0)
    assert phone.ringing and phone.caller_id["number"] == "5551234"
    assert not events.of("fxo1", "ring")               # the box no longer sees line 1
    phone.lift()
    run(0.5)
    assert caller.state == "connected" and not events.of("fxs1", "off_hook")
    caller.speak(1.0)
    phone.speak(1.0)
    run(1.5)
    assert abs(phone.heard(1.5).astype(int)).max() > 1000
    assert abs(caller.heard(1.5).astype(int)).max() > 1000
    phone.hang_up()
    run(1.5)
    assert caller.state == "ended"
    office.lifeline.write(True)                # service is back
    second = office.exchange.call_in()
    run(1.0)
    assert second.port == "fxo1" and events.of("fxo1", "ring")


def test_dialling_out_from_the_joined_phone_in_a_power_cut(make_office, run):
    office, events, tick = make_office()
    office.lifeline.write(False)
    office.exchange.remote("911", answer_after=1.0)
    phone = office.phones["fxs1"]
    phone.lift()
    run(1.0)
    assert phone.hears("dial")
    phone.dial("911")
    run(6.0)
    assert office.exchange.last_dialled("911").state == "connected"


def test_verbs_say_how_long_they_take(make_office, run):
    office, events, tick = make_office()
    phone = office.phones["fxs2"]
    phone.lift()
    run(0.2)
    assert phone.dial("12", mode="tone") == pytest.approx(0.4)
    run(0.5)
    took = phone.dial("20", mode="pulse")
    assert took == pytest.approx(0.05 + 0.2 + 0.7 + 1.0 + 0.7)
    run(took)
    assert [e.data["digit"] for e in events.of("fxs2", "digit")] == ["1", "2", "2", "0"]
    assert phone.flash(500) == 0.5 and phone.speak(2.0) == 2.0
    assert office.panel.press("daynight", hold=0.3) == 0.3


def test_message_waiting_set_while_ringing_is_sent_when_the_ringing_stops(make_office, run):
    office, events, tick = make_office()
    port, phone = office.ports["fxs3"], office.phones["fxs3"]
    port.ring("US")
    run(1.0)
    port.send_vmwi(True)
    run(1.0)
    assert phone.mwi is None
    port.stop_ring()
    run(2.5)
    assert phone.mwi is True


def test_impossible_requests_to_simulated_people_are_clear_errors(make_office, run):
    from drivers.errors import SwitchboardError

    office, events, tick = make_office()
    with pytest.raises(SwitchboardError, match="on-hook; lift it"):
        office.phones["fxs1"].dial("1")
    caller = office.exchange.call_in()
    with pytest.raises(SwitchboardError, match="the call is ringing"):
        caller.press("1")
    with pytest.raises(ValueError, match="how"):
        caller.hang_up(how="slam")
    office.phones["fxs1"].lift()
    with pytest.raises(ValueError, match="rotary"):
        office.phones["fxs1"].dial("1*", mode="pulse")


def test_a_phone_on_a_port_with_an_mt8870_and_software_detection_gives_each_key_once(make_office, run,
                                                                                      example_doc):
    doc = example_doc()
    doc["board"]["mt8870"] = {"pins": {"std": 1, "q1": 30, "q2": 31, "q3": 32, "q4": 33}, "ports": ["fxs2"]}
    doc["board"]["ports"] = {"fxs2": {"kind": "fxs", "dtmf_source": "both"}}
    office, events, tick = make_office(doc)
    phone = office.phones["fxs2"]
    phone.lift()
    run(0.3)
    phone.dial("2025550199#")
    run(3.0)
    assert "".join(e.data["digit"] for e in events.of("fxs2", "digit")) == "2025550199#"
    assert office.chips["fxs2"].decoded == list("2025550199#")    # the chip heard every key too


def test_the_appliance_lifeline_drives_the_simulated_relay(make_office, run):
    from firmware.lifeline import open_lifeline

    office, events, tick = make_office()
    lifeline = open_lifeline({"gpio_backend": "sim", "lifeline": {"pin": 26}}, pin=office.lifeline.pin)
    lifeline.arm()                            # the ports are up: the box has FXS 1 and FXO 1
    first = office.exchange.call_in()
    run(1.0)
    assert events.of("fxo1", "ring") and not office.phones["fxs1"].ringing
    first.hang_up()
    run(10.0)
    lifeline.rest()                           # shutting down: the phone goes straight onto the line
    second = office.exchange.call_in()
    run(1.0)
    assert office.phones["fxs1"].ringing and second.port == "fxo1"
    assert len(events.of("fxo1", "ring")) == 1
