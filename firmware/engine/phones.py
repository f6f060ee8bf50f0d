"""Desk phones (FXS ports): dial tone, the internal dial plan, ringing an extension, and what a phone hears
after the other party hangs up.

What it is: :class:`DeskPhones`, owned by the engine. Off hook on an idle phone → a leg (direction
``internal``) running the built-in dial plan: dial tone (stutter dial tone while the extension's mailbox has
new messages, and the phone's lamp lit by an FSK message-waiting signal — as ``phones[].mwi`` says); no first digit within ``timeouts.first_digit`` → reorder; digits then route to

* an extension number → ring its phone with the country's cadence and the caller's ID; the caller hears
  ringback; busy (or do-not-disturb: ``extensions[].dnd`` or presence ``dnd``) → busy tone; no answer → the
  callee's mailbox when a ``voicemail`` application is registered, else reorder;
* ``0`` → the operator extension;
* the access code (``trunks.outgoing.access_code``, default ``9``) → an outside line (:mod:`firmware.lines`);
* an emergency number (``trunks.outgoing.emergency_numbers``) not starting with the access code → dialled at
  once on any free line, from every extension;
* a registered feature code (``engine.register_feature("*97", "voicemail-main")``);
* a park slot number (``parking.first_slot``…) → picks up the call parked there (empty → reorder);
* anything else → reorder.

When the far party hangs up and the phone is still off hook, the loop is opened briefly (so answering
machines release) and the phone hears reorder. Reorder or busy tone to a phone left off hook lasts
``timeouts.off_hook_warning`` seconds, then the phone hears silence until it hangs up.

Forwarding (``extensions[].forward``, to another extension) applies wherever an extension is rung:
:mod:`firmware.engine.forward`. Ringing several phones at once for one caller (a ring group's ``ringall``):
:mod:`firmware.engine.ringall`.

Transfer and park by hook flash: :mod:`firmware.engine.transfer`.

What it is not: the hook-switch state machine (the FXS driver reports off_hook/on_hook/flash/digit).
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from drivers.errors import PortError
from drivers.port import Port, PortEvent
from firmware.engine.audio import Concat, SilenceSource
from firmware.engine.leg import Leg, LegHungUp
from firmware.engine.forward import Forwarding
from firmware.engine.ringall import RingAll
from firmware.engine.transfer import FlashTransfer

if TYPE_CHECKING:
    from firmware.engine.core import Engine

log = logging.getLogger(__name__)

OPEN_LOOP_MS = 500
"""Open-loop disconnect sent to a phone whose far party hung up."""


class Phone:
    """One desk phone: its port, its extension and its state (idle, ringing, off_hook)."""

    def __init__(self, port: Port, extension: dict[str, Any] | None, label: str = "") -> None:
        self.port = port
        self.extension = extension
        self.label = label
        self.state = "idle"
        self.leg: Leg | None = None
        self.answer: asyncio.Future | None = None
        self.ringing_for: str | None = None

    @property
    def number(self) -> str | None:
        return str(self.extension["number"]) if self.extension else None

    @property
    def busy(self) -> bool:
        return self.state != "idle"

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        if self.port.fault:
            state = "fault"
        elif state == "off_hook" and self.leg is not None and self.leg.bridge is not None:
            state = "in_call"
        return {"phone": self.port.name, "port": self.port.name, "label": self.label, "extension": self.number,
                "state": state, "leg": self.leg.id if self.leg else None, "fault": self.port.fault}


class DeskPhones(Forwarding, RingAll):
    """The desk phones of the office; see the module docstring."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self.features: dict[str, Any] = {}
        self.phones: dict[str, Phone] = {}
        office = engine.office
        for entry in office.phones:
            port = engine.ports.get(entry["port"])
            if port is None:
                log.warning("phone %s is configured but the board has no such port", entry["port"])
                continue
            self.phones[port.name] = Phone(port, office.by_phone.get(port.name), entry.get("label", ""))
        if "desk" not in engine.apps:
            engine.register_app("desk", self.desk_app)
        self.transfer = FlashTransfer(self)

    def start(self) -> None:
        for phone in self.phones.values():
            self._publish(phone)

    def stop(self) -> None:
        for phone in self.phones.values():
            if phone.state == "ringing":
                self._stop_ring(phone)

    def phone(self, port_name: str) -> Phone | None:
        return self.phones.get(port_name)

    def phone_of_extension(self, number: str) -> Phone | None:
        ext = self.engine.office.extensions.get(str(number))
        return self.phones.get(ext.get("phone")) if ext else None

    def snapshot(self) -> list[dict[str, Any]]:
        return [p.snapshot() for p in self.phones.values()]

    def _publish(self, phone: Phone) -> None:
        self.engine.bus.publish("phone", phone=phone.port.name, extension=phone.number, state=phone.state)

    def _set(self, phone: Phone, state: str) -> None:
        if phone.state != state:
            phone.state = state
            self._publish(phone)

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, event: PortEvent) -> None:
        phone = self.phones[event.port]
        if event.kind == "off_hook":
            self._off_hook(phone)
        elif event.kind == "on_hook":
            self._on_hook(phone)
        elif event.kind == "flash":
            self.engine.bus.publish("flash", phone=phone.port.name, leg=phone.leg.id if phone.leg else None)
            if phone.leg is not None:
                phone.leg._flash()
                self.transfer.flashed(phone.leg)

    def _off_hook(self, phone: Phone) -> None:
        if phone.state == "ringing":
            if phone.answer is not None and not phone.answer.done():
                self._set(phone, "off_hook")
                phone.answer.set_result(phone.port.name)   # shared by the phones of a ring-all
                return
            self._stop_ring(phone)   # another phone took the call a moment ago: an ordinary off hook
            phone.answer, phone.ringing_for = None, None
        if phone.state != "idle":
            return
        self._set(phone, "off_hook")
        caller_id = {"number": phone.number, "name": (phone.extension or {}).get("name")}
        phone.leg = self.engine.new_leg(phone.port, "internal", caller_id, extension=phone.number)
        self.engine.start_app(phone.leg, "desk")

    def _on_hook(self, phone: Phone) -> None:
        self.engine.port_sources.pop(phone.port.name, None)
        leg, phone.leg = phone.leg, None
        self._set(phone, "idle")
        if leg is not None:
            self.engine.hangup_leg(leg, "on_hook")

    def leg_ended(self, leg: Leg) -> None:
        """The engine ended ``leg``; a phone still off hook gets an open-loop pulse, then reorder."""
        phone = self.phones.get(leg.port.name)
        if phone is None or phone.leg is not leg:
            return
        phone.leg = None
        if leg.hangup_reason == "on_hook" or phone.state != "off_hook":
            return
        try:
            phone.port.open_loop(OPEN_LOOP_MS)
        except PortError:
            pass
        warning = self.engine.office.timeout("off_hook_warning")   # then silence until it hangs up
        self.engine.port_sources[phone.port.name] = Concat(
            [SilenceSource(OPEN_LOOP_MS / 1000 + 0.5), self.engine.tone_source("reorder", warning)])
        self.engine.bus.publish("reorder", port=phone.port.name, reason="far_end_hung_up")

    def accepts_digit(self, event: PortEvent) -> bool:
        """``phones[].dialing``: a desk phone set to ``tone`` ignores pulse (rotary) digits, one set to ``pulse``
        ignores tone (DTMF) digits; ``both`` (the default) takes either. Lines take what they hear."""
        if event.port not in self.phones:
            return True
        dialing = str(self.engine.office.phone(event.port).get("dialing", "both"))
        pulse = event.data.get("source") == "pulse"
        return dialing == "both" or (dialing == "pulse") == pulse

    def _mwi(self, port: str) -> str:
        """``phones[].mwi``: how this phone shows waiting messages (stutter, lamp, both, none)."""
        return str(self.engine.office.phone(port).get("mwi", "both"))

    def update_vmwi(self, mailbox: str, active: bool) -> None:
        """Light (or put out) the message lamp of phones whose extension owns ``mailbox``."""
        for phone in self.phones.values():
            if phone.extension and str(phone.extension.get("mailbox")) == mailbox \
                    and self._mwi(phone.port.name) in ("lamp", "both"):
                try:
                    phone.port.send_vmwi(active)
                except PortError:
                    pass

    # -- ringing an extension -----------------------------------------------------------------------
    async def _ring_extension(self, caller: Leg, number: str, ring_timeout: float | None) -> str:
        engine = self.engine
        phone = self.phone_of_extension(number)
        if ring_timeout is None:   # the extension's own ring_timeout overrides the office's extension_ring
            own = ((phone.extension or {}).get("ring_timeout") if phone is not None else None)
            ring_timeout = own if own is not None else engine.office.timeout("extension_ring")
        timeout = float(ring_timeout)
        result = self._availability(phone) or self._do_not_disturb(str(number))
        if result is not None:
            engine.bus.publish("dial_result", leg=caller.id, extension=str(number), result=result)
            return result
        assert phone is not None
        answered = await self._ring(caller, phone, str(number), timeout)
        if not answered:
            engine.bus.publish("dial_result", leg=caller.id, extension=str(number), result="no_answer")
            return "no_answer"
        await self._connect(caller, phone, str(number))
        return "answered"

    def _availability(self, phone: Phone | None) -> str | None:
        if phone is None or phone.port.fault:
            return "unavailable"
        if phone.busy:
            return "busy"
        return None

    def _do_not_disturb(self, number: str) -> str | None:
        """``busy`` when the extension is set to do-not-disturb (configuration, or presence ``dnd``)."""
        ext = self.engine.office.extensions.get(number) or {}
        if ext.get("dnd"):
            return "busy"
        presence = getattr(self.engine.store, "presence", None)
        if presence is None:
            return None
        try:
            state = (presence().get(number) or {}).get("state")
        except Exception:  # a store problem must not stop the phone ringing
            log.exception("reading presence for %s failed", number)
            return None
        return "busy" if state == "dnd" else None

    async def _ring(self, caller: Leg, phone: Phone, number: str, timeout: float) -> bool:
        engine = self.engine
        phone.answer = engine.loop.create_future()
        phone.ringing_for = caller.id
        try:
            phone.port.ring(self._cadence(), self._caller_id_for(caller))
        except PortError as exc:
            log.warning("cannot ring %s: %s", phone.port.name, exc)
            phone.answer = None
            return False
        self._set(phone, "ringing")
        engine.bus.publish("ringing", leg=caller.id, extension=number, phone=phone.port.name)
        ringback = None if caller.bridge is not None else engine.tone_source("ringback")
        if ringback is not None:
            done = caller._start(ringback)
            engine.bus.publish("tone", leg=caller.id, tone="ringback")
        try:
            finished = await caller._wait(phone.answer, timeout=timeout)
            if caller.hung_up:
                raise LegHungUp(caller)
            return phone.answer in finished
        finally:
            if ringback is not None:
                caller._stop(done)
            answered = phone.answer.done() and not phone.answer.cancelled()
            if not phone.answer.done():
                phone.answer.cancel()
            phone.answer = None
            phone.ringing_for = None
            if not answered:
                self._stop_ring(phone)

    def _stop_ring(self, phone: Phone) -> None:
        try:
            phone.port.stop_ring()
        except PortError:
            pass
        if phone.state == "ringing":
            self._set(phone, "idle")

    def _cadence(self) -> str | None:
        """The ring cadence of the office's country (the FXS driver knows the timings)."""
        return self.engine.office.country

    @staticmethod
    def _caller_id_for(caller: Leg) -> dict[str, Any] | None:
        cid = caller.caller_id or {}
        if not cid.get("number") and not cid.get("name"):
            return {"number": None, "name": None, "number_absent": cid.get("number_absent") or "O"}
        return {"number": cid.get("number"), "name": cid.get("name"),
                "number_absent": cid.get("number_absent"), "name_absent": cid.get("name_absent")}

    # -- the dial plan ------------------------------------------------------------------------------
    def _targets(self) -> dict[str, str]:
        office = self.engine.office
        targets = {num: f"extension:{num}" for num in office.extensions}
        if office.operator:
            targets.setdefault("0", f"extension:{office.operator}")
        access = office.outgoing("access_code")
        if access:
            targets[str(access)] = "outside"
        for code in self.features:
            targets[code] = f"feature:{code}"
        for slot in self.engine.parking.numbers():
            targets.setdefault(slot, f"park:{slot}")
        for number in office.emergency_numbers:   # dialled without the access code (9-1-1 goes via access)
            if not (access and number.startswith(str(access))):
                targets.setdefault(number, f"emergency:{number}")
        return targets

    async def desk_app(self, leg: Leg) -> None:
        """The built-in application of an idle phone going off hook (see the module docstring)."""
        engine, office = self.engine, self.engine.office
        mailbox = office.mailbox_of(leg.extension) if leg.extension else None
        stutter = self._mwi(leg.port.name) in ("stutter", "both") and engine.message_waiting(mailbox)
        tone = "stutter" if stutter else "dial"
        first = await leg.play_tone(tone, seconds=office.timeout("first_digit"), interruptible=True)
        if first is None:
            await self._reorder(leg, "first_digit_timeout")
            return
        target = await self._match(leg, first)
        if target is None:
            await self._reorder(leg, "no_such_number")
            return
        await self._route(leg, target)

    async def _match(self, leg: Leg, digits: str) -> str | None:
        targets = self._targets()
        inter = self.engine.office.timeout("inter_digit")
        while True:
            longer = any(code != digits and code.startswith(digits) for code in targets)
            if digits in targets and not longer:
                return targets[digits]
            if not longer:
                return None
            more = await leg.collect(1, inter, inter, terminators="#")
            if not more:
                return targets.get(digits)
            digits += more

    async def _route(self, leg: Leg, target: str) -> None:
        kind, _, arg = target.partition(":")
        if kind == "outside":
            await self.engine.lines.call_out(leg)
        elif kind == "emergency":
            await self.engine.lines.call_out(leg, number=arg)
        elif kind == "park":
            if not await self.engine.parking.pick_up(leg, arg):
                await self._reorder(leg, "park_slot_empty")
        elif kind == "feature":
            dest = self.features[arg]
            if callable(dest):
                await dest(leg)
            else:
                await self.engine.goto(leg, dest)
        else:
            await self._call_extension(leg, arg)

    async def _call_extension(self, leg: Leg, number: str) -> None:
        if number == leg.extension:
            await self.until_hung_up(leg, "busy")
            return
        result = await leg.dial_extension(number)
        if result == "busy":
            await self.until_hung_up(leg, "busy")
        elif result == "no_answer":
            mailbox = self.engine.office.mailbox_of(number)
            if mailbox and "voicemail" in self.engine.apps:
                await self.engine.goto(leg, f"voicemail:{mailbox}")
            else:
                await self._reorder(leg, "no_answer")
        elif result == "unavailable":
            await self._reorder(leg, "unavailable")

    async def _reorder(self, leg: Leg, reason: str) -> None:
        self.engine.bus.publish("reorder", leg=leg.id, port=leg.port.name, reason=reason)
        await self.until_hung_up(leg, "reorder")

    async def until_hung_up(self, leg: Leg, tone: str) -> None:
        """Play ``tone`` (reorder, busy) to a phone until it hangs up — for ``timeouts.off_hook_warning``
        seconds, then silence (``off_hook_warning``): a phone left off hook is not a noise for ever."""
        await leg.play_tone(tone, seconds=self.engine.office.timeout("off_hook_warning"))
        self.engine.bus.publish("off_hook_warning", leg=leg.id, port=leg.port.name)
        await leg.wait_hangup()
