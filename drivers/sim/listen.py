"""How a simulated person recognises what they hear: a country's call-progress tones, silence, sound.

What it is: :func:`recognise`, which looks at the last seconds an :class:`~drivers.sim.audio.Ear` kept: frame by
frame, is the energy at the tone's frequencies (Goertzel) and loud enough; then do the on/off runs match the
tone's cadence (±20 % or ±60 ms). Busy and reorder are told apart by their cadence. Tone definitions come from
:mod:`drivers.dsp.tones`, the same table the generators use.

What it is not: the firmware's call-progress detector (drivers.dsp.progress); this is the test-side ear.
"""
from __future__ import annotations

import numpy as np

from drivers.port import FRAME_SAMPLES, FRAME_SECONDS, RATE

QUIET = 60.0        # mean |sample| below this is silence (about -48 dBm0)


def _frame_power(frame: np.ndarray, freqs: tuple[float, ...]) -> tuple[float, float]:
    x = frame.astype(np.float64)
    total = float(np.dot(x, x)) + 1e-9
    n = np.arange(len(x))
    tone = 0.0
    for f in freqs:
        w = np.exp(-2j * np.pi * f * n / RATE)
        tone += 2 * abs(np.dot(x, w)) ** 2 / len(x)
    return tone / total, float(np.abs(x).mean())


def _flags(frames: list[np.ndarray], freqs: tuple[float, ...]) -> list[bool]:
    out = []
    for frame in frames:
        ratio, level = _frame_power(frame, freqs)
        out.append(level > QUIET and ratio > 0.5)
    return out


def _runs(flags: list[bool]) -> list[tuple[bool, float]]:
    runs: list[tuple[bool, float]] = []
    for flag in flags:
        if runs and runs[-1][0] == flag:
            runs[-1] = (flag, runs[-1][1] + FRAME_SECONDS * 1000)
        else:
            runs.append((flag, FRAME_SECONDS * 1000))
    return runs


def _close(measured: float, expected: float) -> bool:
    return abs(measured - expected) <= max(0.2 * expected, 60.0)


def recognise(ear, what: str, country: str = "US") -> bool:  # type: ignore[no-untyped-def]
    """True when the recent audio in ``ear`` is ``what`` (a tone name of ``country``, silence or sound)."""
    if what in ("silence", "sound"):
        recent = ear.heard(1.0)
        loud = len(recent) and float(np.abs(recent.astype(np.float64)).mean()) > QUIET
        return bool(loud) if what == "sound" else not loud
    from drivers.dsp.tones import tone_spec

    spec = tone_spec(country, what)
    cadence = [c for c in spec.on_off() if c]
    if spec.continuous or len(cadence) < 2:
        frames = _last_frames(ear, 1.0)
        return bool(frames) and all(_flags(frames, spec.freqs))
    window = min(sum(cadence) * 2 + 0.3 * 1000, 14000) / 1000
    runs = _runs(_flags(_last_frames(ear, window), spec.freqs))
    inner = runs[1:-1]        # the first and last runs may be cut by the window
    needed = len(cadence)
    for start in range(len(inner) - needed + 1):
        part = inner[start:start + needed]
        if not part[0][0]:
            continue
        if all(_close(length, cadence[i]) for i, (_, length) in enumerate(part)):
            return True
    return False


def _last_frames(ear, seconds: float) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    audio = ear.heard(seconds)
    whole = len(audio) - len(audio) % FRAME_SAMPLES
    return [audio[i:i + FRAME_SAMPLES] for i in range(0, whole, FRAME_SAMPLES)]
