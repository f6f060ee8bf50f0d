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
