"""The modem driver against a real USB voice modem (off by default).

Enable on the box with ``SWITCHBOARD_REAL_HW=1 SWITCHBOARD_MODEM=/dev/serial/by-id/usb-…`` and optionally
``SWITCHBOARD_MODEM_PROFILE=cx93010``. The test only initialises the modem and exchanges keep-alives: it never
takes the line off hook.
"""
from __future__ import annotations

import asyncio
import os

import pytest

from drivers.clock import LoopClock
from drivers.modem.port import ModemPort

DEVICE = os.environ.get("SWITCHBOARD_MODEM")
pytestmark = [pytest.mark.hardware,
              pytest.mark.skipif(os.environ.get("SWITCHBOARD_REAL_HW") != "1" or not DEVICE,
                                 reason="set SWITCHBOARD_REAL_HW=1 and SWITCHBOARD_MODEM=<device path>")]


def test_a_real_modem_initialises_and_answers_keep_alives():
    loop = asyncio.new_event_loop()
    clock = LoopClock(loop)
    port = ModemPort("modem1", clock, DEVICE, os.environ.get("SWITCHBOARD_MODEM_PROFILE", "usr5637"),
                     ping_interval=0.5)
    events = []
    port.subscribe(events.append)

    async def scenario():
        clock.bind_thread()
        port.open()
        for _ in range(100):
            if port.state == "idle":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # a few keep-alives

    try:
        loop.run_until_complete(scenario())
        assert port.state == "idle" and port.fault is None, [e.data for e in events]
    finally:
        port.close()
        loop.close()
