"""Ring groups from the attendant: ``ringall`` rings every free member at once, the first to lift gets the caller,
the group's ring timeout then ``on_no_answer``; ``hunt`` keeps ringing in turn."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.attendant.office import config

MONDAY_10AM = datetime(2026, 1, 5, 15, 0, tzinfo=timezone.utc)


def _office(office_at, strategy="ringall", members=("201", "202", "203"), **ext_changes):
    cfg = config()
    group = {"name": "sales", "number": "250", "members": list(members), "ring_timeout": 10,
             "on_no_answer": "mailbox:200"}
    if strategy is not None:
        group["strategy"] = strategy
    cfg["ring_groups"] = [group]
    cfg["menus"]["main"]["options"]["7"] = {"action": "ring_group", "target": "sales"}
    for number, changes in ext_changes.items():
        next(e for e in cfg["extensions"] if e["number"] == number.lstrip("x")).update(changes)
    office = office_at(MONDAY_10AM, cfg)
    cids: dict[str, list] = {}
    for name, port in office.ports.items():
        if port.kind == "phone":
            def ring(cadence=None, caller_id=None, _port=port, _name=name):
                cids.setdefault(_name, []).append(caller_id)
                _port.commands.append(("ring", cadence))
            port.ring = ring
    return office, cids


def _to_group(office, port="fxo1"):
    office.call_in(port)
    office.run(1)
    office.press("7", port=port)
    office.run(3)                                        # "please hold", then the phones ring


def _phone_states(office):
    return {p.number: p.state for p in office.engine.desk.phones.values()}


def test_ringall_is_the_default_and_rings_every_member_at_once_with_caller_id(office_at):
    office, cids = _office(office_at, strategy=None)
    _to_group(office)
    assert sorted(office.ringing()) == ["201", "202", "203"]
    times = [e.t for e in office.events if e.kind == "ringing"]
    assert max(times) - min(times) < 0.05
    assert {p: [c["number"] for c in cid] for p, cid in cids.items()} == \
        {"fxs2": ["5551234"], "fxs3": ["5551234"], "fxs4": ["5551234"]}
    assert all(cid[0]["name"] == "ALICE" for cid in cids.values())
    assert _phone_states(office) == {"200": "idle", "201": "ringing", "202": "ringing", "203": "ringing"}


def test_the_first_member_to_lift_gets_the_caller_and_the_others_stop(office_at):
    office, _ = _office(office_at)
    _to_group(office)
    office.lift("fxs3")                                  # 202
    office.run(0.5)
    assert _phone_states(office) == {"200": "idle", "201": "idle", "202": "off_hook", "203": "idle"}
    assert ("stop_ring",) in office.ports["fxs2"].commands and ("stop_ring",) in office.ports["fxs4"].commands
    assert len(office.kinds("bridge")) == 1
    office.lift("fxs2")                                  # 201 a moment later: dial tone, not the caller
    office.run(0.5)
    assert len(office.kinds("bridge")) == 1
    late = office.engine.leg_at("fxs2")
    assert late.call is not office.engine.leg_at("fxo1").call
    office.hang_up()
    office.run(0.5)
    assert office.engine.apps["ring_group"].last_answered == {"sales": "202"}
    assert not office.errors()


def test_nobody_answers_within_the_group_timeout_then_on_no_answer(office_at):
    office, _ = _office(office_at)
    _to_group(office)
    office.run(6)
    assert "vm-person-at-extension" not in office.prompts()
    office.run(3)                                         # 10 s after the phones started
    assert set(_phone_states(office).values()) == {"idle"}
    assert "vm-person-at-extension" in office.prompts()   # on_no_answer: mailbox 200
    assert sorted(office.ringing()) == ["201", "202", "203"]       # each rang once, together
    rang = min(e.t for e in office.events if e.kind == "ringing")
    gave_up = [e.t - rang for e in office.events if e.kind == "dial_result"]
    assert len(gave_up) == 3 and all(abs(t - 10) < 0.1 for t in gave_up)   # the group's ring_timeout
    assert not office.errors()


def test_busy_and_do_not_disturb_members_are_skipped(office_at):
    office, _ = _office(office_at, x203={"dnd": True})
    office.lift("fxs2")                                   # 201 is on the phone
    office.run(0.5)
    _to_group(office)
    assert office.ringing() == ["202"]
    office.lift("fxs3")
    office.run(0.5)
    assert len(office.kinds("bridge")) == 1 and not office.errors()


def test_everyone_busy_goes_to_on_no_answer_at_once(office_at):
    office, _ = _office(office_at, members=("201",), x201={"dnd": True})
    _to_group(office)
    assert office.ringing() == [] and "vm-person-at-extension" in office.prompts()


def test_the_caller_hanging_up_stops_every_phone(office_at):
    office, _ = _office(office_at)
    _to_group(office)
    office.hang_up()
    office.run(0.5)
    assert set(_phone_states(office).values()) == {"idle"}
    for port in ("fxs2", "fxs3", "fxs4"):
        assert office.ports[port].commands.count(("stop_ring",)) == 1
    assert office.legs_up() == 0 and not office.errors()


def test_the_call_log_shows_one_call_answered_by_the_member(office_at):
    office, _ = _office(office_at)
    _to_group(office)
    office.lift("fxs4")                                   # 203
    office.run(5)
    office.hang_up()
    office.run(0.5)
    assert office.engine.flush_call_log()
    rows = office.store.query_calls()[0]
    assert len(rows) == 1 and rows[0]["extension"] == "203" and rows[0]["disposition"] == "answered"


def test_hunt_still_rings_in_turn(office_at):
    office, _ = _office(office_at, strategy="hunt", members=("201", "202"))
    _to_group(office)
    assert office.ringing() == ["201"]
    office.run(10)
    assert office.ringing() == ["201", "202"]


def test_end_to_end_every_ringing_desk_phone_shows_the_callers_id(tmp_path):
    """The ``ring-group-ringall`` scenario on the simulated office (real FXS drivers and FSK): it passes, and
    the display of each member's phone decoded the caller's ID while it rang alongside the others."""
    import io
    from pathlib import Path

    from firmware.scenario import parse_scenario
    from firmware.scenario.cli import office_for
    from firmware.scenario.runner import ScenarioRunner

    path = Path(__file__).parent / "scenarios" / "ring-group-ringall.yaml"
    scenario = parse_scenario(path.read_text(), str(path))
    out = io.StringIO()
    runner = ScenarioRunner(scenario, office_for(scenario, None), out, data_dir=tmp_path)
    assert runner.run() == 0, runner.failure
    shown = {port: (p.caller_id or {}) for port, p in runner.office.phones.items()}
    for port in ("fxs2", "fxs3", "fxs4"):
        assert shown[port].get("number") == "5551234" and shown[port].get("name") == "ALICE", shown
    assert not shown["fxs1"]                        # reception is not in the group: it never rang


def test_a_desk_phone_dials_the_groups_number_and_every_member_rings(office_at):
    office, _ = _office(office_at, members=("201", "202"))
    office.lift("fxs1")                                  # reception dials the sales group
    office.run(0.5)
    office.press("250", port="fxs1")
    office.run(5)
    assert sorted(office.ringing()) == ["201", "202"]


def test_a_removed_group_number_is_no_longer_dialable(office_at):
    office, _ = _office(office_at)
    changed = config()                                   # the same office without the group
    office.engine.reconfigure(changed)
    office.lift("fxs1")
    office.run(0.5)
    office.press("250", port="fxs1")
    office.run(5)
    assert office.ringing() == []
    assert office.kinds("reorder")
