"""The real PortAudio → ALSA path, on the ALSA ``type file`` device (no sound card needed).

Each test runs one session in a subprocess whose HOME holds the .asoundrc: what a caller says goes into the
capture pipe in real time, the engine-like tick reads each frame and plays it back negated, and the output
file shows what reached the "codec".
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from drivers.audio.alsafile import run_in_subprocess

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ALSA is Linux only")


def _portaudio_available() -> bool:
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_portaudio = pytest.mark.skipif(not _portaudio_available(), reason="libportaudio is not installed")


def without_gaps(x: np.ndarray, min_gap: int) -> np.ndarray:
    """``x`` without runs of at least ``min_gap`` zeros (silence the real-time path inserts on an underrun)."""
    zero = np.concatenate(([False], x == 0, [False]))
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    keep = np.ones(len(x), dtype=bool)
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start >= min_gap:
            keep[start:end] = False
    return x[keep]


@needs_portaudio
def test_a_caller_heard_through_the_file_device_comes_back_sample_exact(tmp_path):
    said = (np.arange(4000) % 20000 + 1).astype(np.int16)  # 0.5 s, never zero
    report = run_in_subprocess(tmp_path, said, rate=8000, ticks=35)
    assert report["opened"] and report["device_rate"] == 8000
    counters = report["counters"]
    assert counters["frames_in"] + counters["underruns"] == 35
    assert counters["faults"] == 0 and counters["skew_drops"] == 0 and counters["overruns"] == 0
    # A loaded machine may make a tick find nothing yet (an underrun: one frame of silence); apart from those
    # silent frames, what the engine heard and what reached the output file are the caller, sample for sample.
    frames = report["captured"].reshape(-1, 160)
    silent = ~frames.any(axis=1)
    last = np.flatnonzero(~silent)[-1]  # after the caller stops, the pipe carries real silence
    assert silent[:last].sum() <= counters["underruns"]
    heard = frames[~silent].ravel()
    assert np.array_equal(heard, said[:len(heard)]) and len(heard) >= len(said) - 160 * counters["underruns"]
    played = -without_gaps(report["played"], 1)  # the engine played each frame back negated
    assert np.array_equal(played, said[:len(played)]) and len(played) >= len(heard) - 160 * 3


@needs_portaudio
@pytest.mark.slow  # about 1 s of real-time audio plus a subprocess
def test_a_48k_only_device_is_resampled_through_the_real_path(tmp_path):
    t = np.arange(int(48000 * 0.8)) / 48000
    said = np.rint(8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    report = run_in_subprocess(tmp_path, said, rate=48000, ticks=45)
    assert report["device_rate"] == 48000
    captured = without_gaps(report["captured"], 40).astype(float)
    seg = captured[400:4400]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    assert np.argmax(spec) * 8000 / len(seg) == pytest.approx(1000, abs=10)
    assert seg.std() * np.sqrt(2) == pytest.approx(8000, rel=0.05)
    played = without_gaps(report["played"], 40).astype(float)
    seg = played[2400:26400]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    assert np.argmax(spec) * 48000 / len(seg) == pytest.approx(1000, abs=10)
    assert seg.std() * np.sqrt(2) == pytest.approx(8000, rel=0.1)
