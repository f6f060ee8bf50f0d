"""Voicemail storage: messages on disk and in SQLite, greetings, PINs and lockout, e-mail, full disk."""
from __future__ import annotations

import errno
import numpy as np
import pytest

from firmware.engine.audio import load_wav
from firmware.voicemail.index import MessageIndex
from firmware.voicemail.mailbox import Voicemail
from firmware.voicemail.pins import PinGuard, pin_problem
from firmware.voicemail.recorder import MessageWriter, trim_silence

CONFIG = {
    "office": {"name": "Test Office", "timezone": "America/New_York"},
    "extensions": [{"number": "201", "name": "Sales", "mailbox": "201", "pin": "480716"},
                   {"number": "202", "name": "Support", "mailbox": "202"}],
    "voicemail": {"max_messages": 2, "min_message_seconds": 1,
                  "shared": [{"number": "500", "name": "General", "members": ["201", "202"]}]},
    "security": {"pin_max_attempts": 3, "pin_lockout_seconds": 60},
}


def speech(seconds: float, level: int = 3000) -> list[np.ndarray]:
    n = int(seconds * 50)
    t = np.arange(160) / 8000
    return [(level * np.sin(2 * np.pi * 300 * t)).astype(np.int16) for _ in range(n)]


def silence(seconds: float) -> list[np.ndarray]:
    return [np.zeros(160, dtype=np.int16) for _ in range(int(seconds * 50))]


@pytest.fixture
def vm(tmp_path, vclock):
    events = []
    index = MessageIndex.open(str(tmp_path / "box.db"), vclock)
    service = Voicemail(CONFIG, index, tmp_path, vclock, lambda kind, **d: events.append((kind, d)))
    service.events = events
    yield service
    index.close()


def record(writer: MessageWriter, frames) -> None:
    for f in frames:
        writer.write(f)


def test_mailboxes_per_extension_and_shared(vm):
    assert set(vm.boxes) == {"201", "202", "500"}
    assert vm.mailbox("500").shared and vm.mailbox("500").extensions == ["201", "202"]
    assert vm.mailbox("999") is None


def test_message_saved_with_row_file_and_mwi(vm):
    box = vm.mailbox("201")
    w = vm.new_writer(box)
    record(w, silence(1) + speech(3) + silence(2))
    msg = vm.deposit(box, w, trim_end=0.0, caller_id={"number": "5551234", "name": "ALICE"})
    assert msg is not None and msg.caller_number == "5551234" and msg.folder == "new"
    assert 3.0 <= msg.seconds <= 3.6                     # silence trimmed to a 0.25 s margin
    audio = load_wav(vm.audio_path(msg))
    assert abs(len(audio) / 8000 - msg.seconds) < 0.01
    assert not list(box.folder.glob(".*part")) and not list(box.folder.glob("*.tmp"))
    assert ("mwi", {"mailbox": "201", "active": True, "extensions": ["201"]}) in vm.events
    assert ("mailbox", {"mailbox": "201", "new": 1, "saved": 0, "extensions": ["201"]}) in vm.events
    assert vm.index.store.messages("201")[0]["path"] == str(vm.audio_path(msg))
    vm.save(msg)
    assert vm.counts(box) == {"new": 0, "saved": 1, "total": 1}
    assert [e for e in vm.events if e[0] == "mwi"][-1][1]["active"] is False
    vm.delete(vm.messages(box, "saved")[0])
    assert vm.counts(box) == {"new": 0, "saved": 0, "total": 0} and not list(box.folder.glob("msg-*.wav"))


def test_short_and_silent_recordings_are_discarded(vm):
    box = vm.mailbox("201")
    for frames in (speech(0.2), silence(30), []):
        w = vm.new_writer(box)
        record(w, frames)
        assert vm.deposit(box, w, 0.0, None) is None
    assert vm.counts(box)["new"] == 0 and not list(box.folder.iterdir())


