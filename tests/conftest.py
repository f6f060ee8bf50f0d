"""Shared fixtures for the whole suite. Area fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

import asyncio

import pytest
from hypothesis import settings

from drivers.clock import LoopClock, virtual_clock

# Property tests explore the same examples on every run (no example database, no deadline): CI is never flaky.
settings.register_profile("switchboard", derandomize=True, deadline=None, database=None)
settings.load_profile("switchboard")


@pytest.fixture
def vclock() -> LoopClock:
    """A virtual-time clock on a fresh loop; closed after the test."""
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    yield clock
    clock.loop.close()
    asyncio.set_event_loop(None)
