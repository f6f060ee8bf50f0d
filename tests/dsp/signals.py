"""Test-signal helpers for the DSP battery: tone pairs at exact levels and offsets, noise, codecs, feeding."""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from drivers.dsp.dtmf import DtmfDetector, DtmfEvent
from drivers.dsp.levels import DBM0_RMS, alaw_roundtrip, amplitude, to_int16, ulaw_roundtrip

CODECS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "ulaw": ulaw_roundtrip,
    "alaw": alaw_roundtrip,
}


def pair(f_low: float, f_high: float, ms: float, level_low: float, level_high: float,
         rng: np.random.Generator, lead: int | None = None, tail_ms: float = 100.0) -> np.ndarray:
    """A tone pair (random phases) after ``lead`` samples of silence (random 0-103 when None), float."""
    lead = int(rng.integers(0, 104)) if lead is None else lead
    t = np.arange(int(round(ms * 8))) / 8000.0
    ph = rng.uniform(0, 2 * np.pi, 2)
    x = amplitude(level_low) * np.sin(2 * np.pi * f_low * t + ph[0]) \
        + amplitude(level_high) * np.sin(2 * np.pi * f_high * t + ph[1])
    return np.concatenate((np.zeros(lead), x, np.zeros(int(tail_ms * 8))))


def noise(n: int, level_dbm0: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise (0-4 kHz) with total power ``level_dbm0``."""
    return rng.normal(0.0, DBM0_RMS * 10 ** (level_dbm0 / 20), n)


def run(x: np.ndarray, codec: str = "linear", frame: int = 160, **params: float) -> list[DtmfEvent]:
    """Saturate to int16, pass through ``codec``, feed in ``frame``-sample blocks; all events."""
    y = CODECS[codec](to_int16(x))
    det = DtmfDetector(**params)
    events: list[DtmfEvent] = []
    for i in range(0, y.size, frame):
        events += det.feed(y[i:i + frame])
    return events + det.feed(np.zeros(1600, dtype=np.int16))


def digits(x: np.ndarray, codec: str = "linear", **params: float) -> str:
    """The digits (start events) found in ``x``."""
    return "".join(e.digit for e in run(x, codec, **params) if e.kind == "start")


def starts(events: Iterable[DtmfEvent]) -> list[DtmfEvent]:
    return [e for e in events if e.kind == "start"]
