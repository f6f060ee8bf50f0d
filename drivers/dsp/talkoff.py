"""Talk-off guard: is a tone pair really two harmonics of one voice or instrument?

What it is: :func:`harmonic_pair`, used by the DTMF detector on windows that already look like a key
(rare, so it may cost an FFT). Voiced speech and music are harmonic series; two of their harmonics can sit
inside the DTMF accept bands (a 308 Hz voice: 924 + 1232 Hz is '*'). A DTMF pair was chosen to be no such
thing, so the other harmonics of the implied fundamental hold only noise.

What it is not: a pitch detector.
"""
from __future__ import annotations

import numpy as np

from drivers.dsp.levels import RATE

__all__ = ["harmonic_pair"]

_MIN_F0 = 150.0                      # lowest fundamental considered
_FFT = 1024


def harmonic_pair(raw: np.ndarray, f_r: float, f_c: float, guard_db: float, skip_below: float = 0.0) -> bool:
    """True when the two tones look like harmonics k_r, k_c of one fundamental (a voice or an instrument):
    for every small-integer ratio k_c/k_r that fits f_c/f_r, the other harmonics of f_r/k_r between
    and around them are looked at; any within ``guard_db`` of the weaker tone gives the voice away.
    A DTMF pair has no energy at those frequencies, only noise. Fundamentals below 150 Hz are not
    considered: their harmonics are so close together that any third tone would sit on one."""
    candidates: list[np.ndarray] = []
    for k_r in range(2, int(f_r // _MIN_F0) + 1):
        f0 = f_r / k_r
        k_c = int(round(f_c / f0))
        if abs(f_c - k_c * f0) > 0.004 * f_c or k_c <= k_r:
            continue
        f0 = (f_r + f_c) / (k_r + k_c)
        others = np.array([m * f0 for m in range(1, k_c + 2) if m not in (k_r, k_c) and skip_below < m * f0 < 3800.0
                           and abs(m * f0 - f_r) > 60.0 and abs(m * f0 - f_c) > 60.0])
        if others.size:
            candidates.append(others)
    if not candidates:
        return False
    spec = np.abs(np.fft.rfft(raw * np.hanning(raw.size), _FFT)) ** 2     # 7.8 Hz bins: within 0.1 dB

    def power(freqs: np.ndarray | list[float]) -> np.ndarray:
        return spec[np.rint(np.asarray(freqs) * _FFT / RATE).astype(np.int64)]

    p_r, p_c = power([f_r, f_c])
    floor = min(p_r, p_c) * 10.0 ** (-guard_db / 10.0)
    return any(float(power(others).max()) >= floor for others in candidates)
