"""Streaming DTMF detector for 8 kHz int16 audio (ITU-T Q.24 AT&T column, ETSI ES 201 235-3).

What it is: :class:`DtmfDetector` — feed blocks of any size, get :class:`DtmfEvent` ``start``/``end`` events
whose ``t`` (seconds from the first sample fed) is estimated to a sample or two, not to a block.
Constant memory; a silent frame costs one dot product.

What it is not: a generator (see :mod:`drivers.dsp.tones`) nor a policy (what a digit means is the
engine's business).

Design (docs/dsp.md has the measurements; the per-hop front end is :mod:`drivers.dsp.dtmf_bank`):

* Every 5 ms hop (40 samples) a Hann-weighted 80-sample segment is correlated with the eight DTMF
  frequencies and with guard frequencies (DC, 350, 400, 425, 440 Hz: dial tones). Phases are referred to
  absolute sample time, so partials of consecutive hops add up coherently: their sum over M hops is a
  DFT over a Tukey window of (M+1)*40 samples (the periodic Hann halves overlap-add to one).
* Each window of M hops is checked: best row and best column; their frequency from the phase advance
  between the first and last M-1 hops (so a tone 3.5 % off is *measured* off and refused, rather than
  merely scalloped); their level after removing that offset; twist; every other tone of each group well
  below the best; and the two tones carrying most of the window's energy once DC and dial tone are
  taken out.
* Duration logic runs in milliseconds, not blocks: each hop's partial magnitude relative to the tone's
  steady magnitude is the fraction of that hop covered by the tone, and because the windows overlap-add
  to one, these fractions add up to the tone's duration and locate its edges to within a sample or two.
  A digit starts when >= ``min_on_ms`` of tone has been seen (so 40 ms tones pass, 23 ms tones do not, at
  any alignment); gaps shorter than ``split_gap_ms`` are bridged, longer ones end the digit.
"""
from __future__ import annotations

import cmath
import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from drivers.dsp.dtmf_bank import DC as _DC
from drivers.dsp.dtmf_bank import FREQS as _FREQS
from drivers.dsp.dtmf_bank import HALF_SUM as _HALF_SUM
from drivers.dsp.dtmf_bank import HOP, ZERO_ROW, WindowSums, hop_bank
from drivers.dsp.levels import DBM0_PEAK, RATE
from drivers.dsp.talkoff import harmonic_pair
from drivers.dsp.tones import DTMF_COLS, DTMF_KEYS, DTMF_ROWS

__all__ = ["DtmfEvent", "DtmfParams", "DtmfDetector", "decode_digits"]

_EMPTY = np.zeros(0)


@dataclass(frozen=True)
class DtmfEvent:
    """A digit starting or ending; ``t`` is seconds from the first sample fed to the detector."""

    kind: Literal["start", "end"]
    digit: str
    t: float


