"""The engine's control commands over the simulated office, in virtual time."""
from __future__ import annotations

import asyncio

import pytest

from drivers.errors import ControlError
from drivers.sim import SimOffice
from firmware.config import load
from firmware.control.registry import Registry
from firmware.engine.assembly import build_box
from firmware.engine.control import register_engine_commands


@pytest.fixture
def box(vclock, tmp_path):
    office = SimOffice(vclock, load(None))
    office.lifeline.write(True)
    box = build_box(vclock, load(None), tmp_path, office.ports, office.panel)
    registry = Registry()
    register_engine_commands(registry, box, office)

    async def start():
        box.start()
    vclock.loop.run_until_complete(start())
    yield box, registry, vclock
    vclock.loop.run_until_complete(box.stop())
    office.close()


def call(clock, registry, cmd, /, **args):
    return clock.loop.run_until_complete(registry.call(cmd, args))


def run(clock, seconds):
    clock.loop.run_until_complete(asyncio.sleep(seconds))


def test_snapshot_call_in_and_call_control(box):
    box, reg, clock = box
    snap = call(clock, reg, "snapshot")
    assert [x["id"] for x in snap["lines"]] == ["line1", "line2"]
    assert {e["number"] for e in snap["extensions"]} == {"200", "201", "202", "203"}
    res = call(clock, reg, "sim.call_in", line="line2", number="5551234", name="BOB")
    assert res["line"] == "line2" and res["result"] == "ringing"
    run(clock, 5)
    snap = call(clock, reg, "snapshot")
    engine_call = snap["calls"][0]
    assert engine_call["line"] == "line2" and engine_call["state"] == "attendant"
    assert engine_call["answered_at"] is None          # the attendant's menu is not an answer
    call(clock, reg, "call.transfer", call=engine_call["id"], to="203")
    run(clock, 2)
    snap = call(clock, reg, "snapshot")
    assert snap["calls"][0]["state"] == "ringing"
    assert [p for p in snap["sim"]["phones"] if p["port"] == "fxs4"][0]["ringing"]
    call(clock, reg, "sim.lift", phone="fxs4")
    run(clock, 0.5)
    connected = call(clock, reg, "snapshot")["calls"][0]
    assert connected["state"] == "connected" and connected["answered_at"] is not None
    heard = call(clock, reg, "sim.listen", call=res["call"], seconds=0.5)
    assert heard["format"] == "wav" and heard["seconds"] == 0.5
    run(clock, 10)
    call(clock, reg, "call.hangup", call=engine_call["id"])
    run(clock, 1)
    assert call(clock, reg, "snapshot")["calls"] == []
    assert box.engine.flush_call_log()
    [row], _ = box.store.query_calls()           # the call log: answered by 203, talk time from the pick-up
    assert row["disposition"] == "answered" and row["answered_at"] is not None
    assert 10.0 <= row["talk_s"] <= 11.5 and row["duration_s"] > row["talk_s"] + 3 and row["extension"] == "203"
    assert call(clock, reg, "sim.call_in")["result"] == "ringing"


def test_unknown_things_are_not_found(box):
    box, reg, clock = box
    for name, args in (("call.hangup", {"call": "call99"}), ("sim.press", {"call": "nobody", "digits": "1"}),
                       ("sim.lift", {"phone": "fxs9"}), ("call.transfer", {"call": "x", "to": "999"}),
                       ("sim.button", {"name": "self_destruct"})):
        with pytest.raises(ControlError) as info:
            call(clock, reg, name, **args)
        assert info.value.code == "not_found"
    with pytest.raises(ControlError) as info:
        call(clock, reg, "sim.dial", phone="fxs2", digits="201")
    assert info.value.code == "conflict"
    with pytest.raises(ControlError) as info:
        call(clock, reg, "sim.press", call="x", digits="12z")
    assert info.value.code == "invalid_args"


def test_presence_and_night(box):
    box, reg, clock = box
    assert call(clock, reg, "presence.set", extension="201", state="lunch")["state"] == "lunch"
    ext = [e for e in call(clock, reg, "snapshot")["extensions"] if e["number"] == "201"][0]
    assert ext["presence"]["state"] == "lunch"
    before = box.engine.night
    call(clock, reg, "sim.button", name="daynight")
    run(clock, 0.5)
    assert box.engine.night is not before
    assert call(clock, reg, "snapshot")["leds"]["night"] == ("on" if box.engine.night else "off")


def test_park_from_the_console_and_pick_up_from_a_desk(box):
    box, reg, clock = box
    call(clock, reg, "sim.call_in", number="5551234")
    run(clock, 5)
    engine_call = call(clock, reg, "snapshot")["calls"][0]["id"]
    parked = call(clock, reg, "call.park", call=engine_call)
    assert parked["parked_slot"] == "701" and parked["state"] == "parked"
    run(clock, 0.5)
    snap = call(clock, reg, "snapshot")
    assert snap["parking"] == [{"slot": "701", "call": engine_call, "leg": snap["calls"][0]["legs"][0]}]
    assert snap["calls"][0]["state"] == "parked"
    with pytest.raises(ControlError) as info:
        call(clock, reg, "call.park", call=engine_call, slot="799")
    assert info.value.code == "not_found"
    call(clock, reg, "sim.lift", phone="fxs3")
    run(clock, 0.5)
    call(clock, reg, "sim.dial", phone="fxs3", digits="701")
    run(clock, 2)
    snap = call(clock, reg, "snapshot")
    assert snap["parking"] == [] and snap["calls"][0]["state"] == "connected"


def test_snapshot_carries_the_schedule_and_each_mailbox_count(box):
    """The documented snapshot: schedule state and message counts per mailbox and per extension."""
    box, reg, clock = box
    snap = call(clock, reg, "snapshot")
    assert snap["schedule"]["state"] in ("day", "lunch", "night", "holiday", "override")
    assert snap["mwi"]["201"] == {"new": 0, "saved": 0}
    caller = call(clock, reg, "sim.call_in", line="line1", number="5551234", name="BOB")["call"]
    with pytest.raises(ControlError) as info:         # keys before the box has answered
        call(clock, reg, "sim.press", call=caller, digits="1")
    assert info.value.code == "conflict"
    run(clock, 8)
    call(clock, reg, "sim.press", call=caller, digits="201")   # dial-by-extension; nobody answers → mailbox
    run(clock, 40)
    call(clock, reg, "sim.speak", call=caller, seconds=4)
    run(clock, 6)
    call(clock, reg, "sim.hang_up", call=caller)
    run(clock, 2)
    snap = call(clock, reg, "snapshot")
    assert snap["mwi"]["201"]["new"] == 1
    assert next(e for e in snap["extensions"] if e["number"] == "201")["mwi"] == {"new": 1, "saved": 0}
