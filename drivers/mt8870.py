"""The MT8870 DTMF decoder chip: StD strobe + Q1-Q4 → digits, and the rule that merges it with software DTMF.

What it is: :class:`Mt8870` (fed by the StD and Q1-Q4 lines, as :class:`~drivers.gpio.board.Signal`) and
:class:`DigitMerger`. On StD's rising edge the code on Q4..Q1 is latched (Q1 is the least significant bit:
1-9 → "1"-"9", 1010 → "0", 1011 → "*", 1100 → "#", 1101/1110/1111/0000 → "A"/"B"/"C"/"D"); when StD falls the
digit is reported with its start and end, provided StD was high at least ``min_std_ms`` (shorter is a glitch).
A held key gives one StD pulse, hence one digit. A chip that cannot be read (pulled board, dead I/O) is
reported once as a fault through ``emit("fault", t, reason=...)``.

:class:`DigitMerger` decides, on a port with both the chip and software detection, which digits pass:
``trust`` = ``software`` | ``mt8870`` | ``both``; with ``both`` a digit already reported by the other source
for an overlapping interval is dropped, so the two together never give a digit twice.

What it is not: the software detector (that is :mod:`drivers.dsp`).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

from drivers.clock import Clock
from drivers.errors import HardwareError
from drivers.gpio.board import Signal

CODES = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6", 7: "7", 8: "8", 9: "9", 10: "0", 11: "*", 12: "#",
         13: "A", 14: "B", 15: "C", 0: "D"}
"""Q4..Q1 code → key."""
DIGIT_CODES = {digit: code for code, digit in CODES.items()}
TRUST = ("software", "mt8870", "both")

Emit = Callable[..., None]


@dataclass(frozen=True)
class Mt8870Timing:
    """MT8870 knobs (``min_std_ms``: shorter StD pulses are glitches)."""

    min_std_ms: float = 20.0


class Mt8870:
    """Decodes digits from the chip's strobe and data lines."""

    def __init__(self, clock: Clock, std: Signal, q: Sequence[Signal], emit: Emit,
                 timing: Mt8870Timing | None = None) -> None:
        if len(q) != 4:
            raise ValueError("the MT8870 has four data lines, Q1-Q4")
        self.clock = clock
        self.std = std
        self.q = list(q)
        self.emit = emit
        self.timing = timing or Mt8870Timing()
        self.failed = False
        self._start: float | None = None
        self._digit: str | None = None
        self._stop = std.when_changed(self.strobe)

    def strobe(self, t: float, high: bool) -> None:
        """An edge on StD."""
        if high:
            self._start, self._digit = t, self._latch(t)
            return
        start, digit, self._start, self._digit = self._start, self._digit, None, None
        if start is None or digit is None:
            return
        if (t - start) * 1000 < self.timing.min_std_ms:
            return
        self.emit("digit", t, digit=digit, source="mt8870", start=start, end=t)

    def _latch(self, t: float) -> str | None:
        try:
            code = sum(1 << i for i, line in enumerate(self.q) if line.active)
        except HardwareError as exc:
            if not self.failed:
                self.failed = True
                self.emit("fault", t, reason=f"the MT8870 DTMF decoder cannot be read ({exc}); "
                                             "check the decoder board and its cable")
            return None
        if self.failed:
            self.failed = False
            self.emit("fault_cleared", t)
        return CODES[code]

    def close(self) -> None:
        self._stop()


class DigitMerger:
    """Lets each key press through once, from the trusted source(s)."""

    def __init__(self, trust: str = "software", overlap_s: float = 0.08) -> None:
        if trust not in TRUST:
            raise ValueError(f"DTMF trust must be one of {TRUST}, got {trust!r}")
        self.trust = trust
        self.overlap = overlap_s
        self._recent: deque[tuple[str, str, float, float]] = deque(maxlen=8)

    def accept(self, digit: str, source: str, start: float, end: float) -> bool:
        """True when this digit should be reported."""
        kind = {"dtmf": "software", "mt8870": "mt8870"}.get(source)
        if kind is None:
            return True  # pulse digits and others are never duplicated by a tone detector
        if self.trust != "both":
            return kind == self.trust
        for d, s, a, b in self._recent:
            if d == digit and s != source and start <= b + self.overlap and end >= a - self.overlap:
                return False
        self._recent.append((digit, source, start, end))
        return True
