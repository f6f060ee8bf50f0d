"""The auto attendant, as a caller meets it: greetings by schedule, options, dial-by-extension, retries."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.attendant.office import MONDAY_10AM, config


def test_day_greeting_then_option_1_rings_sales(office):
    office.call_in()
    office.run(1)
    assert office.prompts()[0] == "greeting-day"
    office.press("1")
    office.run(5)
    assert office.ringing() == ["201"]
    office.lift("fxs2")
    office.run(1)
    assert office.kinds("bridge")
    assert not office.errors()


def test_dial_by_extension_during_the_greeting(office):
    office.call_in()
    office.run(1)
    office.press("203")
    office.run(5)
    assert office.ringing() == ["203"]


def test_option_key_that_starts_extension_numbers_waits_then_takes_the_option(office):
    office.call_in()
    office.run(1)
    office.press("2")
    office.run(2)
    assert office.ringing() == []          # still waiting: 2 could begin 200-203
    office.run(5)
    assert office.ringing() == ["202"]


def test_zero_reaches_the_operator(office):
    office.call_in()
    office.run(1)
    office.press("0")
    office.run(3)
    assert office.ringing() == ["200"]


def test_no_input_retries_twice_then_the_operator(office):
    office.call_in()
    office.run(120)
    prompts = office.prompts()
    assert prompts.count("greeting-day") == 3 and prompts.count("menu-no-input") == 2
    assert office.ringing() == ["200"]


def test_invalid_keys_retry_then_operator(office):
    office.call_in()
    office.run(1)
    for _ in range(3):
        office.press("8")
        office.run(1)
    office.run(30)
    assert office.prompts().count("menu-invalid") == 2
    assert office.ringing() == ["200"]


def test_unknown_extension_is_invalid_and_never_dialled(office):
    office.call_in()
    office.run(1)
    office.press("299")
    office.run(5)
    assert office.ringing() == []
    assert "menu-invalid" in office.prompts()


def test_submenu_previous_and_repeat(office):
    office.call_in()
    office.run(1)
    office.press("3")
    office.run(1)
    assert office.prompts()[-1] == "greeting-default"
    office.press("2")       # repeat
    office.run(1)
    office.press("1")       # previous
    office.run(1)
    assert office.prompts()[-3:] == ["greeting-default", "greeting-default", "greeting-day"]


def test_info_message_plays_then_back_to_the_menu(office):
    office.call_in()
    office.run(1)
    office.press("5")
    office.run(30)
    assert office.prompts()[:3] == ["greeting-day", "info-hours", "greeting-day"]


def test_hangup_option(office):
    office.call_in()
    office.run(1)
    office.press("9")
    office.run(10)
    assert office.prompts()[-1] == "menu-goodbye" and office.legs_up() == 0


def test_mailbox_option_goes_straight_to_voicemail(office):
    office.call_in()
    office.run(1)
    office.press("6")
    office.run(20)
    assert "vm-leave-message" in office.prompts() and office.ringing() == []


@pytest.mark.parametrize("utc, greeting", [
    (datetime(2026, 1, 5, 17, 30, tzinfo=timezone.utc), "greeting-lunch"),    # 12:30 New York
    (datetime(2026, 1, 5, 23, 0, tzinfo=timezone.utc), "greeting-night"),     # 18:00
    (datetime(2026, 1, 10, 15, 0, tzinfo=timezone.utc), "greeting-night"),    # Saturday
])
def test_greeting_follows_the_schedule(office_at, utc, greeting):
    office = office_at(utc)
    office.call_in()
    office.run(1)
    assert office.prompts()[0] == greeting


def test_manual_night_override_changes_the_greeting_and_the_night_lamp(office):
    office.services.schedule.set_mode("night")
    assert office.engine.night is True
    office.call_in()
    office.run(1)
    assert office.prompts()[0] == "greeting-night"


def test_caller_hangs_up_mid_greeting_frees_the_line(office):
    office.call_in()
    office.run(1)
    office.hang_up()
    office.run(2)
    assert office.legs_up() == 0 and not office.errors()


def test_keys_pressed_non_stop_end_at_the_operator(office):
    office.call_in()
    office.run(0.5)
    office.press("8" * 40, gap=0.05)
    office.run(40)
    assert office.ringing() == ["200"] and not office.errors()


def test_schedule_destination_overrides_the_menu_at_night(office_at):
    cfg = config()
    cfg["schedule"] = dict(cfg["schedule"], destinations={"night": "mailbox:200"})
    office = office_at(datetime(2026, 1, 5, 23, 0, tzinfo=timezone.utc), cfg)
    office.call_in()
    office.run(15)
    assert "greeting-night" not in office.prompts() and "vm-leave-message" in office.prompts()


def test_menu_option_to_an_outside_number_is_refused(office_at):
    cfg = config()
    cfg["menus"]["main"]["options"]["7"] = {"action": "external", "target": "0015551234567"}
    office = office_at(MONDAY_10AM, cfg)
    office.call_in()
    office.run(1)
    office.press("7")
    office.run(3)
    assert office.kinds("security") and "menu-invalid" in office.prompts()
    assert not any(c[0] in ("dial", "seize") for c in office.ports["fxo2"].commands)


def test_star_in_the_menu_reaches_voicemail_login(office):
    office.call_in()
    office.run(1)
    office.press("*")
    office.run(2)
    assert office.prompts()[-1] == "vm-enter-mailbox"
    office.press("201#")
    office.run(1)
    office.press("480716#")
    office.run(2)
    assert "vm-you-have" in office.prompts()


def test_on_fail_menus_that_point_at_each_other_end_at_the_operator(office_at):
    cfg = config()
    cfg["menus"]["main"]["on_fail"] = "menu:more"
    cfg["menus"]["more"]["on_fail"] = "menu:main"
    office = office_at(MONDAY_10AM, cfg)
    office.call_in()
    office.run(300)
    assert office.ringing() == ["200"] and not office.errors()


def test_a_key_during_the_info_message_is_the_next_choice(office):
    office.call_in()
    office.run(1)
    office.press("5")                  # info
    office.run(1)
    office.press("1")                  # interrupts the info message: sales
    office.run(5)
    assert office.prompts()[-2:] == ["info-hours", "transfer-hold"] and office.ringing() == ["201"]


def test_a_key_during_the_retry_prompt_is_taken(office):
    office.call_in()
    office.run(1)
    office.press("8")
    office.run(0.5)
    office.press("1")                  # while "not a valid choice" plays
    office.run(5)
    assert "menu-invalid" in office.prompts() and office.ringing() == ["201"]
    assert office.prompts().count("greeting-day") == 1


def _group_office(office_at, strategy="hunt"):
    cfg = config()
    cfg["ring_groups"] = [{"name": "sales", "number": "250", "members": ["201", "202"], "strategy": strategy,
                           "ring_timeout": 10, "on_no_answer": "mailbox:203"}]
    cfg["menus"]["main"]["options"]["7"] = {"action": "ring_group", "target": "sales"}
    return office_at(MONDAY_10AM, cfg)


def test_ring_group_rings_members_in_turn_then_its_no_answer_destination(office_at):
    office = _group_office(office_at)
    office.call_in()
    office.run(1)
    office.press("7")
    office.run(35)
    assert office.ringing() == ["201", "202"]
    assert "vm-leave-message" in office.prompts()       # on_no_answer: mailbox 203


def test_ring_group_number_dialled_in_the_greeting_and_answered(office_at):
    office = _group_office(office_at)
    office.call_in()
    office.run(1)
    office.press("250")
    office.run(13)                                      # 201 rang out, 202 rings now
    office.lift("fxs3")
    office.run(1)
    assert office.ringing() == ["201", "202"] and office.kinds("bridge")


def test_memoryhunt_starts_with_who_answered_last(office_at):
    office = _group_office(office_at, "memoryhunt")
    office.call_in()
    office.run(1)
    office.press("7")
    office.run(13)
    office.lift("fxs3")                                 # 202 answers
    office.run(1)
    office.hang_up()
    office.put_down("fxs3")
    office.run(2)
    office.call_in(port="fxo2")
    office.run(1)
    office.press("7", port="fxo2")
    office.run(3)
    assert office.ringing() == ["201", "202", "202"]


def test_a_configuration_applied_while_running_takes_effect_on_the_next_call(office):
    """The owner changes option 1 on the web page (config.put → engine.reconfigure): the next caller gets it."""
    changed = config()
    changed["menus"]["main"]["options"]["1"] = {"action": "extension", "target": "203"}
    changed["extensions"][3]["ring_timeout"] = 4
    office.engine.reconfigure(changed)
    office.call_in()
    office.run(1)
    office.press("1")
    office.run(3)
    assert office.ringing() == ["203"]
    office.run(5)                      # 4 s ring timeout, not the office's 20 s: the mailbox answers
    rang = [e.t for e in office.events if e.kind == "ringing"]
    gave_up = [e for e in office.events if e.kind == "dial_result"]
    assert [e.data["result"] for e in gave_up] == ["no_answer"]
    assert gave_up[0].t - rang[0] == pytest.approx(4, abs=0.1)
    assert "vm-person-at-extension" in office.prompts()
    assert not office.errors()


def test_names_for_a_new_configuration_are_spoken_off_the_loop(office, monkeypatch):
    """Rendering a new extension's name (espeak-ng) must not hold up the 20 ms media tick."""
    import threading
    threads = []
    office.services.speak_names = True
    monkeypatch.setattr(type(office.services.directory), "render_names",
                        lambda self: threads.append(threading.get_ident()) or 0)
    changed = config()
    changed["menus"]["main"]["options"]["4"] = {"action": "directory"}
    office.engine.reconfigure(changed)
    office.run(0.5)
    assert threads and threads[0] != threading.get_ident()