def test_stop_key_tone_is_cut_from_the_end(vm):
    box = vm.mailbox("201")
    w = vm.new_writer(box)
    record(w, speech(2) + speech(0.1, level=9000))
    msg = vm.deposit(box, w, trim_end=0.1, caller_id=None)
    assert msg.seconds <= 2.0 + 1e-9


def test_full_mailbox(vm):
    box = vm.mailbox("201")
    for _ in range(2):
        w = vm.new_writer(box)
        record(w, speech(1.5))
        vm.deposit(box, w, 0, None)
    assert vm.is_full(box)


def test_disk_full_midway_keeps_what_was_recorded(vm, monkeypatch):
    box = vm.mailbox("201")
    errors = []
    w = vm.new_writer(box, on_error=errors.append)
    calls = {"n": 0}
    real = MessageWriter._write_bytes

    def filling(self, data):
        calls["n"] += 1
        if calls["n"] > 1 + 100:          # header + 2 s of frames, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, data)

    monkeypatch.setattr(MessageWriter, "_write_bytes", filling)
    record(w, speech(5))
    assert w.disk_full and len(errors) == 1 and errors[0].errno == errno.ENOSPC

    # the final file cannot be written either: the part file is finished in place
    import firmware.voicemail.recorder as recorder
    monkeypatch.setattr(recorder, "write_wav", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    msg = vm.deposit(box, w, 0.0, {"number": "5550000"})
    assert msg is not None and msg.partial and abs(msg.seconds - 2.0) < 0.05
    assert abs(len(load_wav(vm.audio_path(msg))) / 8000 - 2.0) < 0.05


def test_greetings_temp_overrides_and_defaults(vm):
    box = vm.mailbox("201")
    assert vm.greeting(box, "unavailable") == ["vm-person-at-extension", "num-2", "num-0", "num-1",
                                               "vm-not-available"]
    assert vm.greeting(box, "busy")[-1] == "vm-is-busy"
    for kind in ("busy", "temp"):
        w = vm.new_writer(box)
        record(w, speech(2))
        assert vm.save_greeting(box, kind, w, 0.0) is not None
    assert vm.greeting(box, "busy") == [box.greeting_path("temp")]
    assert vm.remove_greeting(box, "temp")
    assert vm.greeting(box, "busy") == [box.greeting_path("busy")]
    assert vm.greeting(box, "unavailable")[0] == "vm-person-at-extension"


@pytest.mark.parametrize("pin, ok", [
    ("480716", True), ("12345", False), ("123456", False), ("987654", False), ("111111", False),
    ("201201", False), ("920155", False), ("121212", False), ("123123", False), ("12a456", False),
    ("90817263", True),
])
def test_pin_rules(pin, ok):
    assert (pin_problem(pin, "201") is None) is ok


def test_pin_lockout_across_calls_with_growing_backoff(vm, vclock):
    box = vm.mailbox("201")
    guard = vm.guard
    wrong = lambda: guard.check("201", "000001", vm.verify(box), source="5559999")
    assert not wrong().locked and not wrong().locked
    third = wrong()
    assert third.locked and third.retry_after == 60
    # a new call while locked: even the right PIN is refused
    assert guard.check("201", "480716", vm.verify(box)).locked
    # a fresh guard (another call, after a restart) sees the same state
    again = PinGuard.from_config(vm.index, vclock, CONFIG["security"])
    assert again.locked_for("201") > 0
    vclock.loop.run_until_complete(_sleep(61))
    for _ in range(2):
        assert not wrong().locked
    assert wrong().retry_after == 120                   # second lockout doubles
    vclock.loop.run_until_complete(_sleep(121))
    assert guard.check("201", "480716", vm.verify(box)).ok
    kinds = [e["kind"] for e in vm.index.security_events("201")]
    assert kinds.count("pin_failure") == 6 and kinds.count("pin_lockout") == 2 and "pin_locked_attempt" in kinds


async def _sleep(s):
    import asyncio
    await asyncio.sleep(s)


def test_pin_changed_by_phone_is_hashed(vm):
    box = vm.mailbox("202")
    assert not vm.has_pin(box)
    vm.change_pin(box, "583920")
    stored = vm.index.pin_hash("202")
    assert "583920" not in stored and vm.verify(box)("583920") and not vm.verify(box)("583921")


def test_trim_silence_keeps_margins():
    samples = np.concatenate(silence(2) + speech(1) + silence(2))
    out = trim_silence(samples)
    assert abs(len(out) / 8000 - 1.5) < 0.03


def test_saved_messages_older_than_the_limit_are_purged(tmp_path, vclock):
    index = MessageIndex.open(str(tmp_path / "p.db"), vclock)
    cfg = dict(CONFIG, voicemail=dict(CONFIG["voicemail"], delete_saved_after_days=30, max_messages=10))
    vm = Voicemail(cfg, index, tmp_path, vclock)
    box = vm.mailbox("201")
    w = vm.new_writer(box)
    record(w, speech(2))
    msg = vm.deposit(box, w, 0, None)
    vm.save(msg)
    assert vm.purge_saved() == 0
    vclock.loop.run_until_complete(_sleep(31 * 86400))
    assert vm.purge_saved() == 1 and vm.counts(box) == {"new": 0, "saved": 0, "total": 0}
    index.close()


def test_a_new_message_is_handed_to_the_mailer_when_the_mailbox_has_an_address(tmp_path, vclock):
    sent = []

    class Mailer:
        def send_message(self, box, message, path):
            sent.append((box.email, message.id, path.exists()))

        def send_notice(self, box, subject, text):
            sent.append((box.email, subject))

    cfg = dict(CONFIG, extensions=[dict(CONFIG["extensions"][0], email="sam@example.com"), CONFIG["extensions"][1]])
    index = MessageIndex.open(str(tmp_path / "m.db"), vclock)
    vm = Voicemail(cfg, index, tmp_path, vclock, mailer=Mailer())
    for number in ("201", "202"):
        box = vm.mailbox(number)
        w = vm.new_writer(box)
        record(w, speech(2))
        vm.deposit(box, w, 0, None)
    assert sent == [("sam@example.com", 1, True)]
    w = vm.new_writer(vm.mailbox("201"))
    record(w, speech(2))
    vm.save_greeting(vm.mailbox("201"), "unavailable", w, 0.0)
    assert sent[-1][0] == "sam@example.com" and sent[-1][1].startswith("Greeting changed on mailbox 201")
    index.close()


def test_a_caller_trying_mailbox_after_mailbox_is_locked_out(vm):
    guard = vm.guard
    for number in ("201", "202", "500"):
        for _ in range(2):
            result = guard.check(number, "000001", lambda _p: False, "test", caller="5559999")
    assert result.locked                                   # 6 wrong PINs from one number
    assert guard.locked_for("201") == 0                    # no mailbox reached its own limit
    # the caller is refused even with the right PIN; another caller is not
    assert guard.check("201", "480716", vm.verify(vm.mailbox("201")), caller="5559999").locked
    assert guard.check("201", "480716", vm.verify(vm.mailbox("201")), caller="5551111").ok


def test_a_message_in_a_shared_mailbox_lights_every_members_lamp(tmp_path, vclock):
    lamps = {}
    index = MessageIndex.open(str(tmp_path / "s.db"), vclock)
    vm = Voicemail(CONFIG, index, tmp_path, vclock, mwi=lambda box, active: lamps.__setitem__(box, active))
    shared = vm.mailbox("500")
    w = vm.new_writer(shared)
    record(w, speech(2))
    msg = vm.deposit(shared, w, 0, None)
    assert lamps == {"500": True, "201": True, "202": True}
    vm.save(msg)
    assert lamps == {"500": False, "201": False, "202": False}
    index.close()
