"""The front panel's meaning: which lamp shows what, and what the buttons do.

What it is: :class:`PanelBinding` ``(engine, panel)``. It listens to the engine's bus and sets the panel's
LEDs, publishing each change as an ``led`` event (so the transcript and the web UI see the lamps):

========== ==========================================================================================
LED        pattern
========== ==========================================================================================
``lineN``  (one per configured line, N = its position) idle ``off``; ringing ``flash``; answered or in
           use ``on``; fault ``blink``
``mwi``    ``blink`` while any mailbox has new messages, else ``off``
``night``  ``on`` in night mode, else ``off``
``fault``  ``on`` while any port reports a fault, else ``off``
========== ==========================================================================================

Buttons: ``daynight`` (a press toggles day/night mode; the engine publishes ``night``). Every press is
published as a ``button`` event.

The panel driver (``drivers/panel.py``) is asked for ``set_led(name, pattern)`` and offers ``subscribe(fn)``
for :class:`~drivers.panel.ButtonEvent` (``kind`` ``press``/``long_press``/``release``, ``button``). A panel
that lacks an LED is logged once; the box works without a panel.

What it is not: the GPIO driver or LED pattern timing (the driver blinks; this module only names patterns).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from firmware.engine.bus import BusEvent

log = logging.getLogger(__name__)

NIGHT_BUTTONS = ("daynight", "night")
LINE_PATTERNS = {"idle": "off", "ringing": "flash", "answered": "on", "in_use": "on", "fault": "blink"}


class PanelBinding:
    """Binds panel LEDs to line state, message waiting, night mode and faults; see the module docstring."""

    def __init__(self, engine: Any, panel: Any = None) -> None:
        self.engine = engine
        self.panel = panel
        self.leds: dict[str, str] = {}
        self.faults: set[str] = set()
        self._missing: set[str] = set()
        self._unsubscribe: list[Callable[[], None]] = []

    def start(self) -> None:
        bus = self.engine.bus
        self._unsubscribe.append(bus.subscribe(self._on_bus, kinds=["line", "mwi", "night", "fault",
                                                                     "fault_cleared"]))
        if self.panel is not None and hasattr(self.panel, "subscribe"):
            self._unsubscribe.append(self.panel.subscribe(self._on_button))
        for line in self.engine.lines.lines:
            self._set(f"line{line.index}", LINE_PATTERNS.get(line.state, "off"))
        self.faults = {p.name for p in self.engine.ports.values() if p.fault}
        self._set("mwi", "blink" if self.engine.mailboxes_waiting else "off")
        self._set("night", "on" if self.engine.night else "off")
        self._set("fault", "on" if self.faults else "off")

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def _on_bus(self, event: BusEvent) -> None:
        data = event.data
        if event.kind == "line":
            self._set(f"line{data['index']}", LINE_PATTERNS.get(data["state"], "off"))
        elif event.kind == "mwi":
            self._set("mwi", "blink" if self.engine.mailboxes_waiting else "off")
        elif event.kind == "night":
            self._set("night", "on" if data.get("active") else "off")
        elif event.kind in ("fault", "fault_cleared"):
            port = data.get("port")
            if event.kind == "fault":
                self.faults.add(port)
            else:
                self.faults.discard(port)
            self._set("fault", "on" if self.faults else "off")

    def _on_button(self, event: Any) -> None:
        kind = getattr(event, "kind", None)
        button = getattr(event, "button", None) or (getattr(event, "data", None) or {}).get("button")
        if kind != "press":
            return
        self.engine.bus.publish("button", button=button)
        if button in NIGHT_BUTTONS:
            self.engine.set_night(not self.engine.night)

    def _set(self, led: str, pattern: str) -> None:
        if self.leds.get(led) == pattern:
            return
        self.leds[led] = pattern
        self.engine.bus.publish("led", led=led, pattern=pattern)
        if self.panel is None:
            return
        setter = getattr(self.panel, "set_led", None)
        try:
            if setter is not None:
                setter(led, pattern)
            elif isinstance(getattr(self.panel, "leds", None), dict):
                self.panel.leds[led] = pattern
        except (KeyError, ValueError) as exc:
            if led not in self._missing:
                self._missing.add(led)
                log.warning("the front panel has no LED %r (%s)", led, exc)

    def snapshot(self) -> dict[str, str]:
        return dict(self.leds)
