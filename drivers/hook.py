"""The hook state machine of an FXS port: switch-hook edges → off-hook, on-hook, flash and pulse digits.

What it is: :class:`HookMachine`, fed every edge of the SLIC's SHK output (``edge(t, state)``, True = loop
current = off-hook). It classifies the way DAHDI does, every bound configurable (``board.timing.hook``):

* off-hook is reported after ``debounce_ms`` of steady loop current (``ring_trip_ms`` while the port rings:
  ringing current can glitch SHK), stamped with the first edge;
* an on-hook break shorter than ``glitch_ms`` is ignored; up to ``pulse_max_ms`` it is a dial pulse; up to
  ``flash_max_ms`` a hook flash; longer is a hang-up (reported stamped with the start of the break);
* dial pulses are counted; ``digit_gap_ms`` of steady loop ends the digit (1-9 pulses → "1".."9", 10 → "0";
  more than 10 is not a digit and is dropped with a log line). Rotary phones send 8-12 pps with ≥ 250 ms
  between digits.

``hold(seconds)`` ignores SHK while the port itself interrupts the loop (open-loop disconnect) and then
re-reads the line.

Events go to ``emit(kind, t, **data)``: ``off_hook``, ``on_hook``, ``flash``, ``digit`` (``digit``,
``source="pulse"``, ``start``, ``end``).

What it is not: policy (what a flash means is the firmware's business) or the SHK pin itself.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from drivers.clock import Clock, Timer

log = logging.getLogger(__name__)

Emit = Callable[..., None]


@dataclass(frozen=True)
class HookTiming:
    """Hook knobs (``board.timing.hook``), milliseconds; defaults from DAHDI and dsp_standards §5."""

    debounce_ms: float = 30.0
    ring_trip_ms: float = 100.0
    glitch_ms: float = 15.0
    pulse_max_ms: float = 200.0
    flash_max_ms: float = 1250.0
    digit_gap_ms: float = 200.0


class HookMachine:
    """Debounces and classifies switch-hook edges."""

    def __init__(self, clock: Clock, emit: Emit, timing: HookTiming | None = None,
                 off_hook: bool = False) -> None:
        self.clock = clock
        self.emit = emit
        self.timing = timing or HookTiming()
        self.off_hook = off_hook          # the reported state
        self.ringing = False              # set by the port while it rings (ring-trip debounce)
        self._level = off_hook            # the latest raw level
        self._rise_at: float | None = None
        self._break_at: float | None = None
        self._pulses = 0
        self._digit_start = 0.0
        self._last_make = 0.0
        self._held_until = -1.0
        self._timer: Timer | None = None      # debounce or hang-up timer
        self._digit_timer: Timer | None = None

    # -- input --------------------------------------------------------------------------------------
    def edge(self, t: float, state: bool) -> None:
        """A level change on SHK (True = off-hook)."""
        self._level = bool(state)
        if t < self._held_until:
            return
        if not self.off_hook:
            self._edge_on_hook(t, self._level)
        else:
            self._edge_off_hook(t, self._level)

    def _edge_on_hook(self, t: float, level: bool) -> None:
        self._cancel()
        if level:
            self._rise_at = t
            wait = (self.timing.ring_trip_ms if self.ringing else self.timing.debounce_ms) / 1000
            self._timer = self.clock.call_at(t + wait, self._confirm_off_hook)
        else:
            self._rise_at = None

    def _confirm_off_hook(self) -> None:
        self._timer = None
        if self._level and self._rise_at is not None:
            self.off_hook = True
            self._pulses = 0
            self.emit("off_hook", self._rise_at)

    def _edge_off_hook(self, t: float, level: bool) -> None:
        if not level:
            if self._break_at is None:
                self._break_at = t
                self._cancel()
                self._timer = self.clock.call_at(t + self.timing.flash_max_ms / 1000, self._hang_up)
            return
        if self._break_at is None:
            return
        length = (t - self._break_at) * 1000
        start, self._break_at = self._break_at, None
        self._cancel()
        if length < self.timing.glitch_ms:
            return
        if length <= self.timing.pulse_max_ms:
            self._pulse(start, t)
        else:
            self._finish_digit()
            self.emit("flash", start, ms=round(length))

    def _pulse(self, start: float, make: float) -> None:
        if self._pulses == 0:
            self._digit_start = start
        self._pulses += 1
        self._last_make = make
        if self._digit_timer is not None:
            self._digit_timer.cancel()
        self._digit_timer = self.clock.call_at(make + self.timing.digit_gap_ms / 1000, self._finish_digit)

    def _finish_digit(self) -> None:
        if self._digit_timer is not None:
            self._digit_timer.cancel()
            self._digit_timer = None
        pulses, self._pulses = self._pulses, 0
        if not pulses:
            return
        if pulses > 10:
            log.info("ignored a pulse train of %d breaks (not a digit)", pulses)
            return
        digit = "0" if pulses == 10 else str(pulses)
        self.emit("digit", self._last_make, digit=digit, source="pulse", start=self._digit_start,
                  end=self._last_make)

    def _hang_up(self) -> None:
        self._timer = None
        if self._break_at is None or self._level:
            return
        start, self._break_at = self._break_at, None
        self._pulses = 0
        if self._digit_timer is not None:
            self._digit_timer.cancel()
            self._digit_timer = None
        self.off_hook = False
        self.emit("on_hook", start)

    # -- control ------------------------------------------------------------------------------------
    def hold(self, seconds: float) -> None:
        """Ignore SHK for ``seconds`` (the port is interrupting the loop itself), then re-read it."""
        now = self.clock.now()
        self._held_until = now + seconds
        self._cancel()
        self._break_at = None
        self.clock.call_at(self._held_until, self._resync)

    def _resync(self) -> None:
        now = self.clock.now()
        if now < self._held_until - 1e-9:
            return
        if self._level != self.off_hook or (self.off_hook and self._break_at is None and not self._level):
            self.edge(now, self._level)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        self._cancel()
        if self._digit_timer is not None:
            self._digit_timer.cancel()
            self._digit_timer = None

    def snapshot(self) -> dict[str, Any]:
        return {"off_hook": self.off_hook, "pulses": self._pulses}
