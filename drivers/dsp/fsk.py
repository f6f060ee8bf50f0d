"""1200-baud FSK reception (Bell 202 and V.23 forward channel) for caller ID: demodulator and UART framer.

What it is: :class:`FskReceiver` turns audio into framed caller-ID messages (type, length, body — checksum
checked) with constant memory. The demodulator is non-coherent: the signal is mixed down at the mark and
space frequencies and each product summed over one bit; ``(mark - space) / (mark + space)`` is a decision
signal in -1..1 that ignores level and line tilt. The framer arms after ten bits' worth of mostly-mark
(glitches tolerated), takes each start-bit edge, averages the middle of every bit, and checks the stop bit,
so 2 % speed errors and 10 dB S/N decode.

What it is not: message parsing or caller-ID semantics (:mod:`drivers.dsp.callerid`), nor a transmitter.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from drivers.dsp.levels import RATE, amplitude

__all__ = ["FSK_MODEMS", "BAUD", "FskReceiver", "PARTIAL"]

FSK_MODEMS: dict[str, tuple[float, float]] = {"bell202": (1200.0, 2200.0), "v23": (1300.0, 2100.0)}
"""Standard -> (mark = 1 frequency, space = 0 frequency) in Hz."""
BAUD = 1200.0
PARTIAL = b"partial"
"""Marker: the buffer ends inside a message."""
_MAX_BUFFER = 6 * RATE
_WEIGHTS = 1 << np.arange(8)


class FskReceiver:
    """One modem's receiver. ``feed(x, t0)`` -> [(end sample, message or None, purity)], where message is
    type + length + body (checksum verified and removed), None a corrupt message (checksum or framing
    broken after it began), and purity how much more the marks sat on this modem's mark frequency than
    on the other modem's (auto mode keeps the likelier standard)."""

    def __init__(self, standard: str, known_types: tuple[int, ...], min_level_dbm0: float = -42.0) -> None:
        if standard not in FSK_MODEMS:
            raise ValueError(f"FSK standard must be one of {', '.join(FSK_MODEMS)}, got {standard!r}")
        self.standard = standard
        self.known_types = known_types
        mark, space = FSK_MODEMS[standard]
        self.spb = RATE / BAUD
        self.win = int(round(self.spb))
        k = np.arange(self.win)
        # one-bit correlators, reversed for np.convolve
        self._mark_k = np.exp(-2j * np.pi * mark * k / RATE)[::-1].copy()
        self._space_k = np.exp(-2j * np.pi * space * k / RATE)[::-1].copy()
        self._mark_hz = mark
        self._tail = np.zeros(self.win - 1)
        self._min_pow = (amplitude(min_level_dbm0) * self.win / 2.0) ** 2
        self._min_energy = amplitude(min_level_dbm0) ** 2 / 8.0      # per sample, with 6 dB to spare
        self._d = np.zeros(0)
        self._raw = np.zeros(0)
        self._d0 = 0                 # absolute sample index of self._d[0]
        self._since_parse = 0

    def feed(self, x: np.ndarray, t0: int) -> list[tuple[int, bytes | None, float]]:
        """Demodulate ``x`` (float, first sample at absolute index ``t0``)."""
        if x.size == 0:
            return []
        data = np.concatenate((self._tail, x))
        self._tail = data[-(self.win - 1):]
        if not self._d.size and float(np.dot(x, x)) < self._min_energy * x.size:
            self._d0 = t0 + x.size
            return []
        m = np.abs(np.convolve(data, self._mark_k, mode="valid")) ** 2
        sp = np.abs(np.convolve(data, self._space_k, mode="valid")) ** 2
        total = m + sp
        d = np.where(total > self._min_pow, (m - sp) / (total + 1e-9), 0.0)
        if not self._d.size:
            self._d0 = t0
        self._d = np.concatenate((self._d, d))
        self._raw = np.concatenate((self._raw, x))
        self._since_parse += x.size
        if self._since_parse < 0.1 * RATE and self._d.size < _MAX_BUFFER:
            return []
        self._since_parse = 0
        return self._parse()

    def _parse(self) -> list[tuple[int, bytes | None, float]]:
        out: list[tuple[int, bytes | None, float]] = []
        keep = None
        for end, msg, first in frame_messages(self._d, self.spb, self.known_types):
            if msg is PARTIAL:
                keep = first
                break
            out.append((self._d0 + end, msg, self._purity(first)))
        if keep is None:
            keep = max(0, self._d.size - int(12 * self.spb))
            if not np.any(self._d[keep:]):
                keep = self._d.size
        if self._d.size - keep > _MAX_BUFFER - RATE:        # no message is that long: drop the oldest
            keep = self._d.size - 3 * RATE
        self._d, self._raw = self._d[keep:], self._raw[keep:]
        self._d0 += keep
        return out

    def _purity(self, first: int) -> float:
        lo = max(0, first - int(30 * self.spb))
        seg = self._raw[lo:max(lo + 1, first - int(self.spb))]
        t = np.arange(seg.size) / RATE
        w = np.hanning(seg.size)
        own = abs(np.dot(seg * w, np.exp(-2j * np.pi * self._mark_hz * t)))
        other = abs(np.dot(seg * w, np.exp(-2j * np.pi * (2500.0 - self._mark_hz) * t)))
        return own / (other + 1e-9)


