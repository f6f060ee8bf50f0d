"""Transfer and park by hook flash from a desk phone.

What it is: :class:`FlashTransfer`, owned by the desk phones.

Transfer (blind, by hook flash): a phone that *answered* a call (an outside caller, or another extension)
flashes; the other party is held (the engine's hold source) and the phone gets dial tone; it dials an
extension number and the held party is sent there at once (it hears ringback), while the transferring phone
hears reorder and hangs up. The extension rings for ``timeouts.transfer_recall`` seconds; if nobody answers,
the call comes back to the transferring extension (``transfer_recall``), which rings for its own ring timeout;
if nobody answers there either — or the extension was busy — the caller goes to the extension's mailbox. No digit within ``timeouts.first_digit``, or a number that is
not an extension, reconnects the two. Dialling a free park slot instead parks the held party there
(:mod:`firmware.engine.parking`). A phone that placed the call itself is not transferred by a flash.

What it is not: attended transfer or conferencing (a flash always holds the other party and takes a number).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from firmware.engine.leg import Leg, LegHungUp

if TYPE_CHECKING:
    from firmware.engine.phones import DeskPhones

TRANSFER_APP = "desk-transfer"
TRANSFERRED_APP = "desk-transferred"


class FlashTransfer:
    """See the module docstring."""

    def __init__(self, desk: "DeskPhones") -> None:
        self.desk = desk
        self.engine = desk.engine
        self.engine.register_app(TRANSFER_APP, self.transfer_app)
        self.engine.register_app(TRANSFERRED_APP, self.transferred_app)

    def flashed(self, leg: Leg) -> None:
        """A phone's leg flashed: start a transfer when it answered a two-party call."""
        bridge = leg.bridge
        if bridge is None or len(bridge.legs) != 2 or not leg.up:
            return
        task = self.engine._tasks.get(leg.id)
        if task is not None and not task.done():  # the phone placed this call; its own dial plan runs
            return
        self.engine.start_app(leg, TRANSFER_APP)

    async def transfer_app(self, leg: Leg) -> None:
        """Hold the other party, take an extension number, send the held party there (module docstring)."""
        engine = self.engine
        bridge = leg.bridge
        if bridge is None:
            return
        held = next(other for other in bridge.legs if other is not leg)
        engine.unbridge(bridge)
        done = held._start(engine.hold_source())
        engine.bus.publish("hold", leg=held.id, by=leg.id)
        try:
            target = await self._transfer_target(leg)
        except LegHungUp:
            held._stop(done)
            raise
        held._stop(done)
        if held.hung_up:
            return
        kind, _, number = (target or "").partition(":")
        if kind == "park" and number not in engine.parking.slots:
            engine.parking.park(held, number, parker=leg.extension)
            await leg.play_tone("beep", seconds=0.25)
            return
        if kind != "extension":
            engine.bus.publish("unhold", leg=held.id)
            engine.bridge(leg, held)
            await engine.wait_any_gone(leg, held)
            return
        engine.redirect(held, f"{TRANSFERRED_APP}:{number}/{leg.extension or ''}")
        engine.bus.publish("transfer", call=held.call.id if held.call else None, to=number, by=leg.extension)

    async def transferred_app(self, leg: Leg, target: str) -> None:
        """The transferred party: ring ``NUMBER`` (``target`` is ``NUMBER/BY``), recall ``BY`` when nobody
        answers, then the extension's mailbox (see the module docstring)."""
        engine = self.engine
        number, _, by = target.partition("/")
        result = await leg.dial_extension(number, engine.office.timeout("transfer_recall"))
        if result == "answered":
            return
        if result == "no_answer" and by and by != number:
            engine.bus.publish("transfer_recall", leg=leg.id, extension=number, to=by)
            if await leg.dial_extension(by) == "answered":
                return
        mailbox = engine.office.mailbox_of(number)
        if mailbox and "voicemail" in engine.apps:
            await engine.goto(leg, f"voicemail:{mailbox}")

    async def _transfer_target(self, leg: Leg) -> str | None:
        """``extension:N`` or ``park:SLOT`` dialled after the flash; None (reconnect) for anything else."""
        office = self.engine.office
        first = await leg.play_tone("dial", seconds=office.timeout("first_digit"), interruptible=True)
        if first is None:
            return None
        target = await self.desk._match(leg, first)
        if target is None or not target.startswith(("extension:", "park:")):
            await leg.play_tone("reorder", seconds=1.0)
            return None
        return target
