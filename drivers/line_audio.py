"""Audio the line ports make and listen to themselves: caller ID out, digits out, DTMF and tones in.

What it is: the pieces :mod:`drivers.fxs`, :mod:`drivers.fxo` and the simulated exchange share —

* :class:`Outbox` — samples a port sends on its own (caller ID, VMWI, dialled DTMF), one frame per media tick;
* :class:`DtmfListener` and :class:`ToneListener` — the DSP detectors (drivers.dsp) run on captured frames,
  several frames at a time (cheaper per frame; timestamps stay sample-exact, only the report waits), with
  results in clock time;
* :func:`cid_mode` and :func:`caller_id_audio` — how caller ID is sent in each country (Bell 202 or V.23 FSK
  after the first ring; V.23 with a line reversal and DT-AS, or DTMF, before it) and its audio;
  :func:`vmwi_audio`, :func:`dtmf_audio`.

Caller-ID mappings hold ``number``, ``name``, ``datetime`` ("MMDDhhmm"), ``number_absent``, ``name_absent``.

What it is not: the detectors or generators themselves (drivers.dsp), nor a port.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Mapping

import numpy as np

from drivers.clock import Clock
from drivers.port import FRAME_SAMPLES, FRAME_SECONDS, RATE

CID_BEFORE_V23 = frozenset({"GB", "IE"})
CID_BEFORE_DTMF = frozenset({"DK", "SE", "NL", "FI", "BE", "IS", "IN", "BR"})
CID_AFTER_V23 = frozenset({"DE", "AT", "CH", "FR", "IT", "ES", "PT", "NO", "PL", "CZ", "GR", "TR", "IL", "ZA",
                           "AU", "NZ", "HK", "SG", "CN", "LU", "AR"})


def cid_mode(country: str) -> tuple[str, str]:
    """(standard, when) of the caller ID used in ``country``: bell202/v23/dtmf, after/before the first ring."""
    country = country.upper()
    if country in CID_BEFORE_V23:
        return "v23", "before"
    if country in CID_BEFORE_DTMF:
        return "dtmf", "before"
    return ("v23" if country in CID_AFTER_V23 else "bell202"), "after"


def caller_id_audio(cid: Mapping[str, Any], standard: str, stamp: str, alert: bool = False) -> np.ndarray:
    """The audio of one caller-ID message; ``stamp`` ("MMDDhhmm") when ``cid`` has no date; ``alert``
    puts the ETSI DT-AS (2130 + 2750 Hz) and 50 ms of quiet in front of FSK."""
    from drivers.dsp.callerid import CallerId, dual_tone_alert, encode_dtmf_cid, encode_fsk

    if standard == "dtmf":
        number = cid.get("number")
        digits = str(number) if number and str(number).isdigit() else None
        return encode_dtmf_cid(digits, absent=None if digits else (cid.get("number_absent") or "O"))
    fields = {k: cid.get(k) for k in ("number", "name", "number_absent", "name_absent")}
    audio = encode_fsk(CallerId(**fields, datetime=cid.get("datetime") or stamp), standard=standard)
    if alert:
        audio = np.concatenate((dual_tone_alert(), np.zeros(400, dtype=np.int16), audio))
    return audio


def vmwi_audio(active: bool, standard: str) -> np.ndarray:
    """A message-waiting message as FSK (DTMF countries use Bell 202 for it)."""
    from drivers.dsp.callerid import encode_vmwi

    return encode_vmwi(bool(active), standard="bell202" if standard == "dtmf" else standard)


def dtmf_audio(digits: str, on_ms: float, off_ms: float, level_dbm0: float, twist_db: float = 0.0) -> np.ndarray:
    """Digits to send on a line (',' is a 500 ms pause); ``twist_db`` lifts the high tone."""
    from drivers.dsp.tones import dtmf

    return dtmf(digits, on_ms=on_ms, off_ms=off_ms, level_dbm0=level_dbm0, twist_db=twist_db)


class Outbox:
    """Samples a port must send itself (caller ID, VMWI, DTMF), played out one frame per tick."""

    def __init__(self) -> None:
        self._chunks: deque[np.ndarray] = deque()
        self._pos = 0

    def push(self, samples: np.ndarray) -> None:
        if len(samples):
            self._chunks.append(np.asarray(samples, dtype=np.int16))

    def __bool__(self) -> bool:
        return bool(self._chunks)

    def clear(self) -> None:
        self._chunks.clear()
        self._pos = 0

    def frame(self) -> np.ndarray:
        """The next 160 samples (zero-padded at the very end)."""
        out = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        filled = 0
        while filled < FRAME_SAMPLES and self._chunks:
            chunk = self._chunks[0]
            take = min(FRAME_SAMPLES - filled, len(chunk) - self._pos)
            out[filled:filled + take] = chunk[self._pos:self._pos + take]
            filled += take
            self._pos += take
            if self._pos >= len(chunk):
                self._chunks.popleft()
                self._pos = 0
        return out


class _Batcher:
    """Frames gathered ``batch`` at a time, on a time base that restarts when the frames stop coming."""

    def __init__(self, clock: Clock, batch: int) -> None:
        self.clock = clock
        self.batch = max(1, batch)
        self.t0: float | None = None
        self._fed = 0
        self._pending: list[np.ndarray] = []

    def add(self, frame: np.ndarray) -> tuple[np.ndarray | None, bool]:
        """(a block when ``batch`` frames are in, True when the time base restarted with this frame)."""
        now = self.clock.now()
        restarted = False
        if self.t0 is None or abs(now - (self.t0 + self._fed / RATE + FRAME_SECONDS)) > 1.5 * FRAME_SECONDS:
            self.t0, self._fed, self._pending, restarted = now - FRAME_SECONDS, 0, [], True
        self._fed += len(frame)
        self._pending.append(frame)
        if len(self._pending) < self.batch:
            return None, restarted
        block = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending = []
        return block, restarted

    def reset(self) -> None:
        self.t0 = None
        self._pending = []


class DtmfListener:
    """Runs the software DTMF detector on captured frames; ``on_digit(digit, start, end)`` in clock time, and
    ``on_start(digit, start)`` as soon as a key is recognised (optional)."""

    def __init__(self, clock: Clock, on_digit: Callable[[str, float, float], None], batch: int = 5,
                 on_start: Callable[[str, float], None] | None = None) -> None:
        from drivers.dsp.dtmf import DtmfDetector

        self.on_digit = on_digit
        self.on_start = on_start
        self.detector = DtmfDetector()
        self._frames = _Batcher(clock, batch)
        self._starts: dict[str, float] = {}

    def feed(self, frame: np.ndarray) -> None:
        block, restarted = self._frames.add(frame)
        if restarted:
            self.detector.reset()
            self._starts = {}
        if block is None:
            return
        t0 = self._frames.t0 or 0.0
        for event in self.detector.feed(block):
            t = t0 + event.t
            if event.kind == "start":
                self._starts[event.digit] = t
                if self.on_start is not None:
                    self.on_start(event.digit, t)
            else:
                self.on_digit(event.digit, self._starts.pop(event.digit, t), t)

    def reset(self) -> None:
        self._frames.reset()


class ToneListener:
    """Runs the call-progress detector on captured frames; ``on_tone(name)`` when a tone is recognised."""

    def __init__(self, clock: Clock, country: str, on_tone: Callable[[str], None], batch: int = 10) -> None:
        from drivers.dsp.progress import ProgressDetector

        self.country = country
        self.on_tone = on_tone
        self.detector = ProgressDetector(country)
        self._frames = _Batcher(clock, batch)

    def feed(self, frame: np.ndarray) -> None:
        block, restarted = self._frames.add(frame)
        if restarted:
            self.detector.reset()
        if block is None:
            return
        for event in self.detector.feed(block):
            if event.kind == "start":
                self.on_tone(event.tone)

    def reset(self) -> None:
        self._frames.reset()
