"""Benchmark: CPU per port of the ring detector and the hook state machine at their real event rates.

Runs in virtual time on simulated pins. For each detector it runs the same edge stream twice — once with the
detector listening, once without — so the figure is the detector's own cost, not the simulator's:

* ring detector: a line ringing continuously in the US cadence (2 s on / 4 s off, 20 Hz through a full-wave
  opto: 80 edges per second during a burst), and the worst case, continuous ringing (no off time);
* hook state machine: a desk phone pulse-dialling continuously at 10 pps (20 edges per second), and idle.

Each figure is the best of three runs. Prints CPU microseconds per edge and CPU percent of one core per port. Usage:
``python bench/drivers/ring_hook.py [--minutes N]``.
"""
from __future__ import annotations

import argparse
import asyncio
import time
from typing import Callable

from drivers.clock import virtual_clock
from drivers.gpio.sim import SimFactory, SimPin
from drivers.hook import HookMachine
from drivers.ring import RingDetector
from drivers.sim.ringer import RingSignal


def _run(seconds: float, setup: Callable[..., Callable[[], int]], listen: bool) -> tuple[float, int]:
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    factory = SimFactory(clock)
    pin = factory.pin(6, "in", pull="up")
    if listen:
        setup.listener(clock, pin)  # type: ignore[attr-defined]
    edges = setup(clock, pin)
    cpu = time.process_time()
    clock.loop.run_until_complete(asyncio.sleep(seconds))
    cpu = time.process_time() - cpu
    count = edges()
    clock.loop.close()
    asyncio.set_event_loop(None)
    return cpu, count


def ringing(cadence: tuple[int, ...]) -> Callable[..., Callable[[], int]]:
    def setup(clock, pin: SimPin) -> Callable[[], int]:  # type: ignore[no-untyped-def]
        RingSignal(clock, pin, cadence, hz=20.0).start()
        count = [0]
        pin.when_changed(lambda t, state: count.__setitem__(0, count[0] + 1))
        return lambda: count[0]

    setup.listener = lambda clock, pin: pin.when_changed(  # type: ignore[attr-defined]
        RingDetector(clock, lambda *a, **k: None).edge)
    return setup


def pulse_dialling(clock, pin: SimPin) -> Callable[[], int]:  # type: ignore[no-untyped-def]
    count = [0]

    def digit(t: float) -> None:      # "0": ten 60/40 ms breaks, then 700 ms between digits
        for k in range(10):
            clock.call_at(t + k * 0.1, pin.drive_low)
            clock.call_at(t + k * 0.1 + 0.06, pin.drive_high)
        count[0] += 20
        clock.call_at(t + 1.7, digit, t + 1.7)

    pin.drive_high()
    digit(clock.now() + 0.5)
    return lambda: count[0]


pulse_dialling.listener = lambda clock, pin: pin.when_changed(  # type: ignore[attr-defined]
    HookMachine(clock, lambda *a, **k: None).edge)


def idle(clock, pin: SimPin) -> Callable[[], int]:  # type: ignore[no-untyped-def]
    return lambda: 0


idle.listener = pulse_dialling.listener  # type: ignore[attr-defined]


def measure(name: str, seconds: float, setup: Callable[..., Callable[[], int]]) -> None:
    with_det, edges = min(_run(seconds, setup, True) for _ in range(3))
    without, _ = min(_run(seconds, setup, False) for _ in range(3))
    own = max(0.0, with_det - without)
    per_edge = own / edges * 1e6 if edges else 0.0
    print(f"{name:<42} {edges / seconds:8.1f} edges/s {per_edge:8.2f} µs/edge "
          f"{own / seconds * 100:9.4f} % of a core per port   (simulator itself: {without / seconds * 100:.3f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="virtual minutes per measurement")
    args = parser.parse_args()
    seconds = args.minutes * 60
    print(f"virtual time per measurement: {seconds:.0f} s")
    measure("ring detector, US cadence 2/4 s, 20 Hz", seconds, ringing((2000, 4000)))
    measure("ring detector, continuous ringing", seconds, ringing((60000, 1)))
    measure("hook machine, pulse dialling 10 pps", seconds, pulse_dialling)
    measure("hook machine, idle phone", seconds, idle)


if __name__ == "__main__":
    main()
