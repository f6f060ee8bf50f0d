"""The MT8870 DTMF decoder chip in simulation: it listens to the audio on its port and drives StD and Q1-Q4.

What it is: :class:`SimMt8870`, the circuit twin of the chip on a board's sim pins. Fed the audio the phone sends
(``hear(frame)``, tapped from the port's audio path), it runs a DTMF detector and, like the chip, puts the key's
code on Q4..Q1 and raises StD ``acquire_ms`` after the tone starts (the chip's guard time), dropping StD when the
tone ends. The real :class:`~drivers.mt8870.Mt8870` driver reads those pins, so the simulation exercises it.

What it is not: a model of the chip's analogue front end (level range, twist tolerance): it hears what the
software detector hears.
"""
from __future__ import annotations

import numpy as np

from drivers.clock import Clock
from drivers.gpio.sim import SimPin
from drivers.line_audio import DtmfListener
from drivers.mt8870 import DIGIT_CODES
from drivers.port import SILENCE


class SimMt8870:
    """Drives ``std`` and ``q`` (Q1 first) from the DTMF in the audio it hears."""

    def __init__(self, clock: Clock, std: SimPin, q: list[SimPin], acquire_ms: float = 40.0) -> None:
        self.clock = clock
        self.std, self.q = std, q
        self.acquire = acquire_ms / 1000
        self.listener = DtmfListener(clock, self._ended, batch=1, on_start=self._started)
        self.decoded: list[str] = []

    def hear(self, frame: np.ndarray | None) -> None:
        """One 20 ms frame of the port's audio (None: quiet)."""
        self.listener.feed(SILENCE if frame is None else frame)

    def _started(self, digit: str, start: float) -> None:
        self.clock.call_at(max(self.clock.now(), start + self.acquire), self._latch, digit)

    def _ended(self, digit: str, start: float, end: float) -> None:
        drop = max(self.clock.now(), end, start + self.acquire + 0.005)   # never before the latch
        self.clock.call_at(drop, self.std.drive_low)

    def _latch(self, digit: str) -> None:
        code = DIGIT_CODES[digit]
        for i, pin in enumerate(self.q):
            pin.drive(bool(code >> i & 1))
        self.std.drive_high()
        self.decoded.append(digit)
