"""The hook state machine: lifting, hanging up, flashes, rotary digits and a bouncing switch."""
from __future__ import annotations

import pytest

from drivers.hook import HookMachine, HookTiming


@pytest.fixture
def shk(factory):
    return factory.pin(17, "in", pull="down")


@pytest.fixture
def hook(vclock, shk, rec):
    machine = HookMachine(vclock, rec)
    shk.when_changed(machine.edge)
    return machine


def at(vclock, t, fn):
    vclock.call_at(t, fn)


def dial_pulses(vclock, shk, t, digit, pps=10.0, brk=0.6):
    n = 10 if digit == "0" else int(digit)
    period = 1 / pps
    for k in range(n):
        at(vclock, t + k * period, shk.drive_low)
        at(vclock, t + k * period + period * brk, shk.drive_high)
    return t + n * period


def test_lift_and_hang_up(vclock, shk, hook, rec, advance):
    at(vclock, 1.0, shk.drive_high)
    at(vclock, 5.0, shk.drive_low)
    advance(7.0)
    assert rec.kinds() == ["off_hook", "on_hook"]
    assert rec.events[0][1] == 1.0 and rec.events[1][1] == 5.0
    assert not hook.off_hook


def test_flash_is_not_a_hang_up(vclock, shk, hook, rec, advance):
    at(vclock, 1.0, shk.drive_high)
    at(vclock, 3.0, shk.drive_low)
    at(vclock, 3.6, shk.drive_high)
    advance(6.0)
    assert rec.kinds() == ["off_hook", "flash"]
    assert hook.off_hook


@pytest.mark.parametrize("pps,brk", [(10, 0.6), (8, 0.67), (12, 0.6)])
def test_rotary_number_is_decoded(vclock, shk, hook, rec, advance, pps, brk):
    at(vclock, 0.5, shk.drive_high)
    t = 1.0
    for digit in "2090":
        t = dial_pulses(vclock, shk, t, digit, pps, brk) + 0.7
    advance(t + 1.0)
    digits = rec.of("digit")
    assert "".join(d[2]["digit"] for d in digits) == "2090"
    assert all(d[2]["source"] == "pulse" for d in digits)
    assert rec.kinds().count("flash") == 0 and "on_hook" not in rec.kinds()


def test_bouncing_hook_switch_gives_one_off_hook(vclock, shk, hook, rec, advance):
    for k in range(6):               # contacts bounce for 6 ms on lifting
        at(vclock, 1.0 + k * 0.001, shk.drive_high if k % 2 == 0 else shk.drive_low)
    at(vclock, 1.006, shk.drive_high)
    at(vclock, 2.0, shk.drive_low)    # a 5 ms glitch while talking
    at(vclock, 2.005, shk.drive_high)
    advance(4.0)
    assert rec.kinds() == ["off_hook"]


def test_ring_trip_waits_longer_while_ringing(vclock, shk, hook, rec, advance):
    hook.ringing = True
    at(vclock, 1.0, shk.drive_high)
    at(vclock, 1.05, shk.drive_low)   # ringing current glitch: 50 ms
    advance(2.0)
    assert rec.events == []
    at(vclock, 3.0, shk.drive_high)
    advance(2.0)
    assert rec.kinds() == ["off_hook"]


def test_more_than_ten_pulses_is_not_a_digit(vclock, shk, hook, rec, advance):
    at(vclock, 0.5, shk.drive_high)
    for k in range(12):
        at(vclock, 1.0 + k * 0.1, shk.drive_low)
        at(vclock, 1.06 + k * 0.1, shk.drive_high)
    advance(4.0)
    assert rec.of("digit") == []


def test_hold_ignores_the_loop_the_port_opened(vclock, shk, hook, rec, advance):
    at(vclock, 0.5, shk.drive_high)
    advance(1.0)
    hook.hold(0.5)
    shk.drive_low()            # the SLIC's loop is open: no current even though the phone is off-hook
    at(vclock, 1.5, shk.drive_high)
    advance(3.0)
    assert rec.kinds() == ["off_hook"]


def test_hang_up_during_hold_is_seen_afterwards(vclock, shk, hook, rec, advance):
    at(vclock, 0.5, shk.drive_high)
    advance(1.0)
    hook.hold(0.5)
    shk.drive_low()
    advance(3.0)
    assert rec.kinds() == ["off_hook", "on_hook"]


def test_flash_bound_is_configurable(vclock, shk, rec, advance):
    machine = HookMachine(vclock, rec, HookTiming(flash_max_ms=500))
    shk.when_changed(machine.edge)
    at(vclock, 1.0, shk.drive_high)
    at(vclock, 3.0, shk.drive_low)
    at(vclock, 3.6, shk.drive_high)
    advance(6.0)
    assert rec.kinds()[:2] == ["off_hook", "on_hook"]
