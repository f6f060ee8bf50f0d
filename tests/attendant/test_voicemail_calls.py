"""Voicemail as callers and staff use it: leaving messages, listening, greetings, PINs, full disk."""
from __future__ import annotations

import errno

from firmware.voicemail.recorder import MessageWriter


def to_sales_voicemail(office, speak=3.0):
    """A caller presses 1, Sales does not answer, the caller hears the greeting and speaks."""
    office.call_in()
    office.run(1)
    office.press("1")
    office.run(25)          # 20 s ringing, then the greeting
    office.run(8)
    assert office.kinds("record_start"), office.prompts()
    office.speak(speak)
    office.run(speak)


def messages(office, box="201"):
    return office.services.voicemail.messages(office.services.voicemail.mailbox(box), "new")


def test_no_answer_caller_leaves_a_message_with_pound(office):
    to_sales_voicemail(office)
    office.press("#")
    office.run(5)
    msgs = messages(office)
    assert len(msgs) == 1 and msgs[0].caller_number == "5551234" and 2.5 < msgs[0].seconds < 3.6
    assert "vm-not-available" in office.prompts() and office.prompts()[-1] == "vm-message-saved"
    assert office.kinds("mwi")[-1] == {**office.kinds("mwi")[-1], "mailbox": "201", "active": True}
    assert office.engine.message_waiting("201") and office.legs_up() == 0


def test_caller_who_hangs_up_while_recording_keeps_the_message(office):
    to_sales_voicemail(office)
    office.hang_up()
    office.run(2)
    assert len(messages(office)) == 1
    assert not list((office.services.voicemail.root / "201").glob(".*part"))


def test_busy_extension_plays_the_busy_greeting(office):
    office.lift("fxs2")                     # Sales is on the phone
    office.run(1)
    office.call_in(port="fxo2")
    office.run(1)
    office.press("1", port="fxo2")
    office.run(10)
    assert "vm-is-busy" in office.prompts()


def test_zero_during_the_greeting_reaches_the_operator(office):
    office.call_in()
    office.run(1)
    office.press("1")
    office.run(22)
    office.press("0")
    office.run(3)
    assert office.ringing() == ["201", "200"]


def test_max_length_recording_is_saved(office):
    to_sales_voicemail(office, speak=40)
    office.run(5)
    msgs = messages(office)
    assert len(msgs) == 1 and 29 < msgs[0].seconds <= 30.0


def test_only_silence_is_not_a_message(office):
    to_sales_voicemail(office, speak=0.2)   # 0.2 s then silence: too short, and silence ends the recording
    office.run(10)
    assert messages(office) == [] and "vm-message-too-short" in office.prompts()


def test_full_mailbox_tells_the_caller_and_offers_the_operator(office):
    vm = office.services.voicemail
    box = vm.mailbox("201")
    for _ in range(5):
        w = vm.new_writer(box)
        for f in __import__("tests.attendant.office", fromlist=["voice"]).voice(2):
            w.write(f)
        vm.deposit(box, w, 0, None)
    office.call_in()
    office.run(1)
    office.press("1")
    office.run(24)
    assert "vm-mailbox-full" in office.prompts()
    office.press("0")
    office.run(2)
    assert office.ringing()[-1] == "200"


def test_full_disk_while_recording(office, monkeypatch):
    real = MessageWriter._write_bytes
    calls = {"n": 0}

    def filling(self, data):
        calls["n"] += 1
        if calls["n"] > 1 + 100:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, data)

    monkeypatch.setattr(MessageWriter, "_write_bytes", filling)
    to_sales_voicemail(office, speak=5)
    office.run(10)
    msgs = messages(office)
    assert len(msgs) == 1 and msgs[0].partial
    assert "vm-disk-full" in office.prompts() and office.legs_up() == 0
    # the daemon carries on: the next caller is answered normally
    monkeypatch.setattr(MessageWriter, "_write_bytes", real)
    office.call_in(port="fxo2", number="5559876")
    office.run(1)
    assert office.prompts()[-1] == "greeting-day"


