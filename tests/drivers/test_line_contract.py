"""The line-driver contract: an FXS port cabled to an FXO port of the same box, the real drivers at both ends.

Runs on the simulated cable always; on a real board when SWITCHBOARD_REAL_HW=1, with a two-wire cord between the
jacks named by SWITCHBOARD_TEST_CABLE (default "fxs4:fxo2") and the board's configuration in SWITCHBOARD_CONFIG.
The FXS side rings, sends caller ID and feeds the loop; the FXO side must see exactly what a phone company line
would give it, and the FXS side must see what a phone would do.
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

REAL = os.environ.get("SWITCHBOARD_REAL_HW") == "1"
FXS, FXO = os.environ.get("SWITCHBOARD_TEST_CABLE", "fxs4:fxo2").split(":")
SIM_BOARD = {"profile": "sim", "gpio_backend": "sim"}


class Rig:
    """Both ports, a media tick, and their events."""

    def __init__(self, clock: LoopClock, fxs, fxo) -> None:  # type: ignore[no-untyped-def]
        self.clock, self.fxs, self.fxo = clock, fxs, fxo
        self.events: list = []
        for port in (fxs, fxo):
            port.subscribe(self.events.append)
            port.open()
        self._n = 0
        self._t0 = clock.now()
        self._timer = clock.call_at(self._t0, self._tick)

    def _tick(self) -> None:
        self._n += 1
        for port in (self.fxs, self.fxo):
            port.read_frame()
        for port in (self.fxs, self.fxo):
            port.write_frame(SILENCE)
        self._timer = self.clock.call_at(self._t0 + self._n * 0.02, self._tick)

    def run(self, seconds: float) -> None:
        self.clock.loop.run_until_complete(asyncio.sleep(seconds))

    def of(self, port, kind: str) -> list:  # type: ignore[no-untyped-def]
        return [e for e in self.events if e.port == port.name and e.kind == kind]

    def close(self) -> None:
        self._timer.cancel()
        for port in (self.fxs, self.fxo):
            port.close()


def _sim_rig() -> Rig:
    clock = virtual_clock()
    asyncio.set_event_loop(clock.loop)
    factory = SimFactory(clock)
    wire = AudioWire()
    fxs = build_fxs(FXS, clock, factory, SIM_BOARD, wire.fxs_end)
    fxo = build_fxo(FXO, clock, factory, SIM_BOARD, wire.fxo_end)
    LoopbackCable(clock, factory, port_spec(SIM_BOARD, FXS)["pins"], port_spec(SIM_BOARD, FXO)["pins"])
    return Rig(clock, fxs, fxo)


def _real_rig() -> Rig:  # pragma: no cover - runs on a wired Raspberry Pi only
    from firmware.config import load
    from firmware.daemon import real_ports

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    clock = LoopClock(loop)
    ports, _panel = real_ports(clock, load(os.environ.get("SWITCHBOARD_CONFIG")))
    return Rig(clock, ports[FXS], ports[FXO])


RIGS = [pytest.param(_sim_rig, id="sim"),
        pytest.param(_real_rig, id="real", marks=[pytest.mark.hardware, pytest.mark.skipif(
            not REAL, reason="set SWITCHBOARD_REAL_HW=1 on a board with an FXS-FXO cord")])]


@pytest.fixture(params=RIGS)
def rig(request):
    made = request.param()
    yield made
    made.close()
    if not REAL:
        made.clock.loop.close()
        asyncio.set_event_loop(None)


def test_ringing_from_the_slic_is_a_ring_with_the_country_cadence(rig):
    rig.fxs.ring("US")
    rig.run(13.0)
    rings = rig.of(rig.fxo, "ring")
    assert [r.data["count"] for r in rings] == [1, 2, 3]
    assert rings[1].data["cadence"] == "us"
    assert rig.of(rig.fxo, "ring_end")[0].data["on_ms"][0] == pytest.approx(2000, abs=120)


def test_caller_id_sent_after_the_first_ring_is_captured(rig):
    rig.fxs.ring("US", {"number": "2125550142", "name": "OFFICE TEST"})
    rig.run(5.0)
    (cid,) = rig.of(rig.fxo, "caller_id")
    assert cid.data["number"] == "2125550142" and cid.data["name"] == "OFFICE TEST"


def test_answering_trips_the_ring_and_digits_pass_both_ways(rig):
    rig.fxs.ring("US")
    rig.run(1.0)
    rig.fxo.seize()
    rig.run(0.5)
    assert [e.kind for e in rig.events if e.port == rig.fxs.name] == ["off_hook"]
    assert not rig.fxs.ringing
    rig.fxo.dial("159#")
    rig.run(5.0)
    assert "".join(e.data["digit"] for e in rig.of(rig.fxs, "digit")) == "159#"


def test_flash_and_release_are_seen_by_the_slic(rig):
    rig.fxo.seize()
    rig.run(1.0)
    rig.fxo.flash(600)
    rig.run(1.5)
    rig.fxo.release()
    rig.run(2.0)
    assert [e.kind for e in rig.events if e.port == rig.fxs.name] == ["off_hook", "flash", "on_hook"]


def test_the_slic_reversing_the_line_is_answer_supervision_on_the_fxo(rig):
    rig.fxo.seize()
    rig.run(1.0)
    rig.fxs.open_loop(800)            # the reference board reverses the line
    rig.run(2.0)
    assert len(rig.of(rig.fxo, "answered")) == 1
