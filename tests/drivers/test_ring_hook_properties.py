"""Properties of the ring detector and the hook machine over many generated inputs (virtual time, small)."""
from __future__ import annotations

import asyncio

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from drivers.clock import virtual_clock
from drivers.gpio.sim import SimFactory
from drivers.hook import HookMachine
from drivers.ring import CADENCES, RingDetector
from drivers.sim.ringer import RingSignal

FEW = settings(max_examples=20, deadline=None, derandomize=True)   # the same cases every run: never flaky


def _run(setup, seconds: float, pull: str = "up"):  # type: ignore[no-untyped-def]
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    try:
        factory = SimFactory(clock)
        pin = factory.pin(6, "in", pull=pull)
        events: list = []
        setup(clock, pin, lambda kind, t, **data: events.append((kind, t, data)))
        clock.loop.run_until_complete(asyncio.sleep(seconds))
        return events
    finally:
        clock.loop.close()
        asyncio.set_event_loop(None)


@FEW
@given(name=st.sampled_from(["us", "uk", "de", "se", "fr", "jp", "distinctive2", "au_distinctive"]),
       hz=st.floats(16.0, 60.0), opto=st.sampled_from(["full", "half"]), duty=st.floats(0.3, 0.8))
def test_every_cadence_is_recognised_at_any_valid_frequency(name, hz, opto, duty):
    cadence = CADENCES[name]
    shortest_burst = min(cadence[0::2]) / 1000
    # physics: a burst shows up as pulses; the detector needs a handful of them (4 plus 100 ms)
    assume(shortest_burst * hz * (2 if opto == "full" else 1) >= 6)

    def setup(clock, pin, emit):  # type: ignore[no-untyped-def]
        pin.when_changed(RingDetector(clock, emit, opto=opto).edge)
        RingSignal(clock, pin, cadence, hz=hz, opto=opto, duty=duty).start(at=0.5, cycles=2)

    events = _run(setup, sum(cadence) / 1000 * 2 + 1.5)
    rings = [e for e in events if e[0] == "ring"]
    assert [r[2]["count"] for r in rings] == [1, 2]
    assert rings[1][2]["cadence"] == name


@FEW
@given(gaps=st.lists(st.floats(0.045, 2.0), min_size=1, max_size=40))
def test_pulses_slower_than_ringing_never_ring(gaps):
    def setup(clock, pin, emit):  # type: ignore[no-untyped-def]
        pin.when_changed(RingDetector(clock, emit, opto="full").edge)
        t = 0.1
        for gap in gaps:
            clock.call_at(t, pin.drive_low)
            clock.call_at(t + 0.01, pin.drive_high)
            t += gap

    assert _run(setup, sum(gaps) + 10.0) == []


@FEW
@given(number=st.text("0123456789", min_size=1, max_size=6), pps=st.floats(8.0, 12.0),
       brk=st.floats(0.55, 0.7), bounce=st.one_of(st.just(0.0), st.floats(0.0005, 0.004)))
def test_rotary_digits_survive_bouncy_contacts(number, pps, brk, bounce):
    def setup(clock, pin, emit):  # type: ignore[no-untyped-def]
        pin.when_changed(HookMachine(clock, emit).edge)
        clock.call_at(0.1, pin.drive_high)

        def edge(t: float, level: bool) -> None:
            if bounce:                    # the contact chatters before it settles
                clock.call_at(t, pin.drive, level)
                clock.call_at(t + bounce / 2, pin.drive, not level)
            clock.call_at(t + bounce, pin.drive, level)

        t, period = 1.0, 1 / pps
        for digit in number:
            for k in range(10 if digit == "0" else int(digit)):
                edge(t + k * period, False)
                edge(t + k * period + period * brk, True)
            t += (10 if digit == "0" else int(digit)) * period + 0.7

    events = _run(setup, 2.0 + len(number) * 1.9, pull="down")
    assert "".join(e[2]["digit"] for e in events if e[0] == "digit") == number
    assert [e[0] for e in events if e[0] != "digit"] == ["off_hook"]
