"""Streaming sample-rate conversion between a sound device's rate (44.1/48 kHz …) and the 8 kHz of the ports.

What it is: :class:`Resampler`, a small stateful converter for audio that arrives in blocks (PortAudio
callbacks). Band-limited interpolation: every output sample is a dot product of the nearby input samples with a
Hamming-windowed sinc kernel (cut-off 3.6 kHz, so the telephone band 300–3400 Hz passes and nothing above
4 kHz aliases or images), taken from a table of 256 fractional phases. Blocks may have any length; the phase
and the input history carry over, so consecutive blocks give one continuous signal and the long-run sample
count follows the exact ratio. It looks ahead about 1.3 ms of input.

Cost: about 20 k multiply-adds per 20 ms frame either way. Integer ratios (48 kHz ⇄ 8 kHz) use one strided
matrix-vector product (down) or one correlation per phase (up); other ratios (44.1 kHz) gather per output.

What it is not: an audiophile converter, or a tool for files (``firmware/decode`` has its own). Input and
output are float32 in the int16 range (the caller converts); equal rates pass through untouched.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

CUTOFF_HZ = 3600.0
"""Pass band edge of the anti-alias / anti-image filter."""
HALF_WIDTH_S = 0.0013
"""Half the kernel's length, in seconds of input."""
PHASES = 256
"""Fractional positions the kernel is tabulated at."""


def kernel_table(rate_in: int, cutoff: float = CUTOFF_HZ, phases: int = PHASES) -> np.ndarray:
    """``table[phase, k]``: weight of input sample ``base - T + 1 + k`` for an output at ``base + phase/phases``."""
    half = max(2, int(round(HALF_WIDTH_S * rate_in)))
    c = cutoff / rate_in
    frac = np.arange(phases)[:, None] / phases
    t = np.arange(-half + 1, half + 1)[None, :] - frac  # distance of each input sample from the output point
    window = 0.54 + 0.46 * np.cos(np.pi * t / half)
    table = 2 * c * np.sinc(2 * c * t) * window
    return (table / table.sum(axis=1, keepdims=True)).astype(np.float32)


class Resampler:
    """Converts a stream of float32 blocks from ``rate_in`` to ``rate_out``."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError("sample rates must be positive")
        self.rate_in, self.rate_out = rate_in, rate_out
        self.step = rate_in / rate_out
        self._table = kernel_table(rate_in) if rate_in != rate_out else None
        self._half = 0 if self._table is None else self._table.shape[1] // 2
        ratio_up, ratio_down = round(rate_out / rate_in), round(self.step)
        self._up = ratio_up if rate_out > rate_in and ratio_up * rate_in == rate_out else 0
        self._down = ratio_down if rate_in > rate_out and ratio_down * rate_out == rate_in else 0
        self._buf = np.zeros(self._half, dtype=np.float32)  # the (silent) past
        self._pos = float(self._half)  # where the next output sample sits, in ``_buf`` indices

    @property
    def lookahead(self) -> int:
        """Input samples an output waits for beyond its own position (held back until more input comes)."""
        return self._half

    def process(self, x: np.ndarray) -> np.ndarray:
        """Convert one block; returns the output samples it completes (float32)."""
        x = np.asarray(x, dtype=np.float32).ravel()
        if self._table is None:
            return x
        half = self._half
        buf = np.concatenate((self._buf, x))
        last = len(buf) - half - 1  # the highest base whose window (up to base + half) is all here
        guess = max(0, int((last - self._pos) / self.step) + 2)
        positions = self._pos + self.step * np.arange(guess)
        ticks = np.rint(positions * PHASES).astype(np.int64)  # position in 1/PHASES steps
        count = int(np.searchsorted(ticks // PHASES, last, side="right"))
        bases, phases = ticks[:count] // PHASES, ticks[:count] % PHASES
        out = self._dot(buf, bases - half + 1, phases)
        next_pos = self._pos + self.step * count
        keep = int(np.floor(next_pos)) - half + 1
        self._buf = buf[keep:].copy()
        self._pos = next_pos - keep
        return out

    def _dot(self, buf: np.ndarray, starts: np.ndarray, phases: np.ndarray) -> np.ndarray:
        """Kernel dot products for outputs whose input windows start at ``starts``, with their ``phases``."""
        n, taps = len(starts), self._table.shape[1]
        if not n:
            return np.zeros(0, dtype=np.float32)
        if self._down:  # 48 → 8 kHz: every output on an input sample, one phase — strided windows × kernel
            first, m = int(starts[0]), self._down
            windows = as_strided(buf[first:], shape=(n, taps), strides=(buf.strides[0] * m, buf.strides[0]))
            return (windows @ self._table[phases[0]]).astype(np.float32)
        out = np.empty(n, dtype=np.float32)
        if self._up:  # 8 → 48 kHz: output k, k+L, k+2L … share a phase and step one input: a correlation each
            for k in range(min(self._up, n)):
                first, count = int(starts[k]), len(range(k, n, self._up))
                out[k::self._up] = np.correlate(buf[first:first + count + taps - 1], self._table[phases[k]], "valid")
            return out
        windows = as_strided(buf, shape=(len(buf) - taps + 1, taps), strides=(buf.strides[0],) * 2)
        out[:] = np.einsum("ij,ij->i", windows[starts], self._table[phases])
        return out


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round and clip float samples in the int16 range to int16."""
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)
