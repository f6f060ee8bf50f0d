"""Ringing several extensions at once for one caller (a ring group's ``ringall``), and connecting the
caller with the phone that answers.

What it is: :class:`RingAll`, mixed into :class:`~firmware.engine.phones.DeskPhones`;
:meth:`RingAll.dial_extensions` is what :meth:`firmware.engine.leg.Leg.dial_extensions` calls.

* Every member is looked at once, in the given order. ``forward.always`` is followed (a member forwarded
  elsewhere rings the target instead); a member who is busy, out of order or has no phone rings its
  ``forward.busy`` target instead when it has one, else is skipped; do-not-disturb (configuration or presence)
  is skipped and never forwarded — the same rules as :mod:`firmware.engine.forward`. ``forward.no_answer`` does
  not apply: the group's own ring timeout and no-answer destination govern. The caller's own extension, and a
  phone already reached through another member, are rung once or not at all.
* Every phone left rings at the same moment with the office's cadence and the caller's ID; the caller hears
  ringback (unless already bridged). The first phone lifted gets the call: the others stop ringing at once.
  A member who lifts a moment later finds an idle phone and hears dial tone, as after any missed call.
* Nobody lifts within ``ring_timeout`` → every phone stops, result ``no_answer``. The caller hangs up → every
  phone stops and :class:`~firmware.engine.leg.LegHungUp` is raised.
* The call stays one call: the answering phone's leg joins the caller's call, and the call log records it as
  answered by that extension.

Results: ``("answered", number)`` after the bridged call ended; ``("no_answer", None)``; ``("busy", None)``
when nobody could be rung and at least one member was busy or on do-not-disturb; ``("unavailable", None)`` when
no member has a working phone.

What it is not: a queue (no announcements, no position) or the one-extension path (``Forwarding.dial_extension``,
which follows ``no_answer`` forwards and uses the extension's own ring timeout).
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Iterable

from drivers.errors import PortError
from firmware.engine.leg import LegHungUp

if TYPE_CHECKING:
    from firmware.engine.core import Engine
    from firmware.engine.leg import Leg
    from firmware.engine.phones import Phone

log = logging.getLogger(__name__)


class RingAll:
    """See the module docstring (the desk phones provide ``engine``, ``_availability``, ``_do_not_disturb``,
    ``_forward_to``, ``phone_of_extension``, ``_set``, ``_stop_ring``, ``_cadence`` and ``_caller_id_for``)."""

    engine: "Engine"

    async def dial_extensions(self, caller: "Leg", numbers: Iterable[str],
                              ring_timeout: float | None = None) -> tuple[str, str | None]:
        """Ring every free phone among ``numbers`` at once; see the module docstring."""
        engine = self.engine
        timeout = float(ring_timeout if ring_timeout is not None else engine.office.timeout("extension_ring"))
        targets: dict[str, "Phone"] = {}     # port name → phone; insertion order = ring order
        numbers_of: dict[str, str] = {}      # port name → the extension rung there
        skipped: list[str] = []
        for number in [str(n) for n in numbers]:
            if number == caller.extension:
                continue
            target, result = self._ring_target(caller, number)
            if target is None:
                skipped.append(result or "unavailable")
                engine.bus.publish("dial_result", leg=caller.id, extension=number, result=result)
                continue
            phone = self.phone_of_extension(target)
            assert phone is not None
            if phone.port.name not in targets:
                targets[phone.port.name] = phone
                numbers_of[phone.port.name] = target
        if not targets:
            return ("busy" if "busy" in skipped else "unavailable"), None
        ringing: list["Phone"] = []
        winner = await self._ring_many(caller, list(targets.values()), numbers_of, timeout, ringing)
        if winner is None:
            for phone in ringing:
                engine.bus.publish("dial_result", leg=caller.id, extension=numbers_of[phone.port.name],
                                   result="no_answer")
            return ("no_answer" if ringing else "unavailable"), None
        number = numbers_of[winner.port.name]
        await self._connect(caller, winner, number)
        return "answered", number

    def _ring_target(self, caller: "Leg", number: str) -> tuple[str | None, str | None]:
        """The extension to ring for member ``number`` (forwards followed), or None and why not."""
        hops: tuple[str, ...] = ()
        current = number
        while True:
            forward = (self.engine.office.extensions.get(current) or {}).get("forward") or {}
            target = self._forward_to(forward.get("always"), caller, current, hops)
            if target is not None:
                self.engine.bus.publish("forward", leg=caller.id, extension=current, to=target, when="always")
                hops, current = hops + (current,), target
                continue
            if current == caller.extension:
                return None, "busy"
            dnd = self._do_not_disturb(current)
            if dnd is not None:
                return None, dnd
            result = self._availability(self.phone_of_extension(current))
            if result is None:
                return current, None
            target = self._forward_to(forward.get("busy"), caller, current, hops)
            if target is None:
                return None, result
            self.engine.bus.publish("forward", leg=caller.id, extension=current, to=target, when="busy")
            hops, current = hops + (current,), target

    async def _ring_many(self, caller: "Leg", phones: list["Phone"], numbers_of: dict[str, str],
                         timeout: float, ringing: list["Phone"]) -> "Phone | None":
        """Ring ``phones`` together (those that could ring are appended to ``ringing``); the phone lifted
        first, or None (timeout, or none could ring)."""
        engine = self.engine
        answer: asyncio.Future = engine.loop.create_future()   # shared: its result is the port lifted first
        cid = self._caller_id_for(caller)
        for phone in phones:
            try:
                phone.port.ring(self._cadence(), dict(cid) if cid else cid)
            except PortError as exc:
                log.warning("cannot ring %s: %s", phone.port.name, exc)
                continue
            phone.answer, phone.ringing_for = answer, caller.id
            ringing.append(phone)
            self._set(phone, "ringing")
            engine.bus.publish("ringing", leg=caller.id, extension=numbers_of[phone.port.name],
                               phone=phone.port.name)
        if not ringing:
            answer.cancel()
            return None
        ringback = None if caller.bridge is not None else engine.tone_source("ringback")
        done = None
        if ringback is not None:
            done = caller._start(ringback)
            engine.bus.publish("tone", leg=caller.id, tone="ringback")
        try:
            await caller._wait(answer, timeout=timeout)
            if caller.hung_up:
                raise LegHungUp(caller)
            if not answer.done() or answer.cancelled():
                return None
            return next((p for p in ringing if p.port.name == answer.result()), None)
        finally:
            if done is not None:
                caller._stop(done)
            lifted = answer.result() if answer.done() and not answer.cancelled() else None
            if not answer.done():
                answer.cancel()
            for phone in ringing:
                if phone.answer is not answer:   # lifted just too late: already an ordinary off hook
                    continue
                phone.answer, phone.ringing_for = None, None
                if phone.port.name != lifted:
                    self._stop_ring(phone)

    async def _connect(self, caller: "Leg", phone: "Phone", number: str) -> None:
        """``phone`` was lifted for ``caller``: its leg joins the call, the two are bridged until either hangs
        up (the other is then hung up too); the call log records the answer by ``phone``'s extension."""
        engine = self.engine
        callee = engine.new_leg(phone.port, "internal", {"number": phone.number,
                                "name": (phone.extension or {}).get("name")},
                                call=caller.call, extension=phone.number)
        phone.leg = callee
        if caller.hung_up:  # the caller gave up just as the phone was lifted
            engine.hangup_leg(callee, "far_end_hung_up")
            raise LegHungUp(caller)
        engine.bus.publish("dial_result", leg=caller.id, extension=number, result="answered")
        engine.bridge(caller, callee)
        engine.call_answered(caller.call, phone.number)
        await engine.wait_any_gone(caller, callee)
        if callee.up:
            engine.hangup_leg(callee, "far_end_hung_up")
