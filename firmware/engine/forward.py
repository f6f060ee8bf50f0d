"""Call forwarding: ``extensions[].forward`` (``always``, ``busy``, ``no_answer``) to another extension.

What it is: :class:`Forwarding`, mixed into :class:`~firmware.engine.phones.DeskPhones`; its
:meth:`Forwarding.dial_extension` is the one way the engine rings an extension (desk calls, the attendant, ring
groups, transfers), so forwards apply everywhere. ``always`` rings the target instead; ``busy`` (busy or out
of order, not do-not-disturb, which goes straight to the mailbox) and ``no_answer`` (after the extension's ring
timeout) ring the target next. At most ``MAX_FORWARDS`` hops; never back to an extension already tried, nor to
the caller's own extension.

What it is not: forwarding to an outside number (never: two phone-company lines are not joined; the
configuration refuses it), or the ringing itself (``DeskPhones._ring_extension``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from firmware.engine.core import Engine
    from firmware.engine.leg import Leg

MAX_FORWARDS = 3
"""A call follows at most this many forwards; a loop is never followed."""


class Forwarding:
    """See the module docstring (the desk phones provide ``engine``, ``_ring_extension``
    and ``_do_not_disturb``)."""

    engine: "Engine"

    async def dial_extension(self, caller: "Leg", number: str, ring_timeout: float | None = None,
                             hops: tuple[str, ...] = ()) -> str:
        """Ring extension ``number`` for ``caller``, following its ``forward`` settings (see the module
        docstring); see :meth:`firmware.engine.leg.Leg.dial_extension` for the result."""
        number = str(number)
        forward = (self.engine.office.extensions.get(number) or {}).get("forward") or {}
        target = self._forward_to(forward.get("always"), caller, number, hops)
        if target is not None:
            return await self._forward(caller, number, target, "always", hops)
        result = await self._ring_extension(caller, number, ring_timeout)
        when = {"busy": "busy", "unavailable": "busy", "no_answer": "no_answer"}.get(result)
        if when == "busy" and self._do_not_disturb(number):
            return result                     # do-not-disturb: straight to the mailbox, as documented
        target = self._forward_to(forward.get(when) if when else None, caller, number, hops)
        if target is not None:
            return await self._forward(caller, number, target, when or "", hops)
        return result

    def _forward_to(self, target: Any, caller: "Leg", number: str, hops: tuple[str, ...]) -> str | None:
        """The extension to forward to, or None (no setting, not an extension, a loop, too many hops)."""
        if target is None:
            return None
        target = str(target)
        if (target == number or target in hops or target == caller.extension or len(hops) >= MAX_FORWARDS
                or target not in self.engine.office.extensions):
            return None
        return target

    async def _forward(self, caller: "Leg", number: str, target: str, when: str, hops: tuple[str, ...]) -> str:
        self.engine.bus.publish("forward", leg=caller.id, extension=number, to=target, when=when)
        return await self.dial_extension(caller, target, None, hops + (number,))
