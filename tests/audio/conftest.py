"""Fixtures for audio channel tests: a fake sound system on the virtual clock and an engine-like media tick."""
from __future__ import annotations

from typing import Callable

import pytest

from drivers.audio.fake import FakeAudioBackend, FakeSoundDevice
from drivers.port import FRAME_SECONDS


@pytest.fixture
def codec() -> FakeSoundDevice:
    return FakeSoundDevice("USB Audio Codec: line 1 (hw:1,0)")


@pytest.fixture
def backend(vclock, codec) -> FakeAudioBackend:
    return FakeAudioBackend(vclock, [codec])


def run_ticks(clock, seconds: float, tick: Callable[[], None]) -> None:
    """Run the loop for ``seconds`` of clock time, calling ``tick`` every 20 ms (half a frame after the
    device's own block boundaries, as an engine tick lands somewhere between callbacks)."""
    t0 = clock.now() + FRAME_SECONDS / 2
    n = int(round(seconds / FRAME_SECONDS))
    for k in range(n):
        clock.call_at(t0 + k * FRAME_SECONDS, tick)
    clock.loop.run_until_complete(_sleep_until(clock, t0 + n * FRAME_SECONDS))


async def _sleep_until(clock, when: float) -> None:
    import asyncio
    await asyncio.sleep(max(0.0, when - clock.now()))
