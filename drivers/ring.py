"""Ring detection on an FXO line: opto-coupler pulses → validated bursts → rings matched to a cadence.

What it is: :class:`RingDetector`, fed every edge of the ring input (``edge(t, state)``, the signature of a
GPIO edge callback). The opto pulls the input low on each conducting half-cycle of the ring voltage: twice per
ring cycle with a bridge (``opto: full``), once with a single LED (``opto: half``). The detector

1. ignores falling edges closer than the shortest valid spacing (contact chatter, opto bounce);
2. declares a burst after ``valid_events`` falling edges in a row spaced for 15-68 Hz ringing and at least
   ``min_burst_ms`` of it;
3. ends a burst after ``off_gap_ms`` without an edge;
4. groups bursts closer than ``cycle_gap_ms`` into one *ring* (the UK's double ring is one ring), reports
   ``ring`` at the first burst and ``ring_end`` when the group is over, with the cadence it matches
   (±20 % or ±100 ms per element, the country's cadence preferred when several fit);
5. reports ``ring_abandoned`` when no ring follows within the cadence's off time plus a margin, and at least
   ``ring_timeout_s`` (8 s, DAHDI's ``ringtimeout``).

Rejected: single transients and polarity reversals (one pulse), pulse dialling on a parallel phone (10 pps is
far too slow), edges with invalid spacing; continuous pulses longer than ``max_burst_ms`` (mains hum through the
opto) are reported as a ``fault`` and not counted.

What it is not: policy. How many rings before answering is the firmware's decision.

Events go to ``emit(kind, t, **data)``; kinds and data as in :mod:`drivers.port` (``ring``: ``cadence``,
``count``; ``ring_end``: ``count``, ``cadence``, ``on_ms``; ``ring_abandoned``; ``fault``: ``reason``;
``fault_cleared``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from drivers.clock import Clock, Timer

CADENCES: dict[str, tuple[int, ...]] = {
    "us": (2000, 4000), "uk": (400, 200, 400, 2000), "de": (1000, 4000), "se": (1000, 5000),
    "fr": (1500, 3500), "es": (1500, 3000), "be": (1000, 3000), "jp": (1000, 2000),
    "au_distinctive": (400, 400, 200, 200, 400, 1400),
    "distinctive1": (125, 125, 2000, 4000), "distinctive2": (250, 250, 500, 1000, 250, 250, 500, 4000),
    "distinctive3": (125, 125, 125, 125, 125, 4000), "distinctive4": (1000, 500, 2500, 5000),
}
"""Ring cadences, on/off pairs in ms for one cycle (Asterisk indications.conf and chan_dahdi defaults)."""

COUNTRY_CADENCE: dict[str, str] = {
    **dict.fromkeys(("US", "CA", "MX"), "us"),
    **dict.fromkeys(("GB", "UK", "AU", "NZ", "IN", "ZA", "IE"), "uk"),
    **dict.fromkeys(("DE", "DK", "NL", "NO", "CH", "IT", "PL", "RU", "CN", "BR"), "de"),
    **dict.fromkeys(("SE", "AT", "PT"), "se"),
    "FR": "fr", "ES": "es", "BE": "be", "IL": "be", "JP": "jp",
}

Emit = Callable[..., None]


TWENTY_HZ_COUNTRIES = frozenset({"US", "CA", "MX", "JP", "BR"})
"""Countries that ring at 20 Hz; the rest of the world rings at 25 Hz."""


def ring_frequency(country: str) -> float:
    """The ring frequency of ``country`` in Hz (20 or 25)."""
    return 20.0 if (country or "US").upper() in TWENTY_HZ_COUNTRIES else 25.0


def country_cadence(country: str) -> str:
    """The ring cadence name for an ISO country code (US when unknown)."""
    return COUNTRY_CADENCE.get((country or "US").upper(), "us")


@dataclass(frozen=True)
class RingTiming:
    """Ring detector knobs (``board.timing.ring``); defaults from dsp_standards §5."""

    min_hz: float = 15.0
    max_hz: float = 68.0
    debounce_ms: float = 2.0
    valid_events: int = 4
    min_burst_ms: float = 100.0
    off_gap_ms: float = 0.0          # 0: twice the longest valid spacing, at least 70 ms
    cycle_gap_ms: float = 1100.0
    max_burst_ms: float = 3000.0
    ring_timeout_s: float = 8.0
    abandon_margin_s: float = 2.0
    tolerance: float = 0.20
    tolerance_ms: float = 100.0


def _fits(measured: list[float], template: tuple[int, ...] | list[int], tol: float, tol_ms: float) -> bool:
    if len(measured) != len(template):
        return False
    return all(abs(m - t) <= max(t * tol, tol_ms) for m, t in zip(measured, template))


class RingDetector:
    """Turns opto edges into ring, ring_end, ring_abandoned (and hum faults)."""

    def __init__(self, clock: Clock, emit: Emit, timing: RingTiming | None = None, country: str = "US",
                 opto: str = "full") -> None:
        if opto not in ("full", "half"):
            raise ValueError(f"ring opto must be 'full' or 'half', got {opto!r}")
        self.clock = clock
        self.emit = emit
        self.timing = t = timing or RingTiming()
        per_cycle = 2 if opto == "full" else 1
        self.min_spacing = max(1.0 / (per_cycle * t.max_hz), t.debounce_ms / 1000)
        self.max_spacing = 1.0 / (per_cycle * t.min_hz)
        self.off_gap = t.off_gap_ms / 1000 or max(0.070, 2 * self.max_spacing)
        self.expected = country_cadence(country)
        self.count = 0
        self.cadence: str | None = None
        self.fault = False
        self._last_fall: float | None = None
        self._run = 0                   # consecutive well-spaced pulses
        self._run_start = 0.0
        self._burst_start: float | None = None   # a validated burst in progress
        self._bursts: list[tuple[float, float]] = []   # the current ring's bursts
        self._last_group: list[tuple[float, float]] = []
        self._timer: Timer | None = None
        self._group_timer: Timer | None = None
        self._abandon_timer: Timer | None = None

    @property
    def ringing(self) -> bool:
        """True while a validated burst is in progress."""
        return self._burst_start is not None

    # -- input --------------------------------------------------------------------------------------
    def edge(self, t: float, state: bool) -> None:
        """A level change on the ring input (only falling edges, the start of conduction, count)."""
        if state:
            return
        last = self._last_fall
        if last is not None and t - last < self.min_spacing:
            return  # chatter or bounce: not a new half-cycle
        self._last_fall = t
        if last is None or t - last > self.max_spacing:
            self._run, self._run_start = 1, t
        else:
            self._run += 1
        if self._burst_start is not None:
            self._check_hum(t)
        elif self._run >= self.timing.valid_events and t - self._run_start >= self.timing.min_burst_ms / 1000:
            self._start_burst(self._run_start)
        if self._run >= 2 and self._timer is None:
            self._timer = self.clock.call_at(t + self.off_gap, self._check_gap)

    def _check_gap(self) -> None:
        self._timer = None
        last = self._last_fall
        if last is None:
            return
        quiet_at = last + self.off_gap
        if self.clock.now() < quiet_at - 1e-9:
            self._timer = self.clock.call_at(quiet_at, self._check_gap)
            return
        self._run = 0
        if self._burst_start is not None:
            self._end_burst(last + min(self.max_spacing, self.off_gap / 2))

    # -- bursts and rings ---------------------------------------------------------------------------
    def _start_burst(self, start: float) -> None:
        if self.fault:
            return
        self._burst_start = start
        if self._group_timer is not None:   # another burst of the same ring (double ring)
            self._group_timer.cancel()
            self._group_timer = None
            return
        self._cancel_abandon()
        cadence = self._match_cycle(start)
        self.count += 1
        if cadence:
            self.cadence = cadence
        self._bursts = []
        self.emit("ring", start, cadence=cadence, count=self.count)

    def _end_burst(self, end: float) -> None:
        start = self._burst_start
        self._burst_start = None
        if self.fault:
            self.fault = False
            self.emit("fault_cleared", end)
            self.count = 0
            return
        assert start is not None
        self._bursts.append((start, end))
        self._group_timer = self.clock.call_at(end + self.timing.cycle_gap_ms / 1000, self._close_ring)

    def _close_ring(self) -> None:
        self._group_timer = None
        bursts = self._bursts
        end = bursts[-1][1]
        gap = self.timing.cycle_gap_ms / 1000
        if self._run and self._run_start < end + gap and self._last_fall is not None:
            # a burst began inside the gap and is still being validated: decide once it has or has not
            self._group_timer = self.clock.call_at(self._last_fall + self.off_gap + 0.001, self._close_ring)
            return
        pattern = _pattern(bursts)
        cadence = self._match(pattern, partial=True)
        self.cadence = self.cadence or cadence
        self._last_group = bursts
        self.emit("ring_end", end, count=self.count, cadence=cadence,
                  on_ms=[round(v * 1000) for v in pattern])
        name = cadence or self.cadence
        off = CADENCES[name][-1] / 1000 if name else 0.0
        wait = max(self.timing.ring_timeout_s, off + self.timing.abandon_margin_s)
        self._abandon_timer = self.clock.call_at(end + wait, self._abandon, end + wait)

    def _abandon(self, t: float) -> None:
        self._abandon_timer = None
        self.emit("ring_abandoned", t)
        self.reset()

    def _check_hum(self, t: float) -> None:
        assert self._burst_start is not None
        if not self.fault and t - self._burst_start > self.timing.max_burst_ms / 1000:
            self.fault = True
            self.emit("ring_end", t, count=self.count, cadence=None, on_ms=[])
            self.emit("fault", t, reason="the ring input shows continuous pulses with no ring cadence "
                                         "(mains hum or a wiring fault on the line's ring detector)")
            self._bursts = []

    # -- cadence matching ---------------------------------------------------------------------------
    def _match(self, pattern: list[float], partial: bool) -> str | None:
        ms = [v * 1000 for v in pattern]
        fits = [name for name, cad in CADENCES.items()
                if _fits(ms, cad[:-1] if partial else cad, self.timing.tolerance, self.timing.tolerance_ms)]
        if not fits:
            return None
        return self.expected if self.expected in fits else fits[0]

    def _match_cycle(self, next_start: float) -> str | None:
        if not self._last_group:
            return None
        full = _pattern(self._last_group) + [next_start - self._last_group[-1][1]]
        return self._match(full, partial=False)

    # -- lifecycle ----------------------------------------------------------------------------------
    def _cancel_abandon(self) -> None:
        if self._abandon_timer is not None:
            self._abandon_timer.cancel()
            self._abandon_timer = None

    def reset(self) -> None:
        """Forget the current call's rings (the line was answered, or the caller gave up)."""
        self._cancel_abandon()
        if self._group_timer is not None:
            self._group_timer.cancel()
            self._group_timer = None
        self.count = 0
        self.cadence = None
        self._bursts = []
        self._last_group = []

    def close(self) -> None:
        """Cancel every timer."""
        self.reset()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def snapshot(self) -> dict[str, Any]:
        return {"ringing": self.ringing, "count": self.count, "cadence": self.cadence, "fault": self.fault}


def _pattern(bursts: list[tuple[float, float]]) -> list[float]:
    """[on, off, on, ...] durations in seconds of a group of bursts."""
    out: list[float] = []
    for i, (start, end) in enumerate(bursts):
        if i:
            out.append(start - bursts[i - 1][1])
        out.append(end - start)
    return out
