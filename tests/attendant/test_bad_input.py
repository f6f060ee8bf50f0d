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


def test_random_callers_never_break_the_attendant(office):
    """Thirty callers press random keys at random moments and hang up at random: no application error, and
    every port is free afterwards."""
    import random
    rng = random.Random(20260105)
    for n in range(30):
        port = "fxo1" if n % 2 else "fxo2"
        office.call_in(port=port, number=f"55500{n:02d}")
        office.run(rng.uniform(0.2, 3))
        for _ in range(rng.randint(0, 8)):
            office.press(rng.choice("0123456789*#"), port=port, gap=rng.uniform(0.05, 1.0))
            if rng.random() < 0.3:
                office.speak(rng.uniform(0.1, 4), port=port)
            office.run(rng.uniform(0, 6))
        if rng.random() < 0.3 and office.kinds("ringing"):
            office.lift(f"fxs{rng.randint(1, 4)}")
            office.run(2)
        office.hang_up(port)
        for phone in ("fxs1", "fxs2", "fxs3", "fxs4"):
            office.put_down(phone)
        office.run(3)
    assert not office.errors(), office.errors()
    assert office.legs_up() == 0
    assert {line["state"] for line in office.engine.lines.snapshot()} == {"idle"}
