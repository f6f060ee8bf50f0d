"""The day/night feature code: a desk phone dials ``schedule.feature_code`` (default ``*28``) to toggle.

What it is: :class:`ScheduleCode`, the ``schedule_mode`` application. With ``schedule.override_pin`` set it
asks for the PIN first (wrong PINs count and lock out like mailbox PINs, under the subject ``schedule``);
then it toggles the override (:meth:`firmware.schedule.Schedule.toggle`) and says the new mode. Only desk
phones reach it (it is a feature code, never an attendant destination).

What it is not: the schedule itself.
"""
from __future__ import annotations

import hmac
import logging

from firmware.engine.leg import Leg
from firmware.schedule import Schedule
from firmware.voicemail.dialogue import ask
from firmware.voicemail.pins import PinGuard

log = logging.getLogger(__name__)


class ScheduleCode:
    """The ``schedule_mode`` application."""

    def __init__(self, schedule: Schedule, guard: PinGuard | None = None) -> None:
        self.schedule = schedule
        self.guard = guard

    async def __call__(self, leg: Leg, target: str | None = None) -> None:
        pin = self.schedule.rules.override_pin
        if leg.direction != "internal":
            log.warning("%s: the day/night code is for desk phones only", leg.id)
            await leg.hangup()
            return
        if pin:
            entered = await ask(leg, "sched-enter-pin", 10, timeout=10)
            ok = entered != "" and hmac.compare_digest(entered.encode(), pin.encode())
            if self.guard is not None:
                ok = self.guard.check("schedule", entered, lambda e: hmac.compare_digest(e.encode(), pin.encode()),
                                      f"{leg.port.name}/{leg.extension or '-'}").ok
            if not ok:
                await leg.play("sched-pin-incorrect", interruptible=False)
                await leg.hangup()
                return
        mode = target if target in ("day", "night", "auto") else None
        status = self.schedule.set_mode(mode, "feature code") if mode else self.schedule.toggle("feature code")
        prompt = "sched-auto-mode" if status["forced"] is None else f"sched-{status['mode']}-mode"
        await leg.play(prompt, interruptible=False)
        await leg.hangup()