def test_a_full_data_partition_stops_new_recordings_until_there_is_room(office):
    """The appliance's space watch reports the data partition full: callers are told before they speak."""
    office.engine.bus.publish("fault", port="data", reason="the data partition is full", recording=False)
    office.call_in()
    office.run(1)
    office.press("1")
    office.run(45)
    assert "vm-disk-full" in office.prompts() and not office.kinds("record_start")
    assert office.legs_up() == 0 and messages(office) == []
    office.engine.bus.publish("fault_cleared", port="data")
    to_sales_voicemail(office)               # room again: messages are taken as before
    office.hang_up()
    office.run(2)
    assert len(messages(office)) == 1


def test_desk_phone_feature_code_plays_envelope_and_saves(office):
    to_sales_voicemail(office)
    office.hang_up()
    office.run(2)
    office.lift("fxs2")
    office.run(0.5)
    office.press("*98", port="fxs2")
    office.run(1)
    assert "vm-enter-pin" in office.prompts()
    office.press("480716#", port="fxs2")
    office.run(12)
    office.press("1", port="fxs2")          # new messages
    office.run(15)
    p = office.prompts()
    assert p[p.index("vm-you-have"):p.index("vm-you-have") + 4] == ["vm-you-have", "num-1", "vm-new", "vm-message"]
    i = p.index("vm-message-number")
    assert p[i:i + 5] == ["vm-message-number", "num-1", "vm-received", "day-today", "time-at"]
    assert p[p.index("vm-from") + 1:p.index("vm-from") + 8] == ["num-5", "num-5", "num-5", "num-1", "num-2",
                                                               "num-3", "num-4"]
    office.press("2", port="fxs2")          # save
    office.run(3)
    assert office.services.voicemail.counts(office.services.voicemail.mailbox("201"))["saved"] == 1
    assert office.engine.message_waiting("201") is False


def test_delete_from_outside_through_the_menu_login(office_at):
    from tests.attendant.office import MONDAY_10AM, config
    cfg = config()
    cfg["menus"]["main"]["options"]["8"] = {"action": "mailbox", "target": "201"}
    office = office_at(MONDAY_10AM, cfg)
    to_sales_voicemail(office)
    office.hang_up()
    office.run(2)
    office.call_in(port="fxo2", number="5550001")
    office.run(1)
    office.press("8", port="fxo2")
    office.run(2)
    office.press("*", port="fxo2")          # * during the greeting: log in
    office.run(2)
    office.press("480716#", port="fxo2")
    office.run(1)
    office.press("1", port="fxo2")
    office.run(20)
    office.press("3", port="fxo2")
    office.run(3)
    assert messages(office) == [] and "vm-message-deleted" in office.prompts()
    assert not list((office.services.voicemail.root / "201").glob("msg-*.wav"))


def login_from_outside(office, port="fxo1"):
    """A caller dials 201 during the greeting, nobody answers, they press * in the mailbox greeting."""
    office.call_in(port=port)
    office.run(1)
    office.press("201", port=port)
    office.run(23)
    office.press("*", port=port)
    office.run(1)


def test_wrong_pins_lock_the_mailbox_across_calls(office):
    vm = office.services.voicemail
    login_from_outside(office)
    for _ in range(2):
        office.press("111111#")
        office.run(8)
    office.hang_up()                                   # hanging up does not reset the count
    office.run(1)
    login_from_outside(office, port="fxo2")
    office.press("222222#", port="fxo2")
    office.run(8)
    assert office.prompts()[-1] == "vm-locked" and office.legs_up() == 0
    login_from_outside(office)                         # even the right PIN is refused while locked
    assert office.prompts()[-1] == "vm-locked"
    kinds = [e["kind"] for e in vm.index.security_events("201")]
    assert kinds.count("pin_failure") == 3 and kinds.count("pin_lockout") == 1 and "pin_locked_attempt" in kinds
    office.run(121)                                    # the lockout passes
    login_from_outside(office)
    office.press("480716#")
    office.run(3)
    assert "vm-you-have" in office.prompts()[-3:]


