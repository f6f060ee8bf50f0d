"""Mailboxes: where messages and greetings live, and what happens when a message arrives.

What it is: :class:`Voicemail`, the voicemail service of the box. It knows every mailbox (one per extension
that has ``mailbox:`` plus the shared ones under ``voicemail.shared``), keeps audio under
``<data>/voicemail/<mailbox>/`` (``msg-<stamp>.wav``; greetings ``greeting-unavailable.wav``,
``greeting-busy.wav``, ``greeting-temp.wav``, ``greeting-name.wav``) and the index in SQLite. It chooses the
greeting a caller hears (temporary overrides busy and unavailable; with no recording, a default built from
prompts: "The person at extension 2 0 1 is not available"), saves a finished recording as a message
(file renamed into place, then the row in the store), sets message waiting — through the engine's
``set_message_waiting`` (lamps, stutter dial tone, VMWI) or an ``mwi`` bus event — publishes a ``mailbox``
event with the counts, and hands the message to the mailer when the mailbox has an e-mail address.

What it is not: the phone dialogues (``deposit`` and ``retrieve``) or SMTP (``mail``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from drivers.clock import Clock
from firmware.voicemail.index import Message, MessageIndex
from firmware.voicemail.pins import PinGuard, hash_pin, pin_problem, verify_pin
from firmware.voicemail.recorder import Finished, MessageWriter

GREETING_KINDS = ("unavailable", "busy", "temp", "name")
log = logging.getLogger(__name__)

Publish = Callable[..., Any]


@dataclass
class Mailbox:
    """One mailbox: its number, owner's name, PIN (from the config), e-mail and whose lamps it lights."""

    number: str
    name: str
    folder: Path
    pin: str | None = None
    email: str | None = None
    extensions: list[str] = field(default_factory=list)
    shared: bool = False

    def greeting_path(self, kind: str) -> Path:
        if kind not in GREETING_KINDS:
            raise ValueError(f"no greeting kind {kind!r}")
        return self.folder / f"greeting-{kind}.wav"


