"""Call-progress tone detection (dial, ringback, busy, reorder, learned tones) and a learn mode.

What it is: :class:`ProgressDetector` — streaming, frequency-selective *and* cadence-matching: every 20 ms
block is labelled with the country tone signature (set of frequencies) it carries, labels become on/off
runs, and runs are matched against :data:`drivers.dsp.tones.COUNTRY_TONES`. Busy and reorder (same
frequencies, different cadence) are told apart within two cycles; dial tone is reported after 1 s of steady
tone (longer when a cadenced tone of that country has the same frequencies and a long 'on', e.g. 425 Hz
ringback in Germany). :func:`learn_tone` measures frequencies, cadence and level of a recording (a line's
own disconnect tone), :func:`spec_from_learned` turns that into a :class:`~drivers.dsp.tones.ToneSpec` the
detector accepts through ``extra_tones``.

What it is not: a disconnect policy (the FXO driver decides that a busy tone means the far end left) nor
a speech detector.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

import numpy as np

from drivers.dsp.levels import RATE, amplitude, power_dbm0
from drivers.dsp.tones import COUNTRY_TONES, Segment, ToneSpec, tone_spec

__all__ = ["ToneEvent", "ProgressDetector", "learn_tone", "spec_from_learned", "DETECTED_TONES"]

BLOCK = 160
"""Samples per analysis block (20 ms)."""
DETECTED_TONES = ("dial", "ringback", "busy", "reorder")
_BLOCK_MS = 1000.0 * BLOCK / RATE


@dataclass(frozen=True)
class ToneEvent:
    """A call-progress tone recognised (``start``) or gone (``end``); ``t`` in seconds from the first sample."""

    kind: Literal["start", "end"]
    tone: str
    t: float


@dataclass
class _Pattern:
    name: str
    signature: int
    on_off: tuple[int, ...]           # () = continuous
    cycles: float                     # evidence needed, in cycles
    need: int = 0                     # evidence needed, in on/off runs


class ProgressDetector:
    """Streaming call-progress detector for one country: ``feed(samples) -> [ToneEvent]``.

    ``extra_tones`` adds named specs (e.g. a learned ``"disconnect"`` tone). ``min_level_dbm0`` is the
    weakest tone accepted (per frequency); ``tolerance`` the cadence tolerance (fraction, plus 40 ms).
    """

    def __init__(self, country: str = "US", extra_tones: Mapping[str, ToneSpec] | None = None,
                 min_level_dbm0: float = -45.0, tolerance: float = 0.15) -> None:
        table = dict(COUNTRY_TONES.get(country.upper()) or {})
        if not table:
            tone_spec(country, "dial")           # raises the clear error
        specs = {name: table[name] for name in DETECTED_TONES if name in table}
        specs.update(extra_tones or {})
        self.country = country.upper()
        self.tolerance = tolerance
        sigs: list[tuple[float, ...]] = []
        self._patterns: list[_Pattern] = []
        for name, spec in specs.items():
            sig = _resolvable(spec.freqs)
            same = [s for s in sigs if len(s) == len(sig) and all(abs(a - b) < 30.0 for a, b in zip(s, sig))]
            if same:
                sig = same[0]
            else:
                sigs.append(sig)
            cadence = () if spec.continuous else spec.on_off()
            cycles = 2.0 if name in ("busy", "reorder") else 1.0
            self._patterns.append(_Pattern(name, sigs.index(sig), cadence, cycles))
        self._sigs = sigs
        for pat in self._patterns:
            pat.need = self._runs_needed(pat)
        freqs = sorted({f for s in sigs for f in s})
        self._freqs = freqs
        self._sig_idx = [[freqs.index(f) for f in s] for s in sigs]
        n = np.arange(BLOCK)
        self._basis = np.exp(-2j * np.pi * np.outer(n, freqs) / RATE)
        self._fvec = np.array(freqs)
        # block phase rotations; exact for frequencies in 0.1 Hz steps (they repeat after 10 s)
        self._rot = np.exp(-2j * np.pi * np.outer(np.arange(500) * BLOCK, self._fvec) / RATE)
        self._tol_hz = 0.027 * self._fvec + 1.0                 # accept +-2 %, refuse 425 vs 440 Hz (3.5 %)
        merged = {f for spec in specs.values() for f in _resolvable(spec.freqs) if f not in spec.freqs}
        self._merged = np.array([f in merged for f in freqs])
        self._min_pow = (amplitude(min_level_dbm0) * BLOCK / 2.0) ** 2
        longest_on = {}
        for p in self._patterns:
            if p.on_off:
                longest_on[p.signature] = max(longest_on.get(p.signature, 0), max(p.on_off[0::2]))
        # dial tone after 1 s, or once it outlasts the longest 'on' of a cadenced tone of the same sound
        self._dial_ms = {p.signature: max(1000.0, (1 + tolerance) * longest_on.get(p.signature, 0) + 80.0)
                         for p in self._patterns if not p.on_off}
        self.reset()

    def reset(self) -> None:
        """Forget all audio; time restarts at 0."""
        self._pending = np.zeros(0)
        self._prev_e = 0.0
        self._prev_p = np.zeros(len(self._freqs))
        self._prev_s = np.zeros(len(self._freqs), dtype=complex)
        self._block = 0
        self._label = -1
        self._label_start = 0
        self._cand = -1
        self._cand_start = 0
        self._cand_count = 0
        self._runs: list[tuple[int, int, int]] = []     # (label, start block, length in blocks)
        self._current: str | None = None
        self._current_start = 0.0

    @property
    def tone(self) -> str | None:
        """The tone currently recognised, or None."""
        return self._current

    def feed(self, samples: np.ndarray) -> list[ToneEvent]:
        """Analyse ``samples`` (int16, any length); return the events they complete."""
        x = np.asarray(samples, dtype=np.float64).ravel()
        if self._pending.size:
            x = np.concatenate((self._pending, x))
        nblocks = x.size // BLOCK
        self._pending = x[nblocks * BLOCK:].copy()
        events: list[ToneEvent] = []
        if nblocks == 0:
            return events
        blocks = x[:nblocks * BLOCK].reshape(nblocks, BLOCK)
        labels = self._labels(blocks)
        for lab in labels:
            self._step(int(lab), events)
            self._block += 1
        return events

    # ----------------------------------------------------------------------------------------- blocks
    def _labels(self, blocks: np.ndarray) -> np.ndarray:
        """Signature index (or -1) of each block, judged over that block and the one before it (40 ms,
        so a 25 Hz beat between two close tones or a 16 Hz AM ringback does not flicker)."""
        n = blocks.shape[0]
        energy = np.einsum("ij,ij->i", blocks, blocks)
        loud = energy * BLOCK / 2.0 > self._min_pow
        if not loud.any() and self._prev_e * BLOCK / 2.0 <= self._min_pow:
            self._prev_e, self._prev_p = float(energy[-1]), np.zeros(len(self._freqs))
            self._prev_s = np.zeros(len(self._freqs), dtype=complex)
            return np.full(n, -1)
        rows = (self._block + np.arange(n)) % self._rot.shape[0]
        s = (blocks @ self._basis) * self._rot[rows]
        a = np.abs(s)
        p = a * a                                         # |S|^2; a sine of amplitude a gives (a*N/2)^2
        e2 = energy + np.concatenate(([self._prev_e], energy[:-1]))
        p2 = p + np.vstack((self._prev_p[None, :], p[:-1]))
        if not np.any(p2.sum(axis=1) * (2.0 / BLOCK) >= 0.6 * e2):
            # no block has most of its energy at the country's tone frequencies: nothing to label
            self._prev_e, self._prev_p, self._prev_s = float(energy[-1]), p[-1], s[-1]
            return np.full(n, -1)
        prev = np.vstack((self._prev_s[None, :], s[:-1]))
        # each tone's frequency from the phase advance over one block, so 440 Hz is not 425 Hz
        offset = np.angle(s * np.conj(prev)) * RATE / (2.0 * np.pi * BLOCK)
        on_freq = (np.abs(offset) <= self._tol_hz) | self._merged
        self._prev_s = s[-1]
        self._prev_e, self._prev_p = float(energy[-1]), p[-1]
        tone_energy = p2 * 2.0 / BLOCK                    # the sines' energy in the two blocks
        best = np.full(n, -1)
        best_frac = np.zeros(n)
        for k, idx in enumerate(self._sig_idx):
            sub = p2[:, idx]
            frac = tone_energy[:, idx].sum(axis=1) / np.maximum(e2, 1e-9)
            strong = sub.min(axis=1) >= sub.max(axis=1) * 0.25       # tones of a pair within 6 dB
            level_ok = sub.min(axis=1) >= self._min_pow
            ok = strong & level_ok & on_freq[:, idx].all(axis=1) & (frac >= 0.6) & (frac > best_frac + 0.05 * len(idx))
            best = np.where(ok, k, best)
            best_frac = np.where(ok, frac, best_frac)
        return best

    def _step(self, label: int, events: list[ToneEvent]) -> None:
        if label == self._label:
            self._cand, self._cand_count = label, 0
        elif label == self._cand:
            self._cand_count += 1
            if self._cand_count >= 2:
                self._close_run(self._cand_start)
                self._label, self._label_start = self._cand, self._cand_start
                self._cand_count = 0
        else:
            self._cand, self._cand_start, self._cand_count = label, self._block, 1
        self._match(events)

    def _close_run(self, end_block: int) -> None:
        self._runs.append((self._label, self._label_start, end_block - self._label_start))
        if len(self._runs) > 16:
            del self._runs[0]

    def _runs_needed(self, pat: _Pattern) -> int:
        """Runs of evidence before ``pat`` is declared: its cycles, and never fewer than a longer cadence of
        the same sound that it could be the beginning of (Spain: busy 200/200 opens reorder
        200/200/200/200/200/600), so the longer one is not mistaken for it."""
        need = int(round(pat.cycles * len(pat.on_off)))
        own = pat.on_off
        for other in self._patterns:
            cad = other.on_off
            if other is pat or other.signature != pat.signature or len(cad) <= len(own) or not own:
                continue
            if len(cad) % len(own) == 0 and all(self._fits(own[i % len(own)], v) for i, v in enumerate(cad)):
                continue                                  # the same cadence repeated: nothing to wait for
            if any(all(self._fits(own[i % len(own)], cad[(r + i) % len(cad)]) for i in range(need))
                   for r in range(0, len(cad), 2)):
                need = max(need, len(cad) + 1)
        return need

    # ----------------------------------------------------------------------------------------- cadence
    def _ms(self, blocks: int) -> float:
        return blocks * _BLOCK_MS

    def _fits(self, ms: float, nominal: int) -> bool:
        return abs(ms - nominal) <= nominal * self.tolerance + 40.0

    def _match(self, events: list[ToneEvent]) -> None:
        now_len = self._block + 1 - self._label_start
        found: tuple[str, float] | None = None
        for pat in self._patterns:
            hit = self._match_one(pat, now_len)
            if hit is not None:
                found = (pat.name, hit)
                break
        if self._current is not None and (found is None or found[0] != self._current):
            if not self._still(self._current, now_len):
                events.append(ToneEvent("end", self._current, round(self._end_time(), 4)))
                self._current = None
        if found is not None and self._current is None:
            self._current = found[0]
            events.append(ToneEvent("start", found[0], round(found[1], 4)))

    def _end_time(self) -> float:
        """When the tone stopped: the end of the last run that carried it."""
        if self._label >= 0:
            return (self._block + 1) * BLOCK / RATE
        return self._label_start * BLOCK / RATE

    def _still(self, name: str, now_len: int) -> bool:
        """True while the current run is still consistent with tone ``name``."""
        pat = next(p for p in self._patterns if p.name == name)
        ms = self._ms(now_len)
        if not pat.on_off:
            return self._label == pat.signature
        if self._label not in (-1, pat.signature):
            return False
        longest = max(pat.on_off[0::2] if self._label >= 0 else pat.on_off[1::2])
        return ms <= longest * (1 + self.tolerance) + 60.0

    def _match_one(self, pat: _Pattern, now_len: int) -> float | None:
        """Start time of the evidence if the recent runs fit ``pat``; else None."""
        if not pat.on_off:
            if self._label == pat.signature and self._ms(now_len) >= self._dial_ms[pat.signature]:
                return self._label_start * BLOCK / RATE
            return None
        runs = self._runs + [(self._label, self._label_start, now_len)]
        cad = pat.on_off
        need = pat.need
        if len(runs) < need:
            return None
        tail = runs[-need:]
        for rot in range(0, len(cad), 2):            # the evidence starts with an 'on' segment
            ok = True
            for i, (lab, _start, length) in enumerate(tail):
                nominal = cad[(rot + i) % len(cad)]
                sounding = (rot + i) % 2 == 0
                length += -1 if sounding else 1           # the 40 ms judgement stretches tone by a block
                if (lab == pat.signature) != sounding or (not sounding and lab != -1):
                    ok = False
                    break
                if not self._fits(self._ms(length), nominal):
                    ok = False
                    break
            if ok:
                return tail[0][1] * BLOCK / RATE
        return None


def _resolvable(freqs: tuple[float, ...]) -> tuple[float, ...]:
    """Frequencies closer than 30 Hz cannot be told apart in a 20 ms block: merge them into their mean
    (Australia's 413 + 438 Hz dial tone is heard as one 425 Hz tone beating at 25 Hz)."""
    out: list[list[float]] = []
    for f in sorted(freqs):
        if out and f - out[-1][-1] < 30.0:
            out[-1].append(f)
        else:
            out.append([f])
    return tuple(round(sum(g) / len(g), 1) for g in out)


# ------------------------------------------------------------------------------------------ learning
def learn_tone(samples: np.ndarray, rate: int = RATE) -> dict:
    """Measure a recorded tone: ``{"freqs": [Hz, ...], "cadence": [on, off, ...] ms ([] = continuous),
    "level_dbm0": per-tone level}``. Needs a few seconds with at least two cycles of a cadenced tone.
    Raises ValueError when the recording holds no steady tone."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if rate != RATE:
        raise ValueError(f"learn_tone works at {RATE} Hz; resample first")
    n = x.size // 80
    if n < 20:
        raise ValueError("recording too short to learn a tone (need at least 0.2 s)")
    blocks = x[:n * 80].reshape(n, 80)
    # 10 ms energies smoothed over 70 ms: a beat (413 + 438 Hz) or 16 Hz AM is not a cadence; a box
    # average crossed at half height keeps every on and off duration
    env = np.convolve(np.einsum("ij,ij->i", blocks, blocks), np.ones(7) / 7.0, mode="same")
    hi, lo = np.percentile(env, 90), np.percentile(env, 10)
    if hi < 80 * amplitude(-50.0) ** 2 / 2:
        raise ValueError("no tone found: the recording is silent")
    on = _bursts(env) if hi > 10.0 * lo else np.ones(n, dtype=bool)
    tone_samples = np.concatenate([x[i * 80:(i + 1) * 80] for i in np.flatnonzero(on)])
    freqs = _peaks(tone_samples)
    raw = np.einsum("ij,ij->i", blocks, blocks)[on]
    steady = raw[raw >= np.percentile(raw, 25)]        # leave out the blocks a burst edge cuts
    level = power_dbm0(np.array([np.sqrt(steady.mean() / 80)])) - 10.0 * np.log10(len(freqs))
    runs = _runs(on)
    cadence = _cycle(runs) if not on.all() else []
    return {"freqs": freqs, "cadence": cadence, "level_dbm0": round(float(level), 1)}


def _bursts(env: np.ndarray) -> np.ndarray:
    """Which 10 ms blocks of a smoothed energy envelope belong to a tone burst: found at the dB midpoint
    (so a burst 6 dB weaker than the others still counts, as in the UK's congestion tone), then each
    burst's edges placed at half its own height, where the box average puts the true edges."""
    db = 10.0 * np.log10(env + 1.0)
    rough = db > (np.percentile(db, 90) + np.percentile(db, 10)) / 2
    on = np.zeros(env.size, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rough.astype(np.int8), [0]))))
    for a, b in zip(edges[0::2], edges[1::2]):
        lo, hi = max(0, a - 7), min(env.size, b + 7)
        on[lo:hi] |= env[lo:hi] >= env[a:b].max() / 2
    return on


