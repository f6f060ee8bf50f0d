"""FXO line supervision on the pins: loop-current drops, polarity reversals, a parallel phone, flash out."""
from __future__ import annotations

import pytest

from drivers.fxo import FxoPort
from drivers.line_timing import FxoTiming
from drivers.gpio.board import Signal
from drivers.port import SILENCE
from drivers.sim.audio import PullChannel


@pytest.fixture
def line(vclock, factory):
    pins = {"relay": factory.pin(5, "out"), "ring": factory.pin(6, "in", pull="up"),
            "loop": factory.pin(13, "in", pull="down"), "polarity": factory.pin(19, "in", pull="down"),
            "in_use": factory.pin(28, "in", pull="down")}
    port = FxoPort("fxo1", vclock, Signal(pins["relay"]), Signal(pins["ring"], True),
                   PullChannel(lambda: None, lambda frame: None), loop=Signal(pins["loop"]),
                   polarity=Signal(pins["polarity"]), in_use=Signal(pins["in_use"]),
                   timing_=FxoTiming(silence_timeout_s=0))
    events = []
    port.subscribe(events.append)
    port.open()
    pins["relay"].when_changed(lambda t, closed: pins["loop"].drive(closed))   # the exchange feeds the loop

    def tick(n: int) -> None:          # the engine's media tick
        port.read_frame()
        port.write_frame(SILENCE)
        ticking.append(vclock.call_at(n * 0.02, tick, n + 1))

    ticking = [vclock.call_at(0.0, tick, 1)]
    yield port, pins, events
    ticking[-1].cancel()
    port.close()


def kinds(events):
    return [e.kind for e in events]


def test_a_short_loop_dip_is_ignored_and_a_long_drop_is_a_disconnect(line, vclock, advance):
    port, pins, events = line
    port.seize()
    advance(1.0)
    vclock.call_at(2.0, pins["loop"].drive_low)
    vclock.call_at(2.1, pins["loop"].drive_high)      # 100 ms dip: a line glitch
    vclock.call_at(4.0, pins["loop"].drive_low)       # calling-party control: 800 ms open
    vclock.call_at(4.8, pins["loop"].drive_high)
    advance(5.0)
    (gone,) = [e for e in events if e.kind == "disconnect"]
    assert gone.data["reason"] == "loop_drop" and gone.t == pytest.approx(4.0)


def test_our_own_flash_is_not_a_loop_drop(line, vclock, advance):
    port, pins, events = line
    port.seize()
    advance(1.0)
    port.flash()
    assert not pins["relay"].state
    advance(0.76)
    assert pins["relay"].state
    advance(2.0)
    assert "disconnect" not in kinds(events)


def test_answer_by_polarity_then_hang_up_by_polarity_after_the_guard(line, vclock, advance):
    port, pins, events = line
    port.seize()
    port.dial("5")
    advance(5.0)
    vclock.call_at(6.0, pins["polarity"].drive_high)     # far end answers
    vclock.call_at(6.3, pins["polarity"].drive_low)      # too soon after the answer: ignored
    vclock.call_at(6.32, pins["polarity"].drive_high)    # ... and a 20 ms bounce is no reversal at all
    vclock.call_at(9.0, pins["polarity"].drive_low)      # far end hangs up
    advance(5.0)
    assert [e.kind for e in events if e.kind in ("answered", "disconnect")] == ["answered", "disconnect"]
    assert [e for e in events if e.kind == "disconnect"][0].data["reason"] == "polarity"


def test_a_parallel_phone_lifted_on_the_line(line, vclock, advance):
    port, pins, events = line
    vclock.call_at(1.0, pins["in_use"].drive_high)
    vclock.call_at(1.03, pins["in_use"].drive_low)       # a 30 ms click: not a phone
    vclock.call_at(2.0, pins["in_use"].drive_high)
    vclock.call_at(5.0, pins["in_use"].drive_low)
    advance(6.0)
    assert [(e.kind, e.data.get("parallel"), round(e.t, 2)) for e in events] == [
        ("off_hook", True, 2.0), ("on_hook", True, 5.0)]


def test_dial_without_dial_tone_waits_for_the_timeout(line, vclock, advance):
    port, pins, events = line
    port.seize()
    port.dial("1")
    advance(2.9)
    assert "dial_done" not in kinds(events)
    advance(0.5)
    assert [e.data["digits"] for e in events if e.kind == "dial_done"] == ["1"]


def test_one_flash_at_a_time_and_none_on_hook(line, vclock, advance):
    from drivers.errors import PortError

    port, pins, events = line
    with pytest.raises(PortError, match="on-hook"):
        port.flash()
    port.seize()
    advance(1.0)
    port.flash(300)
    with pytest.raises(PortError, match="already flashing"):
        port.flash(300)
    advance(0.5)
    port.flash(300)
    advance(0.5)
    assert pins["relay"].state is True
