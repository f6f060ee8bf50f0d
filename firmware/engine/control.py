"""The engine's control-API commands: state, call control, and the simulated office's outside world.

What it is: :func:`register_engine_commands` ``(registry, box, sim=None)`` registers the commands listed in
docs/control-api.md that the engine owns:

* ``snapshot`` — time, office, night, lines, phones, calls, extensions, message waiting, lamps, faults and
  media-tick figures; with ``sim`` also the simulated callers and phones (a ``sim`` section);
* ``call.hangup {call}``, ``call.transfer {call, to}``, ``call.to_voicemail {call, mailbox?}``,
  ``call.park {call, slot?}`` (``call`` is a
  call id from the snapshot; a leg id is accepted too), ``presence.set``, and a day/night-only
  ``schedule.set_mode`` (the schedule replaces it with its own when installed);
* under ``run --sim``: ``sim.call_in``, ``sim.press``, ``sim.hang_up``, ``sim.lift``, ``sim.dial``,
  ``sim.phone_hang_up``, ``sim.speak``, ``sim.flash``, ``sim.button``, ``sim.listen``. A simulated caller is
  named by the ``call`` id ``sim.call_in`` returned (``caller`` is accepted as a synonym), a desk phone by
  ``phone`` (its port; ``port`` is accepted as a synonym).

A leg, call, caller or phone that does not exist is a ``not_found`` error naming it.

What it is not: the socket server (``firmware/control``) or the store/config commands (registered there).
"""
from __future__ import annotations

import base64
import functools
import io
import itertools
import wave
from datetime import datetime, timezone
from typing import Any

import numpy as np

from drivers.errors import ControlError

_STR = {"type": "string", "minLength": 1, "maxLength": 40}
_DIGITS = {"type": "string", "pattern": "^[0-9*#A-D]{1,32}$"}
_PORT = {"type": "string", "pattern": "^(fxo|fxs|modem|sip)[0-9]{1,2}$"}
_NUMBER = {"type": ["string", "null"], "pattern": r"^\+?[0-9]{0,20}$"}
_NAME = {"type": ["string", "null"], "maxLength": 15}


