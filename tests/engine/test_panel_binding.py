"""The front-panel binding: lamps follow line state, message waiting, night mode and faults."""
from __future__ import annotations

from drivers.panel import ButtonEvent
from firmware.panel import PanelBinding


class FakePanel:
    def __init__(self):
        self.leds = {}
        self.listeners = []

    def set_led(self, name, pattern):
        if name == "missing":
            raise KeyError(name)
        self.leds[name] = pattern

    def subscribe(self, fn):
        self.listeners.append(fn)
        return lambda: self.listeners.remove(fn)

    def press(self, button):
        for fn in list(self.listeners):
            fn(ButtonEvent("press", button, 0.0))


async def _idle(leg):
    await leg.sleep(100)


def test_leds_follow_the_office(office):
    panel = FakePanel()
    binding = PanelBinding(office.engine, panel)
    binding.start()
    assert panel.leds == {"line1": "off", "line2": "off", "mwi": "off", "night": "off", "fault": "off"}
    office.engine.register_app("test", _idle)
    office.emit("fxo1", "ring", count=1)
    assert panel.leds["line1"] == "flash"
    office.emit("fxo1", "caller_id", number="1")
    assert panel.leds["line1"] == "on"
    office.engine.set_message_waiting("201", True)
    assert panel.leds["mwi"] == "blink"
    panel.press("daynight")
    assert panel.leds["night"] == "on" and office.engine.night
    office.emit("fxs2", "fault", reason="SLIC gone")
    assert panel.leds["fault"] == "on"
    office.emit("fxs2", "fault_cleared")
    assert panel.leds["fault"] == "off"
    leds = [(e["led"], e["pattern"]) for e in office.kinds("led")]
    assert ("line1", "flash") in leds and ("night", "on") in leds
    binding.stop()
    assert panel.listeners == []
