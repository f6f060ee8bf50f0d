"""Streaming sample-rate conversion between a sound device's rate (44.1/48 kHz …) and the 8 kHz of the ports.

What it is: :class:`Resampler`, a small stateful converter for audio that arrives in blocks (PortAudio
callbacks): a windowed-sinc low-pass FIR at the higher rate (cut-off 3.6 kHz, so the telephone band 300–3400 Hz
passes and nothing above 4 kHz aliases) and linear interpolation at the fractional positions. Blocks may have
any length; the fractional phase and filter history carry over, so the output of consecutive blocks is one
continuous signal and the long-run sample count follows the exact ratio.

What it is not: an audiophile converter, or a tool for files (``firmware/decode`` has its own). Input and
output are float32 in the int16 range (the caller converts); equal rates pass through untouched.
"""
from __future__ import annotations

import numpy as np

CUTOFF_HZ = 3600.0
"""Pass band edge of the anti-alias / anti-image filter."""


def lowpass_taps(rate: int, cutoff: float = CUTOFF_HZ) -> np.ndarray:
    """A Hamming-windowed sinc low-pass at ``rate`` with unity DC gain (about 2.6 ms long)."""
    n = int(rate * 0.0026) | 1
    t = np.arange(n) - (n - 1) / 2
    taps = np.sinc(2 * cutoff / rate * t) * np.hamming(n)
    return (taps / taps.sum()).astype(np.float32)


class Resampler:
    """Converts a stream of float32 blocks from ``rate_in`` to ``rate_out``."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError("sample rates must be positive")
        self.rate_in, self.rate_out = rate_in, rate_out
        self.step = rate_in / rate_out
        self._taps = lowpass_taps(max(rate_in, rate_out)) if rate_in != rate_out else None
        n = 0 if self._taps is None else len(self._taps) - 1
        self._history = np.zeros(n, dtype=np.float32)
        self._prev = np.float32(0.0)
        self._pos = 0.0  # position of the next output sample, in input samples after ``_prev``

    def _filter(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate((self._history, x))
        self._history = buf[len(buf) - len(self._history):]
        return np.convolve(buf, self._taps, mode="valid").astype(np.float32)

    def _interpolate(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return x
        # index 0 of ``src`` is the previous block's last sample; output positions are relative to it.
        src = np.concatenate(([self._prev], x))
        last = len(x)
        count = int(np.floor((last - self._pos) / self.step)) + 1 if self._pos <= last else 0
        positions = self._pos + self.step * np.arange(count)
        out = np.interp(positions, np.arange(len(src)), src).astype(np.float32)
        self._pos = self._pos + self.step * count - last
        self._prev = src[-1]
        return out

    def process(self, x: np.ndarray) -> np.ndarray:
        """Convert one block; returns the output samples it completes (float32)."""
        x = np.asarray(x, dtype=np.float32).ravel()
        if self._taps is None:
            return x
        if self.rate_in > self.rate_out:
            return self._interpolate(self._filter(x))
        return self._filter(self._interpolate(x))


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round and clip float samples in the int16 range to int16."""
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)