def _peaks(x: np.ndarray) -> list[float]:
    size = 1 << int(np.ceil(np.log2(max(x.size, 8192))))
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size), size))
    hz = np.fft.rfftfreq(size, 1.0 / RATE)
    spec[hz < 200] = 0.0
    first = int(np.argmax(spec))
    peaks = [first]
    masked = spec.copy()
    masked[np.abs(hz - hz[first]) < 20.0] = 0.0
    second = int(np.argmax(masked))
    if masked[second] >= spec[first] * 10 ** (-12 / 20):
        peaks.append(second)
    return sorted(round(float(_refine(spec, k, hz)), 1) for k in peaks)


def _refine(spec: np.ndarray, k: int, hz: np.ndarray) -> float:
    if 0 < k < spec.size - 1:
        a, b, c = np.log(spec[k - 1:k + 2] + 1e-12)
        off = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c != 0 else 0.0
        return float(hz[k] + off * (hz[1] - hz[0]))
    return float(hz[k])


def _runs(on: np.ndarray) -> list[tuple[bool, int]]:
    runs: list[tuple[bool, int]] = []
    for v in on:
        if runs and runs[-1][0] == bool(v):
            runs[-1] = (runs[-1][0], runs[-1][1] + 10)
        else:
            runs.append((bool(v), 10))
    return runs


