"""The front panel: LEDs with patterns and buttons with debounce and long press.

What it is: :class:`Panel`, over :class:`~drivers.gpio.board.Signal` lines (active = LED lit / button pressed):
``led_lines`` and ``button_lines`` by name; ``leds`` (name → pattern shown) and ``pressed`` (name → bool) are its
state.

LED patterns (``set_led(name, pattern)``), all phased to the clock so every LED with the same pattern blinks in
step:

========= ======================================== ===============================
pattern   on / off                                  used for (by the firmware)
========= ======================================== ===============================
on        steady                                    line in use, night mode
off       dark                                      idle
blink     500 / 500 ms                              message waiting
wink      900 / 100 ms                              a held call
flash     125 / 125 ms                              a line ringing in
========= ======================================== ===============================

Buttons: a press is reported after ``debounce_ms`` of steady contact (``press``), a hold of ``long_press``
seconds gives ``long_press`` (once), and letting go gives ``release`` with ``held`` seconds. Listeners
subscribe with ``subscribe(fn)`` (returns the unsubscribe function) and get :class:`ButtonEvent`; a failing
listener is logged and isolated.

What it is not: policy. What a button does (day/night, reset to defaults after confirmation) is the
firmware's decision (firmware/panel.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from drivers.clock import Clock, Timer
from drivers.errors import HardwareError
from drivers.gpio.base import PinFactory
from drivers.gpio.board import ACTIVE_LOW, Signal, panel_spec, timing
from drivers.port import Listeners

log = logging.getLogger(__name__)

PATTERNS: dict[str, tuple[float, float] | None] = {
    "on": None, "off": None, "blink": (0.5, 0.5), "wink": (0.9, 0.1), "flash": (0.125, 0.125),
}


@dataclass(frozen=True)
class PanelTiming:
    """Panel knobs (``board.panel``)."""

    debounce_ms: float = 30.0
    long_press: float = 2.0


@dataclass(frozen=True)
class ButtonEvent:
    """``kind`` is press, long_press or release; ``held`` is seconds pressed (release and long_press)."""

    kind: str
    button: str
    t: float
    held: float = 0.0


Listener = Callable[[ButtonEvent], None]


class Panel:
    """LEDs and buttons of the front panel."""

    def __init__(self, clock: Clock, leds: Mapping[str, Signal], buttons: Mapping[str, Signal],
                 timing_: PanelTiming | None = None) -> None:
        self.clock = clock
        self.led_lines = dict(leds)
        self.button_lines = dict(buttons)
        self.timing = timing_ or PanelTiming()
        self.leds: dict[str, str] = {name: "off" for name in self.led_lines}
        """LED name → the pattern it shows (read-only for callers: use :meth:`set_led`)."""
        self.pressed: dict[str, bool] = {name: False for name in self.button_lines}
        self.fault: str | None = None
        self._led_timers: dict[str, Timer] = {}
        self._button_timers: dict[str, Timer] = {}
        self._pressed_at: dict[str, float] = {}
        self._listeners: Listeners[ButtonEvent] = Listeners(log)
        self._unsub: list[Callable[[], None]] = []
        self._opened = False

    # -- lifecycle ----------------------------------------------------------------------------------------
    def open(self) -> None:
        if self._opened:
            return
        self._opened = True
        for name in self.led_lines:
            self._light(name, False)
        for name, signal in self.button_lines.items():
            self._unsub.append(signal.when_changed(lambda t, active, n=name: self._edge(n, t, active)))

    def close(self) -> None:
        for timer in list(self._led_timers.values()) + list(self._button_timers.values()):
            timer.cancel()
        self._led_timers.clear()
        self._button_timers.clear()
        for stop in self._unsub:
            stop()
        self._unsub.clear()
        self._opened = False

    # -- LEDs -----------------------------------------------------------------------------------------------
    def set_led(self, name: str, pattern: str) -> None:
        """Show ``pattern`` (on, off, blink, wink, flash) on LED ``name``."""
        if name not in self.led_lines:
            raise ValueError(f"the panel has no LED {name!r}; it has {', '.join(self.led_lines) or 'none'}")
        if pattern not in PATTERNS:
            raise ValueError(f"unknown LED pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
        if self.leds[name] == pattern and (pattern in ("on", "off") or name in self._led_timers):
            return
        self.leds[name] = pattern
        timer = self._led_timers.pop(name, None)
        if timer is not None:
            timer.cancel()
        if PATTERNS[pattern] is None:
            self._light(name, pattern == "on")
        else:
            self._phase(name)

    def _phase(self, name: str) -> None:
        on, off = PATTERNS[self.leds[name]]  # type: ignore[misc]
        period = on + off
        now = self.clock.now()
        cycle_start = (now // period) * period
        into = now - cycle_start
        lit = into < on - 1e-9
        self._light(name, lit)
        boundary = cycle_start + (on if lit else period)
        self._led_timers[name] = self.clock.call_at(boundary, self._phase, name)

    def _light(self, name: str, lit: bool) -> None:
        try:
            self.led_lines[name].set(lit)
        except HardwareError as exc:
            if self.fault is None:
                self.fault = f"front-panel LED {name} does not respond ({exc})"
                log.error("%s", self.fault)

    # -- buttons --------------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every button event; returns a function that unsubscribes."""
        return self._listeners.add(listener)

    def _emit(self, event: ButtonEvent) -> None:
        self._listeners.notify(event, "panel listener failed on %s %s", event.button, event.kind)

    def _edge(self, name: str, t: float, active: bool) -> None:
        timer = self._button_timers.pop(name, None)
        if timer is not None:
            timer.cancel()
        if active == self.pressed[name]:
            return   # a bounce back to the settled state
        wait = self.timing.debounce_ms / 1000
        self._button_timers[name] = self.clock.call_at(t + wait, self._settle, name, t, active)

    def _settle(self, name: str, t: float, active: bool) -> None:
        self._button_timers.pop(name, None)
        try:
            level = self.button_lines[name].active
        except HardwareError:
            return
        if level != active:
            return
        self.pressed[name] = active
        if active:
            self._pressed_at[name] = t
            self._emit(ButtonEvent("press", name, t))
            self._button_timers[name] = self.clock.call_at(t + self.timing.long_press, self._long, name, t)
        else:
            start = self._pressed_at.pop(name, t)
            self._emit(ButtonEvent("release", name, t, held=t - start))

    def _long(self, name: str, start: float) -> None:
        self._button_timers.pop(name, None)
        if self.pressed[name]:
            self._emit(ButtonEvent("long_press", name, self.clock.now(), held=self.clock.now() - start))

    def snapshot(self) -> dict[str, Any]:
        return {"leds": dict(self.leds), "buttons": dict(self.pressed), "fault": self.fault}


def build_panel(clock: Clock, factory: PinFactory, board: Mapping[str, Any], cls: type[Panel] | None = None) -> Panel:
    """The front panel wired as ``board.panel`` says (reference pins by default)."""
    spec = panel_spec(board)
    low = spec["options"].get("active_low") or {}
    leds = {name: Signal(factory.pin(n, "out"), low.get(name, ACTIVE_LOW["led"])) for name, n in spec["leds"].items()}
    buttons = {name: Signal(factory.pin(n, "in", pull="up"), low.get(name, ACTIVE_LOW["button"]))
               for name, n in spec["buttons"].items()}
    return (cls or Panel)(clock, leds, buttons, timing(PanelTiming, spec["options"], "board.panel"))
