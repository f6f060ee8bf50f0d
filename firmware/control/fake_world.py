"""The simulated outside world of :class:`~firmware.control.fake_office.FakeOffice`: the ``sim.*`` commands.

What it is: :class:`SimWorld` — an outside caller rings, presses keys and hangs up; desk phones lift, dial,
flash and hang up; the panel's day/night button; ``sim.listen`` returns a short WAV. The argument schemas of
every command the fake answers are here (:data:`SCHEMAS`), the same shapes docs/control-api.md gives.

What it is not: signals. No audio is decoded or generated beyond a placeholder tone; see ``drivers/sim`` and
``switchboard run --sim`` for the real simulated office.
"""
from __future__ import annotations

import base64
import math
from typing import Any

from firmware.control.registry import control_error
from firmware.prompts.wavio import wav_bytes
from firmware.store import PRESENCE_STATES

_STR = {"type": "string", "minLength": 1, "maxLength": 64}


def schema(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


SCHEMAS = {
    "schedule.set_mode": schema(["mode"], mode={"enum": ["day", "night", "auto"]}),
    "presence.set": schema(["extension", "state"], extension=_STR, state={"enum": list(PRESENCE_STATES)},
                            note={"type": ["string", "null"], "maxLength": 80},
                            until={"type": ["string", "null"], "maxLength": 40}),
    "call.transfer": schema(["call", "to"], call=_STR, to=_STR),
    "call.park": schema(["call"], call=_STR),
    "call.to_voicemail": schema(["call"], call=_STR, mailbox=_STR),
    "call.hangup": schema(["call"], call=_STR),
    "sim.call_in": schema([], line=_STR, number={"type": ["string", "null"], "pattern": "^\\+?[0-9]{0,20}$"},
                           name={"type": ["string", "null"], "maxLength": 15}),
    "sim.press": schema(["call", "digits"], call=_STR, digits={"type": "string", "pattern": "^[0-9*#]{1,32}$"}),
    "sim.hang_up": schema(["call"], call=_STR),
    "sim.lift": schema(["phone"], phone=_STR),
    "sim.dial": schema(["phone", "digits"], phone=_STR, digits={"type": "string", "pattern": "^[0-9*#]{1,32}$"},
                        mode={"enum": ["tone", "pulse"]}),
    "sim.phone_hang_up": schema(["phone"], phone=_STR),
    "sim.listen": schema([], call=_STR, port=_STR, seconds={"type": "number", "exclusiveMinimum": 0,
                                                               "maximum": 10}),
    "sim.speak": schema(["seconds"], call=_STR, phone=_STR, seconds={"type": "number", "minimum": 0,
                                                                      "maximum": 600}),
    "sim.flash": schema(["phone"], phone=_STR),
    "sim.button": schema(["name"], name=_STR, hold={"type": "number", "minimum": 0, "maximum": 30}),
}


def tone_wav(seconds: float = 0.5, freq: float = 440.0, level: float = 0.2) -> bytes:
    """A small 8 kHz 16-bit mono WAV (a tone; freq 0 is silence)."""
    n = int(8000 * seconds)
    amp = int(32767 * level)
    samples = [int(amp * math.sin(2 * math.pi * freq * i / 8000)) if freq else 0 for i in range(n)]
    return wav_bytes(samples)


class SimWorld:
    """The ``sim.*`` verbs; mixed into FakeOffice, which provides the state and helpers they use."""

    def call_in(self, line: str | None = None, number: str | None = None, name: str | None = None) -> dict[str, Any]:
        """An outside caller rings a line (default: the first free one); the attendant answers."""
        cfg = self.config
        lines = [ln for ln in cfg.lines if ln.get("enabled", True) and ln.get("incoming", True)]
        if line is not None:
            lines = [ln for ln in lines if ln["id"] == line]
            if not lines:
                raise control_error("not_found", f"no incoming line {line!r}")
        free = [ln for ln in lines if self.line_state(ln["id"]) == "idle"]
        if not free:
            self.publish("busy", line=line, number=number)
            return {"call": None, "result": "busy"}
        ln = free[0]
        c = self._new_call("in", line=ln["id"], caller_number=number, caller_name=name)
        self._set_line(ln["id"], "ringing")
        self.publish("ring", line=ln["id"], count=1)
        if number or name:
            self.publish("caller_id", line=ln["id"], number=number, name=name)
        self._set_line(ln["id"], "answered")
        c.update(state="attendant", answered_at=self.store.now())
        self.publish("answer", line=ln["id"], leg=c["id"], caller_id={"number": number, "name": name})
        menu = cfg["attendant"]["menu"]
        self.publish("prompt", leg=c["id"], name=(cfg.menu(menu) or {}).get("greeting", {}).get("day", "greeting-day"))
        return {"call": c["id"], "line": ln["id"], "result": "answered"}

    def press(self, call: str, digits: str) -> dict[str, Any]:
        """The outside caller presses keys: a menu option, 0 for the operator, or an extension number."""
        c = self._call(call)
        for d in digits:
            self.publish("digit", leg=call, port=c.get("line"), digit=d)
        if c["state"] != "attendant":
            return self._public_call(c)
        cfg = self.config
        menu = cfg.menu(cfg["attendant"]["menu"]) or {}
        option = (menu.get("options") or {}).get(digits)
        target = None
        if option and option["action"] == "extension":
            target = cfg.extension(option["target"])
        elif option and option["action"] == "operator" or digits == "0":
            target = cfg.operator
        elif menu.get("dial_by_extension", True):
            target = cfg.extension(digits)
        if target is None:
            self.publish("prompt", leg=call, name="invalid")
            return self._public_call(c)
        self._ring_extension(c, target)
        return self._public_call(c)

    def caller_hangs_up(self, call: str) -> dict[str, Any]:
        """The outside caller hangs up (a caller in voicemail leaves a message)."""
        c = self._call(call)
        self._end(c, "hangup", by="caller")
        return {"call": call, "ended": True}

    def lift(self, phone: str) -> dict[str, Any]:
        """A desk phone goes off hook: answers if ringing, else hears dial tone."""
        self._phone(phone)
        ringing = next((c for c in self.calls.values() if c.get("phone") == phone and c["state"] == "ringing"), None)
        if ringing is None:
            self._set_phone(phone, "off_hook")
            self.publish("tone", port=phone, tone="dial")
            return {"phone": phone, "state": "off_hook", "call": None}
        ringing.update(state="connected", answered_at=ringing.get("answered_at") or self.store.now())
        ringing["talking"] = True
        self.store.call_answered(ringing["id"], extension=ringing.get("extension"))
        self._set_phone(phone, "in_call")
        if ringing.get("from_phone"):
            self._set_phone(ringing["from_phone"], "in_call")
        if ringing.get("line"):
            self._set_line(ringing["line"], "in_use")
        self.publish("bridge", call=ringing["id"], legs=[ringing["id"], phone])
        return {"phone": phone, "state": "in_call", "call": ringing["id"]}

    def dial(self, phone: str, digits: str, mode: str = "tone") -> dict[str, Any]:
        """An off-hook desk phone dials an extension, or the access code and an outside number."""
        self._phone(phone)
        if self.phone_state(phone) != "off_hook":
            raise control_error("conflict", f"phone {phone} is {self.phone_state(phone)}; lift it first")
        cfg = self.config
        me = cfg.extension_for_phone(phone)
        code = cfg["trunks"]["outgoing"]["access_code"]
        if digits.startswith(code) and len(digits) > len(code) and cfg.lines:
            return self._dial_out(phone, digits[len(code):], me)
        target = cfg.extension(digits)
        if target is None or target.get("phone") == phone:
            self.publish("reorder", port=phone, reason="no_such_number")
            return {"phone": phone, "result": "invalid", "call": None}
        c = self._new_call("internal", caller_number=(me or {}).get("number"), caller_name=(me or {}).get("name"),
                           dialled=digits)
        c["from_phone"] = phone
        self._set_phone(phone, "in_call")
        result = self._ring_extension(c, target)
        return {"phone": phone, "result": result, "call": c["id"]}

    def _dial_out(self, phone: str, number: str, me: dict[str, Any] | None) -> dict[str, Any]:
        cfg = self.config
        allowed = cfg["trunks"]["outgoing"].get("allowed_extensions")
        if allowed is not None and me is not None and me["number"] not in allowed:
            self.publish("reorder", port=phone, reason="not_allowed")
            return {"phone": phone, "result": "not_allowed", "call": None}
        free = [ln for ln in reversed(cfg.lines) if ln.get("outgoing", True) and self.line_state(ln["id"]) == "idle"]
        if not free:
            self.publish("reorder", port=phone, reason="all_lines_busy")
            return {"phone": phone, "result": "all_lines_busy", "call": None}
        ln = free[0]
        c = self._new_call("out", line=ln["id"], extension=(me or {}).get("number"), dialled=number)
        c.update(state="connected", phone=phone, answered_at=self.store.now())
        self._set_line(ln["id"], "in_use")
        self._set_phone(phone, "in_call")
        self.publish("outgoing", leg=c["id"], line=ln["id"])
        return {"phone": phone, "result": "connected", "call": c["id"]}

    def phone_hangs_up(self, phone: str) -> dict[str, Any]:
        """A desk phone goes on hook, ending its call."""
        self._phone(phone)
        c = next((c for c in self.calls.values() if c.get("talking") and phone in (c.get("phone"),
                                                                                    c.get("from_phone"))
                  or c.get("from_phone") == phone), None)
        if c is not None:
            self._end(c, "hangup", by=phone)
        self._set_phone(phone, "idle")
        return {"phone": phone, "state": "idle"}

    def listen(self, call: str | None = None, port: str | None = None, seconds: float = 1.0) -> dict[str, Any]:
        """What a call or port sounds like now: a short WAV, base64 (the fake plays a quiet tone)."""
        if call is not None:
            self._call(call)
        elif port is not None and self.config.phone(port) is None and self.config.line_by_port(port) is None:
            raise control_error("not_found", f"no port {port!r}")
        data = tone_wav(seconds, 425.0 if call else 0.0, 0.05)
        return {"format": "wav", "rate": 8000, "seconds": seconds, "data": base64.b64encode(data).decode("ascii")}

    def speak(self, seconds: float, call: str | None = None, phone: str | None = None) -> dict[str, Any]:
        """The outside caller (``call``) or a desk phone talks for ``seconds``."""
        if call is not None:
            self._call(call)
        else:
            self._phone(phone or "")
        return {"seconds": seconds}

    def flash(self, phone: str) -> dict[str, Any]:
        """A desk phone flashes its hook (hold / transfer)."""
        self._phone(phone)
        self.publish("flash", phone=phone, leg=self._call_on("phone", phone))
        return {"phone": phone}

    def button(self, name: str, hold: float = 0.1) -> dict[str, Any]:
        """A front-panel button is pressed (``daynight`` toggles day and night)."""
        if name != "daynight":
            raise control_error("not_found", f"no panel button {name!r}")
        self.publish("button", name=name, hold=hold)
        return self.set_mode("day" if self.schedule_status()["night"] else "night")
