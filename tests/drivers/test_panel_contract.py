"""The front-panel contract: each LED pattern shows on its line with the right rhythm.

Simulated always; on a real board when SWITCHBOARD_REAL_HW=1 (panel from SWITCHBOARD_CONFIG, or the reference
pins), reading the LED lines back while the patterns run (about 6 s of real time). Buttons need a hand, so
their behaviour is covered by tests/drivers/test_front_panel.py on the simulated pins.
"""
from __future__ import annotations

import asyncio
import os

import pytest

from drivers.clock import LoopClock, virtual_clock
from drivers.gpio import open_factory
from drivers.panel import build_panel

REAL = os.environ.get("SWITCHBOARD_REAL_HW") == "1"


def _sim():  # type: ignore[no-untyped-def]
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    return clock, {"profile": "sim", "gpio_backend": "sim"}


def _real():  # pragma: no cover - a real board only
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    board = {"profile": "reference", "gpio_backend": "rpigpio"}
    if os.environ.get("SWITCHBOARD_CONFIG"):
        from firmware.config import load

        board = dict(load(os.environ["SWITCHBOARD_CONFIG"])["board"])
    return LoopClock(loop), board


@pytest.fixture(params=[pytest.param(_sim, id="sim"), pytest.param(_real, id="real", marks=[
    pytest.mark.hardware, pytest.mark.skipif(not REAL, reason="set SWITCHBOARD_REAL_HW=1 on a Pi with the panel")])])
def panel(request):
    clock, board = request.param()
    factory = open_factory(board, clock)
    front = build_panel(clock, factory, board)
    front.open()
    yield clock, front
    front.close()
    factory.close()
    clock.loop.close()
    asyncio.set_event_loop(None)


def sample(clock, front, led, seconds, step=0.025):  # type: ignore[no-untyped-def]
    levels = []

    async def watch() -> None:
        for _ in range(int(seconds / step)):
            levels.append(front.led_lines[led].active)
            await asyncio.sleep(step)

    clock.loop.run_until_complete(watch())
    return levels


@pytest.mark.parametrize("pattern,lit_share", [("on", 1.0), ("off", 0.0), ("blink", 0.5), ("wink", 0.9),
                                               ("flash", 0.5)])
def test_each_pattern_lights_its_led_for_the_right_share_of_time(panel, pattern, lit_share):
    clock, front = panel
    led = next(iter(front.led_lines))
    front.set_led(led, pattern)
    levels = sample(clock, front, led, 1.0)
    assert sum(levels) / len(levels) == pytest.approx(lit_share, abs=0.08)
    assert front.leds[led] == pattern


def test_leds_with_the_same_pattern_blink_together(panel):
    clock, front = panel
    first, second = list(front.led_lines)[:2]
    front.set_led(first, "blink")
    sample(clock, front, first, 0.3)              # the second starts later, out of step if it could be
    front.set_led(second, "blink")
    pairs = []

    async def watch() -> None:
        for _ in range(60):
            pairs.append((front.led_lines[first].active, front.led_lines[second].active))
            await asyncio.sleep(0.025)

    clock.loop.run_until_complete(watch())
    assert any(a for a, _ in pairs) and not all(a for a, _ in pairs)
    assert sum(a != b for a, b in pairs) <= 2      # at most a sample caught mid-edge on real hardware
