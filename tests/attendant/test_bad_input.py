"""Bad input from callers: a key held for a minute, hang-ups at every step, and the control API switch."""
from __future__ import annotations

import pytest

from firmware.attendant.install import register_control


def test_a_key_held_for_a_minute_counts_once(office):
    office.call_in()
    office.run(1)
    # the detector reports one digit for a long press: its start is a minute before anything else happens
    office.ports["fxo1"].emit("digit", digit="1", source="dtmf", start=office.clock.now())
    office.run(60)
    assert office.ringing() == ["201"] and "menu-invalid" not in office.prompts()


# seconds after the call rings in: greeting, ringing sales, mailbox greeting, recording, after the message
@pytest.mark.parametrize("at", [0.5, 3, 10, 26, 30, 34, 40])
def test_hang_up_at_every_step_frees_the_port_and_keeps_what_was_said(office, at):
    office.call_in()
    office.run(1)
    office.press("1")
    office.speak(60)                 # the caller talks throughout
    office.run(max(0.0, at - 1.2))
    office.hang_up()
    office.run(15)
    assert office.legs_up() == 0 and not office.errors()
    folder = office.services.voicemail.root / "201"
    assert not list(folder.glob(".*part")) if folder.exists() else True
    stopped = office.kinds("record_stop")
    recorded = stopped[0]["seconds"] if stopped else 0.0
    assert bool(office.kinds("recording_saved")) == (recorded >= 1.3)     # the minimum is 1 s after trimming


def test_control_api_sets_and_clears_the_override(office):
    commands = {}

    class Registry:
        def register(self, name, handler, **kw):
            commands[name] = handler

    register_control(Registry(), office.services)
    assert commands["schedule.set_mode"](mode="night")["state"] == "override"
    assert office.engine.night is True
    assert commands["schedule.status"]()["mode"] == "night"
    assert commands["schedule.set_mode"](mode="auto")["state"] == "day"
    assert office.engine.night is False


def test_night_switched_by_the_engine_becomes_an_override(office):
    office.engine.set_night(True)           # the panel button or the engine's own control command
    assert office.services.schedule.state() == "override" and office.services.schedule.mode() == "night"
    office.engine.set_night(False)          # back to what the schedule says: no override left
    assert office.services.schedule.state() == "day" and office.services.schedule.forced is None