@dataclass(frozen=True)
class DtmfParams:
    """Every knob of the detector, with the standard that sets it."""

    min_level_dbm0: float = -40.0
    """Weakest tone accepted, per tone (Q.24: operate to -25, non-operate at -55)."""
    twist_normal_db: float = 9.0
    """How much weaker the high tone may be (Q.24: 8 dB must pass)."""
    twist_reverse_db: float = 5.0
    """How much stronger the high tone may be (Q.24: 4 dB must pass)."""
    freq_tolerance: float = 0.018
    """Relative part of the frequency limit; the limit is ``freq_tolerance * f + freq_tolerance_hz``:
    0.3 % + 0.5 Hz above must-accept (1.5 % + 2 Hz), well inside must-reject (3.5 %). Closer to the
    accept edge than the middle: music near the edge (G#5, 830.6 Hz = 852 Hz - 2.5 %) is talk-off."""
    freq_tolerance_hz: float = 2.5
    relative_peak_db: float = 10.0
    """Every other tone of a group at least this far below the group's best."""
    min_tone_fraction: float = 0.80
    """Share of the window's energy (less DC) carried by the two tones (spandsp: 0.82 with no allowance
    for frequency offsets; ours is measured at the tones' own frequencies)."""
    min_fraction_under_dial_tone: float = 0.70
    """The same share once 350 Hz and the strongest of 400/425/440 Hz are removed, used when that dial
    tone is stronger than the digit (the removal is approximate, hence the lower bar)."""
    min_on_ms: float = 31.0
    """Tone needed before a digit is reported (Q.24: >= 40 ms operate, <= 23 ms non-operate)."""
    split_gap_ms: float = 27.0
    """Gap that ends a digit (Q.24: <= 10 ms bridged, >= 40 ms separates; ETSI: < 20 ms bridged)."""
    harmonic_ratio: float = 0.003
    """A high tone within this fraction of twice the low tone is a note's octave: refused. Genuine
    pairs, even both off by 1.5 % + 2 Hz towards each other, are more than 0.6 % from 2:1."""
    harmonic_guard_db: float = 15.0
    """Tone pairs that are harmonics of one fundamental are refused when another harmonic of it is within
    this many dB of the weaker tone (the talk-off guard against voiced speech and music)."""
    steady_ratio: float = 0.6
    """Every hop of a window must carry each tone at this fraction of its strongest hop."""
    window_hops: int = 4
    """Hops per analysis window (4: a 25 ms Tukey window)."""


_DEFAULT = DtmfParams()


class _Track:
    """The digit being followed: its tones' steady magnitudes and the duration seen so far."""

    __slots__ = ("digit", "row", "col", "ref_r", "ref_c", "start_t", "on_sum", "windows", "gap_hops",
                 "tail_sum", "last_on_hop", "last_on_rho", "active")

    def __init__(self, digit: str, row: int, col: int, ref_r: float, ref_c: float) -> None:
        self.digit, self.row, self.col = digit, row, col
        self.ref_r, self.ref_c = ref_r, ref_c
        self.start_t = 0.0
        self.on_sum = 0.0
        self.windows = 1
        self.gap_hops = 0
        self.tail_sum = 0.0
        self.last_on_hop = 0
        self.last_on_rho = 0.0
        self.active = False

    def rho(self, mags: list[float]) -> float:
        """Fraction of a hop covered by this digit's tones (0..1), from the hop's partial magnitudes."""
        return min(1.0, mags[self.row] / self.ref_r, mags[self.col] / self.ref_c)


