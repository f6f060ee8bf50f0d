"""A USB voice modem on line 1, through real pyserial to a fake modem behind a real pty."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import PortError
from drivers.modem.channel import decode, encode
from drivers.port import FRAME_SAMPLES

from .conftest import advance, pump, settle


def quantized(x: np.ndarray, fmt: str = "u8") -> np.ndarray:
    return decode(encode(x, fmt), fmt)


def speech(frames: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(-20000, 20000, frames * FRAME_SAMPLES).astype(np.int16)
    x[::7] = -28672  # encodes to 0x10 in 8-bit linear: must survive DLE shielding both ways
    return x


def read_frames(clock, port, n: int) -> np.ndarray:
    got = []
    pump(clock, lambda: (got.append(port.read_frame().copy()) or False)
         or sum(1 for f in got if f.any()) >= n)
    nonsilent = [f for f in got if f.any()]
    return np.concatenate(nonsilent[:n])


def listening(port) -> str:
    """The voice mode a port listens in: ``rx`` (half duplex) or ``trx`` (full duplex)."""
    return "trx" if port.profile.duplex == "full" else "rx"


def answer(clock, port, fake) -> None:
    port.seize()
    pump(clock, lambda: port.voice == listening(port) and fake.mode != "command")


def test_the_modem_is_opened_by_its_path_and_initialised_for_caller_id(port, fake):
    assert fake.commands == ["ATZ", "ATE0V1", "AT+VCID=1"]
    assert port.state == "idle" and port.fault is None and port.kind == "modem"


def test_a_call_rings_with_caller_id_between_the_first_and_second_ring(vclock, port, fake):
    fake.ring()
    fake.send_caller_id(number="5551234", name="SMITH JOHN", date="0105", time="0930")
    fake.ring()
    pump(vclock, lambda: len(port.rec.of("ring")) == 2)
    assert port.rec.kinds() == ["ring", "caller_id", "ring"]
    assert [e.data["count"] for e in port.rec.of("ring")] == [1, 2]
    cid = port.rec.of("caller_id")[0].data
    assert cid == {"number": "5551234", "name": "SMITH JOHN", "datetime": "01050930", "number_absent": None,
                   "name_absent": None, "standard": "modem"}


def test_a_number_without_a_name_is_reported_at_the_next_ring(vclock, port, fake):
    fake.ring()
    fake.send_lines("NMBR = 5559876")
    fake.ring()
    pump(vclock, lambda: len(port.rec.of("ring")) == 2)
    assert port.rec.kinds() == ["ring", "caller_id", "ring"]
    assert port.rec.of("caller_id")[0].data["number"] == "5559876"
    assert port.rec.of("caller_id")[0].data["name"] is None


def test_a_partial_caller_id_is_reported_after_the_wait_if_no_ring_follows(vclock, port, fake):
    fake.ring()
    fake.send_lines("DATE=0105", "NMBR=5550001")
    pump(vclock, lambda: port._cid.fields.get("NMBR") is not None)
    assert not port.rec.of("caller_id")
    advance(vclock, 2.0)
    assert port.rec.of("caller_id")[0].data["number"] == "5550001"


def test_private_and_out_of_area_callers(vclock, port, fake):
    fake.ring()
    fake.send_caller_id(number="P", name="O", date="0105", time="0930")
    pump(vclock, lambda: port.rec.of("caller_id"))
    data = port.rec.of("caller_id")[0].data
    assert (data["number"], data["number_absent"], data["name"], data["name_absent"]) == (None, "P", None, "O")


def test_garbled_caller_id_and_line_noise_never_stop_the_line(vclock, port, fake):
    fake.ring()
    fake.send_lines("DATE = 1345", "TIME=09", b"\xff\xfe\x81NMBR\x00=\x01", "NMBR = 555-12\x07 34",
                    "NAME = O'BRIEN \x1b[2J", b"\x80" * 400)
    fake.send_raw(b"\x10z\x10\x7f\x10\x05")  # unknown DLE codes
    fake.ring()
    pump(vclock, lambda: len(port.rec.of("ring")) == 2)
    cid = port.rec.of("caller_id")[0].data
    assert cid["datetime"] is None  # month 13 and a cut-off time are not trusted
    assert cid["number"] == "5551234" and cid["name"] == "O'BRIEN [2J"  # control characters removed
    assert port.counters["garbled"] >= 2 and port.counters["unknown_codes"] == 3
    assert port.fault is None and port.state == "ringing"


def test_no_further_ring_is_an_abandoned_call(vclock, port, fake):
    fake.ring()
    pump(vclock, lambda: port.rec.of("ring"))
    advance(vclock, 7.9)
    assert not port.rec.of("ring_abandoned")
    advance(vclock, 0.2)
    assert port.rec.kinds()[-1] == "ring_abandoned" and port.state == "idle"
    fake.ring()
    pump(vclock, lambda: len(port.rec.of("ring")) == 2)
    assert port.rec.of("ring")[-1].data["count"] == 1


def test_answering_hears_the_caller_and_their_keypresses(vclock, port, fake):
    fake.ring()
    pump(vclock, lambda: port.state == "ringing")
    answer(vclock, port, fake)
    p = port.profile
    assert fake.commands[3:] == [p.voice_mode, p.vsm, p.vsd, p.off_hook, "AT+VTR" if p.duplex == "full" else "AT+VRX"]
    said = speech(5)
    fake.say(said)
    assert np.array_equal(read_frames(vclock, port, 5), quantized(said))
    fake.press("5")
    fake.press("#")
    pump(vclock, lambda: len(port.rec.of("digit")) == 2)
    assert [(e.data["digit"], e.data["source"]) for e in port.rec.of("digit")] == [("5", "modem"), ("#", "modem")]


def test_a_half_duplex_modem_switches_to_transmit_to_play_a_prompt(vclock, port, fake):
    if port.profile.duplex == "full":
        pytest.skip("full-duplex modems never switch")
    answer(vclock, port, fake)
    prompt = speech(4, seed=2)
    for frame in np.split(prompt, 4):
        port.write_frame(frame)
    pump(vclock, lambda: len(fake.heard()) >= len(prompt))
    assert "AT+VTX" in fake.commands and port.voice == "tx"
    assert np.array_equal(fake.heard()[:len(prompt)], quantized(prompt))
    for _ in range(12):  # the prompt is over: silence hands the line back to listening
        port.write_frame(np.zeros(FRAME_SAMPLES, np.int16))
    pump(vclock, lambda: port.voice == "rx" and fake.mode == "vrx")
    assert fake.commands[-1] == "AT+VRX"


def test_a_full_duplex_modem_talks_and_listens_at_once(vclock, port, fake):
    if port.profile.duplex != "full":
        pytest.skip("half-duplex modems take turns")
    answer(vclock, port, fake)
    assert fake.commands[-2:] == ["AT+VLS=1", "AT+VTR"] and "AT+VSM=1,8000,0,0" in fake.commands
    said, played = speech(3, seed=3), speech(3, seed=4)
    fake.say(said)
    for frame in np.split(played, 3):
        port.write_frame(frame)
    assert np.array_equal(read_frames(vclock, port, 3), quantized(said))
    pump(vclock, lambda: len(fake.heard()) >= len(played))
    assert np.array_equal(fake.heard()[:len(played)], quantized(played))
    fake.press("7")  # Conexant brackets the digit: <DLE>/ <DLE>7 <DLE>~
    pump(vclock, lambda: port.rec.of("digit"))
    settle(vclock)
    assert [e.data["digit"] for e in port.rec.of("digit")] == ["7"]


def test_busy_tone_in_a_call_is_a_disconnect(vclock, port, fake):
    answer(vclock, port, fake)
    fake.busy()
    pump(vclock, lambda: port.rec.of("disconnect"))
    assert port.rec.of("tone")[0].data["tone"] == "busy"
    assert port.rec.of("disconnect")[0].data["reason"] == "busy_tone"


def test_release_ends_voice_mode_and_hangs_up(vclock, port, fake):
    answer(vclock, port, fake)
    port.release()
    pump(vclock, lambda: fake.commands[-1] == "ATH0" and fake.mode == "command")
    assert port.state == "idle" and not fake.off_hook


def test_seize_dial_and_dial_tone(vclock, port, fake):
    port.seize()
    pump(vclock, lambda: port.voice == listening(port))
    fake.dial_tone()
    pump(vclock, lambda: port.rec.of("dial_tone"))
    port.dial("0123*#")
    pump(vclock, lambda: port.rec.of("dial_done"))
    assert "AT+VTS=0,1,2,3,*,#" in fake.commands
    assert port.rec.of("dial_done")[0].data["digits"] == "0123*#"
    assert fake.mode == ("vtr" if port.profile.duplex == "full" else "vrx")
    with pytest.raises(PortError, match="cannot dial"):
        port.dial("12x")


def test_commands_are_refused_while_the_modem_is_missing(vclock, fake):
    from .conftest import make_port
    fake.unplug()
    port, rec = make_port(vclock, fake)
    pump(vclock, lambda: port.state == "faulted")
    try:
        assert "cannot open modem" in port.fault and fake.device in port.fault
        with pytest.raises(PortError, match="not available"):
            port.seize()
    finally:
        port.close()


def test_a_modem_clock_running_ahead_never_builds_up_latency():
    from drivers.modem.channel import ModemAudioChannel
    ch = ModemAudioChannel("u8")
    for _ in range(20):  # a burst of 20 frames arrives between two ticks
        ch.feed(encode(np.full(FRAME_SAMPLES, 256, np.int16), "u8"))
    ch.read()
    assert len(ch._capture) == ch.low_water - 1 and ch.counters["skew_drops"] == 20 - ch.low_water


def test_dial_tone_in_an_answered_call_means_the_caller_hung_up(vclock, port, fake):
    fake.ring()
    pump(vclock, lambda: port.state == "ringing")
    answer(vclock, port, fake)
    fake.dial_tone()
    pump(vclock, lambda: port.rec.of("disconnect"))
    assert port.rec.of("disconnect")[0].data["reason"] == "dial_tone" and not port.rec.of("dial_tone")


def test_dial_tone_after_dialling_out_means_the_far_end_hung_up(vclock, port, fake):
    port.seize()
    pump(vclock, lambda: port.voice == listening(port))
    fake.dial_tone()
    fake.dial_tone()  # reported again while it lasts: still one event, no hang-up
    pump(vclock, lambda: port.rec.of("dial_tone"))
    settle(vclock, 0.1)
    assert not port.rec.of("disconnect")
    port.dial("5")
    pump(vclock, lambda: port.rec.of("dial_done"))
    fake.dial_tone()
    pump(vclock, lambda: port.rec.of("disconnect"))
    assert port.rec.of("disconnect")[0].data["reason"] == "dial_tone" and len(port.rec.of("dial_tone")) == 1


def test_the_handset_on_the_modem_jack_is_a_parallel_off_hook(vclock, port, fake):
    fake.handset()
    pump(vclock, lambda: port.rec.of("off_hook"))
    assert port.rec.of("off_hook")[0].data == {"parallel": True}
