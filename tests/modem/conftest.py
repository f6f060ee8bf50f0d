"""Fixtures for the modem driver: a fake modem behind a real pty, a ModemPort on it, and loop helpers.

The port runs on the virtual clock; the fake modem and the pyserial reader are real threads doing real I/O.
``pump`` lets the loop handle what those threads handed it *without* moving virtual time; ``advance`` moves
virtual time (timers: ring abandonment, keep-alive, back-off).
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Callable

import pytest

from drivers.modem.fake import FakeModem
from drivers.modem.port import ModemPort
from drivers.modem.profiles import PROFILES


def pump(clock, until: Callable[[], bool], timeout: float = 3.0) -> None:
    """Run the loop's ready callbacks until ``until()`` holds (bounded by ``timeout`` real seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        clock.loop.run_until_complete(asyncio.sleep(0))
        if until():
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the modem")
        time.sleep(0.002)  # test side: let the modem and reader threads run


def settle(clock, seconds: float = 0.05) -> None:
    """Pump for a short real while (to show that something does NOT happen)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        clock.loop.run_until_complete(asyncio.sleep(0))
        time.sleep(0.002)


def advance(clock, seconds: float) -> None:
    clock.loop.run_until_complete(asyncio.sleep(seconds))


class Recorder:
    def __init__(self) -> None:
        self.events = []

    def __call__(self, event) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def of(self, kind: str) -> list:
        return [e for e in self.events if e.kind == kind]


def fast_profile(name: str, timeout: float):
    """The named profile with command timeouts of ``timeout`` seconds (short: a silent modem is noticed quickly)."""
    return dataclasses.replace(PROFILES[name], command_timeout=timeout, reset_timeout=timeout)


def make_port(clock, fake: FakeModem, name: str = "modem1", timeout: float = 2.0, **kw
              ) -> tuple[ModemPort, Recorder]:
    port = ModemPort(name, clock, fake.device, fast_profile(fake.profile.name, timeout), **kw)
    rec = Recorder()
    port.subscribe(rec)
    port.open()
    return port, rec


@pytest.fixture(params=["usr5637", "cx93010"])
def fake(request):
    """A fake modem of each supported family: the port's tests are its contract with both dialects."""
    modem = FakeModem(request.param)
    yield modem
    modem.stop()


@pytest.fixture
def port(vclock, fake):
    p, rec = make_port(vclock, fake)
    p.rec = rec
    pump(vclock, lambda: p.state == "idle")
    yield p
    p.close()

