"""The real PortAudio → ALSA path, on the ALSA ``type file`` device (no sound card needed).

Each test runs one session in a subprocess whose HOME holds the .asoundrc: what a caller says goes into the
capture pipe in real time, the engine-like tick reads each frame and plays it straight back, and the output
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


def first_sound(x: np.ndarray) -> int:
    nz = np.flatnonzero(x)
    assert len(nz), "nothing but silence"
    return int(nz[0])


@needs_portaudio
def test_a_caller_heard_through_the_file_device_comes_back_sample_exact(tmp_path):
    said = (np.arange(4000) % 20000 + 1).astype(np.int16)  # 0.5 s, never zero
    report = run_in_subprocess(tmp_path, said, rate=8000, ticks=35)
    assert report["opened"] and report["device_rate"] == 8000
    captured = report["captured"]
    start = first_sound(captured)
    assert np.array_equal(captured[start:start + len(said)], said)
    played = report["played"]
    start = first_sound(played)
    assert np.array_equal(played[start:start + len(said)], said)
    counters = report["counters"]
    assert counters["frames_in"] + counters["underruns"] == 35
    assert counters["faults"] == 0 and counters["skew_drops"] == 0


@needs_portaudio
def test_a_48k_only_device_is_resampled_through_the_real_path(tmp_path):
    t = np.arange(int(48000 * 0.8)) / 48000
    said = np.rint(8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    report = run_in_subprocess(tmp_path, said, rate=48000, ticks=45)
    assert report["device_rate"] == 48000
    captured = report["captured"].astype(float)
    start = first_sound(captured)
    seg = captured[start + 400:start + 4400]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    assert np.argmax(spec) * 8000 / len(seg) == pytest.approx(1000, abs=10)
    assert seg.std() * np.sqrt(2) == pytest.approx(8000, rel=0.05)
    played = report["played"].astype(float)
    start = first_sound(played)
    seg = played[start + 2400:start + 26400]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    assert np.argmax(spec) * 48000 / len(seg) == pytest.approx(1000, abs=10)
    assert seg.std() * np.sqrt(2) == pytest.approx(8000, rel=0.1)
