"""DTMF receiver battery: the Q.24 (AT&T) and ETSI ES 201 235-3 must-cases, linear and after G.711 round
trips, at random alignments to the 5 ms analysis grid (docs/dsp.md, reference §8 D1-D11)."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.dsp.dtmf import DtmfDetector, DtmfEvent, decode_digits
from drivers.dsp.levels import to_int16
from drivers.dsp.tones import DTMF_COLS, DTMF_FREQS, DTMF_ROWS, dtmf, tone
from tests.dsp.signals import CODECS, digits, noise, pair, run, starts

KEYS = "0123456789*#ABCD"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2026)


# --------------------------------------------------------------------------------------------- D1
@pytest.mark.parametrize("codec", list(CODECS))
@pytest.mark.parametrize("level", [-4.0, -25.0])
def test_a_caller_keys_all_sixteen_digits_ten_times_and_every_one_is_decoded(codec, level):
    sent = KEYS * 10
    assert digits(dtmf(sent, 50, 50, level), codec) == sent


# --------------------------------------------------------------------------------------------- D2
@pytest.mark.parametrize("codec", list(CODECS))
def test_both_tones_off_by_the_accept_limit_still_decode(codec, rng):
    for key, (lo, hi) in DTMF_FREQS.items():
        for s_lo in (-1, 1):
            for s_hi in (-1, 1):
                for level in (0.0, -25.0):
                    f_lo, f_hi = lo + s_lo * (0.015 * lo + 2), hi + s_hi * (0.015 * hi + 2)
                    assert digits(pair(f_lo, f_hi, 40, level, level, rng), codec) == key, (key, f_lo, f_hi, level)


def test_one_tone_off_by_the_accept_limit_decodes(rng):
    for key, (lo, hi) in DTMF_FREQS.items():
        for s in (-1, 1):
            assert digits(pair(lo + s * (0.015 * lo + 2), hi, 40, -10, -10, rng)) == key
            assert digits(pair(lo, hi + s * (0.015 * hi + 2), 40, -10, -10, rng)) == key


@pytest.mark.parametrize("codec", ["linear", "ulaw"])
def test_a_tone_three_and_a_half_or_five_percent_off_is_never_a_digit(codec, rng):
    for lo, hi in DTMF_FREQS.values():
        for pct in (0.035, 0.05):
            for s in (-1, 1):
                assert digits(pair(lo * (1 + s * pct), hi, 50, -10, -10, rng), codec) == ""
                assert digits(pair(lo, hi * (1 + s * pct), 50, -10, -10, rng), codec) == ""


# --------------------------------------------------------------------------------------------- D3
@pytest.mark.parametrize("codec", list(CODECS))
@pytest.mark.parametrize("twist", [-8.0, -8.5, 4.0, 4.5])
def test_twist_high_tone_eight_weaker_or_four_stronger_is_accepted(codec, twist, rng):
    low = -10.0 if twist < 0 else -14.0
    for key, (lo, hi) in DTMF_FREQS.items():
        assert digits(pair(lo, hi, 40, low, low + twist, rng), codec) == key, (key, twist)


def test_twist_beyond_the_configured_limit_is_refused(rng):
    lo, hi = DTMF_FREQS["5"]
    assert digits(pair(lo, hi, 60, -6, -20, rng)) == ""        # high tone 14 dB weaker
    assert digits(pair(lo, hi, 60, -20, -8, rng)) == ""        # high tone 12 dB stronger


def test_mt8870_mode_accepts_eight_db_either_way(rng):
    lo, hi = DTMF_FREQS["9"]
    assert digits(pair(lo, hi, 60, -18, -10, rng), twist_reverse_db=8.5) == "9"


# --------------------------------------------------------------------------------------------- D4
@pytest.mark.parametrize("codec", list(CODECS))
def test_levels_from_plus_three_to_minus_thirty_six_dbm0_operate(codec):
    for level in (3.0, 0.0, -10.0, -25.0, -30.0, -36.0):
        assert digits(dtmf("159D", 50, 50, level), codec) == "159D", level


@pytest.mark.parametrize("codec", list(CODECS))
def test_levels_at_minus_45_and_minus_55_dbm0_never_operate(codec):
    for level in (-45.0, -55.0):
        assert digits(dtmf(KEYS, 60, 60, level), codec) == ""


# --------------------------------------------------------------------------------------------- D5
def test_forty_ms_tones_always_and_twenty_three_ms_tones_never_at_any_alignment(rng):
    lo, hi = DTMF_FREQS["8"]
    for codec in CODECS:
        for _ in range(20):
            assert digits(pair(lo, hi, 40, -10, -10, rng), codec) == "8"
            for ms in (10, 20, 23, 24):
                assert digits(pair(lo, hi, ms, -10, -10, rng), codec) == "", ms


@pytest.mark.slow
def test_duration_sweep_ten_to_sixty_ms_has_a_sharp_edge_between_24_and_36_ms(rng):
    lo, hi = DTMF_FREQS["0"]
    for ms in range(10, 61):
        hits = sum(digits(pair(lo, hi, ms, -13, -13, rng), "ulaw") == "0" for _ in range(20))
        if ms <= 24:
            assert hits == 0, ms
        if ms >= 36:
            assert hits == 20, ms


# --------------------------------------------------------------------------------------------- D6
def _gapped(key: str, gap_ms: float, rng: np.random.Generator) -> np.ndarray:
    lo, hi = DTMF_FREQS[key]
    first = pair(lo, hi, 60, -10, -10, rng, tail_ms=0)
    return np.concatenate((first, pair(lo, hi, 60, -10, -10, rng, lead=int(gap_ms * 8))))


@pytest.mark.parametrize("codec", list(CODECS))
def test_a_dropout_up_to_twenty_ms_is_one_digit_and_a_pause_of_36_ms_or_more_is_two(codec, rng):
    for _ in range(5):
        for gap in (2, 5, 10, 15, 20):
            assert digits(_gapped("6", gap, rng), codec) == "6", gap
        for gap in (36, 40, 60):
            assert digits(_gapped("6", gap, rng), codec) == "66", gap


def test_forty_on_forty_off_trains_at_12_5_digits_per_second_lose_nothing():
    sent = "0123456789*#ABCD" * 4
    for codec in CODECS:
        assert digits(dtmf(sent, 40, 40, -10), codec) == sent


# --------------------------------------------------------------------------------------------- D7
def test_fifteen_db_snr_every_digit_right(rng):
    sent = "".join(rng.choice(list(KEYS), 120))
    x = dtmf(sent, 50, 50, -4).astype(float)
    for codec in CODECS:
        assert digits(x + noise(x.size, -19.0, rng), codec) == sent


def test_no_wrong_or_duplicate_digit_at_any_snr(rng):
    sent = "".join(rng.choice(list(KEYS), 100))
    clean = dtmf(sent, 50, 50, -4).astype(float)
    for snr in (10, 6, 3, 0, -3, -10):
        events = starts(run(clean + noise(clean.size, -4.0 - snr, rng), "ulaw"))
        seen = set()
        for ev in events:
            k = int(round(ev.t / 0.1))
            assert k < len(sent) and ev.digit == sent[k], (snr, ev)
            assert k not in seen, (snr, ev)
            seen.add(k)


def test_noise_alone_never_makes_a_digit(rng):
    for level in (-20.0, -30.0, -40.0):
        assert digits(noise(8000 * 20, level, rng), "ulaw") == ""


# --------------------------------------------------------------------------------------------- D8
def test_dial_tone_twelve_db_above_the_digits_does_not_hide_them():
    sent = KEYS * 2
    x = dtmf(sent, 50, 50, -15).astype(float)
    for codec in CODECS:
        assert digits(x + tone((350, 440), x.size / 8000, -3.0), codec) == sent
        assert digits(x + tone((425,), x.size / 8000, -3.0), codec) == sent


def test_a_third_tone_sixteen_db_down_does_not_hide_the_digits(rng):
    sent = KEYS
    x = dtmf(sent, 50, 50, -10).astype(float)
    assert digits(x + tone((1000,), x.size / 8000, -26.0)) == sent


# -------------------------------------------------------------------------------------------- D10
def test_a_twenty_ms_packet_lost_mid_digit_gives_no_duplicate():
    x = dtmf("7", 120, 100, -10)
    x[320:480] = 0
    assert digits(x) == "7"


def test_a_sample_slip_mid_digit_gives_no_duplicate():
    x = dtmf("3", 120, 100, -10)
    for slip in (8, 16):
        assert digits(np.concatenate((x[:400], x[400 + slip:]))) == "3"


# -------------------------------------------------------------------------------------------- D11
def test_digit_reported_within_45_ms_of_tone_start_and_end_within_45_ms_of_stop(rng):
    lo, hi = DTMF_FREQS["4"]
    for _ in range(20):
        lead = int(rng.integers(0, 160))
        x = to_int16(pair(lo, hi, 80, -10, -10, rng, lead=lead, tail_ms=200))
        det = DtmfDetector()
        reported = {}
        for i in range(0, x.size, 8):                         # 1 ms frames: measure when, not just what
            for ev in det.feed(x[i:i + 8]):
                reported[ev.kind] = ((i + 8) / 8000.0, ev)
        t_start, ev_start = reported["start"]
        t_end, ev_end = reported["end"]
        assert t_start - lead / 8000 <= 0.045
        assert t_end - (lead + 640) / 8000 <= 0.045
        assert abs(ev_start.t - lead / 8000) < 0.0015         # edges located to about a sample
        assert abs(ev_end.t - (lead + 640) / 8000) < 0.0015


def test_events_do_not_depend_on_how_the_audio_is_cut_into_blocks():
    x = np.concatenate((np.zeros(37, np.int16), dtmf("1A#", 70, 60, -12)))
    ref = run(x, frame=160)
    for frame in (1, 7, 40, 41, 333, 4000):
        assert run(x, frame=frame) == ref


def test_long_blocks_spanning_the_hop_phase_period_decode_like_frames(rng):
    # 1.2 s blocks cross the 200-hop period of the phase references inside one call; dial tone (-14 dBm0
    # per tone, 6 dB over the digits) and noise under the digits send every hop through the full per-hop
    # treatment, the leading second of silence through the quiet gate
    sent = "7*0#3D" * 4
    x = dtmf(sent, 45, 55, -20).astype(float)
    t = np.arange(x.size) / 8000.0
    x += 4500.0 * (np.sin(2 * np.pi * 350 * t) + np.sin(2 * np.pi * 440 * t)) + noise(x.size, -45.0, rng)
    x = np.concatenate((np.zeros(8013), x, np.zeros(4000)))
    ref = run(x, frame=160)
    assert "".join(e.digit for e in starts(ref)) == sent
    for frame in (800, 9600, x.size):
        assert run(x, frame=frame) == ref


def test_detectors_fed_in_turn_do_not_disturb_each_other(rng):
    # detectors share their read-only analysis tables; nothing else may leak from one line to another
    a = np.concatenate((np.zeros(900, np.int16), dtmf("159#", 50, 60, -8)))
    b = np.concatenate((dtmf("2A0*", 45, 45, -22).astype(float), np.zeros(500)))
    b = to_int16(b + noise(b.size, -50.0, rng))
    alone = [run(a), run(b)]
    dets, got = [DtmfDetector(), DtmfDetector()], [[], []]
    for i in range(0, max(a.size, b.size), 160):
        for k, x in enumerate((a, b)):
            got[k] += dets[k].feed(x[i:i + 160])
    assert [g + d.feed(np.zeros(1600, np.int16)) for g, d in zip(got, dets)] == alone
    assert [e.digit for e in starts(alone[0])] == list("159#") and [e.digit for e in starts(alone[1])] == list("2A0*")
    with pytest.raises(ValueError):
        dets[0]._bank.basis[0, 0] = 1.0


def test_events_are_sample_accurate_start_and_end_pairs():
    events = run(np.concatenate((np.zeros(123, np.int16), dtmf("52", 100, 100, -10))))
    assert [(e.kind, e.digit) for e in events] == [("start", "5"), ("end", "5"), ("start", "2"), ("end", "2")]
    assert events[0].t == pytest.approx(123 / 8000, abs=2e-4)
    assert events[1].t == pytest.approx(923 / 8000, abs=2e-4)
    assert events[2].t == pytest.approx(1723 / 8000, abs=2e-4)


# --------------------------------------------------------------------------------------- robustness
def test_clipped_dc_offset_and_silent_audio_never_raise():
    det = DtmfDetector()
    loud = np.clip(dtmf("5", 200, 0, 6.0).astype(np.int32) * 4, -32768, 32767).astype(np.int16)
    for block in (np.zeros(160, np.int16), np.full(160, 32767, np.int16), np.full(160, -32768, np.int16),
                  (dtmf("9", 20, 0, -10) + 12000).astype(np.int16), loud, np.zeros(0, np.int16)):
        det.feed(block)
    assert all(e.kind == "end" for e in det.feed(np.full(8000, 30000, np.int16)))   # DC is no digit


def test_dc_offset_under_a_digit_still_decodes():
    x = dtmf("0", 80, 80, -10).astype(np.int32) + 4000
    assert digits(x) == "0"


def test_memory_stays_constant_however_much_audio_is_fed():
    det = DtmfDetector()
    block = dtmf("123", 50, 50, -10)
    for _ in range(50):
        det.feed(block)
    sizes = (det._hq.shape, det._he.shape, det._buf.size, det._pending.size)
    for _ in range(50):
        det.feed(block)
    assert (det._hq.shape, det._he.shape, det._buf.size, det._pending.size) == sizes


def test_reset_forgets_a_digit_in_progress_and_restarts_time():
    det = DtmfDetector()
    det.feed(dtmf("5", 100, 0, -10))
    det.reset()
    events = det.feed(np.concatenate((np.zeros(800, np.int16), dtmf("6", 60, 60, -10))))
    assert [(e.kind, e.digit) for e in events] == [("start", "6"), ("end", "6")]
    assert events[0].t == pytest.approx(0.1, abs=2e-4)


def test_only_8khz_is_accepted():
    with pytest.raises(ValueError, match="8000"):
        DtmfDetector(rate=16000)


def test_decode_digits_convenience():
    assert decode_digits(dtmf("42", 60, 60)) == "42"


def test_rows_and_columns_tables_are_the_keypad():
    assert DTMF_FREQS["1"] == (DTMF_ROWS[0], DTMF_COLS[0])
    assert DTMF_FREQS["D"] == (DTMF_ROWS[3], DTMF_COLS[3])
    assert DtmfEvent("start", "5", 0.0).kind == "start"