class DtmfDetector:
    """Streaming DTMF receiver: ``feed(samples) -> [DtmfEvent]``; ``reset()`` forgets everything.

    ``DtmfDetector(rate=8000, **params)`` where params are :class:`DtmfParams` fields. Only 8 kHz is
    accepted (resample first, as ``switchboard decode`` does).
    """

    def __init__(self, rate: int = RATE, **params: float) -> None:
        if rate != RATE:
            raise ValueError(f"DtmfDetector works at {RATE} Hz; resample {rate} Hz audio first")
        self.params = replace(_DEFAULT, **params) if params else _DEFAULT
        self.rate = rate
        self._bank = hop_bank()
        self._tol_hz = [f * self.params.freq_tolerance + self.params.freq_tolerance_hz
                        for f in DTMF_ROWS + DTMF_COLS]
        m = self.params.window_hops
        self._min_amp = dbm0_amp(self.params.min_level_dbm0) * _HALF_SUM * m
        self._scale = _HALF_SUM * m
        self._hop_floor = (0.5 * dbm0_amp(self.params.min_level_dbm0) * _HALF_SUM) ** 2
        self._quiet = HOP * dbm0_amp(self.params.min_level_dbm0 - 12.0) ** 2 / 2.0
        self._keep = m + 2                                    # hops of history kept
        self.reset()

    # ---------------------------------------------------------------------------------------- public
    def reset(self) -> None:
        """Forget all audio and any digit in progress; time restarts at 0."""
        lead = (self.params.window_hops - 1) * HOP
        self._tail = np.zeros(lead + HOP)  # raw samples before the next data: window lead-in, then the overlap
        self._pending = _EMPTY             # samples not yet making a whole hop
        self._hop = 0                      # index of the next hop to analyse
        self._hq = np.zeros((self._keep, len(_FREQS)), dtype=np.complex128)
        self._he = np.zeros(self._keep)
        self._hm = [ZERO_ROW] * self._keep  # |partials| of the same hops, as plain floats
        self._run = 0                      # consecutive tonal hops
        self._track: _Track | None = None

    def feed(self, samples: np.ndarray) -> list[DtmfEvent]:
        """Analyse ``samples`` (int16 or float, any length); return the events they complete."""
        x = np.asarray(samples, dtype=np.float64).ravel()
        if self._pending.size:
            x = np.concatenate((self._pending, x))
        nhops = x.size // HOP
        used = nhops * HOP
        if used != x.size:
            self._pending = x[used:].copy()
            x = x[:used]
        elif self._pending.size:
            self._pending = _EMPTY
        if nhops == 0:
            return []
        tail = self._tail
        ext = np.concatenate((tail, x))                 # raw samples: window of hop i is ext[i*HOP:][:span]
        self._tail = ext[-tail.size:].copy()
        lead = tail.size - HOP
        data = ext[lead:]                               # the overlap, then the new hops
        if self._track is None and float(np.dot(data, data)) < self._quiet * nhops:
            self._skip_quiet(nhops)
            return []
        q, mags, e, flags = self._bank.analyse(data.reshape(nhops + 1, HOP), self._hop, self._hop_floor)
        k0 = self._keep
        allq = np.concatenate((self._hq, q))
        alle = np.concatenate((self._he, e))
        allm = self._hm + mags
        self._hq, self._he, self._hm = allq[-k0:], alle[-k0:], allm[-k0:]
        events: list[DtmfEvent] = []
        if self._track is None and not any(flags):
            self._run = 0
            self._hop += nhops
        elif not self._holding(mags, flags, events):
            self._scan(allq, alle, allm, flags, ext, events)
        return events

    @property
    def digit(self) -> str | None:
        """The digit currently sounding (reported and not yet ended), or None."""
        return self._track.digit if self._track is not None and self._track.active else None

    # -------------------------------------------------------------------------------------- internals
    @property
    def _buf(self) -> np.ndarray:
        """The last hop of samples fed (the overlap with the next segment)."""
        return self._tail[-HOP:]

    def _scan(self, allq: np.ndarray, alle: np.ndarray, mags: list[list[float]], flags: list[bool],
              ext: np.ndarray, events: list[DtmfEvent]) -> None:
        """The per-hop treatment of new hops (``allq``/``alle``/``mags``: history then new hops): classify
        every window that could hold a new digit and follow the digit in progress."""
        k0, m = self._keep, self.params.window_hops
        span = ext.size - (len(flags) - 1) * HOP        # lead-in + one segment
        windows: WindowSums | None = None
        for i, tonal in enumerate(flags):
            j = k0 + i
            self._run = self._run + 1 if tonal else 0
            track = self._track
            steady = track is not None and (track.active or track.windows >= 2) and track.rho(mags[j]) >= 0.5
            # while a confirmed digit holds steady there is nothing new to classify
            found = None
            if self._run >= m and not steady:
                windows = windows or WindowSums(allq, alle, m)
                found = self._classify(windows, mags, j, ext[i * HOP:i * HOP + span])
            if found is not None or self._track is not None:
                self._step(found, mags[j - k0 + 1:j + 1], events)
            self._hop += 1

    def _skip_quiet(self, nhops: int) -> None:
        keep = max(0, self._keep - nhops)
        self._hm = self._hm[self._keep - keep:] + [ZERO_ROW] * (self._keep - keep)
        self._hq = np.concatenate((self._hq[self._keep - keep:], np.zeros((self._keep - keep, len(_FREQS)))))
        self._he = np.concatenate((self._he[self._keep - keep:], np.zeros(self._keep - keep)))
        self._run = 0
        self._hop += nhops

    def _holding(self, mags: list[list[float]], flags: list[bool], events: list[DtmfEvent]) -> bool:
        """Fast path: a confirmed digit covers every new hop, so only its duration grows. False (nothing
        done) when any hop needs the full per-hop treatment."""
        track = self._track
        if track is None or not (track.active or track.windows >= 2):
            return False
        r, c, ref_r, ref_c = track.row, track.col, track.ref_r, track.ref_c
        rhos = [min(h[r] / ref_r, h[c] / ref_c) for h in mags]
        if min(rhos) < 0.5:
            return False
        n = len(rhos)
        track.on_sum += sum(min(v, 1.0) for v in rhos) + track.tail_sum
        track.tail_sum, track.gap_hops = 0.0, 0
        track.last_on_hop, track.last_on_rho = self._hop + n - 1, min(1.0, rhos[-1])
        self._run = self._run + n if all(flags) else flags[::-1].index(False)
        self._hop += n
        if not track.active and track.on_sum * HOP * 1000.0 / self.rate >= self.params.min_on_ms:
            track.active = True
            events.append(DtmfEvent("start", track.digit, round(max(0.0, track.start_t), 5)))
        return True

    def _centre(self, hop: int) -> float:
        """Seconds from the first sample to the centre of hop ``hop``'s segment."""
        return hop * HOP / self.rate

    def _step(self, found: tuple[str, int, int, float, float] | None, hist: list[list[float]],
              events: list[DtmfEvent]) -> None:
        """Follow the digit in progress by one hop; ``hist`` holds the partial magnitudes of the last
        hops, the current one last."""
        track = self._track
        if track is None:
            if found is not None:
                self._begin(found, hist)
            return
        if found is not None and found[0] != track.digit:
            self._finish(events)
            self._begin(found, hist)
            return
        if found is not None:
            track.windows += 1
            track.ref_r = max(track.ref_r, found[3])
            track.ref_c = max(track.ref_c, found[4])
        rho = track.rho(hist[-1])
        if rho >= 0.5:
            track.on_sum += rho + track.tail_sum
            track.gap_hops = 0
            track.tail_sum = 0.0
            track.last_on_hop = self._hop
            track.last_on_rho = rho
        else:
            track.gap_hops += 1
            if track.gap_hops <= 2:
                track.tail_sum += rho
            if track.gap_hops * HOP * 1000.0 / self.rate >= self.params.split_gap_ms:
                self._finish(events)
                return
        if not track.active and track.on_sum * HOP * 1000.0 / self.rate >= self.params.min_on_ms \
                and track.windows >= 2:
            track.active = True
            events.append(DtmfEvent("start", track.digit, round(max(0.0, track.start_t), 5)))

    def _begin(self, found: tuple[str, int, int, float, float], hist: list[list[float]]) -> None:
        digit, r, c, ref_r, ref_c = found
        track = _Track(digit, r, c, ref_r, ref_c)
        rhos = [min(1.0, h[r] / ref_r, h[c] / ref_c) for h in hist]
        k = max((i for i, v in enumerate(rhos) if v >= 0.5), default=len(rhos) - 1)
        first_on = next((i for i, v in enumerate(rhos) if v >= 0.5), k)
        lead = sum(v for v in rhos[:first_on + 1] if v > 0.05)
        hop_first = self._hop - (len(rhos) - 1 - first_on)
        track.start_t = self._centre(hop_first) + (HOP / 2 - HOP * lead) / self.rate
        track.on_sum = sum(v for v in rhos if v > 0.05)
        track.last_on_hop = self._hop - (len(rhos) - 1 - k)
        track.last_on_rho = rhos[k]
        track.tail_sum = sum(rhos[k + 1:])
        track.gap_hops = len(rhos) - 1 - k
        self._track = track

    def _finish(self, events: list[DtmfEvent]) -> None:
        track = self._track
        self._track = None
        if track is None or not track.active:
            return
        end = self._centre(track.last_on_hop) + (HOP * (track.last_on_rho + track.tail_sum) - HOP / 2) / self.rate
        events.append(DtmfEvent("end", track.digit, round(max(end, track.start_t), 5)))

    def _classify(self, windows: WindowSums, mags: list[list[float]], j: int,
                  raw: np.ndarray) -> tuple[str, int, int, float, float] | None:
        """The digit the window of m hops ending at history row ``j`` (samples ``raw``) holds, with its
        row/col and steady per-hop magnitudes; else None. (Scalar work in plain Python: a handful of
        numbers.)"""
        p = self.params
        m = p.window_hops
        pw = windows.power(j)
        r = max(range(4), key=pw.__getitem__)
        c = max(range(4, 8), key=pw.__getitem__)
        hops = mags[j - m + 1:j + 1]
        mags_r, mags_c = [h[r] for h in hops], [h[c] for h in hops]
        mag_r, mag_c = max(mags_r), max(mags_c)
        if min(mags_r) < p.steady_ratio * mag_r or min(mags_c) < p.steady_ratio * mag_c:
            return None                    # the tone does not fill the window: its frequency is not measurable
        amp_r, df_r = self._compensated(windows.column(j, r))
        amp_c, df_c = self._compensated(windows.column(j, c))
        if amp_r < self._min_amp or amp_c < self._min_amp:
            return None
        if abs(df_r) > self._tol_hz[r] or abs(df_c) > self._tol_hz[c]:
            return None
        f_r, f_c = _FREQS[r] + df_r, _FREQS[c] + df_c
        if abs(f_c - 2.0 * f_r) < p.harmonic_ratio * f_c:
            return None                    # a note and its octave (G#5 830.6 + 1661 Hz), not a key
        twist = 20.0 * math.log10(amp_c / amp_r)
        if twist > p.twist_reverse_db or twist < -p.twist_normal_db:
            return None
        rel = 10.0 ** (-p.relative_peak_db / 10.0)
        if sum(v > amp_r * amp_r * rel for v in pw[:4]) > 1 or sum(v > amp_c * amp_c * rel for v in pw[4:8]) > 1:
            return None
        energy = windows.energy(j)
        scale = self._scale
        tonal = (amp_r * amp_r + amp_c * amp_c) / scale
        rest = energy - pw[_DC] / (2.0 * scale)
        guard = (pw[_DC + 1] + max(pw[_DC + 2:_DC + 5])) / scale
        if guard >= tonal:
            # dial tone under the digit: judge the digit against what is left once it is taken out
            if tonal < p.min_fraction_under_dial_tone * max(rest - guard, tonal):
                return None
        elif tonal < p.min_tone_fraction * max(rest, tonal):
            return None
        if harmonic_pair(raw, f_r, f_c, p.harmonic_guard_db, 500.0 if guard >= tonal else 0.0):
            return None                    # two harmonics of one voice, not two oscillators
        return DTMF_KEYS[r][c - 4], r, c, mag_r, mag_c

    def _compensated(self, col: list[complex]) -> tuple[float, float]:
        """|window sum| of one tone's hop partials after removing its measured frequency offset, and the
        offset in Hz (from the phase advance between the first and last m-1 hops)."""
        first, last = sum(col[:-1]), sum(col[1:])
        adv = cmath.phase(last * first.conjugate())
        step = cmath.exp(-1j * adv)
        acc, rot = 0j, 1 + 0j
        for v in col:
            acc += v * rot
            rot *= step
        return abs(acc), adv * self.rate / (2.0 * math.pi * HOP)


def dbm0_amp(level: float) -> float:
    """Peak amplitude of a sine at ``level`` dBm0 (local shorthand)."""
    return DBM0_PEAK * 10.0 ** (level / 20.0)


def decode_digits(samples: np.ndarray, **params: float) -> str:
    """All digits in ``samples`` as a string (a convenience over :class:`DtmfDetector`)."""
    det = DtmfDetector(**params)
    events = det.feed(samples) + det.feed(np.zeros(2 * RATE // 10))
    return "".join(e.digit for e in events if e.kind == "start")
