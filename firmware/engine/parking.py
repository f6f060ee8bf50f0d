"""Call parking: hold a call in a numbered slot so anyone can pick it up from any desk phone.

What it is: :class:`Parking`, owned by the engine, configured by ``parking`` (``first_slot`` "701", ``slots``
8, ``timeout`` 120 s). A call is parked by the control API (``call.park``) or from a desk phone that answered
it: hook flash, then dial a free slot number (as for a transfer). The parked party hears the hold source (a
short beep every 15 s, so neither side mistakes the call for a dead line) and the slot is announced as a
``park`` event. Dialling the slot number from any desk phone picks the call up (the two
are bridged); dialling an empty slot gives reorder. After ``timeout`` seconds unanswered, the call rings back
the extension that parked it (or the operator); if that goes unanswered too, to that extension's mailbox.

What it is not: music on hold, or announcing the slot by voice (the event carries it; the web page shows it).
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from drivers.errors import ControlError
from firmware.engine.leg import Leg

if TYPE_CHECKING:
    from firmware.engine.core import Engine

log = logging.getLogger(__name__)

PARKED_APP = "parked"


class Parking:
    """Park slots of the office; see the module docstring."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self.slots: dict[str, Leg] = {}
        self._pickups: dict[str, asyncio.Future] = {}
        engine.register_app(PARKED_APP, self._parked_app)

    # -- configuration ------------------------------------------------------------------------------
    def _conf(self) -> dict[str, Any]:
        return dict(self.engine.office.doc.get("parking") or {})

    def numbers(self) -> list[str]:
        conf = self._conf()
        first = str(conf.get("first_slot", "701"))
        count = int(conf.get("slots", 8))
        width = len(first)
        return [str(int(first) + i).zfill(width) for i in range(count)]

    @property
    def timeout(self) -> float:
        return float(self._conf().get("timeout", 120))

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"slot": slot, "call": leg.call.id if leg.call else None, "leg": leg.id}
                for slot, leg in sorted(self.slots.items())]

    # -- parking ---------------------------------------------------------------------------------------
    def park(self, leg: Leg, slot: str | None = None, parker: str | None = None) -> str:
        """Park ``leg`` (in ``slot``, or the first free one); returns the slot. Whatever it was bridged to is
        released by the redirect (a desk phone hears reorder)."""
        leg._check()
        if slot is None:
            slot = next((s for s in self.numbers() if s not in self.slots), None)
            if slot is None:
                raise ControlError("every park slot is taken", code="conflict")
        elif slot not in self.numbers():
            raise ControlError(f"{slot} is not a park slot", code="not_found")
        elif slot in self.slots:
            raise ControlError(f"park slot {slot} is taken", code="conflict")
        self.slots[slot] = leg
        leg.vars["parked_by"] = parker
        self.engine.redirect(leg, f"{PARKED_APP}:{slot}")
        self.engine.bus.publish("park", call=leg.call.id if leg.call else None, slot=slot, leg=leg.id,
                                by=parker)
        return slot

    async def _parked_app(self, leg: Leg, slot: str) -> None:
        engine = self.engine
        pickup = engine.loop.create_future()
        self._pickups[slot] = pickup
        done = leg._start(self.engine.hold_source())
        try:
            finished = await leg._wait(pickup, timeout=self.timeout)
            leg._check()
        finally:
            leg._stop(done)
            self._release(slot, leg)
        if pickup in finished:
            picker: Leg = pickup.result()
            engine.bus.publish("unpark", call=leg.call.id if leg.call else None, slot=slot, by=picker.extension)
            engine.bridge(leg, picker)
            await engine.wait_any_gone(leg, picker)
            return
        back = leg.vars.get("parked_by") or engine.office.operator
        engine.bus.publish("park_timeout", call=leg.call.id if leg.call else None, slot=slot, to=back)
        if back:
            await engine.goto(leg, f"extension:{back}")

    def _release(self, slot: str, leg: Leg) -> None:
        if self.slots.get(slot) is leg:
            del self.slots[slot]
        fut = self._pickups.pop(slot, None)
        if fut is not None and not fut.done():
            fut.cancel()

    # -- picking up -------------------------------------------------------------------------------------
    async def pick_up(self, leg: Leg, slot: str) -> bool:
        """A desk phone dialled ``slot``: connect it to the parked call. False when the slot is empty."""
        parked = self.slots.get(slot)
        fut = self._pickups.get(slot)
        if parked is None or fut is None or fut.done() or parked.hung_up:
            return False
        fut.set_result(leg)
        await self.engine.wait_any_gone(leg, parked)
        return True