def mailboxes_from_config(config: Mapping[str, Any], root: Path) -> dict[str, Mailbox]:
    """Every mailbox the configuration names."""
    boxes: dict[str, Mailbox] = {}
    for ext in config.get("extensions") or []:
        number = ext.get("mailbox")
        if number:
            number = str(number)
            box = boxes.setdefault(number, Mailbox(number, str(ext.get("name") or number), root / number,
                                                   _opt(ext.get("pin")), _opt(ext.get("email"))))
            box.extensions.append(str(ext["number"]))
    vm = config.get("voicemail") or {}
    for shared in vm.get("shared") or []:
        number = str(shared["number"])
        boxes[number] = Mailbox(number, str(shared.get("name") or number), root / number,
                                _opt(shared.get("pin")), _opt(shared.get("email")),
                                [str(m) for m in shared.get("members") or []], shared=True)
    return boxes


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class Voicemail:
    """The voicemail service; see the module docstring."""

    def __init__(self, config: Mapping[str, Any], index: MessageIndex, data_dir: Path | str, clock: Clock,
                 publish: Publish | None = None, mailer: Any = None,
                 mwi: Callable[[str, bool], None] | None = None) -> None:
        self.config = config
        vm = dict(config.get("voicemail") or {})
        self.max_message_seconds = float(vm.get("max_message_seconds", 180))
        self.min_message_seconds = float(vm.get("min_message_seconds", 1))
        self.max_greeting_seconds = float(vm.get("max_greeting_seconds", 60))
        self.max_messages = int(vm.get("max_messages", 100))
        self.silence_trim = bool(vm.get("silence_trim", True))
        self.max_silence_seconds = float(vm.get("max_silence_seconds", 10))
        self.operator_key = bool(vm.get("operator_key", True))
        self.delete_saved_after_days = vm.get("delete_saved_after_days")
        self.root = Path(data_dir) / "voicemail"
        self.index = index
        self.clock = clock
        self.publish = publish
        self.mailer = mailer
        self.mwi = mwi
        self.storage_full = False   # the data partition is (nearly) full: no new recordings (set by the attendant)
        security = config.get("security") or {}
        self.pin_min_length = max(6, int(security.get("pin_min_length", 6)))
        self.guard = PinGuard.from_config(index, clock, security)
        self.boxes = mailboxes_from_config(config, self.root)

    # ----- lookup -----
    def mailbox(self, number: str | None) -> Mailbox | None:
        return self.boxes.get(str(number)) if number else None

    def counts(self, box: Mailbox) -> dict[str, int]:
        return self.index.counts(box.number)

    def is_full(self, box: Mailbox) -> bool:
        return self.counts(box)["total"] >= self.max_messages

    def messages(self, box: Mailbox, folder: str) -> list[Message]:
        return self.index.messages(box.number, folder)

    def audio_path(self, message: Message) -> Path:
        return Path(message.path)

    # ----- greetings -----
    def greeting(self, box: Mailbox, reason: str) -> list[str | Path]:
        """What a caller hears before the tone: recorded files (Path) and prompt names (str), in order."""
        temp = box.greeting_path("temp")
        if temp.exists():
            return [temp]
        own = box.greeting_path("busy" if reason == "busy" else "unavailable")
        if own.exists():
            return [own]
        name = box.greeting_path("name")
        from firmware.prompts import speech  # noqa: PLC0415 - small, pure
        who: list[str | Path] = [name] if name.exists() else ["vm-person-at-extension", *speech.digits(box.number)]
        return [*who, "vm-is-busy" if reason == "busy" else "vm-not-available"]

    def new_writer(self, box: Mailbox, on_error: Callable[[OSError], None] | None = None) -> MessageWriter:
        return MessageWriter(box.folder, on_error)

    def save_greeting(self, box: Mailbox, kind: str, writer: MessageWriter, trim_end: float) -> Finished | None:
        done = writer.finish(box.greeting_path(kind), trim_end, min_seconds=0.5, silence_trim=True)
        if done is not None:
            log.info("mailbox %s: %s greeting recorded (%.1f s)", box.number, kind, done.seconds)
            if self.publish:
                self.publish("greeting_changed", mailbox=box.number, greeting=kind)
            self._notify_owner(box, f"The {kind} greeting of mailbox {box.number} was recorded by phone.")
        return done

    def _notify_owner(self, box: Mailbox, text: str) -> None:
        if self.mailer is not None and box.email:
            self.mailer.send_notice(box, f"Greeting changed on mailbox {box.number} ({box.name})",
                                    f"{text} If this was not you, change the mailbox PIN now.")

    def remove_greeting(self, box: Mailbox, kind: str) -> bool:
        try:
            box.greeting_path(kind).unlink()
        except FileNotFoundError:
            return False
        if self.publish:
            self.publish("greeting_changed", mailbox=box.number, greeting=kind, removed=True)
        self._notify_owner(box, f"The {kind} greeting of mailbox {box.number} was removed by phone.")
        return True

    # ----- messages -----
    def deposit(self, box: Mailbox, writer: MessageWriter, trim_end: float,
                caller_id: Mapping[str, Any] | None) -> Message | None:
        """Finish a caller's recording into a message (None: too short). Publishes MWI; mails it."""
        received = self.clock.wall()
        final = box.folder / f"msg-{received.strftime('%Y%m%d-%H%M%S')}-{writer.part.stem[-8:]}.wav"
        done = writer.finish(final, trim_end, self.min_message_seconds, self.silence_trim)
        if done is None:
            log.info("mailbox %s: recording too short, discarded", box.number)
            return None
        caller_id = caller_id or {}
        msg_id = self.index.add(box.number, str(done.path), _opt(caller_id.get("number")), _opt(caller_id.get("name")),
                                received, done.seconds, done.partial)
        message = self.index.get(msg_id)
        assert message is not None
        if self.publish:
            self.publish("recording_saved", mailbox=box.number, message=msg_id, seconds=round(done.seconds, 2),
                         partial=done.partial, caller=caller_id.get("number"))
        self.update_mwi(box)
        if self.mailer is not None and box.email:
            self.mailer.send_message(box, message, done.path)
        return message

    def save(self, message: Message) -> None:
        self.index.move(message.id, "saved")
        self._after_change(message.mailbox)

    def delete(self, message: Message) -> None:
        self.index.remove(message.id)
        self._after_change(message.mailbox)

    def _after_change(self, number: str) -> None:
        box = self.mailbox(number)
        if box is not None:
            self.update_mwi(box)

    def purge_saved(self) -> int:
        """Delete saved messages older than ``delete_saved_after_days`` (None: keep for ever)."""
        if not self.delete_saved_after_days:
            return 0
        cutoff = self.clock.wall() - timedelta(days=float(self.delete_saved_after_days))
        old = [m for box in self.boxes.values() for m in self.messages(box, "saved") if m.received < cutoff]
        for message in old:
            self.delete(message)
        if old:
            log.info("deleted %d saved message(s) older than %s days", len(old), self.delete_saved_after_days)
        return len(old)

    def update_mwi(self, box: Mailbox) -> None:
        """Message waiting: through ``mwi(mailbox, active)`` (the engine: lamps, stutter tone, VMWI) when
        given, else as an ``mwi`` bus event; and always a ``mailbox`` event with the counts.

        A member of a shared mailbox sees its messages too: the lamp of the member's own mailbox is lit
        while either has a new message."""
        counts = self.counts(box)
        active = counts["new"] > 0
        if self.mwi is not None:
            if box.shared:
                self.mwi(box.number, active)
            for ext in box.extensions:
                own = self._own_box(ext)
                if own is not None:
                    self.mwi(own.number, self._lamp(ext, own))
        elif self.publish:
            self.publish("mwi", mailbox=box.number, active=active, extensions=list(box.extensions))
        if self.publish:
            self.publish("mailbox", mailbox=box.number, new=counts["new"], saved=counts["saved"],
                         extensions=list(box.extensions))

    def _own_box(self, extension: str) -> Mailbox | None:
        return next((b for b in self.boxes.values() if not b.shared and extension in b.extensions), None)

    def _lamp(self, extension: str, own: Mailbox) -> bool:
        boxes = [own] + [b for b in self.boxes.values() if b.shared and extension in b.extensions]
        return any(self.counts(b)["new"] > 0 for b in boxes)

    def publish_all_mwi(self) -> None:
        """At start-up: tell every lamp where it stands."""
        for box in self.boxes.values():
            self.update_mwi(box)

    # ----- PINs -----
    def verify(self, box: Mailbox) -> Callable[[str], bool]:
        stored = self.index.pin_hash(box.number) or box.pin

        def check(entered: str) -> bool:
            return stored is not None and verify_pin(entered, stored)

        return check

    def has_pin(self, box: Mailbox) -> bool:
        return bool(self.index.pin_hash(box.number) or box.pin)

    def pin_is_weak(self, box: Mailbox) -> bool:
        """The mailbox still uses a configured PIN that the PIN rules would refuse."""
        if self.index.pin_hash(box.number) or not box.pin:
            return False
        return pin_problem(box.pin, box.number, self.pin_min_length) is not None

    def change_pin(self, box: Mailbox, pin: str) -> None:
        self.index.set_pin_hash(box.number, hash_pin(pin), self.clock.wall())
        log.info("mailbox %s: PIN changed by phone", box.number)
        self.index.security_event(self.clock.wall(), "pin_changed", box.number, None,
                                  "PIN changed by phone")

    def local_time(self, when: datetime) -> datetime:
        from zoneinfo import ZoneInfo  # noqa: PLC0415
        tz = ZoneInfo(str((self.config.get("office") or {}).get("timezone") or "UTC"))
        return when.astimezone(tz)

    def operator_keys(self) -> Sequence[str]:
        return ("0",) if self.operator_key else ()
