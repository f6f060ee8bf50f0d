"""Benchmark: what the simulated office costs per media tick, idle and during a two-minute call.

The example office (2 lines, 4 phones) on a virtual clock, ticked every 20 ms the way the engine does it
(read every port, write silence or the far side's audio back). Prints wall time per simulated minute and
microseconds per tick for: an idle office; one outside call answered and listened to for two minutes; the
same call with the caller talking all the time (DTMF and call-progress detectors busy on every frame); and
that with a desk phone off-hook and talking too. The line hears its own audio back (an echo), so the office
side is never silent.
Usage: ``python bench/drivers/sim_office.py``.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import yaml

from drivers.clock import virtual_clock
from drivers.port import SILENCE
from drivers.sim import SimOffice

EXAMPLE = Path(__file__).resolve().parents[2] / "firmware" / "config" / "example_office.yaml"


def _office():
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    office = SimOffice(clock, yaml.safe_load(EXAMPLE.read_text()))
    for port in office.ports.values():
        port.open()
    ticks = [0]
    t0 = clock.now()
    ports = list(office.ports.values())

    def tick() -> None:
        ticks[0] += 1
        frames = [port.read_frame() for port in ports]
        for port, frame in zip(ports, frames):
            port.write_frame(frame if port.name == "fxo1" else SILENCE)   # line 1 hears itself: echo
        clock.call_at(t0 + ticks[0] * 0.02, tick)

    clock.call_at(t0, tick)
    return clock, office, ticks


def run(name: str, minutes: float, script) -> None:  # type: ignore[no-untyped-def]
    clock, office, ticks = _office()

    async def scenario() -> None:
        await script(office)
        await asyncio.sleep(minutes * 60 - (clock.now()))

    wall, cpu = time.perf_counter(), time.process_time()
    clock.loop.run_until_complete(scenario())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{name:<50} {wall / minutes:6.3f} s wall, {cpu / minutes:6.3f} s CPU per simulated minute   "
          f"{cpu / ticks[0] * 1e6:7.1f} µs CPU per tick")
    office.close()
    clock.loop.close()


async def idle(office) -> None:  # type: ignore[no-untyped-def]
    return


async def call(office) -> None:  # type: ignore[no-untyped-def]
    caller = office.exchange.call_in(caller_id={"number": "5551234", "name": "ALICE"})
    await asyncio.sleep(4.0)
    office.ports["fxo1"].seize()
    await asyncio.sleep(0.5)
    caller.speak(110.0)


async def listening_call(office) -> None:  # type: ignore[no-untyped-def]
    """The common case: the caller listens (to prompts, to a person) and says little."""
    caller = office.exchange.call_in(caller_id={"number": "5551234", "name": "ALICE"})
    await asyncio.sleep(4.0)
    office.ports["fxo1"].seize()
    await asyncio.sleep(10.0)
    caller.press("201")
    await asyncio.sleep(30.0)
    caller.speak(5.0)


async def call_and_phone(office) -> None:  # type: ignore[no-untyped-def]
    await call(office)
    office.phones["fxs1"].lift()
    office.phones["fxs1"].speak(110.0)


def main() -> None:
    run("idle office (2 lines, 4 phones)", 2.0, idle)
    run("one outside call, caller listening, two minutes", 2.0, listening_call)
    run("one outside call, caller talking all the time", 2.0, call)
    run("one outside call + one desk phone in use", 2.0, call_and_phone)


if __name__ == "__main__":
    main()
