"""The longest a call may last: ``timeouts.max_call``.

What it is: :class:`CallLimits`, owned by the engine. When a call starts, two timers are set on the injected
clock: ``WARN_BEFORE`` seconds before the limit every leg of the call still talking (bridged, not hearing a
prompt) hears the country's ``beep`` (``max_call_warning``), and at the limit every leg is hung up
(``max_call``) — which releases the lines, so a call held up by a fault (a line that never signals the far
end's hang-up, a phone left off hook in a conversation) cannot tie a line up for ever. The limit is read when
the call starts; both timers are cancelled when the call ends.

What it is not: the off-hook warning of an idle phone (:mod:`firmware.engine.phones`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from firmware.engine.apps import Call
    from firmware.engine.core import Engine

WARN_BEFORE = 30.0
"""Seconds before ``max_call`` that the parties hear the warning beep (a quarter of the limit if shorter)."""
WARNING_TONE_SECONDS = 0.5


class CallLimits:
    """See the module docstring."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self._timers: dict[str, list[Any]] = {}

    def started(self, call: "Call") -> None:
        limit = self.engine.office.timeout("max_call")
        warn = min(WARN_BEFORE, limit / 4)
        clock = self.engine.clock
        self._timers[call.id] = [clock.call_later(limit - warn, self._warn, call),
                                 clock.call_later(limit, self._end, call, limit)]

    def ended(self, call: "Call") -> None:
        for timer in self._timers.pop(call.id, []):
            timer.cancel()

    def _warn(self, call: "Call") -> None:
        engine = self.engine
        legs = [leg for leg in call.legs if leg.up and leg.bridge is not None and leg.source is None]
        for leg in legs:
            leg._start(engine.tone_source("beep", WARNING_TONE_SECONDS))
            engine.bus.publish("tone", leg=leg.id, tone="beep")
        engine.bus.publish("max_call_warning", call=call.id, legs=[leg.id for leg in legs])

    def _end(self, call: "Call", limit: float) -> None:
        self._timers.pop(call.id, None)
        engine = self.engine
        engine.bus.publish("max_call", call=call.id, seconds=limit)
        for leg in list(call.legs):
            if leg.up:
                engine.hangup_leg(leg, "max_call")
