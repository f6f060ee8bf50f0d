"""Writing calls to the call log: a row opens when a call starts, is marked when someone answers, and is
completed when the call's last leg hangs up.

What it is: :class:`CallLogging`, the engine's call-log methods (``call_answered``, ``update_call_log``,
``flush_call_log``), over four functions on the data store (``firmware.store.Store``: ``call_started``, ``call_update``,
``call_answered``, ``log_call``). When the store has a writer thread (``store.later``, see
``firmware/store/deferred.py``) every write goes through it, so a slow disk commit never holds up the engine's
loop and its 20 ms media tick; the writes of one call keep their order (row opened, updated, answered,
completed) because they share the writer's queue. :func:`flush` waits until every write handed over so far is
done (tests and tools that read the log right after a call). A store without these methods (tests, a box
without a data partition) is simply not written to, and a store that fails is logged — the call itself never
fails because of the log.

"Answered" follows the call log's contract (docs/control-api.md, ``calllog.query``): a person picked up (an
extension's phone, or the line after an outgoing number was dialled — an analogue line gives no answer
signal, so talk time counts from the end of dialling), or a mailbox took the call. The attendant's menu is
not an answer.

What it is not: the store, or the control API's ``calllog.query``.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from drivers.port import Port
    from firmware.engine.apps import Call

log = logging.getLogger(__name__)


def writer(store: Any, name: str) -> Callable[..., Any] | None:
    """``store.<name>``, through the store's writer thread when it has one; None when the store has no such
    method."""
    if store is None or not callable(getattr(store, name, None)):
        return None
    later = getattr(store, "later", None)
    if later is not None:
        fn = getattr(later, name, None)
        if callable(fn):
            return fn
    return getattr(store, name)


def _write(store: Any, name: str, ref: str, *args: Any, **kwargs: Any) -> None:
    fn = writer(store, name)
    if fn is None:
        return
    try:
        fn(*args, **kwargs)
    except Exception:
        log.exception("writing the call log (%s) failed for %s", name, ref)


def started(store: Any, call: "Call", direction: str, line: str | None, caller_id: dict[str, Any] | None,
            extension: str | None, at_wall: float) -> None:
    """Open the call's row (a crash leaves it open; the store closes such rows at the next start). Times are
    taken here, never by the writer thread (which runs a little later)."""
    cid = caller_id or {}
    _write(store, "call_started", call.id, call.id, direction, line=line, extension=extension,
           caller_number=cid.get("number"), caller_name=cid.get("name"), at=at_wall)


def update(store: Any, call: "Call", **fields: Any) -> None:
    """Change fields of the call's open row (``dialled``, ``extension``, ``line``…)."""
    _write(store, "call_update", call.id, call.id, **fields)


def answered(store: Any, call: "Call", at_wall: float, extension: str | None = None) -> None:
    """Record when the call was answered (the first answer counts; talk time runs from it)."""
    _write(store, "call_answered", call.id, call.id, extension=extension, at=at_wall)


def ended(store: Any, call: "Call", seconds: float, now_wall: float) -> None:
    """Complete the row: legs, answer time, disposition (the call's own, else answered when more than one
    leg took part)."""
    if not call.legs:
        return
    first = call.legs[0]
    cid = first.caller_id or {}
    record = {"call": call.id, "started": now_wall - seconds, "seconds": seconds,
              "direction": first.direction, "port": first.port.name,
              "line": next((leg.vars["line"] for leg in call.legs if "line" in leg.vars), None),
              "answered": call.answered,
              "disposition": call.disposition or ("answered" if len(call.legs) > 1 else "abandoned"),
              "dialled": call.dialled, "caller_number": cid.get("number"), "caller_name": cid.get("name"),
              "legs": [{"port": leg.port.name, "direction": leg.direction, "extension": leg.extension,
                        "end": leg.hangup_reason} for leg in call.legs]}
    _write(store, "log_call", call.id, record)


def missed(store: Any, record: dict[str, Any]) -> None:
    """A call that rang and was never answered (no call of the engine's behind it)."""
    _write(store, "log_call", str(record.get("call")), record)


def flush(store: Any, timeout: float = 5.0) -> bool:
    """Wait until every call-log write handed to the store's writer thread is done; False on timeout."""
    later = getattr(store, "later", None)
    fn = getattr(later, "flush", None) if later is not None else None
    return bool(fn(timeout)) if callable(fn) else True


class CallLogging:
    """The call-log part of :class:`~firmware.engine.core.Engine` (it provides ``store``, ``clock``, ``lines``)."""

    def _store_call_started(self, call: "Call", port: "Port", direction: str, caller_id: dict[str, Any] | None,
                            extension: str | None) -> None:
        line = self.lines.line_of_port(port.name)
        started(self.store, call, direction, line.id if line else None, caller_id, extension,
                self.clock.wall().timestamp())

    def update_call_log(self, call: "Call", **fields: Any) -> None:
        """Change fields of a call's open call-log row (``dialled``, ``extension``, ``line``…)."""
        update(self.store, call, **fields)

    def call_answered(self, call: "Call | None", extension: str | None = None) -> None:
        """A person (or a mailbox) answered ``call``: the first answer is kept and written to the call log
        (talk time runs from it); ``extension`` is who answered."""
        if call is None or call.answered is not None:
            return
        call.answered = self.clock.wall().timestamp()
        answered(self.store, call, call.answered, extension)

    def _log_call(self, call: "Call", seconds: float) -> None:
        ended(self.store, call, seconds, self.clock.wall().timestamp())

    def flush_call_log(self, timeout: float = 5.0) -> bool:
        """Wait until the call-log writes handed to the store's writer thread are on disk (tests, tools)."""
        return flush(self.store, timeout)
