"""The streaming resampler between a codec's 44.1/48 kHz and the ports' 8 kHz."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.audio.resample import Resampler, to_int16


@pytest.mark.parametrize("rin, rout", [(48000, 8000), (44100, 8000), (8000, 48000), (8000, 44100), (16000, 8000)])
@pytest.mark.parametrize("block", [7, 97, 882, 960])
def test_blocks_of_any_size_give_one_continuous_signal_at_the_exact_ratio(rin, rout, block):
    x = np.sin(2 * np.pi * 440 * np.arange(rin // 4) / rin).astype(np.float32) * 10000
    whole = Resampler(rin, rout).process(x)
    r = Resampler(rin, rout)
    pieces = np.concatenate([r.process(x[i:i + block]) for i in range(0, len(x), block)])
    assert abs(len(pieces) * r.step - (len(x) - r.lookahead)) <= max(1.0, r.step)  # exact ratio less look-ahead
    assert abs(len(pieces) - len(whole)) <= 1
    assert np.allclose(pieces[:len(whole)], whole[:len(pieces)], atol=0.05)


def test_a_tone_in_the_telephone_band_passes_clean():
    for rin, rout in [(48000, 8000), (44100, 8000), (8000, 48000), (8000, 44100)]:
        x = (np.sin(2 * np.pi * 1000 * np.arange(rin) / rin) * 10000).astype(np.float32)
        y = Resampler(rin, rout).process(x)[rout // 4:]
        n = np.arange(len(y))
        basis = np.vstack([np.sin(2 * np.pi * 1000 * n / rout), np.cos(2 * np.pi * 1000 * n / rout)]).T
        coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
        residual = y - basis @ coef
        assert np.hypot(*coef) == pytest.approx(10000, rel=0.005)
        assert residual.std() < 10000 * 10 ** (-50 / 20)  # distortion and noise 50 dB down


def test_upsampling_leaves_no_images_above_the_band():
    x = (np.sin(2 * np.pi * 3000 * np.arange(8000) / 8000) * 10000).astype(np.float32)
    y = Resampler(8000, 48000).process(x)[4800:]
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    freqs = np.arange(len(spec)) * 48000 / len(y)
    assert spec[freqs > 4400].sum() / spec.sum() < 10 ** (-45 / 10)


def test_nothing_above_4k_folds_into_the_telephone_band():
    x = (np.sin(2 * np.pi * 5000 * np.arange(48000) / 48000) * 10000).astype(np.float32)
    y = Resampler(48000, 8000).process(x)[800:]
    assert y.std() < 10000 * 0.01


def test_to_int16_rounds_and_clips():
    assert to_int16(np.array([1.6, -1.6, 40000.0, -40000.0])).tolist() == [2, -2, 32767, -32768]


def test_bad_rates_are_refused():
    with pytest.raises(ValueError):
        Resampler(0, 8000)
