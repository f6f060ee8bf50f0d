"""Level reference, G.711, tone generators, country tables and the RFC 4733 map."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from drivers.dsp import rfc4733
from drivers.dsp.levels import (
    DBM0_PEAK, FULL_SCALE_DBM0, alaw_decode, alaw_encode, amplitude, power_dbm0, ulaw_decode, ulaw_encode,
    ulaw_roundtrip, alaw_roundtrip,
)
from drivers.dsp.tones import (
    COUNTRY_TONES, DTMF_FREQS, TONE_NAMES, ToneGenerator, beep, dtmf, progress_tone, tone, tone_spec,
)


def peak_hz(x: np.ndarray, n: int = 2) -> list[int]:
    """The ``n`` strongest local maxima of the spectrum, in Hz (1 Hz bins)."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size), 8000))
    local = np.flatnonzero((spec[1:-1] > spec[:-2]) & (spec[1:-1] >= spec[2:])) + 1
    return sorted(int(i) for i in local[np.argsort(spec[local])[-n:]])


def test_full_scale_sine_is_plus_3_14_dbm0_and_0_dbm0_is_22767_peak():
    t = np.arange(8000) / 8000
    assert power_dbm0(32767 * np.sin(2 * np.pi * 1000 * t)) == pytest.approx(FULL_SCALE_DBM0, abs=0.01)
    assert DBM0_PEAK == pytest.approx(22826, abs=1)
    assert amplitude(-20) == pytest.approx(2282.6, abs=0.5)
    assert power_dbm0(np.zeros(10)) == float("-inf")


def test_ulaw_and_alaw_known_codes():
    assert ulaw_encode(np.array([0], np.int16))[0] == 0xFF
    assert alaw_encode(np.array([0], np.int16))[0] == 0xD5
    assert ulaw_decode(np.array([0x00], np.uint8))[0] == -32124
    assert ulaw_decode(np.array([0x80], np.uint8))[0] == 32124
    assert alaw_decode(np.array([0xAA], np.uint8))[0] == 32256
    assert alaw_decode(np.array([0x2A], np.uint8))[0] == -32256


def test_g711_round_trip_is_idempotent_and_monotonic():
    x = np.arange(-32768, 32768, 7, dtype=np.int32).astype(np.int16)
    for rt, enc, dec in ((ulaw_roundtrip, ulaw_encode, ulaw_decode), (alaw_roundtrip, alaw_encode, alaw_decode)):
        y = rt(x)
        assert np.array_equal(rt(y), y)
        assert np.all(np.diff(y.astype(np.int32)) >= 0)
        codes = np.arange(256, dtype=np.uint8)
        assert np.array_equal(enc(dec(codes)), codes) or np.array_equal(dec(enc(dec(codes))), dec(codes))


def test_g711_signal_to_quantisation_noise_is_above_30_db_at_minus_20_dbm0():
    t = np.arange(8000) / 8000
    x = np.rint(amplitude(-20) * np.sin(2 * np.pi * 1004 * t)).astype(np.int16)
    for rt in (ulaw_roundtrip, alaw_roundtrip):
        err = rt(x).astype(float) - x
        assert 10 * np.log10(np.mean(x.astype(float) ** 2) / np.mean(err ** 2)) > 30


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
def test_ulaw_matches_sox(tmp_path):
    x = (np.random.default_rng(1).normal(0, 6000, 4000)).astype(np.int16)
    src = tmp_path / "in.raw"
    src.write_bytes(x.astype("<i2").tobytes())
    for enc, ours in (("u-law", ulaw_encode), ("a-law", alaw_encode)):
        out = tmp_path / f"{enc}.raw"
        subprocess.run(["sox", "-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", str(src),
                        "-t", "raw", "-e", enc, str(out)], check=True, timeout=30)
        # (-D: sox must not dither, or its codes are not G.711's)
        theirs = np.frombuffer(out.read_bytes(), np.uint8)
        dec = ulaw_decode if enc == "u-law" else alaw_decode
        # codes agree except where the two implementations round a decision boundary differently
        assert np.mean(theirs == ours(x)) > 0.95, enc
        ours_err = np.abs(dec(ours(x)).astype(float) - x).mean()
        sox_err = np.abs(dec(theirs).astype(float) - x).mean()
        assert ours_err <= sox_err * 1.001, (enc, ours_err, sox_err)


