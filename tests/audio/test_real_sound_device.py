"""The sound-device channel against a real codec (off by default).

Enable with ``SWITCHBOARD_REAL_HW=1 SWITCHBOARD_AUDIO_DEVICE="<device name>"`` (see ``python -m sounddevice``).
Runs one second of capture and silent playback on a real clock.
"""
from __future__ import annotations

import asyncio
import os

import numpy as np
import pytest

from drivers.audio.sounddevice_channel import SoundDeviceChannel
from drivers.clock import LoopClock

NAME = os.environ.get("SWITCHBOARD_AUDIO_DEVICE")
pytestmark = [pytest.mark.hardware,
              pytest.mark.skipif(os.environ.get("SWITCHBOARD_REAL_HW") != "1" or not NAME,
                                 reason="set SWITCHBOARD_REAL_HW=1 and SWITCHBOARD_AUDIO_DEVICE=<name>")]


def test_a_real_codec_delivers_a_frame_every_tick():
    loop = asyncio.new_event_loop()
    clock = LoopClock(loop)
    ch = SoundDeviceChannel(clock, NAME)

    async def ticks():
        t0 = loop.time()
        for n in range(50):
            ch.write(np.zeros(160, np.int16))
            ch.read()
            await asyncio.sleep(max(0.0, t0 + (n + 1) * 0.02 - loop.time()))

    try:
        assert ch.open(), ch.fault
        loop.run_until_complete(ticks())
        assert ch.counters["frames_in"] >= 40 and ch.counters["faults"] == 0, ch.snapshot()
    finally:
        ch.close()
        loop.close()