def _schema(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _state_conflicts(fn: Any) -> Any:
    """A simulated person asked to do what their call does not allow (keys while it rings) → ``conflict``."""
    from drivers.sim.party import SimStateError

    @functools.wraps(fn)
    def handler(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SimStateError as exc:
            raise ControlError(str(exc), code="conflict") from None
    return handler


def _not_found(what: str) -> ControlError:
    return ControlError(f"no {what}", code="not_found")


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def register_engine_commands(registry: Any, box: Any, sim: Any = None) -> None:
    """Register the engine's commands (and the ``sim.*`` ones when ``sim`` is the SimOffice)."""
    EngineCommands(box, SimWorld(box, sim) if sim is not None else None).register(registry)


def _add(registry: Any, name: str, fn: Any, schema: dict[str, Any] | None = None) -> None:
    if name in registry:  # another part registered it first; theirs stays
        return
    registry.register(name, fn, schema=schema)


class EngineCommands:
    """``snapshot`` and ``call.*`` over the running box."""

    def __init__(self, box: Any, sim: "SimWorld | None") -> None:
        self.box = box
        self.engine = box.engine
        self.sim = sim

    def register(self, registry: Any) -> None:
        _add(registry, "snapshot", self.snapshot)
        _add(registry, "call.hangup", self.hangup, _schema([], call=_STR, leg=_STR))
        _add(registry, "call.transfer", self.transfer, _schema([], call=_STR, leg=_STR, to=_STR, extension=_STR))
        _add(registry, "call.to_voicemail", self.to_voicemail, _schema([], call=_STR, leg=_STR, mailbox=_STR))
        _add(registry, "call.park", self.park, _schema([], call=_STR, leg=_STR, slot=_STR))
        _add(registry, "schedule.set_mode", self.set_mode, _schema(["mode"], mode={"enum": ["day", "night"]}))
        _add(registry, "presence.set", self.presence, _schema(
            ["extension", "state"], extension=_STR,
            state={"enum": ["available", "away", "busy", "lunch", "out", "dnd"]},
            note={"type": ["string", "null"], "maxLength": 80}, until={"type": ["string", "null"]}))
        if self.sim is not None:
            self.sim.register(registry)

    # -- snapshot -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The whole office now (lines, phones, calls, extensions, lamps; the simulated world under --sim)."""
        e = self.engine
        snap = e.snapshot()
        snap["time"] = _iso(e.clock.wall())
        snap["office"] = (e.office.doc.get("office") or {}).get("name")
        snap["lines"] = [{**line, "id": line["line"], "call": self._call_of_leg(line["leg"])}
                         for line in snap["lines"]]
        snap["phones"] = [{**p, "call": self._call_of_leg(p["leg"])} for p in snap["phones"]]
        snap["calls"] = [self.call_view(call) for call in e.calls.values()]
        for service in getattr(self.box, "services", ()):   # e.g. the attendant adds schedule and mwi
            extra = getattr(service, "snapshot_extra", None)
            if extra is not None:
                snap.update(extra())
        snap["extensions"] = self._extensions(snap.get("mwi") or {})
        snap["leds"] = self.box.panel.snapshot()
        snap["faults"] = [{"port": p.name, "message": p.fault} for p in e.ports.values() if p.fault]
        if self.sim is not None:
            snap["sim"] = self.sim.snapshot()
        return snap

    def _call_of_leg(self, leg_id: str | None) -> str | None:
        leg = self.engine.legs.get(leg_id) if leg_id else None
        return leg.call.id if leg is not None and leg.call is not None else None

    def call_view(self, call: Any) -> dict[str, Any]:
        first = call.legs[0]
        cid = first.caller_id or {}
        line = next((leg.vars["line"] for leg in call.legs if "line" in leg.vars), None)
        extension = next((leg.extension for leg in call.legs[1:] if leg.extension), None) or first.extension
        started = self.engine.clock.wall().timestamp() - (self.engine.clock.now() - call.started)
        slot = next((s for s, leg in self.engine.parking.slots.items() if leg.call is call), None)
        return {"id": call.id, "state": self._state(call), "direction": first.direction, "line": line,
                "parked_slot": slot,
                "extension": extension, "caller_number": cid.get("number"), "caller_name": cid.get("name"),
                "started_at": _iso(datetime.fromtimestamp(started, timezone.utc)),
                "answered_at": (_iso(datetime.fromtimestamp(call.answered, timezone.utc))
                                if call.answered is not None else None),
                "dialled": call.dialled,
                "legs": [leg.id for leg in call.legs if leg.up]}

    def _state(self, call: Any) -> str:
        legs = [leg for leg in call.legs if leg.up]
        if any(leg.bridge is not None for leg in legs):
            return "connected"
        if any(p.ringing_for in {leg.id for leg in legs} for p in self.engine.desk.phones.values()):
            return "ringing"
        if any(leg in self.engine.parking.slots.values() for leg in legs):
            return "parked"
        if any(leg.recording is not None for leg in legs):
            return "voicemail"
        return "attendant" if legs and legs[0].direction == "in" else "dialling"

    def _extensions(self, mwi: dict[str, Any]) -> list[dict[str, Any]]:
        e = self.engine
        presence = {}
        store_presence = getattr(e.store, "presence", None)
        if callable(store_presence):
            try:
                presence = store_presence()
            except Exception:  # the snapshot must not fail because of the store
                presence = {}
        out = []
        for number, ext in e.office.extensions.items():
            phone = e.desk.phones.get(ext.get("phone") or "")
            out.append({"number": number, "name": ext.get("name"), "phone": ext.get("phone"),
                        "mailbox": ext.get("mailbox"), "on_call": bool(phone and phone.state != "idle"),
                        "dnd": bool(ext.get("dnd")),
                        "presence": presence.get(number, {"state": "available", "note": None, "until": None}),
                        "message_waiting": e.message_waiting(ext.get("mailbox")),
                        "mwi": mwi.get(str(ext.get("mailbox")), {"new": 0, "saved": 0})})
        return out

    # -- call control -------------------------------------------------------------------------------
    def leg_of(self, call: str | None, leg: str | None) -> Any:
        e = self.engine
        if leg:
            found = e.legs.get(leg)
            if found is None:
                raise _not_found(f"call leg {leg!r} (it may have hung up)")
            return found
        found_call = e.calls.get(call or "")
        if found_call is None:
            raise _not_found(f"call {call!r} (it may have ended)")
        legs = [x for x in found_call.legs if x.up]
        return next((x for x in legs if x.direction == "in"), legs[0])

    def hangup(self, call: str | None = None, leg: str | None = None) -> dict[str, Any]:
        """End a call (every leg of it)."""
        target = self.leg_of(call, leg)
        for other in list(target.call.legs if target.call else [target]):
            self.engine.hangup_leg(other, "operator")
        return {"call": target.call.id if target.call else None, "ended": True}

    def transfer(self, call: str | None = None, to: str | None = None, leg: str | None = None,
                 extension: str | None = None) -> dict[str, Any]:
        """Send a call to an extension: its phone rings; busy or no answer → that extension's mailbox."""
        number = to or extension
        if not number or number not in self.engine.office.extensions:
            raise _not_found(f"extension {number!r}")
        target = self.leg_of(call, leg)
        self.engine.redirect(target, f"extension:{number}")
        self.engine.bus.publish("transfer", call=target.call.id if target.call else None, to=number)
        return self.call_view(target.call)

    def to_voicemail(self, call: str | None = None, mailbox: str | None = None,
                     leg: str | None = None) -> dict[str, Any]:
        """Send a call straight to a mailbox (default: the extension it was for)."""
        if "voicemail" not in self.engine.apps:
            raise ControlError("voicemail is not installed on this box", code="unavailable")
        target = self.leg_of(call, leg)
        box = mailbox or self.call_view(target.call).get("extension")
        if not box:
            raise ControlError("say which mailbox: the call is not for an extension yet", code="conflict")
        self.engine.redirect(target, f"voicemail:{box}")
        return {**self.call_view(target.call), "state": "voicemail"}

    def park(self, call: str | None = None, leg: str | None = None, slot: str | None = None) -> dict[str, Any]:
        """Park a call in a slot (the first free one unless given); any desk phone dials the slot to pick it up."""
        target = self.leg_of(call, leg)
        parker = next((x.extension for x in (target.bridge.legs if target.bridge else []) if x.extension), None)
        got = self.engine.parking.park(target, slot, parker=parker)
        return {**self.call_view(target.call), "state": "parked", "parked_slot": got}

    def set_mode(self, mode: str) -> dict[str, Any]:
        """Day or night mode, as the panel button does."""
        self.engine.set_night(mode == "night")
        return {"mode": mode, "night": self.engine.night}

    def presence(self, extension: str, state: str, note: str | None = None,
                 until: str | None = None) -> dict[str, Any]:
        """Set an extension's presence (shown on the attendant console)."""
        if extension not in self.engine.office.extensions:
            raise _not_found(f"extension {extension!r}")
        self.engine.store.set_presence(extension, state, note=note, until=until)
        self.engine.bus.publish("presence", extension=extension, state=state, note=note, until=until)
        entry = self.engine.store.presence().get(extension, {})
        return {"extension": extension, **entry}


class SimWorld:
    """The simulated outside world as control commands (``sim.*``)."""

    def __init__(self, box: Any, office: Any) -> None:
        self.box = box
        self.office = office
        self.callers: dict[str, Any] = {}
        self._ids = itertools.count(1)

    def snapshot(self) -> dict[str, Any]:
        callers = []
        for key, caller in list(self.callers.items()):
            state = str(getattr(caller, "state", "unknown"))
            if state in ("ended", "busy") and len(self.callers) > 20:
                del self.callers[key]
                continue
            callers.append({"id": key, "call": key, "state": state, "port": getattr(caller, "port", None),
                            "caller_id": getattr(caller, "caller_id", None), "name": key})
        phones = [{"port": port, "phone": port,
                   "state": "ringing" if p.ringing else ("off_hook" if p.off_hook else "idle"),
                   "ringing": bool(p.ringing), "off_hook": bool(p.off_hook)}
                  for port, p in self.office.phones.items()]
        return {"callers": callers, "phones": phones}

    def caller(self, call: str | None, caller: str | None = None) -> Any:
        key = call or caller or ""
        if key in self.callers:
            return self.callers[key]
        engine_call = self.box.engine.calls.get(key)
        if engine_call is not None:  # an engine call id: the outside caller on its line
            ports = {leg.port.name for leg in engine_call.legs}
            for outside in self.callers.values():
                if getattr(outside, "port", None) in ports and outside.state not in ("ended", "busy"):
                    return outside
        raise _not_found(f"simulated caller {key!r}")

    def phone(self, phone: str | None, port: str | None = None) -> Any:
        key = phone or port or ""
        if key in self.office.phones:
            return self.office.phones[key]
        ext = self.box.engine.office.extensions.get(key)
        if ext and ext.get("phone") in self.office.phones:
            return self.office.phones[ext["phone"]]
        raise _not_found(f"desk phone {key!r}")

    def register(self, registry: Any) -> None:
        who = {"call": _STR, "caller": _STR}
        phone = {"phone": _STR, "port": _PORT}

        def add(name: str, fn: Any, schema: dict[str, Any]) -> None:
            registry.register(name, _state_conflicts(fn), schema=schema)
        add("sim.call_in", self.call_in, schema=_schema([], line=_STR, port=_PORT, number=_NUMBER,
                                                        caller_id=_NUMBER, name=_NAME))
        add("sim.press", self.press, schema=_schema(["digits"], digits=_DIGITS, **who))
        add("sim.hang_up", self.hang_up, schema=_schema([], how={"enum": ["loop_drop", "busy_tone"]}, **who))
        add("sim.speak", self.speak, schema=_schema(["seconds"], seconds={"type": "number", "minimum": 0,
                                                                           "maximum": 600}, **who, **phone))
        add("sim.lift", self.lift, schema=_schema([], **phone))
        add("sim.phone_hang_up", self.phone_hang_up, schema=_schema([], **phone))
        add("sim.dial", self.dial, schema=_schema(["digits"], digits=_DIGITS, mode={"enum": ["tone", "pulse"]},
                                                  **phone))
        add("sim.flash", self.flash, schema=_schema([], **phone))
        add("sim.button", self.button, schema=_schema(["name"], name=_STR,
                                                      hold={"type": "number", "minimum": 0, "maximum": 10}))
        add("sim.listen", self.listen, schema=_schema([], seconds={"type": "number", "minimum": 0.02,
                                                                    "maximum": 10},
                                                      ms={"type": "integer", "minimum": 20, "maximum": 10000},
                                                      **who, **phone))

    def call_in(self, line: str | None = None, port: str | None = None, number: str | None = None,
                caller_id: str | None = None, name: str | None = None) -> dict[str, Any]:
        """A simulated outside caller rings (a given line, or the first free one as the exchange hunts)."""
        number = number or caller_id
        if line is not None:
            found = next((x for x in self.box.engine.lines.lines if line in (x.id, x.port.name)), None)
            if found is None:
                raise _not_found(f"line {line!r}")
            port = found.port.name
        cid = {"number": number, "name": name} if number or name else None
        outside = self.office.exchange.call_in(port=port, caller_id=cid)
        key = f"sim{next(self._ids)}"
        self.callers[key] = outside
        busy = outside.state == "busy"
        on = self.box.engine.lines.line_of_port(outside.port) if getattr(outside, "port", None) else None
        return {"call": None if busy else key, "caller": key, "line": on.id if on else None,
                "result": "busy" if busy else "ringing"}

    def press(self, digits: str, call: str | None = None, caller: str | None = None) -> dict[str, Any]:
        self.caller(call, caller).press(digits)
        return {"call": call or caller, "digits": digits}

    def hang_up(self, call: str | None = None, caller: str | None = None, how: str = "loop_drop") -> dict:
        self.caller(call, caller).hang_up(how=how)
        return {"call": call or caller, "ended": True}

    def speak(self, seconds: float, call: str | None = None, caller: str | None = None,
              phone: str | None = None, port: str | None = None) -> dict[str, Any]:
        party = self.phone(phone, port) if (phone or port) else self.caller(call, caller)
        party.speak(float(seconds))
        return {"seconds": seconds}

    def _phone_state(self, p: Any, key: str) -> dict[str, Any]:
        leg = self.box.engine.leg_at(key)
        return {"phone": key, "state": "ringing" if p.ringing else ("off_hook" if p.off_hook else "idle"),
                "call": leg.call.id if leg is not None and leg.call is not None else None}

    def lift(self, phone: str | None = None, port: str | None = None) -> dict[str, Any]:
        p = self.phone(phone, port)
        p.lift()
        return self._phone_state(p, p.port if isinstance(getattr(p, "port", None), str) else (phone or port))

    def phone_hang_up(self, phone: str | None = None, port: str | None = None) -> dict[str, Any]:
        self.phone(phone, port).hang_up()
        return {"phone": phone or port, "state": "idle"}

    def dial(self, digits: str, phone: str | None = None, port: str | None = None, mode: str = "tone") -> dict:
        p = self.phone(phone, port)
        if not p.off_hook:
            raise ControlError(f"phone {phone or port} is on hook; lift it first", code="conflict")
        p.dial(digits, mode=mode)
        return {"phone": phone or port, "digits": digits}

    def flash(self, phone: str | None = None, port: str | None = None) -> dict[str, Any]:
        self.phone(phone, port).flash()
        return {"phone": phone or port}

    def button(self, name: str, hold: float = 0.1) -> dict[str, Any]:
        try:
            self.office.panel.press(name, hold=hold)
        except ValueError as exc:
            raise _not_found(str(exc).replace("the panel has no ", "")) from None
        return {"button": name}

    def listen(self, call: str | None = None, caller: str | None = None, phone: str | None = None,
               port: str | None = None, seconds: float | None = None, ms: int | None = None) -> dict[str, Any]:
        """What a simulated caller or desk phone heard in the last ``seconds`` (or ``ms``)."""
        span = seconds if seconds is not None else (ms / 1000 if ms is not None else 1.0)
        party = self.phone(phone, port) if (phone or port) else self.caller(call, caller)
        samples = np.asarray(party.heard(span), dtype="<i2")[-int(8000 * span):]
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(samples.tobytes())
        return {"format": "wav", "rate": 8000, "seconds": round(len(samples) / 8000, 3),
                "data": base64.b64encode(out.getvalue()).decode("ascii"),
                "audio": base64.b64encode(samples.tobytes()).decode("ascii")}
