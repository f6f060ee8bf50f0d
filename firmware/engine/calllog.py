"""Writing calls to the call log: a row opens when a call starts and is completed when its last leg hangs up.

What it is: three functions over the data store (``firmware.store.Store``: ``call_started``, ``call_update``,
``log_call``). A store without them (tests, a box without a data partition) is simply not written to, and a
store that fails is logged — the call itself never fails because of the log.

What it is not: the store, or the control API's ``calllog.query``.
"""
from __future__ import annotations

import logging
from typing import Any

from firmware.engine.apps import Call

log = logging.getLogger(__name__)


def started(store: Any, call: Call, direction: str, line: str | None, caller_id: dict[str, Any] | None,
            extension: str | None) -> None:
    """Open the call's row (a crash leaves it open; the store closes such rows at the next start)."""
    fn = getattr(store, "call_started", None)
    if fn is None:
        return
    try:
        fn(call.id, direction, line=line, extension=extension, caller_number=(caller_id or {}).get("number"),
           caller_name=(caller_id or {}).get("name"))
    except Exception:
        log.exception("writing the call log failed for %s", call.id)


def update(store: Any, call: Call, **fields: Any) -> None:
    """Change fields of the call's open row (``dialled``, ``extension``, ``line``…)."""
    fn = getattr(store, "call_update", None)
    if fn is None:
        return
    try:
        fn(call.id, **fields)
    except Exception:
        log.exception("updating the call log failed for %s", call.id)


def ended(store: Any, call: Call, seconds: float, now_wall: float) -> None:
    """Complete the row: legs, disposition (the call's own, else answered when more than one leg took part)."""
    fn = getattr(store, "log_call", None)
    if fn is None or not call.legs:
        return
    first = call.legs[0]
    cid = first.caller_id or {}
    record = {"call": call.id, "started": now_wall - seconds, "seconds": seconds,
              "direction": first.direction, "port": first.port.name,
              "line": next((leg.vars["line"] for leg in call.legs if "line" in leg.vars), None),
              "disposition": call.disposition or ("answered" if len(call.legs) > 1 else "abandoned"),
              "dialled": call.dialled, "caller_number": cid.get("number"), "caller_name": cid.get("name"),
              "legs": [{"port": leg.port.name, "direction": leg.direction, "extension": leg.extension,
                        "end": leg.hangup_reason} for leg in call.legs]}
    try:
        fn(record)
    except Exception:
        log.exception("writing the call log failed for %s", call.id)
