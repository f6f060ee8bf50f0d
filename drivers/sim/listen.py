"""How a simulated person recognises what they hear: a country's call-progress tones, silence, sound.

What it is: :func:`recognise`, which looks at the last seconds an :class:`~drivers.sim.audio.Ear` kept: frame by
frame, is the energy at the tone's frequencies (a DFT at those frequencies, all frames at once) and loud enough;
then do the on/off runs match the tone's cadence (±20 % or ±60 ms). Busy and reorder are told apart by their
cadence. Tone definitions come from :mod:`drivers.dsp.tones`, the same table the generators use.

What it is not: the firmware's call-progress detector (drivers.dsp.progress); this is the test-side ear.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from drivers.port import FRAME_SAMPLES, FRAME_SECONDS, RATE

if TYPE_CHECKING:
    from drivers.sim.audio import Ear

QUIET = 60.0        # an rms (or mean |sample|) below this is silence (about -48 dBm0)
LONGEST_WINDOW = 15.0


@lru_cache(maxsize=64)
def _basis(freqs: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    phase = 2 * np.pi * np.outer(np.arange(FRAME_SAMPLES), freqs) / RATE
    return np.cos(phase), np.sin(phase)


def _flags(audio: np.ndarray, freqs: tuple[float, ...]) -> np.ndarray:
    """Per 20 ms frame: is it loud, and is most of its energy at ``freqs``."""
    whole = len(audio) - len(audio) % FRAME_SAMPLES
    if whole == 0:
        return np.zeros(0, dtype=bool)
    frames = audio[:whole].astype(np.float64).reshape(-1, FRAME_SAMPLES)
    total = np.einsum("ij,ij->i", frames, frames) + 1e-9
    cos, sin = _basis(freqs)
    tone = (2 * ((frames @ cos) ** 2 + (frames @ sin) ** 2) / FRAME_SAMPLES).sum(axis=1)
    rms = np.sqrt(total / FRAME_SAMPLES)
    return (rms > QUIET) & (tone / total > 0.5)


def _runs(flags: np.ndarray) -> list[tuple[bool, float]]:
    """(on?, milliseconds) of each run of equal flags."""
    if not len(flags):
        return []
    edges = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(flags)]))
    step = FRAME_SECONDS * 1000
    return [(bool(flags[a]), (b - a) * step) for a, b in zip(starts.tolist(), ends.tolist())]


def _close(measured: float, expected: float) -> bool:
    return abs(measured - expected) <= max(0.2 * expected, 60.0)


def recognise(ear: "Ear", what: str, country: str = "US") -> bool:
    """True when the recent audio in ``ear`` is ``what`` (a tone name of ``country``, silence or sound)."""
    if what in ("silence", "sound"):
        recent = ear.heard(1.0)
        loud = len(recent) and float(np.abs(recent.astype(np.float64)).mean()) > QUIET
        return bool(loud) if what == "sound" else not loud
    from drivers.dsp.tones import tone_spec

    spec = tone_spec(country, what)
    cadence = [c for c in spec.on_off() if c]
    if spec.continuous or len(cadence) < 2:
        flags = _flags(ear.heard(1.0), spec.freqs)
        return bool(len(flags)) and bool(flags.all())
    # two whole cycles and a bit: a complete on/off sequence lies inside whatever the phase
    window = min(2 * sum(cadence) / 1000 + 0.6, LONGEST_WINDOW)
    runs = _runs(_flags(ear.heard(window), spec.freqs))
    needed = len(cadence)
    for start in range(len(runs) - needed + 1):
        part = runs[start:start + needed]
        if part[0][0] and all(_close(length, cadence[i]) for i, (_, length) in enumerate(part)):
            return True
    return False
