"""Fixtures for the attendant, voicemail, schedule and prompt tests."""
from __future__ import annotations

from datetime import datetime

import pytest

from drivers.clock import LoopClock, virtual_clock


@pytest.fixture
def make_clock():
    """``make_clock(epoch)`` → a virtual clock starting at that UTC wall time; every loop closed after the test."""
    made: list[LoopClock] = []

    def make(epoch: datetime | None = None) -> LoopClock:
        clock = virtual_clock(epoch)
        made.append(clock)
        return clock

    yield make
    for clock in made:
        clock.loop.close()


@pytest.fixture
def office(make_clock, tmp_path):
    """The test office at 10:00 on a Monday in New York, attendant installed and started."""
    from tests.attendant.office import MONDAY_10AM, Office
    o = Office(make_clock(MONDAY_10AM), tmp_path).start()
    yield o
    o.stop()


@pytest.fixture
def office_at(make_clock, tmp_path):
    """``office_at(utc_datetime, config=None)`` → a started office; stopped after the test."""
    from tests.attendant.office import Office
    made = []

    def build(when, cfg=None):
        o = Office(make_clock(when), tmp_path, cfg).start()
        made.append(o)
        return o

    yield build
    for o in made:
        o.stop()
