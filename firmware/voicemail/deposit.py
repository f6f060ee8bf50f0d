"""Leaving a message: the ``voicemail`` application (``voicemail:MAILBOX``).

What it is: :func:`leave_message`. The caller hears the mailbox's greeting (temporary, else busy or
unavailable according to ``leg.vars["vm_reason"]``, else a default built from prompts) and the instructions,
then a beep, and is recorded until they press #, hang up, fall silent for ``max_silence_seconds`` or reach
``max_message_seconds``. During the greeting 0 reaches the operator, * logs in to the mailbox (the
``vm_login`` application) and # skips to the beep. A caller who hangs up while recording keeps their
message; a recording shorter than ``min_message_seconds`` after trimming is discarded. A full mailbox tells
the caller so and offers the operator. If the disk fills while recording, the caller hears so, the message is
kept up to that point and the call ends; the daemon carries on.

What it is not: storage (``firmware.voicemail.mailbox``).
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from firmware.engine.leg import Leg, RecordResult
from firmware.voicemail.dialogue import beep, say

if TYPE_CHECKING:
    from firmware.voicemail.mailbox import Mailbox, Voicemail

log = logging.getLogger(__name__)


class Deposit:
    """The ``voicemail`` application bound to the voicemail service."""

    def __init__(self, voicemail: "Voicemail") -> None:
        self.vm = voicemail

    async def __call__(self, leg: Leg, target: str | None = None) -> None:
        box = self.vm.mailbox(target)
        if box is None:
            log.error("%s: no mailbox %r", leg.id, target)
            await leg.play("vm-no-mailbox")
            await self._operator(leg)
            return
        reason = str(leg.vars.pop("vm_reason", "unavailable"))
        if self.vm.is_full(box):
            await self._full(leg, box)
            return
        key = await say(leg, [*self.vm.greeting(box, reason), "vm-leave-message"])
        if key == "0" and self.vm.operator_key:
            await self._operator(leg)
            return
        if key == "*":
            await leg.engine.goto(leg, f"vm_login:{box.number}")
            return
        await self.record(leg, box)

    async def record(self, leg: Leg, box: "Mailbox") -> None:
        if self.vm.storage_full:   # the box keeps room for the call log: say so before the caller speaks
            await self._disk_full(leg)
            return
        leg.flush_digits()
        await beep(leg)
        loop = asyncio.get_running_loop()
        task: asyncio.Task[RecordResult] | None = None

        def disk_full(exc: OSError) -> None:
            if task is not None and not task.done():
                loop.call_soon(task.cancel)

        writer = self.vm.new_writer(box, on_error=disk_full)
        if writer.disk_full:
            await self._disk_full(leg)
            return
        result: RecordResult | None = None
        try:
            task = loop.create_task(leg.record(writer, self.vm.max_message_seconds, stop_digits="#",
                                               silence_seconds=self.vm.max_silence_seconds))
            try:
                result = await asyncio.shield(task)
            except asyncio.CancelledError:
                if not writer.disk_full:
                    task.cancel()
                    raise
        finally:
            message = self.vm.deposit(box, writer, result.trim_seconds if result else 0.0, leg.caller_id)
        log.info("%s: message for %s %s (%s)", leg.id, box.number, "saved" if message else "discarded",
                 result.reason if result else "disk full")
        if not leg.up:
            return
        if writer.disk_full:
            await self._disk_full(leg)
            return
        await leg.play("vm-message-saved" if message else "vm-message-too-short", interruptible=False)
        if message is None:
            await leg.play("vm-goodbye", interruptible=False)
        await leg.hangup()

    async def _disk_full(self, leg: Leg) -> None:
        leg.engine.bus.publish("fault", port=leg.port.name, reason="voicemail storage is full")
        await leg.play("vm-disk-full", interruptible=False)
        await leg.hangup()

    async def _full(self, leg: Leg, box: "Mailbox") -> None:
        log.warning("%s: mailbox %s is full", leg.id, box.number)
        key = await leg.play("vm-mailbox-full")
        if key is None:
            key = await leg.collect(1, 5.0, 0, terminators="")
        if key == "0":
            await self._operator(leg)
            return
        await leg.play("vm-goodbye", interruptible=False)
        await leg.hangup()

    async def _operator(self, leg: Leg) -> None:
        if "operator" in leg.engine.apps or leg.engine.office.operator:
            await leg.engine.goto(leg, "operator")
        else:
            await leg.hangup()
