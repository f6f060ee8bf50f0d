"""The ring voltage as the opto-coupler sees it: pulse edges on a simulated ring input, in a cadence.

What it is: :class:`RingSignal`, which drives a :class:`~drivers.gpio.sim.SimPin` low for each conducting
half-cycle of a ring voltage of ``hz`` (twice per cycle through a bridge opto, once through a single LED), in
on/off cadence (ms list), timed from the clock at absolute times so it never drifts. Used by the simulated
exchange and by the ring-detector tests.

What it is not: an audio signal; it is the GPIO side of ringing only.
"""
from __future__ import annotations

from typing import Callable, Sequence

from drivers.clock import Clock, Timer
from drivers.gpio.sim import SimPin


class RingSignal:
    """Rings ``pin`` in ``cadence`` until :meth:`stop`; ``on_burst(index, start)`` runs at each burst start."""

    def __init__(self, clock: Clock, pin: SimPin, cadence_ms: Sequence[int], hz: float = 20.0,
                 opto: str = "full", duty: float = 0.5, on_burst_end: Callable[[int], None] | None = None) -> None:
        self.clock = clock
        self.pin = pin
        self.cadence = [v / 1000 for v in cadence_ms]
        self.period = 1.0 / (hz * (2 if opto == "full" else 1))
        self.width = self.period * duty
        self.on_burst_end = on_burst_end
        self.bursts = 0
        self.running = False
        self._timers: list[Timer] = []

    def start(self, at: float | None = None, cycles: int | None = None) -> None:
        """Start ringing at clock time ``at`` (now by default) for ``cycles`` cadence cycles (None: forever)."""
        self.running = True
        self._cycles_left = cycles
        self._schedule_cycle(self.clock.now() if at is None else at)

    def _schedule_cycle(self, t0: float) -> None:
        self._timers = [timer for timer in self._timers if not getattr(timer, "cancelled", lambda: False)()]
        t = t0
        for i, length in enumerate(self.cadence):
            if i % 2 == 0:
                self._schedule_burst(t, length)
            t += length
        if self._cycles_left is not None:
            self._cycles_left -= 1
            if self._cycles_left <= 0:
                self._timers.append(self.clock.call_at(t, self._finish))
                return
        self._timers.append(self.clock.call_at(t, self._next_cycle, t))

    def _next_cycle(self, t: float) -> None:
        if self.running:
            self._timers = []
            self._schedule_cycle(t)

    def _schedule_burst(self, start: float, length: float) -> None:
        n = max(1, int(round(length / self.period)))
        for k in range(n):
            edge = start + k * self.period
            self._timers.append(self.clock.call_at(edge, self.pin.drive_low))
            self._timers.append(self.clock.call_at(edge + self.width, self.pin.drive_high))
        self._timers.append(self.clock.call_at(start + n * self.period, self._burst_done))

    def _burst_done(self) -> None:
        self.bursts += 1
        if self.on_burst_end is not None:
            self.on_burst_end(self.bursts)

    def _finish(self) -> None:
        self.running = False
        self._timers = []

    def stop(self) -> None:
        """Stop at once (the opto input is left released, i.e. high)."""
        self.running = False
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        if not self.pin.state:
            self.pin.drive_high()
