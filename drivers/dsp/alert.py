"""Dual-tone alerting signal detector: ETSI DT-AS and Bellcore CAS (2130 + 2750 Hz).

What it is: :class:`AlertToneDetector` — streaming; reports ``AlertEvent("start", t)`` once both tones
have been present for ``min_ms`` (SIN 227: accept after >= 20 ms of both tones; the tone lasts 88-110 ms,
CAS 80 ms) and ``AlertEvent("end", t)`` when they stop. Frequencies must be within 1.1 % (measured from
the phase advance between 5 ms blocks), both tones within 6 dB of each other and carrying most of the
energy, each above -40 dBm0. A DTMF digit, speech or a single tone does not trigger it.

What it is not: the response to the alert (loading the line, sending the ACK digit) — that is the FXO
driver's; nor a generator (:func:`drivers.dsp.callerid.dual_tone_alert`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from drivers.dsp.levels import RATE, amplitude

__all__ = ["AlertEvent", "AlertToneDetector", "ALERT_FREQS"]

ALERT_FREQS = (2130.0, 2750.0)
_BLOCK = 40                                   # 5 ms


@dataclass(frozen=True)
class AlertEvent:
    """The dual-tone alert began (``start``, t = its onset) or stopped (``end``), seconds from the first sample."""

    kind: Literal["start", "end"]
    t: float


class AlertToneDetector:
    """``feed(samples) -> [AlertEvent]``; ``min_ms`` of both tones in full analysis segments before ``start``
    (15 ms, so that every 20 ms alert is caught)."""

    def __init__(self, min_ms: float = 15.0, min_level_dbm0: float = -40.0, tolerance: float = 0.011) -> None:
        self.min_blocks = max(2, int(np.ceil(min_ms * RATE / 1000 / _BLOCK)))
        n = np.arange(2 * _BLOCK)
        win = 0.5 - 0.5 * np.cos(2 * np.pi * n / (2 * _BLOCK))
        f = np.array(ALERT_FREQS)
        self._basis = win[:, None] * np.exp(-2j * np.pi * np.outer(n, f) / RATE)
        self._win = win
        self._rot = np.exp(-2j * np.pi * f * _BLOCK / RATE)
        self._tol_hz = tolerance * f + 2.0
        self._min_mag = amplitude(min_level_dbm0) * win.sum() / 2
        self.reset()

    def reset(self) -> None:
        """Forget all audio; time restarts at 0."""
        self._prev = np.zeros(_BLOCK)
        self._pending = np.zeros(0)
        self._block = 0
        self._last = np.zeros(2, dtype=complex)
        self._run = 0
        self._active = False

    def feed(self, samples: np.ndarray) -> list[AlertEvent]:
        """Analyse ``samples`` (int16, any length); return the events they complete."""
        x = np.asarray(samples, dtype=np.float64).ravel()
        if self._pending.size:
            x = np.concatenate((self._pending, x))
        nb = x.size // _BLOCK
        self._pending = x[nb * _BLOCK:]
        events: list[AlertEvent] = []
        if nb == 0:
            return events
        data = np.concatenate((self._prev, x[:nb * _BLOCK]))
        self._prev = data[-_BLOCK:]
        blocks = data.reshape(nb + 1, _BLOCK)
        segs = np.concatenate((blocks[:-1], blocks[1:]), axis=1)          # 10 ms Hann segments, 5 ms apart
        q = segs @ self._basis * self._rot[None, :] ** (self._block + np.arange(nb))[:, None]
        energy = (segs * segs) @ self._win
        for i in range(nb):
            present = self._present(q[i], float(energy[i]))
            self._last = q[i]
            self._step(present, events)
            self._block += 1
        return events

    def _present(self, q: np.ndarray, energy: float) -> bool:
        mags = np.abs(q)
        if mags.min() < self._min_mag or mags.min() < 0.5 * mags.max():
            return False
        tonal = float((mags * mags).sum()) / (self._win.sum() / 2)
        if tonal < 0.7 * energy:
            return False
        if not self._last.any():
            return False
        offset = np.angle(q * np.conj(self._last)) * RATE / (2 * np.pi * _BLOCK)
        return bool(np.all(np.abs(offset) <= self._tol_hz))

    def _step(self, present: bool, events: list[AlertEvent]) -> None:
        if present:
            self._run += 1
            if not self._active and self._run >= self.min_blocks:
                self._active = True
                onset = (self._block - self._run + 1) * _BLOCK / RATE
                events.append(AlertEvent("start", round(max(0.0, onset), 4)))
        else:
            if self._active and self._run == 0:
                self._active = False
                events.append(AlertEvent("end", round(self._block * _BLOCK / RATE, 4)))
            self._run = 0
