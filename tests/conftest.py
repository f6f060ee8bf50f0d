"""Shared fixtures for the whole suite. Area fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

import asyncio

import pytest

from drivers.clock import LoopClock, virtual_clock


@pytest.fixture
def vclock() -> LoopClock:
    """A virtual-time clock on a fresh loop; closed after the test."""
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    yield clock
    clock.loop.close()
    asyncio.set_event_loop(None)