def test_dtmf_levels_twist_and_timing():
    x = dtmf("5", 100, 50, level_dbm0=-10, twist_db=-4)
    assert x.size == 1200
    assert peak_hz(x[:800]) == [770, 1336]
    spec = np.abs(np.fft.rfft(x[:800] * np.hanning(800), 8000))
    assert 20 * np.log10(spec[1336] / spec[770]) == pytest.approx(-4, abs=0.2)
    assert power_dbm0(x[:800]) == pytest.approx(-10 + 10 * np.log10(1 + 10 ** -0.4), abs=0.1)
    assert not x[800:].any()
    with pytest.raises(ValueError, match="DTMF digit"):
        dtmf("12x")
    assert dtmf("") .size == 0
    assert dtmf("1,2", 50, 50).size == 800 + 4000 + 800


def test_tone_and_beep():
    x = tone((350, 440), 1.0, -13)
    assert peak_hz(x) == [350, 440]
    assert power_dbm0(x) == pytest.approx(-10, abs=0.1)
    b = beep(1000, 250)
    assert b.size == 2000 and abs(int(b[0])) < 50 and peak_hz(b, 1) == [1000]


@pytest.mark.parametrize("country", ["US", "UK", "DE", "FR", "AU", "JP", "CA", "NZ", "NL", "DK", "SE"])
def test_every_country_has_every_tone(country):
    for name in TONE_NAMES:
        spec = tone_spec(country, name)
        x = progress_tone(country, name, 1.0)
        assert x.dtype == np.int16 and x.size == 8000
        assert spec.segments


def test_us_tones_follow_the_precise_tone_plan():
    busy = progress_tone("US", "busy", 2.0)
    assert peak_hz(busy[:4000]) == [480, 620]
    on = np.abs(busy.reshape(-1, 80)).max(axis=1) > 0
    assert on[:50].all() and not on[50:100].any() and on[100:150].all()
    assert power_dbm0(busy[:4000]) == pytest.approx(-24 + 3.01, abs=0.1)
    assert tone_spec("US", "reorder").on_off() == (250, 250)
    assert tone_spec("US", "ringback").on_off() == (2000, 4000)
    assert tone_spec("UK", "ringback").on_off() == (400, 200, 400, 2000)
    assert tone_spec("US", "dial").continuous


def test_stutter_dial_then_steady():
    x = progress_tone("US", "stutter_dial", 3.0)
    on = np.abs(x.reshape(-1, 80)).max(axis=1) > 0     # 10 ms blocks
    assert on[:10].all() and not on[10:20].any() and on[20:30].all()
    assert on[200:].all()                            # steady after ten stutters


def test_generator_is_phase_continuous_across_reads():
    one = ToneGenerator("UK", "ringback").read(8000 * 4)
    gen = ToneGenerator("UK", "ringback")
    parts = np.concatenate([gen.read(n) for n in (160, 1, 7, 333, 8000 * 4 - 501)])
    assert np.array_equal(one, parts)


def test_a_beep_spec_finishes_and_then_is_silent():
    gen = ToneGenerator("DE", "stutter_dial")
    gen.read(8000)
    assert not gen.finished                          # stutter ends steady: never finishes
    from drivers.dsp.tones import Segment, ToneSpec
    once = ToneGenerator(ToneSpec((Segment(100, (1000.0,)),), -13.0, repeat=False))
    assert once.read(800).any() and once.finished and not once.read(160).any()


def test_unknown_country_or_tone_says_what_exists():
    with pytest.raises(ValueError, match="known: AT, AU"):
        tone_spec("XX", "dial")
    with pytest.raises(ValueError, match="dial"):
        tone_spec("US", "howler")


def test_rfc4733_map_both_ways():
    for code, digit in enumerate("0123456789*#ABCD"):
        assert rfc4733.event_of_digit(digit) == code
        assert rfc4733.digit_of_event(code) == digit
    assert rfc4733.event_of_digit("a") == 12
    assert rfc4733.is_flash(16) and not rfc4733.is_flash(15)
    for bad in ("E", "", "12"):
        with pytest.raises(ValueError):
            rfc4733.event_of_digit(bad)
    with pytest.raises(ValueError):
        rfc4733.digit_of_event(16)
    assert set(DTMF_FREQS) == set(rfc4733.DIGITS)
    assert set(COUNTRY_TONES) >= {"US", "UK", "DE", "FR", "AU", "JP"}
