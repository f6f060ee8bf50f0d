"""Caller ID out and in: Bell 202 / V.23 FSK, SDMF / MDMF, absence reasons, checksum, DTMF caller ID,
message waiting, and the reference battery's C1/C2/C4 cases (docs/dsp.md)."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.dsp.callerid import (
    CallerId, CallerIdDecoder, _bits, build_message, dual_tone_alert, encode_dtmf_cid, encode_fsk,
    encode_vmwi, fsk_modulate, parse_message,
)
from drivers.dsp.levels import DBM0_RMS, amplitude, power_dbm0, to_int16, ulaw_roundtrip
from tests.dsp.corpus import music_corpus

ALICE = CallerId(number="5551234567", name="ALICE SMITH", datetime="11221435")


def decode(x: np.ndarray, standard: str = "auto", frame: int = 160) -> tuple[list[CallerId], CallerIdDecoder]:
    dec = CallerIdDecoder(standard)
    y = np.concatenate((np.zeros(400, np.int16), to_int16(x), np.zeros(2400, np.int16)))
    out: list[CallerId] = []
    for i in range(0, y.size, frame):
        out += dec.feed(y[i:i + frame])
    return out, dec


def same(a: CallerId, b: CallerId) -> bool:
    return a.as_dict() == b.as_dict()


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("fmt", ["sdmf", "mdmf"])
def test_caller_id_round_trip_names_the_standard_and_format(standard, fmt):
    got, dec = decode(encode_fsk(ALICE, standard, fmt))
    want = CallerId(number=ALICE.number, name=ALICE.name if fmt == "mdmf" else None,
                    datetime=ALICE.datetime, standard=standard, format=fmt)
    assert len(got) == 1 and same(got[0], want)
    assert dec.rejected == 0


@pytest.mark.parametrize("absent", ["P", "O"])
def test_absence_reasons_private_and_unavailable(absent):
    cid = CallerId(datetime="01020304", number_absent=absent, name_absent=absent)
    got, _ = decode(encode_fsk(cid, "bell202", "mdmf"))
    assert got[0].number is None and got[0].number_absent == absent and got[0].name_absent == absent
    got, _ = decode(encode_fsk(cid, "bell202", "sdmf"))
    assert got[0].number is None and got[0].number_absent == absent


def test_checksum_is_twos_complement_of_the_byte_sum():
    msg = build_message(CallerId(number="5551234", datetime="12251200"), "sdmf")
    assert msg[0] == 0x04 and msg[1] == len(msg) - 3
    assert sum(msg) % 256 == 0


@pytest.mark.parametrize("flip", [0, 5, 9, 25, 47, 160, 230, 263])
def test_any_single_bit_flip_in_the_message_is_refused_and_counted(flip):
    msg = build_message(ALICE, "mdmf")
    bits = _bits(msg, 300, 180, 5)
    char, pos = divmod(flip, 8)
    bits[480 + 10 * char + 1 + pos] ^= 1                     # a data bit of character ``char``
    got, dec = decode(fsk_modulate(bits))
    assert got == []
    # a flip in the type byte makes an unknown message type: nothing to count, nothing delivered
    assert dec.rejected == (0 if flip < 8 else 1)


def test_a_truncated_message_gives_nothing():
    x = encode_fsk(ALICE)
    got, _ = decode(x[: x.size * 2 // 3])
    assert got == []


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("level", [-5.0, -30.0, -36.0, -40.0])
def test_levels_down_to_minus_forty_dbm0_decode(standard, level):
    got, _ = decode(encode_fsk(ALICE, standard, level_dbm0=level))
    assert len(got) == 1 and got[0].number == ALICE.number


@pytest.mark.parametrize("level", [-45.0, -55.0])
def test_below_minus_45_dbm0_nothing_is_decoded(level):
    got, _ = decode(encode_fsk(ALICE, level_dbm0=level))
    assert got == []


@pytest.mark.parametrize("standard", ["bell202", "v23"])
def test_fifteen_db_snr_decodes_every_time_and_twelve_db_nearly(standard):
    rng = np.random.default_rng(7)
    x = encode_fsk(ALICE, standard, level_dbm0=-13.5).astype(float)
    for snr, need in ((15.0, 8), (12.0, 7 if standard == "v23" else 8)):
        ok = 0
        for _ in range(8):
            n = rng.normal(0, DBM0_RMS * 10 ** ((-13.5 - snr) / 20), x.size)
            got, _ = decode(ulaw_roundtrip(to_int16(x + n)), standard)
            ok += len(got) == 1 and got[0].name == ALICE.name
        assert ok >= need, (snr, ok)


@pytest.mark.parametrize("baud_error", [-0.02, -0.01, 0.01, 0.02])
def test_speed_error_of_one_and_two_percent(baud_error):
    got, _ = decode(encode_fsk(ALICE, "bell202", baud=1200 * (1 + baud_error)))
    assert len(got) == 1 and got[0].number == ALICE.number


@pytest.mark.parametrize("scale", [0.985, 1.015])
def test_mark_and_space_frequency_off_by_one_and_a_half_percent(scale):
    bits = _bits(build_message(ALICE, "mdmf"), 300, 180, 5)
    got, _ = decode(fsk_modulate(bits, "v23", freq_scale=scale), "v23")
    assert len(got) == 1 and got[0].number == ALICE.number


def test_line_tilt_of_six_db_between_mark_and_space():
    bits = _bits(build_message(ALICE, "mdmf"), 300, 180, 5)
    x = fsk_modulate(bits, "bell202").astype(float)
    # tilt: a first-order shelf, about +6 dB at 2200 Hz relative to 1200 Hz
    tilted = x + 1.2 * np.concatenate(([0.0], np.diff(x)))
    got, _ = decode(tilted / 2)
    assert len(got) == 1 and got[0].number == ALICE.number


def test_shortest_sin227_preamble_and_no_seizure_at_all():
    got, _ = decode(encode_fsk(ALICE, "v23", seizure_bits=96, mark_bits=55))
    assert len(got) == 1 and got[0].standard == "v23"
    got, _ = decode(encode_fsk(ALICE, "bell202", seizure_bits=0, mark_bits=80))   # call-waiting style
    assert len(got) == 1 and got[0].standard == "bell202"


def test_noise_speech_like_and_music_never_make_a_message():
    rng = np.random.default_rng(3)
    got, dec = decode(rng.normal(0, 4000, 8000 * 30))
    assert got == [] and dec.rejected == 0
    got, dec = decode(music_corpus(30))
    assert got == [] and dec.rejected == 0                   # not messages, so not corrupt messages


def test_two_messages_back_to_back_and_any_block_size():
    x = np.concatenate((encode_fsk(ALICE), np.zeros(800, np.int16),
                        encode_fsk(CallerId(number="123", datetime="01010101"), "bell202", "sdmf")))
    for frame in (1, 160, 1000, 50000):
        got, _ = decode(x, "bell202", frame)
        assert [c.number for c in got] == ["5551234567", "123"]


def test_timestamp_is_the_end_of_the_message():
    x = encode_fsk(ALICE)
    got, _ = decode(x)
    assert got[0].t == pytest.approx((400 + x.size) / 8000, abs=0.02)


def test_visual_message_waiting_on_and_off_are_reported_apart_from_caller_id():
    dec = CallerIdDecoder()
    x = np.concatenate((encode_vmwi(True), np.zeros(2400, np.int16), encode_vmwi(False, "v23"),
                        np.zeros(2400, np.int16), encode_vmwi(True, fmt="sdmf"), np.zeros(2400, np.int16)))
    assert dec.feed(x) == []
    assert [active for _, active in dec.mwi] == [True, False, True]


@pytest.mark.parametrize("form,text", [("A..C", "A5551234C"), ("D..C", "D5551234C"), ("A..#", "A5551234#"),
                                       ("..#", "5551234#")])
def test_dtmf_caller_id_forms(form, text):
    got, _ = decode(encode_dtmf_cid("5551234", form), "dtmf")
    assert len(got) == 1
    assert got[0].number == "5551234" and got[0].standard == "dtmf" and got[0].format == "dtmf"


@pytest.mark.parametrize("absent", ["P", "O"])
@pytest.mark.parametrize("form", ["A..C", "A..#"])
def test_dtmf_caller_id_absence_codes(form, absent):
    got, _ = decode(encode_dtmf_cid(None, form, absent=absent), "auto")
    assert len(got) == 1 and got[0].number is None and got[0].number_absent == absent


def test_dtmf_caller_id_after_a_line_reversal_click():
    click = np.zeros(800)
    click[10:14] = 30000
    click[14:60] = -8000 * np.exp(-np.arange(46) / 10)
    got, _ = decode(np.concatenate((click, encode_dtmf_cid("0123456789", "D..C", on_ms=50, off_ms=50))), "dtmf")
    assert [c.number for c in got] == ["0123456789"]


def test_dual_tone_alert_is_2130_and_2750_hz_for_about_100_ms():
    x = dual_tone_alert()
    assert x.size == 800
    spec = np.abs(np.fft.rfft(x, 8000))
    peaks = sorted(np.argsort(spec)[-2:])
    assert peaks == [2130, 2750]
    assert power_dbm0(x) == pytest.approx(-10.0, abs=0.3)      # two tones at -13 dBm0 each


def test_encoders_refuse_bad_input_with_a_reason():
    with pytest.raises(ValueError, match="number_absent"):
        build_message(CallerId(number_absent="X"))
    with pytest.raises(ValueError, match="MMDDhhmm"):
        build_message(CallerId(number="1", datetime="11-22"))
    with pytest.raises(ValueError, match="standard"):
        encode_fsk(ALICE, "v21")
    with pytest.raises(ValueError, match="digits"):
        encode_dtmf_cid("12a4")
    with pytest.raises(ValueError, match="standard"):
        CallerIdDecoder("bell103")


def test_parse_message_ignores_unknown_types():
    assert parse_message(bytes((0x89, 2, 1, 0))) is None


def test_fsk_level_matches_the_request():
    assert power_dbm0(encode_fsk(ALICE, level_dbm0=-13.5)) == pytest.approx(-13.5, abs=0.2)
    assert amplitude(-13.5) < 32767


def test_clipped_dc_and_silence_never_raise():
    dec = CallerIdDecoder()
    for block in (np.zeros(160, np.int16), np.full(160, 32767, np.int16), np.full(4000, -32768, np.int16),
                  np.clip(encode_fsk(ALICE, level_dbm0=3.0).astype(np.int32) * 3, -32768, 32767).astype(np.int16),
                  np.zeros(0, np.int16)):
        dec.feed(block)


# ----------------------------------------------------------------------------- dual-tone alert (C3)
def _alerts(x: np.ndarray) -> list:
    from drivers.dsp.alert import AlertToneDetector
    det = AlertToneDetector()
    out = []
    for i in range(0, x.size, 160):
        out += det.feed(x[i:i + 160])
    return out


def test_dt_as_is_detected_from_20_ms_at_any_alignment_and_its_end_reported():
    from drivers.dsp.tones import tone
    for ms in (20, 80, 110):
        for lead in range(0, 40, 5):
            x = np.concatenate((np.zeros(lead, np.int16), tone((2130, 2750), ms / 1000, -13), np.zeros(800, np.int16)))
            kinds = [e.kind for e in _alerts(ulaw_roundtrip(x))]
            assert kinds == ["start", "end"], (ms, lead)
    events = _alerts(np.concatenate((np.zeros(800, np.int16), dual_tone_alert(), np.zeros(800, np.int16))))
    assert events[0].t == pytest.approx(0.1, abs=0.01) and events[1].t == pytest.approx(0.2, abs=0.01)


def test_dt_as_frequency_tolerance_and_what_is_not_an_alert():
    from drivers.dsp.tones import dtmf, tone
    for scale in (0.989, 1.011):
        x = np.concatenate((tone((2130 * scale, 2750 * scale), 0.1, -13), np.zeros(400, np.int16)))
        assert [e.kind for e in _alerts(x)] == ["start", "end"]
    for scale in (0.98, 1.02):
        assert _alerts(tone((2130 * scale, 2750 * scale), 0.1, -13)) == []
    assert _alerts(tone((2130,), 0.2, -13)) == []
    assert _alerts(dtmf("0123456789*#ABCD", 100, 100, -5)) == []
    assert _alerts(tone((2130, 2750), 0.1, -45)) == []
    assert _alerts(encode_fsk(ALICE)) == []


def test_reset_forgets_a_half_received_message_and_equality_ignores_the_timestamp():
    dec = CallerIdDecoder("bell202")
    x = encode_fsk(ALICE)
    cut = x.size * 3 // 4                                  # inside the message
    dec.feed(x[:cut])
    dec.reset()
    assert dec.feed(np.concatenate((x[cut:], np.zeros(2400, np.int16)))) == []
    got = dec.feed(np.concatenate((x, np.zeros(2400, np.int16))))
    assert got == [CallerId(number=ALICE.number, name=ALICE.name, datetime=ALICE.datetime,
                            standard="bell202", format="mdmf")]


@pytest.mark.parametrize("standard", ["bell202", "v23"])
def test_minus_30_dbm0_with_15_db_snr_in_auto_mode_names_the_right_modem(standard):
    rng = np.random.default_rng(12)
    x = encode_fsk(ALICE, standard, level_dbm0=-30.0).astype(float)
    for _ in range(4):
        noisy = ulaw_roundtrip(to_int16(x + rng.normal(0, DBM0_RMS * 10 ** (-45 / 20), x.size)))
        got, _ = decode(noisy, "auto")
        assert len(got) == 1 and got[0].name == ALICE.name and got[0].standard == standard
