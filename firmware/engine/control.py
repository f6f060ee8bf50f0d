"""The engine's control-API commands: state, call control, and the simulated office's outside world.

What it is: :func:`register_engine_commands` ``(registry, box, sim=None)`` registers

* ``snapshot`` — lines, phones, calls, legs, lamps, night mode, media-tick figures; with ``sim`` also the
  simulated callers and phones (``{"sim": {"callers": [...], "phones": [...]}}``);
* ``call.hangup {leg}``, ``call.transfer {leg, extension}``, ``call.voicemail {leg, mailbox}``;
* ``schedule.set_mode {mode: day|night}`` (the same switch as the panel's day/night button);
* under ``run --sim``: ``sim.call_in {caller_id?, name?, port?}`` → ``{"caller": id}``, ``sim.press {caller,
  digits}``, ``sim.speak {caller|port, seconds}``, ``sim.hang_up {caller, how?}``, ``sim.lift {port}``,
  ``sim.phone_hang_up {port}``, ``sim.dial {port, digits, mode?}``, ``sim.flash {port}``, ``sim.button
  {name}``, ``sim.listen {port|caller, ms}`` → ``{"audio": base64 int16 LE, "rate": 8000}``.

Bad arguments are refused by the registry's schema check; a leg, caller or port that does not exist is a
``not_found`` error naming it.

What it is not: the socket server (``firmware/control``) or the store/config commands (registered there).
"""
from __future__ import annotations

import base64
import itertools
from typing import Any

import numpy as np

from drivers.errors import ControlError

_STR = {"type": "string", "minLength": 1, "maxLength": 40}
_DIGITS = {"type": "string", "pattern": "^[0-9*#A-D]{1,32}$"}
_PORT = {"type": "string", "pattern": "^(fxo|fxs|modem|sip)[0-9]{1,2}$"}