def test_greeting_recorded_by_phone_is_then_played(office):
    office.feature_code("fxs2", "*98", "480716")
    office.run(1)
    office.press("3", port="fxs2")           # greetings
    office.run(1)
    office.press("4", port="fxs2")           # temporary
    office.run(6)
    office.speak(3, port="fxs2")
    office.run(3)
    office.press("#", port="fxs2")
    office.run(2)
    assert "vm-greeting-saved" in office.prompts()
    office.hang_up_phone("fxs2")
    office.run(1)
    office.call_in()
    office.run(1)
    office.press("1")
    office.run(24)
    assert "file:greeting-temp.wav" in office.prompts()


def test_pin_change_refuses_trivial_pins(office):
    office.feature_code("fxs2", "*98", "480716")
    office.run(1)
    office.press("4", port="fxs2")
    office.run(1)
    office.press("123456#", port="fxs2")
    office.run(3)
    assert "vm-pin-weak" in office.prompts()
    office.press("4", port="fxs2")          # pressed while the refusal plays: kept for the menu
    office.run(1)
    office.press("583920#", port="fxs2")
    office.run(1)
    office.press("583920#", port="fxs2")
    office.run(3)
    assert "vm-pin-changed" in office.prompts(), " ".join(office.prompts())
    vm = office.services.voicemail
    assert vm.verify(vm.mailbox("201"))("583920") and not vm.verify(vm.mailbox("201"))("480716")


def test_login_to_a_mailbox_that_does_not_exist_gives_nothing_away(office):
    office.call_in()
    office.run(1)
    office.press("*")
    office.run(1)
    office.press("999#")
    office.run(1)
    assert office.prompts()[-1] == "vm-enter-pin"          # the PIN is asked all the same
    office.press("123456#")
    office.run(3)
    assert "vm-login-incorrect" in office.prompts()
    events = office.services.index.security_events("unknown:999")
    assert [e["kind"] for e in events] == ["pin_failure"]
    assert office.store.get("voicemail.pin_state.unknown:999") is None


def test_a_message_marked_heard_in_the_web_inbox_puts_the_lamp_out(office):
    to_sales_voicemail(office)
    office.hang_up()
    office.run(2)
    assert office.engine.message_waiting("201")
    msg = messages(office)[0]
    office.store.mark_message(msg.id, heard=True)                # what voicemail.mark does ...
    office.engine.bus.publish("voicemail", mailbox="201", new=0, saved=0)   # ... and the event it publishes
    assert not office.engine.message_waiting("201")


def test_zero_in_a_mailbox_greeting_without_an_operator_says_so(office_at):
    from tests.attendant.office import MONDAY_10AM, config
    cfg = config()
    del cfg["operator"]
    cfg["menus"]["main"]["on_fail"] = "hangup"
    office = office_at(MONDAY_10AM, cfg)
    office.call_in()
    office.run(1)
    office.press("6")                     # Olivia's mailbox
    office.run(1)
    office.press("0")
    office.run(10)
    assert "nobody-available" in office.prompts() and not office.errors() and office.legs_up() == 0


def test_a_weak_configured_pin_must_be_changed_at_login(office_at):
    from tests.attendant.office import MONDAY_10AM, config
    cfg = config()
    cfg["extensions"][3] = dict(cfg["extensions"][3], pin="1234")
    office = office_at(MONDAY_10AM, cfg)
    office.feature_code("fxs4", "*98", "1234")
    office.run(5)
    assert office.prompts()[-2:] == ["vm-pin-must-change", "vm-new-pin"]
    office.press("731904#", port="fxs4")
    office.run(1)
    office.press("731904#", port="fxs4")
    office.run(4)
    assert "vm-pin-changed" in office.prompts() and "vm-you-have" in office.prompts()
    vm = office.services.voicemail
    assert vm.verify(vm.mailbox("203"))("731904") and not vm.pin_is_weak(vm.mailbox("203"))
