"""The front panel: LED patterns in step with the clock, buttons with debounce and long press."""
from __future__ import annotations

import pytest

from drivers.gpio.board import Signal
from drivers.panel import ButtonEvent, Panel, PanelTiming


@pytest.fixture
def panel(vclock, factory):
    leds = {"line1": Signal(factory.pin(7, "out")), "mwi": Signal(factory.pin(9, "out"))}
    buttons = {"daynight": Signal(factory.pin(0, "in", pull="up"), active_low=True)}
    p = Panel(vclock, leds, buttons, PanelTiming(debounce_ms=30, long_press=2.0))
    p.open()
    yield p
    p.close()


def levels_between(pin, start, end):
    return [(round(t, 3), s) for t, s in pin.history if start <= t < end]


def test_blink_is_500_500_phased_to_the_clock(vclock, panel, factory, advance):
    advance(0.25)
    panel.set_led("mwi", "blink")
    advance(3.0)
    pin = factory.pins[9]
    assert levels_between(pin, 0.2, 3.0) == [(0.25, True), (0.5, False), (1.0, True), (1.5, False),
                                              (2.0, True), (2.5, False)]


def test_flash_and_wink_and_steady(vclock, panel, factory, advance):
    panel.set_led("line1", "flash")
    advance(1.0)
    lit = [t for t, s in levels_between(factory.pins[7], 0.0, 1.0) if s]
    assert lit == pytest.approx([0.0, 0.25, 0.5, 0.75])                 # 125/125 ms
    panel.set_led("line1", "wink")
    advance(2.0)
    lows = [t for t, s in levels_between(factory.pins[7], 1.0, 3.0) if not s]
    assert lows == pytest.approx([1.9, 2.9])                           # 900 on / 100 off
    panel.set_led("line1", "on")
    advance(1.0)
    assert factory.pins[7].state is True
    panel.set_led("line1", "off")
    assert factory.pins[7].state is False


def test_bad_led_or_pattern_is_refused(panel):
    with pytest.raises(ValueError, match="no LED"):
        panel.set_led("nope", "on")
    with pytest.raises(ValueError, match="pattern"):
        panel.set_led("mwi", "disco")


def test_button_press_with_bounce_long_press_and_release(vclock, panel, factory, advance):
    events: list[ButtonEvent] = []
    unsubscribe = panel.subscribe(events.append)
    pin = factory.pins[0]
    for k in range(5):                                  # contacts bounce for 5 ms
        vclock.call_at(1.0 + k * 0.001, pin.drive_low if k % 2 == 0 else pin.drive_high)
    vclock.call_at(1.005, pin.drive_low)
    vclock.call_at(4.0, pin.drive_high)
    advance(5.0)
    assert [(e.kind, e.button) for e in events] == [("press", "daynight"), ("long_press", "daynight"),
                                                    ("release", "daynight")]
    assert events[0].t == pytest.approx(1.004) and events[2].held == pytest.approx(2.996)
    unsubscribe()
    vclock.call_at(6.0, pin.drive_low)
    vclock.call_at(6.2, pin.drive_high)
    advance(2.0)
    assert len(events) == 3


def test_a_failing_listener_does_not_stop_the_others(vclock, panel, factory, advance):
    got = []

    def broken(event):
        raise RuntimeError("listener bug")

    panel.subscribe(broken)
    panel.subscribe(got.append)
    factory.pins[0].drive_low()
    advance(0.1)
    assert [e.kind for e in got] == ["press"]


def test_a_short_press_is_no_long_press(vclock, panel, factory, advance):
    events = []
    panel.subscribe(events.append)
    factory.pins[0].drive_low()
    advance(0.5)
    factory.pins[0].drive_high()
    advance(3.0)
    assert [e.kind for e in events] == ["press", "release"]
