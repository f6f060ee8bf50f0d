"""The office behind :class:`~firmware.control.fake.FakeControl`: live state that answers like the daemon.

What it is: :class:`FakeOffice` keeps lines, desk phones, calls, the schedule mode and faults in memory and
implements ``snapshot``, ``schedule.set_mode``, ``presence.set``, ``call.*`` and (with
:class:`~firmware.control.fake_world.SimWorld`) ``sim.*`` with the same
arguments, results, errors and events as the daemon (docs/control-api.md). Calls move through the states a
real call takes: ``sim.call_in`` rings a line and the attendant answers; ``sim.press`` dials an option or an
extension; ``sim.lift`` answers a ringing phone; an unanswered caller who hangs up after ``call.to_voicemail``
leaves a message (a short WAV file indexed in the store), and every finished call lands in the call log.

What it is not: a simulation of signals or time. Nothing rings for a while or times out; the web UI's tests
drive every step. For the real thing, run ``switchboard run --sim``.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Callable

from firmware.config import Config
from firmware.control.fake_world import SCHEMAS, SimWorld, schema, tone_wav
from firmware.control.registry import Registry, control_error
from firmware.store import Store, iso

Publish = Callable[..., Any]


class FakeOffice(SimWorld):
    """Lines, phones and calls in memory. ``publish(kind, **data)`` sends events; ``store`` keeps the logs."""

    def __init__(self, config: Callable[[], Config], store: Store, publish: Publish, audio_dir: Path) -> None:
        self._config = config
        self.store = store
        self.publish = publish
        self.audio_dir = audio_dir
        self.calls: dict[str, dict[str, Any]] = {}
        self.mode = "auto"
        self.faults: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._line_state: dict[str, str] = {}
        self._phone_state: dict[str, str] = {}
        self._dialled: dict[str, str] = {}

    @property
    def config(self) -> Config:
        return self._config()

    def register(self, registry: Registry) -> None:
        handlers = {
            "snapshot": self.snapshot, "schedule.set_mode": self.set_mode, "presence.set": self.set_presence,
            "call.transfer": self.transfer, "call.park": self.park, "call.to_voicemail": self.to_voicemail,
            "call.hangup": self.hangup, "sim.call_in": self.call_in, "sim.press": self.press,
            "sim.hang_up": self.caller_hangs_up, "sim.lift": self.lift, "sim.dial": self.dial,
            "sim.phone_hang_up": self.phone_hangs_up, "sim.listen": self.listen, "sim.speak": self.speak,
            "sim.flash": self.flash, "sim.button": self.button,
        }
        for name, fn in handlers.items():
            registry.register(name, fn, schema=SCHEMAS.get(name, schema([])))

    # ------------------------------------------------------------------ state views
    def line_state(self, line_id: str) -> str:
        return self._line_state.get(line_id, "idle")

    def phone_state(self, port: str) -> str:
        return self._phone_state.get(port, "idle")

    def _set_line(self, line_id: str | None, state: str) -> None:
        if line_id is not None and self._line_state.get(line_id, "idle") != state:
            self._line_state[line_id] = state
            self.publish("line", line=line_id, state=state)

    def _set_phone(self, port: str | None, state: str) -> None:
        if port is not None and self._phone_state.get(port, "idle") != state:
            self._phone_state[port] = state
            ext = self.config.extension_for_phone(port)
            self.publish("phone", phone=port, extension=ext["number"] if ext else None, state=state)

    def schedule_status(self) -> dict[str, Any]:
        forced = None if self.mode == "auto" else self.mode
        state = "override" if forced else "day"
        return {"state": state, "mode": forced or "day", "forced": forced, "night": (forced or "day") == "night"}

    def snapshot(self) -> dict[str, Any]:
        """The whole office now: lines, phones, calls, extensions with presence and message counts."""
        cfg = self.config
        presence = self.store.presence()
        mwi = self.store.mwi_counts()
        calls = [self._public_call(c) for c in self.calls.values()]
        return {
            "time": iso(self.store.now()), "office": cfg.office_name,
            "schedule": self.schedule_status(), "night": self.schedule_status()["night"],
            "lines": [{"id": ln["id"], "port": ln["port"], "label": ln.get("label", ln["id"]),
                       "state": self.line_state(ln["id"]), "call": self._call_on("line", ln["id"])}
                      for ln in cfg.lines],
            "phones": [{"port": p["port"], "label": p.get("label", p["port"]),
                        "extension": (cfg.extension_for_phone(p["port"]) or {}).get("number"),
                        "state": self.phone_state(p["port"]), "call": self._call_on("phone", p["port"])}
                       for p in cfg.phones],
            "calls": calls,
            "extensions": [self._extension_view(e, presence, mwi) for e in cfg.extensions],
            "mwi": {box: {"new": c["new"], "saved": c["saved"]} for box, c in mwi.items()},
            "parking": [{"slot": c["parked_slot"], "call": c["id"]} for c in calls if c["parked_slot"]],
            "faults": list(self.faults),
        }

    def _extension_view(self, ext: dict[str, Any], presence: dict[str, Any], mwi: dict[str, Any]) -> dict[str, Any]:
        configured = ext.get("presence") or {}
        pres = presence.get(ext["number"]) or {"state": configured.get("state", "available"),
                                               "note": configured.get("note"), "until": None}
        box = ext.get("mailbox")
        counts = mwi.get(box, {"new": 0, "saved": 0}) if box else None
        busy = self.phone_state(ext["phone"]) not in ("idle",) if ext.get("phone") else False
        return {"number": ext["number"], "name": ext["name"], "phone": ext.get("phone"), "mailbox": box,
                "dnd": bool(ext.get("dnd")) or pres["state"] == "dnd", "on_call": busy,
                "presence": {k: pres.get(k) for k in ("state", "note", "until")},
                "mwi": {"new": counts["new"], "saved": counts["saved"]} if counts else None}

    def _call_on(self, kind: str, key: str) -> str | None:
        for c in self.calls.values():
            if c.get(kind) == key or (kind == "phone" and c.get("from_phone") == key):
                return c["id"]
        return None

    @staticmethod
    def _public_call(c: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "state", "direction", "line", "extension", "caller_number", "caller_name", "dialled",
                "started_at", "answered_at", "parked_slot", "mailbox")
        out = {k: c.get(k) for k in keys}
        out["started_at"], out["answered_at"] = iso(c["started_at"]), iso(c.get("answered_at"))
        return out

    # ------------------------------------------------------------------ control commands
    def set_mode(self, mode: str) -> dict[str, Any]:
        """Day, night or automatic (the schedule decides)."""
        self.mode = mode
        status = self.schedule_status()
        self.publish("schedule", **status)
        self.publish("night", active=status["night"])
        return status

    def set_presence(self, extension: str, state: str, note: str | None = None,
                     until: str | None = None) -> dict[str, Any]:
        """Set an extension's presence (available, away, busy, lunch, out, dnd) with a note and an end time."""
        if self.config.extension(extension) is None:
            raise control_error("not_found", f"no extension {extension!r}")
        self.store.set_presence(extension, state, note=note, until=until)
        view = self.store.presence()[extension]
        self.publish("presence", extension=extension, **{k: view[k] for k in ("state", "note", "until")})
        return {"extension": extension, **view}

    def _call(self, call_id: str) -> dict[str, Any]:
        c = self.calls.get(call_id)
        if c is None:
            raise control_error("not_found", f"no call {call_id!r} (it may have ended)")
        return c

    def transfer(self, call: str, to: str) -> dict[str, Any]:
        """Blind-transfer a call to an extension (its phone rings)."""
        c = self._call(call)
        ext = self.config.extension(to)
        if ext is None:
            raise control_error("not_found", f"no extension {to!r}")
        self._release_phone(c)
        self._ring_extension(c, ext)
        self.publish("transfer", call=call, to=to)
        return self._public_call(c)

    def park(self, call: str) -> dict[str, Any]:
        """Park a call in the first free slot; the caller hears hold music."""
        c = self._call(call)
        if c["state"] not in ("connected", "attendant"):
            raise control_error("conflict", f"call {call} is {c['state']}; only a connected call can be parked")
        park = self.config["parking"]
        used = {x["parked_slot"] for x in self.calls.values()}
        free = [str(int(park["first_slot"]) + i) for i in range(park["slots"])]
        slot = next((s for s in free if s not in used), None)
        if slot is None:
            raise control_error("conflict", "every parking slot is taken")
        self._release_phone(c)
        c.update(state="parked", parked_slot=slot)
        self.publish("park", call=call, slot=slot)
        return self._public_call(c)

    def to_voicemail(self, call: str, mailbox: str | None = None) -> dict[str, Any]:
        """Send a call to a mailbox (default: the extension it was for); the caller hears the greeting."""
        c = self._call(call)
        box = mailbox
        if box is None and c.get("extension"):
            box = (self.config.extension(c["extension"]) or {}).get("mailbox")
        if not box or self.config.mailbox(box) is None:
            raise control_error("not_found", f"no mailbox {box!r}" if box else "the call has no extension; name a mailbox")
        self._release_phone(c)
        c.update(state="voicemail", mailbox=box, parked_slot=None)
        self.publish("prompt", leg=c["id"], name="vm-greeting")
        self.publish("record_start", leg=c["id"])
        return self._public_call(c)

    def hangup(self, call: str) -> dict[str, Any]:
        """Clear a call from the console."""
        c = self._call(call)
        self._end(c, "hangup", by="console")
        return {"call": call, "ended": True}

    # ------------------------------------------------------------------ helpers
    def _phone(self, port: str) -> dict[str, Any]:
        p = self.config.phone(port)
        if p is None:
            raise control_error("not_found", f"no phone on port {port!r}")
        return p

    def _new_call(self, direction: str, **fields: Any) -> dict[str, Any]:
        call_id = f"c{next(self._ids)}"
        c = {"id": call_id, "state": "ringing", "direction": direction, "started_at": self.store.now(),
             "answered_at": None, "parked_slot": None, **fields}
        self.calls[call_id] = c
        self.store.call_started(call_id, direction, line=c.get("line"), extension=c.get("extension"),
                                caller_number=c.get("caller_number"), caller_name=c.get("caller_name"),
                                dialled=c.get("dialled"))
        self.publish("leg", leg=call_id, call=call_id, direction=direction, port=c.get("line") or c.get("from_phone"))
        return c

    def _ring_extension(self, c: dict[str, Any], ext: dict[str, Any]) -> str:
        phone = ext.get("phone")
        c["extension"] = ext["number"]
        self.store.call_update(c["id"], extension=ext["number"])
        if not phone or self.phone_state(phone) != "idle" or ext.get("dnd"):
            reason = "busy" if phone and self.phone_state(phone) != "idle" else "unavailable"
            self.publish("dial_result", leg=c["id"], extension=ext["number"], result=reason)
            if ext.get("mailbox"):
                self.to_voicemail(c["id"], ext["mailbox"])
            return reason
        c.update(state="ringing", phone=phone, talking=False)
        self._set_phone(phone, "ringing")
        self.publish("ringing", leg=c["id"], extension=ext["number"], phone=phone)
        return "ringing"

    def _release_phone(self, c: dict[str, Any]) -> None:
        phone = c.get("phone")
        if phone and self.phone_state(phone) in ("ringing", "in_call"):
            self._set_phone(phone, "idle" if self.phone_state(phone) == "ringing" else "off_hook")
        c.update(phone=None, talking=False)

    def _end(self, c: dict[str, Any], kind: str, by: str) -> None:
        disposition = self._disposition(c)
        if c["state"] == "voicemail" and by == "caller":
            self._leave_message(c)
        if c.get("phone") and self.phone_state(c["phone"]) == "ringing":
            self._set_phone(c["phone"], "idle")
        for port in (c.get("phone"), c.get("from_phone")):
            if port and port != by and self.phone_state(port) == "in_call":
                self._set_phone(port, "off_hook")
        self._set_line(c.get("line"), "idle")
        del self.calls[c["id"]]
        self.store.call_ended(c["id"], disposition, reason=f"{kind}:{by}")
        self.publish("hangup", leg=c["id"], by=by)
        self.publish("call_end", call=c["id"], seconds=round(self.store.now() - c["started_at"], 2))

    @staticmethod
    def _disposition(c: dict[str, Any]) -> str:
        if c["state"] == "voicemail":
            return "voicemail"
        if c["state"] == "connected" or c.get("talking"):
            return "answered"
        return "abandoned" if c["direction"] == "in" else "no_answer"

    def _leave_message(self, c: dict[str, Any]) -> None:
        box = c["mailbox"]
        path = self.audio_dir / f"{box}-{c['id']}.wav"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(tone_wav(1.0, 300.0, 0.1))
        tmp.rename(path)
        msg_id = self.store.add_message(box, path, duration_s=1.0, caller_number=c.get("caller_number"),
                                        caller_name=c.get("caller_name"))
        self.publish("record_stop", leg=c["id"], reason="hangup", seconds=1.0)
        self.publish("recording_saved", mailbox=box, message=msg_id, seconds=1.0)
        counts = self.store.mwi_counts()[box]
        self.publish("voicemail", mailbox=box, new=counts["new"], saved=counts["saved"])
        self.publish("mwi", mailbox=box, active=counts["new"] > 0)
