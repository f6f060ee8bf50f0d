"""Listening to messages: the ``vm_login`` application (desk-phone feature code, or from outside via a menu).

What it is: :class:`Retrieve`. It asks for the mailbox (unless known: ``vm_login:NUMBER``, or the desk
phone's own extension) and the PIN — checked by the :class:`~firmware.voicemail.pins.PinGuard`, so wrong
PINs count across calls and lock the mailbox with growing back-off; after ``disconnect_after_failures`` the
caller is hung up. A desk phone on its own extension whose mailbox has no PIN yet is let in (from outside a
PIN is always required). Statements ("Message deleted") cannot be interrupted, so a key pressed during
one is kept for the next question instead of being lost. Then: "You have three new messages and one saved message"; 1 new messages, 2 saved
messages, 3 greetings, 4 change PIN, # exit. For each message: "Message 1, received Tuesday at 2 15 PM from
5 5 5 1 2 3 4", the audio, then 1 replay, 2 save, 3 delete, 5 envelope again, 6 next, * main menu. A new
message that was heard and passed over is kept as saved (the lamp follows). Greetings: 1 unavailable, 2
busy, 3 name, 4 temporary, 5 remove the temporary one. PIN change: at least six digits, trivial PINs refused,
entered twice. A PIN from the configuration that would not pass those rules (a 4-digit PIN, 1234…) must be
changed right after logging in.

What it is not: storage or PIN policy (``mailbox`` and ``pins``).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from firmware.engine.leg import Leg
from firmware.prompts import speech
from firmware.voicemail.dialogue import Item, ask, beep, say
from firmware.voicemail.index import Message
from firmware.voicemail.pins import pin_problem

if TYPE_CHECKING:
    from firmware.voicemail.mailbox import Mailbox, Voicemail

log = logging.getLogger(__name__)
MENU_TRIES = 3
GREETING_KEYS = {"1": "unavailable", "2": "busy", "3": "name", "4": "temp"}


class Retrieve:
    """The ``vm_login`` application bound to the voicemail service."""

    def __init__(self, voicemail: "Voicemail") -> None:
        self.vm = voicemail
        security = voicemail.config.get("security") or {}
        self.max_tries = int(security.get("disconnect_after_failures", 3))

    async def __call__(self, leg: Leg, target: str | None = None) -> None:
        box = await self.login(leg, target)
        if box is None:
            await leg.hangup()
            return
        if self.vm.pin_is_weak(box) and not await self.forced_pin_change(leg, box):
            await leg.play("vm-goodbye", interruptible=False)
            await leg.hangup()
            return
        await self.main_menu(leg, box)
        await leg.play("vm-goodbye", interruptible=False)
        await leg.hangup()

    # ----- login -----
    def _own_mailbox(self, leg: Leg) -> str | None:
        if leg.direction != "internal" or not leg.extension:
            return None
        return leg.engine.office.mailbox_of(leg.extension)

    async def login(self, leg: Leg, target: str | None) -> "Mailbox | None":
        own = self._own_mailbox(leg)
        number = target or own
        for _ in range(self.max_tries):
            if not number:
                number = await ask(leg, "vm-enter-mailbox", 6)
                if not number:
                    continue
            box = self.vm.mailbox(number)
            if box is not None and number == own and not self.vm.has_pin(box):
                return box
            if box is not None and self.vm.guard.locked_for(box.number) > 0:
                self.vm.guard.check(box.number, "", lambda _p: False, self._source(leg))
                await leg.play("vm-locked", interruptible=False)
                return None
            pin = await ask(leg, "vm-enter-pin", 10, timeout=10)
            caller = self._outside_number(leg)
            if box is None:           # asked anyway, so a caller cannot tell which mailboxes exist
                if self.vm.guard.unknown_mailbox(number, self._source(leg), caller).locked:
                    await leg.play("vm-locked", interruptible=False)
                    return None
                await leg.play("vm-login-incorrect", interruptible=False)
                number = None if not target else number
                continue
            result = self.vm.guard.check(box.number, pin, self.vm.verify(box), self._source(leg), caller)
            if result.ok:
                return box
            if result.locked:
                await leg.play("vm-locked", interruptible=False)
                return None
            await leg.play("vm-login-incorrect", interruptible=False)
            if not target and number != own:
                number = None
        return None

    @staticmethod
    def _outside_number(leg: Leg) -> str | None:
        return str((leg.caller_id or {}).get("number") or "") or None if leg.direction == "in" else None

    @staticmethod
    def _source(leg: Leg) -> str:
        cid = (leg.caller_id or {}).get("number") if leg.caller_id else None
        return f"{leg.port.name}/{leg.extension or cid or 'unknown'}"

    # ----- main menu -----
    async def main_menu(self, leg: Leg, box: "Mailbox") -> None:
        silent = 0
        while silent < MENU_TRIES:
            counts = self.vm.counts(box)
            key = await say(leg, [*speech.message_counts(counts["new"], counts["saved"]), "vm-main-menu"])
            if key is None:
                key = await leg.collect(1, 8.0, 0, terminators="")
            if key == "":
                silent += 1
                continue
            silent = 0
            if key in ("#", "*"):
                return
            if key in ("1", "2"):
                await self.listen(leg, box, "new" if key == "1" else "saved")
            elif key == "3":
                await self.greetings(leg, box)
            elif key == "4":
                await self.change_pin(leg, box)
            else:
                await leg.play("menu-invalid", interruptible=False)

    # ----- messages -----
    def envelope(self, number: int, message: Message) -> list[Item]:
        when = self.vm.local_time(message.received)
        now = self.vm.local_time(self.vm.clock.wall())
        who: list[Item] = speech.digits(message.caller_number) if message.caller_number and \
            message.caller_number.isdigit() else ["vm-unknown-caller"]
        return ["vm-message-number", *speech.number(number), "vm-received",
                *speech.day_and_time(when.replace(tzinfo=None), now.replace(tzinfo=None)), "vm-from", *who]

    async def listen(self, leg: Leg, box: "Mailbox", folder: str) -> None:
        messages = self.vm.messages(box, folder)
        if not messages:
            await say(leg, ["vm-you-have", "vm-no-messages"])
            return
        for i, message in enumerate(messages, start=1):
            if await self._one(leg, i, message) == "menu":
                return
        await leg.play("vm-no-more-messages")

    async def _one(self, leg: Leg, number: int, message: Message) -> str:
        key = await say(leg, [*self.envelope(number, message), self.vm.audio_path(message)])
        tries = 0
        while True:
            if key is None:
                key = await ask(leg, "vm-message-options", 1, timeout=8, terminators="")
            if key == "1":
                key = await say(leg, [self.vm.audio_path(message)])
                continue
            if key == "5":
                key = await say(leg, self.envelope(number, message))
                continue
            if key == "2":
                self.vm.save(message)
                await leg.play("vm-message-kept", interruptible=False)
                return "next"
            if key == "3":
                self.vm.delete(message)
                await leg.play("vm-message-deleted", interruptible=False)
                return "next"
            if key in ("6", "*"):
                if message.folder == "new":
                    self.vm.save(message)
                return "next" if key == "6" else "menu"
            tries += 1
            if tries >= MENU_TRIES:
                if message.folder == "new":
                    self.vm.save(message)
                return "menu"
            if key:
                await leg.play("menu-invalid", interruptible=False)
            key = None

    # ----- greetings and PIN -----
    async def greetings(self, leg: Leg, box: "Mailbox") -> None:
        for _ in range(MENU_TRIES):
            key = await ask(leg, "vm-greetings-menu", 1, timeout=8, terminators="")
            if key in ("*", "#") or key == "":
                return
            if key == "5":
                self.vm.remove_greeting(box, "temp")
                await leg.play("vm-greeting-removed", interruptible=False)
            elif key in GREETING_KEYS:
                await self.record_greeting(leg, box, GREETING_KEYS[key])
            else:
                await leg.play("menu-invalid", interruptible=False)

    async def record_greeting(self, leg: Leg, box: "Mailbox", kind: str) -> None:
        await leg.play("vm-record-after-tone")
        leg.flush_digits()
        await beep(leg)
        writer = self.vm.new_writer(box)
        result = None
        try:
            result = await leg.record(writer, self.vm.max_greeting_seconds, stop_digits="#", silence_seconds=5.0)
        finally:
            done = self.vm.save_greeting(box, kind, writer, result.trim_seconds if result else 0.0) \
                if result is not None and result.reason != "hangup" else writer.discard()
        if leg.up:
            await leg.play("vm-greeting-saved" if done else "vm-message-too-short", interruptible=False)

    async def forced_pin_change(self, leg: Leg, box: "Mailbox") -> bool:
        """A weak PIN from the configuration must be replaced before anything else."""
        await leg.play("vm-pin-must-change", interruptible=False)
        for _ in range(MENU_TRIES):
            if await self.change_pin(leg, box):
                return True
        return False

    async def change_pin(self, leg: Leg, box: "Mailbox") -> bool:
        new = await ask(leg, "vm-new-pin", 10, timeout=10)
        problem = pin_problem(new, box.number, self.vm.pin_min_length)
        if problem:
            log.info("mailbox %s: new PIN refused (%s)", box.number, problem)
            await leg.play("vm-pin-weak", interruptible=False)
            return False
        again = await ask(leg, "vm-reenter-pin", 10, timeout=10)
        if again != new:
            await leg.play("vm-pin-mismatch", interruptible=False)
            return False
        self.vm.change_pin(box, new)
        await leg.play("vm-pin-changed", interruptible=False)
        return True