def _checksum_ok(msg: bytes) -> bool:
    return sum(msg) & 0xFF == 0


def frame_messages(d: np.ndarray, spb: float, known: tuple[int, ...]) -> Iterator[tuple[int, bytes | None, int]]:
    """(end index, message without checksum or None if corrupt, index of its first start bit) for each
    message in decision signal ``d``; a message cut by the end of ``d`` is yielded last as
    (.., PARTIAL, where to resume)."""
    n = d.size
    mark = d > 0
    falling = np.flatnonzero(mark[:-1] & ~mark[1:]) + 1
    csum = np.concatenate(([0], np.cumsum(mark)))
    dsum = np.concatenate(([0.0], np.cumsum(d)))
    need = int(10 * spb)
    preamble = int(30 * spb)
    early = falling[falling >= need]
    armed = early[csum[early] - csum[early - need] >= 0.85 * need]     # edges after ten bits of mostly mark
    half = 2
    offsets = (np.arange(10) + 0.5) * spb
    buf: list[int] = []
    first = 0
    pos = 0
    while True:
        edges = falling if buf else armed
        k = int(np.searchsorted(edges, pos))
        if k >= edges.size:
            break
        edge = int(edges[k])
        centres = (edge + offsets).astype(np.int64)
        if centres[-1] + half >= n:
            yield n, PARTIAL, max(0, (first if buf else edge) - int(12 * spb))
            return
        ones = (dsum[centres + half + 1] - dsum[centres - half]) > 0     # each bit's middle, averaged
        framed = not ones[0] and bool(ones[9])
        byte = int(ones[1:9] @ _WEIGHTS)
        if not buf:
            if framed and byte in known:
                buf, first = [byte], edge
                pos = int(centres[9])
            else:
                pos = edge + 1                  # a glitch in the marks, or not a message we know
            continue
        if not framed:
            # a message broken after its header, behind a real preamble, is corrupt; anything less
            # (speech that framed a byte or two) is just not a message
            if len(buf) >= 3 and first >= preamble and csum[first] - csum[first - preamble] >= 0.85 * preamble:
                yield int(centres[9]), None, first
            buf = []
            pos = edge + 1
            continue
        buf.append(byte)
        pos = int(centres[9])
        if len(buf) >= 2 and len(buf) == buf[1] + 3:
            msg = bytes(buf)
            buf = []
            yield int(centres[9] + spb / 2), (msg[:-1] if _checksum_ok(msg) else None), first
    if buf:
        yield n, PARTIAL, max(0, first - int(12 * spb))
