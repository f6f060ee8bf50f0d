"""The MT8870 contract: DTMF sent by the FXO port down a cord reaches the FXS port through its decoder chip.

Simulated (the chip's twin listens to the cable) always; on a real board when SWITCHBOARD_REAL_HW=1 with an
MT8870 on the cabled FXS port (SWITCHBOARD_TEST_CABLE, default "fxs4:fxo2"; board from SWITCHBOARD_CONFIG, its
``dtmf_source`` for that port set to ``mt8870`` or ``both``).
"""
from __future__ import annotations

import asyncio
import os

import pytest

from drivers.clock import LoopClock, virtual_clock
from drivers.fxo import build_fxo
from drivers.fxs import build_fxs
from drivers.gpio.board import port_spec
from drivers.gpio.sim import SimFactory
from drivers.port import SILENCE
from drivers.sim.cable import AudioWire, LoopbackCable
from drivers.sim.mt8870 import SimMt8870

REAL = os.environ.get("SWITCHBOARD_REAL_HW") == "1"
FXS, FXO = os.environ.get("SWITCHBOARD_TEST_CABLE", "fxs4:fxo2").split(":")
CHIP = {"std": 1, "q1": 30, "q2": 31, "q3": 32, "q4": 33}


def _sim(trust: str):  # type: ignore[no-untyped-def]
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    board = {"profile": "sim", "gpio_backend": "sim", "mt8870": {"pins": CHIP, "ports": [FXS]},
             "ports": {FXS: {"dtmf_source": trust}}}
    factory = SimFactory(clock)
    wire = AudioWire()
    fxs = build_fxs(FXS, clock, factory, board, wire.fxs_end)
    fxo = build_fxo(FXO, clock, factory, board, wire.fxo_end)
    LoopbackCable(clock, factory, port_spec(board, FXS)["pins"], port_spec(board, FXO)["pins"])
    chip = SimMt8870(clock, factory.pins[CHIP["std"]], [factory.pins[CHIP[f"q{i}"]] for i in range(1, 5)])
    wire.fxs_tap = chip.hear
    return clock, fxs, fxo


def _real(trust: str):  # pragma: no cover - a wired board only
    from firmware.config import load
    from firmware.daemon import real_ports

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    clock = LoopClock(loop)
    ports, _ = real_ports(clock, load(os.environ.get("SWITCHBOARD_CONFIG")))
    if ports[FXS].merger.trust != trust:
        pytest.skip(f"the board's {FXS} trusts {ports[FXS].merger.trust}, not {trust}")
    return clock, ports[FXS], ports[FXO]


RIGS = [pytest.param(_sim, id="sim"),
        pytest.param(_real, id="real", marks=[pytest.mark.hardware, pytest.mark.skipif(
            not REAL, reason="set SWITCHBOARD_REAL_HW=1 on a board with an MT8870 and an FXS-FXO cord")])]


@pytest.fixture(params=RIGS)
def make_rig(request):
    made = []

    def make(trust: str):  # type: ignore[no-untyped-def]
        clock, fxs, fxo = request.param(trust)
        events: list = []
        for port in (fxs, fxo):
            port.subscribe(events.append)
            port.open()
        t0, n = clock.now(), [0]

        def tick() -> None:
            n[0] += 1
            for port in (fxs, fxo):
                port.read_frame()
            for port in (fxs, fxo):
                port.write_frame(SILENCE)
            handle[0] = clock.call_at(t0 + n[0] * 0.02, tick)

        handle = [clock.call_at(t0, tick)]
        made.append((clock, fxs, fxo, handle))
        return clock, fxs, fxo, events

    yield make
    for clock, fxs, fxo, handle in made:
        handle[0].cancel()
        fxs.close()
        fxo.close()
        if not REAL:
            clock.loop.close()
    asyncio.set_event_loop(None)


def digits(events, source=None):  # type: ignore[no-untyped-def]
    return [(e.data["digit"], e.data["source"]) for e in events
            if e.kind == "digit" and (source is None or e.data["source"] == source)]


@pytest.mark.parametrize("trust", ["mt8870", "both"])
def test_keys_sent_down_the_line_are_decoded_by_the_chip_once(make_rig, trust):
    clock, fxs, fxo, events = make_rig(trust)
    fxo.seize()
    clock.loop.run_until_complete(asyncio.sleep(1.0))
    fxo.dial("1590*#D")
    clock.loop.run_until_complete(asyncio.sleep(4.0))
    got = digits([e for e in events if e.port == fxs.name])
    assert "".join(d for d, _ in got) == "1590*#D"           # each key once, whichever source won
    if trust == "mt8870":
        assert {s for _, s in got} == {"mt8870"}