def _cycle(runs: list[tuple[bool, int]]) -> list[int]:
    inner = runs[1:-1]                                 # the first and last runs are cut by the recording
    while inner and not inner[0][0]:
        inner = inner[1:]
    lengths = [ms for _, ms in inner]
    for period in range(2, len(lengths) // 2 + 1, 2):
        a, b = lengths[:period], lengths[period:2 * period]
        if all(abs(u - v) <= 0.15 * max(u, v) + 20 for u, v in zip(a, b)):
            return [int(round(np.mean(lengths[i::period]) / 10.0) * 10) for i in range(period)]
    if len(lengths) >= 2:
        return [int(round(v / 10.0) * 10) for v in lengths[:2]]
    raise ValueError("could not find a repeating cadence: record at least two full cycles")


def spec_from_learned(learned: Mapping) -> ToneSpec:
    """A :class:`ToneSpec` from :func:`learn_tone`'s result (or the same keys from configuration)."""
    freqs = tuple(float(f) for f in learned["freqs"])
    cadence = list(learned.get("cadence") or [])
    level = float(learned.get("level_dbm0", -13.0))
    if not cadence:
        return ToneSpec((Segment(0, freqs),), level)
    segs = tuple(Segment(int(ms), freqs if i % 2 == 0 else ()) for i, ms in enumerate(cadence))
    return ToneSpec(segs, level)
