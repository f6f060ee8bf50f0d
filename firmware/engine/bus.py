"""The engine's event bus: every observable thing the call engine does, as one stream of events.

What it is: ``subscribe(fn) -> unsubscribe`` and ``publish(kind, **data)``. An event is a :class:`BusEvent`
(``kind``, clock time ``t``, ``data``); ``event.as_dict()`` is the JSON-ready line the ``simulate``
transcript and the control API's event stream print. ``publish`` is safe from any thread: off the loop
thread the event is handed to the loop. A listener that raises is logged and isolated.

What it is not: a queue or a log. Listeners run synchronously on the loop thread; they must be quick.

Kinds published by the engine (data keys in brackets): ``ring`` [line, count], ``caller_id`` [line,
number, name], ``answer`` [line, leg, caller_id], ``missed`` [line, caller_id], ``line`` [line, state],
``phone`` [phone, extension, state], ``leg`` [leg, port, direction], ``prompt`` [leg, name], ``tone`` [leg,
tone], ``digit`` [leg, port, digit], ``ringing`` [leg, extension, phone], ``dial_result`` [leg, extension,
result], ``bridge`` [call, legs], ``unbridge`` [call, legs], ``record_start`` / ``record_stop`` [leg,
reason, seconds], ``hangup`` [leg, port, by], ``call_end`` [call, seconds], ``led`` [led, pattern],
``night`` [active], ``mwi`` [mailbox, active], ``outgoing`` [leg, line], ``reorder`` [leg, reason],
``security`` [reason, leg], ``app_error`` [leg, app, error]. Applications add their own (the voicemail
application publishes ``recording_saved``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from drivers.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BusEvent:
    """One thing that happened in the engine, at clock time ``t``."""

    kind: str
    t: float
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready form: ``{"t": …, "event": kind, **data}``."""
        out: dict[str, Any] = {"t": round(self.t, 3), "event": self.kind}
        out.update(self.data)
        return out


BusListener = Callable[[BusEvent], None]


class EventBus:
    """Publish/subscribe for engine events (see the module docstring for the kinds)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._listeners: list[tuple[BusListener, frozenset[str] | None]] = []

    def subscribe(self, fn: BusListener, kinds: Iterable[str] | None = None) -> Callable[[], None]:
        """Call ``fn(event)`` for every event (or only ``kinds``); returns a function that unsubscribes."""
        entry = (fn, frozenset(kinds) if kinds is not None else None)
        self._listeners.append(entry)

        def unsubscribe() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return unsubscribe

    def publish(self, kind: str, **data: Any) -> None:
        """Publish an event now. Safe from any thread (off the loop thread it is handed to the loop)."""
        if self.clock.in_loop_thread():
            self._dispatch(BusEvent(kind, self.clock.now(), data))
        else:
            self.clock.call_soon_threadsafe(self._publish_in_loop, kind, data)

    def _publish_in_loop(self, kind: str, data: dict[str, Any]) -> None:
        self._dispatch(BusEvent(kind, self.clock.now(), data))

    def _dispatch(self, event: BusEvent) -> None:
        for fn, kinds in list(self._listeners):
            if kinds is not None and event.kind not in kinds:
                continue
            try:
                fn(event)
            except Exception:  # a failing listener is logged and isolated
                log.exception("bus listener %r failed on %s", fn, event.kind)
