"""Tone generation: DTMF, call-progress tones of each country, beeps, as 8 kHz int16 numpy audio.

What it is: generators used by the simulated exchange, the FXS ports (dial tone, ringback, busy ...) and the
test battery. :data:`COUNTRY_TONES` is the per-country table (frequencies, cadence, level) that the
call-progress detector (:mod:`drivers.dsp.progress`) matches against, so generator and detector agree.

What it is not: a mixer or a player; it makes samples, the audio path decides where they go.

Levels are in dBm0 **per frequency** (see :mod:`drivers.dsp.levels`: full-scale sine = +3.14 dBm0).
A :class:`ToneSpec` is a list of :class:`Segment` (duration in ms, frequencies, level offset); ``ms == 0``
holds the segment forever; ``repeat`` loops the list, otherwise silence follows it. ``modulation_hz``
amplitude-modulates every segment, 40 % depth, mean power at the nominal level (Japan's 400 Hz x 16 Hz).
Sources: ITU-T E.180 supplement as carried in Asterisk's indications table, the US Precise Tone Plan
levels, BT SIN 350 for the UK. Countries: US CA UK/GB DE FR AU JP NZ NL DK SE NO CH BE PT ES IT AT IE IN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from drivers.dsp.levels import RATE, amplitude, to_int16

DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLS = (1209.0, 1336.0, 1477.0, 1633.0)
DTMF_KEYS = ("123A", "456B", "789C", "*0#D")
"""Keypad layout: DTMF_KEYS[row][col]."""
DTMF_FREQS: dict[str, tuple[float, float]] = {
    key: (DTMF_ROWS[r], DTMF_COLS[c]) for r, keys in enumerate(DTMF_KEYS) for c, key in enumerate(keys)
}
"""Digit -> (low/row frequency, high/column frequency) in Hz."""

__all__ = [
    "DTMF_ROWS", "DTMF_COLS", "DTMF_KEYS", "DTMF_FREQS", "Segment", "ToneSpec", "COUNTRY_TONES",
    "TONE_NAMES", "tone_spec", "dtmf", "tone", "beep", "progress_tone", "ToneGenerator",
]


@dataclass(frozen=True)
class Segment:
    """One piece of a cadence: ``ms`` long (0 = forever), ``freqs`` (empty = silence), ``gain_db`` extra."""

    ms: int
    freqs: tuple[float, ...] = ()
    gain_db: float = 0.0


@dataclass(frozen=True)
class ToneSpec:
    """A call-progress tone: segments, whether they repeat, the level per frequency, optional AM."""

    segments: tuple[Segment, ...]
    level_dbm0: float = -13.0
    repeat: bool = True
    modulation_hz: float | None = None

    @property
    def freqs(self) -> tuple[float, ...]:
        """Every frequency the tone uses, sorted."""
        return tuple(sorted({f for s in self.segments for f in s.freqs}))

    @property
    def continuous(self) -> bool:
        """True for a steady tone (one endless sounding segment)."""
        return len(self.segments) == 1 and self.segments[0].freqs != () and (
            self.segments[0].ms == 0 or self.repeat)

    def on_off(self) -> tuple[int, ...]:
        """The cadence as alternating on/off milliseconds starting with 'on' (adjacent on or off merged)."""
        out: list[int] = []
        on_state = True
        for seg in self.segments:
            sounding = bool(seg.freqs)
            if not out and not sounding:
                out.append(0)
                on_state = False
            if out and sounding == on_state:
                out[-1] += seg.ms
            else:
                out.append(seg.ms)
                on_state = sounding
            on_state = sounding
        return tuple(out)


def _on(ms: int, *freqs: float, gain_db: float = 0.0) -> Segment:
    return Segment(ms, tuple(float(f) for f in freqs), gain_db)


def _off(ms: int) -> Segment:
    return Segment(ms)


def _steady(*freqs: float, level: float = -13.0, am: float | None = None) -> ToneSpec:
    return ToneSpec((_on(0, *freqs),), level, True, am)


def _cadence(freqs: Sequence[float], *on_off: int, level: float = -13.0, repeat: bool = True,
             am: float | None = None) -> ToneSpec:
    segs = tuple(_on(ms, *freqs) if i % 2 == 0 else _off(ms) for i, ms in enumerate(on_off))
    return ToneSpec(segs, level, repeat, am)


def _stutter(freqs: Sequence[float], on: int, off: int, count: int, level: float = -13.0) -> ToneSpec:
    segs: list[Segment] = []
    for _ in range(count):
        segs += [_on(on, *freqs), _off(off)]
    segs.append(_on(0, *freqs))
    return ToneSpec(tuple(segs), level, False)


_US = {
    "dial": _steady(350, 440, level=-13.0),
    "ringback": _cadence((440, 480), 2000, 4000, level=-19.0),
    "busy": _cadence((480, 620), 500, 500, level=-24.0),
    "reorder": _cadence((480, 620), 250, 250, level=-24.0),
    "stutter_dial": _stutter((350, 440), 100, 100, 10, level=-13.0),
    "call_waiting": _cadence((440,), 300, 9700, level=-13.0),
    "beep": _cadence((1400,), 500, 15000, level=-13.0),
}
_UK = {
    "dial": _steady(350, 440, level=-13.0),
    "ringback": ToneSpec((_on(400, 400, 450), _off(200), _on(400, 400, 450), _off(2000)), -13.0),
    "busy": _cadence((400,), 375, 375, level=-13.0),
    "reorder": ToneSpec((_on(400, 400), _off(350), _on(225, 400, gain_db=6.0), _off(525)), -16.0),
    "stutter_dial": ToneSpec((_on(750, 350, 440), _on(750, 440)), -13.0),
    "call_waiting": _cadence((400,), 100, 4000, level=-13.0),
    "beep": _cadence((1400,), 500, 15000, level=-13.0),
}
_DE = {
    "dial": _steady(425, level=-10.0),
    "ringback": _cadence((425,), 1000, 4000, level=-10.0),
    "busy": _cadence((425,), 480, 480, level=-10.0),
    "reorder": _cadence((425,), 240, 240, level=-10.0),
    "stutter_dial": _stutter((425,), 100, 100, 3, level=-10.0),
    "call_waiting": ToneSpec((_on(200, 425), _off(200), _on(200, 425), _off(5000)), -10.0),
    "beep": _cadence((1000,), 250, 15000, level=-13.0),
}
_FR = {
    "dial": _steady(440, level=-10.0),
    "ringback": _cadence((440,), 1500, 3500, level=-10.0),
    "busy": _cadence((440,), 500, 500, level=-10.0),
    "reorder": _cadence((440,), 250, 250, level=-10.0),
    "stutter_dial": _stutter((350, 440), 100, 100, 3, level=-13.0),
    "call_waiting": _cadence((440,), 300, 10000, level=-10.0),
    "beep": _cadence((1000,), 250, 15000, level=-13.0),
}
_AU = {
    "dial": _steady(413, 438, level=-13.0),
    "ringback": ToneSpec((_on(400, 413, 438), _off(200), _on(400, 413, 438), _off(2000)), -13.0),
    "busy": _cadence((425,), 375, 375, level=-13.0),
    "reorder": ToneSpec((_on(375, 425), _off(375), _on(375, 425, gain_db=-10.0), _off(375)), -13.0),
    "stutter_dial": _stutter((413, 438), 100, 40, 3, level=-13.0),
    "call_waiting": ToneSpec((_on(200, 425), _off(200), _on(200, 425), _off(4400)), -13.0),
    "beep": _cadence((1400,), 500, 15000, level=-13.0),
}
_JP = {
    "dial": _steady(400, level=-13.0),
    "ringback": _cadence((400,), 1000, 2000, level=-13.0, am=16.0),
    "busy": _cadence((400,), 500, 500, level=-13.0),
    "reorder": _cadence((400,), 250, 250, level=-13.0),
    "stutter_dial": _stutter((400,), 200, 200, 3, level=-13.0),
    "call_waiting": _cadence((400,), 500, 8000, level=-13.0, am=16.0),
    "beep": _cadence((1000,), 250, 15000, level=-13.0),
}
_NZ = {
    "dial": _steady(400, level=-13.0),
    "ringback": ToneSpec((_on(400, 400, 450), _off(200), _on(400, 400, 450), _off(2000)), -13.0),
    "busy": _cadence((400,), 500, 500, level=-13.0),
    "reorder": _cadence((400,), 250, 250, level=-13.0),
    "stutter_dial": _stutter((400,), 100, 100, 3, level=-13.0),
    "call_waiting": _cadence((400,), 250, 250, 250, 3250, level=-13.0),
    "beep": _cadence((1400,), 500, 15000, level=-13.0),
}


def _euro425(busy: tuple[int, ...], reorder: tuple[int, ...], ring: tuple[int, ...], f: float = 425.0,
             dial: ToneSpec | None = None) -> dict[str, ToneSpec]:
    return {
        "dial": dial or _steady(f, level=-10.0),
        "ringback": _cadence((f,), *ring, level=-10.0),
        "busy": _cadence((f,), *busy, level=-10.0),
        "reorder": _cadence((f,), *reorder, level=-10.0),
        "stutter_dial": _stutter((f,), 100, 100, 3, level=-10.0),
        "call_waiting": ToneSpec((_on(200, f), _off(600), _on(200, f), _off(3000)), -10.0),
        "beep": _cadence((1000,), 250, 15000, level=-13.0),
    }


_IN = {
    "dial": _steady(400, level=-13.0, am=25.0),
    "ringback": ToneSpec((_on(400, 400), _off(200), _on(400, 400), _off(2000)), -13.0, True, 25.0),
    "busy": _cadence((400,), 750, 750, level=-13.0),
    "reorder": _cadence((400,), 250, 250, level=-13.0),
    "stutter_dial": _stutter((400,), 100, 100, 3, level=-13.0),
    "call_waiting": ToneSpec((_on(200, 400), _off(100), _on(200, 400), _off(7500)), -13.0),
    "beep": _cadence((1000,), 250, 15000, level=-13.0),
}
_IE = dict(_euro425((500, 500), (250, 250), (400, 200, 400, 2000)),
           ringback=ToneSpec((_on(400, 400, 450), _off(200), _on(400, 400, 450), _off(2000)), -13.0))


COUNTRY_TONES: Mapping[str, Mapping[str, ToneSpec]] = {
    "US": _US, "CA": _US, "UK": _UK, "GB": _UK, "DE": _DE, "FR": _FR, "AU": _AU, "JP": _JP, "NZ": _NZ,
    "NL": _euro425((500, 500), (250, 250), (1000, 4000)),
    "DK": _euro425((500, 500), (200, 200), (1000, 4000)),
    "SE": _euro425((250, 250), (250, 750), (1000, 5000)),
    "NO": _euro425((500, 500), (200, 200), (1000, 4000)),
    "CH": _euro425((500, 500), (200, 200), (1000, 4000)),
    "BE": _euro425((500, 500), (167, 167), (1000, 3000)),
    "PT": _euro425((500, 500), (200, 200), (1000, 5000)),
    "ES": _euro425((200, 200), (200, 200, 200, 200, 200, 600), (1500, 3000)),
    "IT": _euro425((500, 500), (200, 200), (1000, 4000),
                   dial=ToneSpec((_on(200, 425), _off(200), _on(600, 425), _off(1000)), -10.0)),
    "AT": _euro425((400, 400), (200, 200), (1000, 5000), f=420.0),
    "IE": _IE,
    "IN": _IN,
}
"""Country code (ISO 3166 alpha-2; UK and GB both) -> tone name -> spec."""
TONE_NAMES = ("dial", "ringback", "busy", "reorder", "stutter_dial", "call_waiting", "beep")


def tone_spec(country: str, name: str) -> ToneSpec:
    """The spec of tone ``name`` in ``country``; ValueError naming what exists when unknown."""
    table = COUNTRY_TONES.get(country.upper())
    if table is None:
        raise ValueError(f"unknown country {country!r}; known: {', '.join(sorted(COUNTRY_TONES))}")
    spec = table.get(name)
    if spec is None:
        raise ValueError(f"unknown tone {name!r} for {country}; known: {', '.join(table)}")
    return spec


# ------------------------------------------------------------------------------------------ generators
def _sines(freqs: Sequence[float], n: int, start: int, level_dbm0: float, rate: int) -> np.ndarray:
    t = (np.arange(n, dtype=np.float64) + start) / rate
    out = np.zeros(n)
    amp = amplitude(level_dbm0)
    for f in freqs:
        out += amp * np.sin(2.0 * np.pi * f * t)
    return out


def tone(freqs: Sequence[float], seconds: float, level_dbm0: float = -13.0, rate: int = RATE) -> np.ndarray:
    """A steady tone: the sum of ``freqs`` (each at ``level_dbm0``) for ``seconds``, int16."""
    n = int(round(seconds * rate))
    if n < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")
    return to_int16(_sines(freqs, n, 0, level_dbm0, rate))


def beep(freq: float = 1000.0, ms: float = 250, level_dbm0: float = -13.0, rate: int = RATE) -> np.ndarray:
    """One beep (a single sine, 2 ms raised-cosine ramps so it does not click), int16."""
    x = _sines((freq,), int(round(ms * rate / 1000)), 0, level_dbm0, rate)
    ramp = min(int(0.002 * rate), x.size // 2)
    if ramp:
        r = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        x[:ramp] *= r
        x[-ramp:] *= r[::-1]
    return to_int16(x)


def dtmf(digits: str, on_ms: float = 100, off_ms: float = 100, level_dbm0: float = -10.0,
         twist_db: float = 0.0, rate: int = RATE) -> np.ndarray:
    """DTMF audio for ``digits`` (0-9 * # A-D; ',' adds a 500 ms pause), int16.

    ``level_dbm0`` is the low (row) tone's level; the high tone is ``twist_db`` above it (negative: weaker).
    Each digit is ``on_ms`` of tone then ``off_ms`` of silence.
    """
    on_n, off_n = int(round(on_ms * rate / 1000)), int(round(off_ms * rate / 1000))
    parts: list[np.ndarray] = []
    for d in digits.upper():
        if d == ",":
            parts.append(np.zeros(int(0.5 * rate)))
            continue
        if d not in DTMF_FREQS:
            raise ValueError(f"not a DTMF digit: {d!r} in {digits!r}")
        low, high = DTMF_FREQS[d]
        x = _sines((low,), on_n, 0, level_dbm0, rate) + _sines((high,), on_n, 0, level_dbm0 + twist_db, rate)
        parts += [x, np.zeros(off_n)]
    return to_int16(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int16)


_AM_GAIN = 1.0 / np.sqrt(0.6 ** 2 + 0.4 ** 2 / 2)
"""Amplitude modulation keeps the tone's mean power at its nominal level."""


class ToneGenerator:
    """Streaming, phase-continuous generator of a country's call-progress tone.

    ``ToneGenerator("US", "busy").read(160)`` gives the next 20 ms; the cadence and the oscillators
    continue across calls, so frames join without clicks. ``finished`` is True once a non-repeating
    tone (stutter dial ends steady, so it never finishes; a beep does) has played out.
    """

    def __init__(self, country: str | ToneSpec, name: str | None = None, rate: int = RATE,
                 level_dbm0: float | None = None) -> None:
        self.spec = country if isinstance(country, ToneSpec) else tone_spec(country, name or "")
        self.rate = rate
        self.level_dbm0 = self.spec.level_dbm0 if level_dbm0 is None else level_dbm0
        self._seg = 0
        self._seg_pos = 0
        self._n = 0
        self.finished = False

    def _segment_samples(self, seg: Segment) -> int | None:
        return None if seg.ms == 0 else int(round(seg.ms * self.rate / 1000))

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples (int16); silence after a non-repeating tone has finished."""
        out = np.zeros(n)
        pos = 0
        while pos < n and not self.finished:
            seg = self.spec.segments[self._seg]
            length = self._segment_samples(seg)
            take = n - pos if length is None else min(n - pos, length - self._seg_pos)
            if seg.freqs:
                out[pos:pos + take] = _sines(seg.freqs, take, self._n + pos, self.level_dbm0 + seg.gain_db,
                                             self.rate)
            pos += take
            self._seg_pos += take
            if length is not None and self._seg_pos >= length:
                self._advance()
        if self.spec.modulation_hz:
            t = (np.arange(n) + self._n) / self.rate
            out *= _AM_GAIN * (0.6 + 0.4 * np.sin(2.0 * np.pi * self.spec.modulation_hz * t))
        self._n += n
        return to_int16(out)

    def _advance(self) -> None:
        self._seg_pos = 0
        self._seg += 1
        if self._seg >= len(self.spec.segments):
            if self.spec.repeat:
                self._seg = 0
            else:
                self._seg = len(self.spec.segments) - 1
                self.finished = True


def progress_tone(country: str, name: str, seconds: float, rate: int = RATE) -> np.ndarray:
    """``seconds`` of a country's call-progress tone (dial, ringback, busy, reorder, stutter_dial,
    call_waiting, beep) from the start of its cadence, int16."""
    return ToneGenerator(country, name, rate).read(int(round(seconds * rate)))