def _schema(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _not_found(what: str) -> ControlError:
    return ControlError(f"no {what}", code="not_found")


def register_engine_commands(registry: Any, box: Any, sim: Any = None) -> None:
    """Register the engine's commands (and the ``sim.*`` ones when ``sim`` is the SimOffice)."""
    engine = box.engine
    callers = SimCallers(sim) if sim is not None else None

    def snapshot() -> dict[str, Any]:
        """Lines, phones, calls, legs, lamps and night mode (plus the simulated world under --sim)."""
        snap = engine.snapshot()
        snap["leds"] = box.panel.snapshot()
        if callers is not None:
            snap["sim"] = callers.snapshot()
        return snap

    def leg_of(leg_id: str) -> Any:
        leg = engine.legs.get(leg_id)
        if leg is None:
            raise _not_found(f"call leg {leg_id!r} (it may have hung up)")
        return leg

    def call_hangup(leg: str) -> dict[str, Any]:
        """Hang up a leg (an outside caller's line is released)."""
        engine.hangup_leg(leg_of(leg), "operator")
        return {"leg": leg}

    def call_transfer(leg: str, extension: str) -> dict[str, Any]:
        """Send a leg to an extension (ringing it; busy/no answer → its mailbox)."""
        if extension not in engine.office.extensions:
            raise _not_found(f"extension {extension!r}")
        engine.redirect(leg_of(leg), f"extension:{extension}")
        return {"leg": leg, "extension": extension}

    def call_voicemail(leg: str, mailbox: str) -> dict[str, Any]:
        """Send a leg straight to a mailbox."""
        if "voicemail" not in engine.apps:
            raise ControlError("voicemail is not installed on this box", code="unavailable")
        engine.redirect(leg_of(leg), f"voicemail:{mailbox}")
        return {"leg": leg, "mailbox": mailbox}

    def set_mode(mode: str) -> dict[str, Any]:
        """Day or night mode, as the panel button does."""
        engine.set_night(mode == "night")
        return {"night": engine.night}

    _add(registry, "snapshot", snapshot)
    _add(registry, "call.hangup", call_hangup, _schema(["leg"], leg=_STR))
    _add(registry, "call.transfer", call_transfer, _schema(["leg", "extension"], leg=_STR, extension=_STR))
    _add(registry, "call.voicemail", call_voicemail, _schema(["leg", "mailbox"], leg=_STR, mailbox=_STR))
    _add(registry, "schedule.set_mode", set_mode, _schema(["mode"], mode={"enum": ["day", "night"]}))
    if callers is not None:
        callers.register(registry)


def _add(registry: Any, name: str, fn: Any, schema: dict[str, Any] | None = None) -> None:
    if name in registry:  # another part registered it first; theirs stays
        return
    registry.register(name, fn, schema=schema)


class SimCallers:
    """The simulated outside world as control commands (``sim.*``)."""

    def __init__(self, office: Any) -> None:
        self.office = office
        self.callers: dict[str, Any] = {}
        self._ids = itertools.count(1)

    def snapshot(self) -> dict[str, Any]:
        callers = []
        for cid, caller in list(self.callers.items()):
            state = str(getattr(caller, "state", "unknown"))
            if state == "ended" and len(self.callers) > 20:
                del self.callers[cid]
                continue
            callers.append({"id": cid, "state": state, "port": getattr(caller, "port", None),
                            "caller_id": getattr(caller, "caller_id", None), "name": cid})
        phones = [{"port": port, "state": "ringing" if getattr(p, "ringing", False)
                   else ("off_hook" if getattr(p, "off_hook", False) else "idle"),
                   "ringing": bool(getattr(p, "ringing", False)), "off_hook": bool(getattr(p, "off_hook", False))}
                  for port, p in self.office.phones.items()]
        return {"callers": callers, "phones": phones}

    def caller(self, caller: str) -> Any:
        if caller not in self.callers:
            raise _not_found(f"simulated caller {caller!r}")
        return self.callers[caller]

    def phone(self, port: str) -> Any:
        if port not in self.office.phones:
            raise _not_found(f"desk phone on {port!r}")
        return self.office.phones[port]

    def register(self, registry: Any) -> None:
        add = registry.register
        add("sim.call_in", self.call_in, schema=_schema([], caller_id={"type": ["string", "null"],
            "pattern": r"^\+?[0-9]{0,20}$"}, name={"type": ["string", "null"], "maxLength": 15}, port=_PORT))
        add("sim.press", lambda caller, digits: _done(self.caller(caller).press(digits)),
            schema=_schema(["caller", "digits"], caller=_STR, digits=_DIGITS))
        add("sim.speak", self.speak, schema=_schema(["seconds"], caller=_STR, port=_PORT,
                                                    seconds={"type": "number", "minimum": 0, "maximum": 600}))
        add("sim.hang_up", self.hang_up, schema=_schema(["caller"], caller=_STR,
                                                        how={"enum": ["loop_drop", "busy_tone"]}))
        add("sim.lift", lambda port: _done(self.phone(port).lift()), schema=_schema(["port"], port=_PORT))
        add("sim.phone_hang_up", lambda port: _done(self.phone(port).hang_up()),
            schema=_schema(["port"], port=_PORT))
        add("sim.dial", lambda port, digits, mode="tone": _done(self.phone(port).dial(digits, mode=mode)),
            schema=_schema(["port", "digits"], port=_PORT, digits=_DIGITS, mode={"enum": ["tone", "pulse"]}))
        add("sim.flash", lambda port: _done(self.phone(port).flash()), schema=_schema(["port"], port=_PORT))
        add("sim.button", lambda name: _done(self.office.panel.press(name)), schema=_schema(["name"], name=_STR))
        add("sim.listen", self.listen, schema=_schema([], port=_PORT, caller=_STR,
                                                      ms={"type": "integer", "minimum": 20, "maximum": 5000}))

    def call_in(self, caller_id: str | None = None, name: str | None = None, port: str | None = None) -> dict:
        """A simulated outside caller rings (a given line, or the first free one as the exchange hunts)."""
        cid = {"number": caller_id, "name": name} if caller_id or name else None
        outside = self.office.exchange.call_in(port=port, caller_id=cid)
        key = f"caller{next(self._ids)}"
        self.callers[key] = outside
        return {"caller": key, "state": str(getattr(outside, "state", ""))}

    def speak(self, seconds: float, caller: str | None = None, port: str | None = None) -> dict:
        party = self.caller(caller) if caller else self.phone(port or "")
        party.speak(float(seconds))
        return {}

    def hang_up(self, caller: str, how: str = "loop_drop") -> dict:
        self.caller(caller).hang_up(how=how)
        return {}

    def listen(self, port: str | None = None, caller: str | None = None, ms: int = 1000) -> dict[str, Any]:
        """The last ``ms`` of what a desk phone or a simulated caller heard."""
        party = self.caller(caller) if caller else self.phone(port or "")
        try:
            audio = party.heard(ms / 1000)
        except TypeError:
            audio = party.heard()
        samples = np.asarray(audio, dtype="<i2")[-int(8 * ms):]
        return {"audio": base64.b64encode(samples.tobytes()).decode("ascii"), "rate": 8000}


def _done(_: Any = None) -> dict[str, Any]:
    return {}
