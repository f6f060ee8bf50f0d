"""The DTMF detector's front end: per-hop partials of the DTMF and guard frequencies, and window sums.

What it is: :class:`HopBank` turns whole 40-sample hops of 8 kHz audio into, per hop, the partial of each
channel (Hann-weighted 80-sample segment, phase referred to absolute sample time), its magnitude, the
segment's Hann-weighted energy and a cheap "tonal enough to matter" screen; :class:`WindowSums` adds the
partials of consecutive hops into analysis windows. Both are arranged for a small per-call cost on
20 ms frames: one real matrix product for every channel of every hop of a block, then plain floats for the
few numbers per hop (docs/dsp.md, *Cost*).

What it is not: a detector — decisions are :mod:`drivers.dsp.dtmf`'s.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from drivers.dsp.levels import RATE
from drivers.dsp.tones import DTMF_COLS, DTMF_ROWS

__all__ = ["HOP", "SEG", "FREQS", "DC", "HALF_SUM", "ZERO_ROW", "HopBank", "WindowSums", "hop_bank"]

HOP = 40
"""Samples between analyses (5 ms at 8 kHz)."""
SEG = 2 * HOP
"""Samples in one Hann-weighted segment."""
GUARD_FREQS = (350.0, 400.0, 425.0, 440.0)
"""Dial-tone guard channels."""
FREQS = DTMF_ROWS + DTMF_COLS + (0.0,) + GUARD_FREQS
"""Channels: 4 rows, 4 columns, DC, then the guards."""
DC = 8
"""Index of the DC channel (the guards follow it)."""
WIN = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(SEG) / SEG)   # periodic Hann: halves overlap-add to 1
HALF_SUM = float(WIN.sum()) / 2.0
"""|partial| of a sine of amplitude a is a * HALF_SUM."""
ZERO_ROW = [0.0] * len(FREQS)
"""Magnitudes of a silent hop (shared; never mutated)."""


class HopBank:
    """Read-only tables for :meth:`analyse` (shared by every detector: see :func:`hop_bank`)."""

    def __init__(self, rate: int = RATE) -> None:
        omega = 2.0 * np.pi * np.array(FREQS) / rate
        full = WIN[:, None] * np.exp(-1j * np.outer(np.arange(SEG), omega))
        # rising half | falling half, each channel as adjacent (re, im) columns: the sum of the halves'
        # products, *viewed* as complex, is the partial (no complex arithmetic, no copies)
        halves = np.hstack((full[:HOP], full[HOP:]))
        basis = np.empty((HOP, 2 * halves.shape[1]))
        basis[:, 0::2], basis[:, 1::2] = halves.real, halves.imag
        self.basis = basis
        self.ebasis = np.stack((WIN[:HOP], WIN[HOP:]), axis=1)
        period = rate // int(np.gcd(rate, HOP))                     # hop phases repeat after this many hops
        self.rot = np.exp(-1j * np.outer(np.arange(period) * HOP % rate, omega))
        for table in (self.basis, self.ebasis, self.rot):
            table.flags.writeable = False

    def analyse(self, blocks: np.ndarray, hop: int, floor: float
                ) -> tuple[np.ndarray, list[list[float]], np.ndarray, list[bool]]:
        """For the n hops of ``blocks`` (n + 1 rows of HOP samples: the overlap, then the hops; the first
        hop is number ``hop`` since the start): the partials (absolute phase), their magnitudes as plain
        floats, the Hann-weighted energies, and whether each hop is tonal enough to matter (best row and
        best column each above ``floor`` in power, and together at least half the hop's energy once DC
        and every dial-tone channel are removed)."""
        n = blocks.shape[0] - 1
        k2 = 2 * len(FREQS)
        period = self.rot.shape[0]
        start = hop % period
        rot = self.rot[start:start + n] if start + n <= period else self.rot[np.arange(start, start + n) % period]
        uv = blocks @ self.basis
        q = (uv[:-1, :k2] + uv[1:, k2:]).view(np.complex128) * rot
        ee = (blocks * blocks) @ self.ebasis
        e = ee[:-1, 0] + ee[1:, 1]
        mags = np.abs(q).tolist()
        half = 0.5 * HALF_SUM
        flags = []
        # a few hops: plain floats beat ufuncs (the unpacking follows FREQS: rows, columns, DC, guards)
        for (r0, r1, r2, r3, c0, c1, c2, c3, dc, g1, g2, g3, g4), en in zip(mags, e.tolist()):
            br, bc = max(r0, r1, r2, r3), max(c0, c1, c2, c3)
            br, bc = br * br, bc * bc
            flags.append(br > floor and bc > floor
                         and br + bc >= half * en - 0.25 * (dc * dc) - 0.5 * (g1 * g1 + g2 * g2 + g3 * g3 + g4 * g4))
        return q, mags, e, flags


@lru_cache(maxsize=1)
def hop_bank() -> HopBank:
    """The tables at 8 kHz, built once."""
    return HopBank(RATE)


class WindowSums:
    """Window sums over the hops of one block, worked out once for all the hops a block classifies: the
    power of each channel's window sum, each hop's DTMF partials as plain complex numbers, the energies."""

    __slots__ = ("_m", "_power", "_q", "_e")

    def __init__(self, allq: np.ndarray, alle: np.ndarray, m: int) -> None:
        n = allq.shape[0] - m + 1
        acc = allq[:n].copy()                       # acc[t] = allq[t] + ... + allq[t + m - 1]
        for s in range(1, m):
            acc += allq[s:s + n]
        a = np.abs(acc)
        self._m = m
        self._power = (a * a).tolist()
        self._q = allq[:, :8].tolist()
        self._e = alle.tolist()

    def power(self, j: int) -> list[float]:
        """|window sum|^2 of every channel, window of m hops ending at history row ``j``."""
        return self._power[j - self._m + 1]

    def column(self, j: int, ch: int) -> list[complex]:
        """The partials of channel ``ch`` (a DTMF tone) over the window ending at row ``j``."""
        return [h[ch] for h in self._q[j - self._m + 1:j + 1]]

    def energy(self, j: int) -> float:
        """Hann-weighted energy of the window ending at row ``j``."""
        return sum(self._e[j - self._m + 1:j + 1])
