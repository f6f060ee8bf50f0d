"""Dial by name, and the day/night feature code with its PIN."""
from __future__ import annotations

from firmware.attendant.directory import Directory, keys_for
from firmware.attendant.routing import Router
from tests.attendant.office import CONFIG


def test_keypad_spelling():
    assert keys_for("Sales") == "72537" and keys_for("O'Neil") == "66345"


def test_matches_by_last_name_first_name_or_both():
    router = Router(CONFIG)
    last = Directory(CONFIG, router)
    assert [e.extension for e in last.find(keys_for("sup"))] == ["202"]
    assert [e.extension for e in last.find(keys_for("sa"))] == ["201"]
    both = Directory(CONFIG | {"attendant": {"directory": {"match": "both"}}}, router)
    assert {e.extension for e in both.find(keys_for("s"))} == {"200", "201", "202"}   # Rita, Sam, Sue
    assert [e.extension for e in both.find(keys_for("oli"))] == ["203"]


def test_caller_spells_a_name_hears_matches_one_by_one_and_connects(office):
    office.call_in()
    office.run(1)
    office.press("4")                    # directory
    office.run(2)
    office.press("7")                    # S... matches Sales and Support (last names)
    office.press("8")
    office.press("7")                    # "sup": only Support
    office.run(6)
    p = office.prompts()
    i = p.index("dir-at-extension")
    assert p[i:i + 4] == ["dir-at-extension", "num-2", "num-0", "num-2"]
    office.press("1")
    office.run(3)
    assert office.ringing() == ["202"]


def test_several_matches_offered_in_turn(office):
    office.call_in()
    office.run(1)
    office.press("4")
    office.run(2)
    office.press("7#")                   # one letter then #: everyone whose last name starts with P/Q/R/S
    office.run(12)
    office.press("*")                    # next name
    office.run(12)
    office.press("1")
    office.run(3)
    offered = [p for p in office.prompts() if p.startswith("num-")]
    assert offered[:6] == ["num-2", "num-0", "num-0", "num-2", "num-0", "num-1"]   # Reception, Sales …
    assert office.ringing() == ["201"]


def test_no_match_is_said(office):
    office.call_in()
    office.run(1)
    office.press("4")
    office.run(2)
    office.press("999")
    office.run(3)
    assert "dir-no-match" in office.prompts()


def test_day_night_feature_code_needs_the_pin(office):
    office.feature_code("fxs1", "*28", "1234")
    office.run(3)
    assert office.services.schedule.state() == "day" and "sched-pin-incorrect" in office.prompts()
    office.hang_up_phone("fxs1")
    office.run(1)
    office.feature_code("fxs1", "*28", "4711")
    office.run(3)
    assert office.services.schedule.state() == "override" and office.engine.night is True
    assert "sched-night-mode" in office.prompts()
    assert [e["kind"] for e in office.services.index.security_events("schedule")] == ["pin_failure"]


def test_names_without_a_recording_are_spoken_once(tmp_path):
    import shutil
    import pytest
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    cfg = dict(CONFIG, extensions=CONFIG["extensions"][:1])
    directory = Directory(cfg, Router(cfg), None, tmp_path / "names")
    assert directory.render_names() == 1
    assert directory.name_audio(directory.entries[0]) == [tmp_path / "names" / "200.wav"]
    assert directory.render_names() == 0          # cached until the name changes


def test_zero_in_the_directory_reaches_the_operator_at_once(office):
    office.call_in()
    office.run(1)
    office.press("4")
    office.run(2)
    office.press("0")
    office.run(2)
    assert office.ringing() == ["200"]
