"""Simulation panel (only when the daemon runs the simulated office, ``switchboard run --sim``).

Virtual outside callers — ring a line with a caller ID, press keys, hang up — and the desk phones — lift,
dial, hang up — plus the audio a port hears, played in the browser. Every button is one control-API
command (``sim.call_in``, ``sim.press``, ``sim.hang_up``, ``sim.lift``, ``sim.dial``, ``sim.phone_hang_up``,
``sim.listen``); the panel holds no state of its own beyond what the daemon reports.

``POST`` routes answer JSON for the panel's script (``static/sim.js``) and redirect for plain forms.
``GET /sim/listen/<port>.wav?ms=N`` returns the last N ms (≤ 5000) the port heard as 8 kHz WAV.
"""
from __future__ import annotations

import base64
import io
import re

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for

from webui.daemon import DaemonDown, DaemonError, Refused
from webui.views.common import daemon

bp = Blueprint("sim", __name__, url_prefix="/sim")
DIGITS = re.compile(r"^[0-9*#]{1,32}$")
NUMBER = re.compile(r"^\+?[0-9]{0,20}$")
PORT = re.compile(r"^(fxo|fxs|modem|sip)[1-9][0-9]?$")
LINE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
CALL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]


def daemon_is_simulated() -> bool:
    """True when the daemon offers the simulated office's commands (only ``run --sim`` registers
    ``sim.*``); asked once per request."""
    if "sim_mode" not in g:
        names = daemon().cached("commands", max_age=30.0)
        if names is None:
            try:
                names = daemon().remember("commands", {c.get("name") for c in daemon().call("commands") or []})
            except DaemonError:
                names = set()
        g.sim_mode = "sim.call_in" in names
    return g.sim_mode


@bp.before_request
def _only_in_simulation():
    if not daemon_is_simulated():
        abort(404)


@bp.get("/")
def index():
    _, doc = daemon().config()
    return render_template("sim.html", state=sim_state(), lines=doc.get("lines", []),
                           phones=doc.get("phones", []), keypad=KEYPAD, title="Simulation")


@bp.get("/state")
def state():
    return jsonify(sim_state())


def sim_state() -> dict:
    """Outside callers and desk phones, from the daemon's ``sim`` section or, without one, its calls."""
    snap = daemon().snapshot()
    calls = [c for c in snap.get("calls", []) if c.get("direction") == "in"]
    world = snap.get("sim") if isinstance(snap.get("sim"), dict) else None
    if world is None:
        callers = [{"id": c.get("id"), "call": c.get("id"), "state": c.get("state"), "line": c.get("line"),
                    "caller_id": c.get("caller_number"), "name": c.get("caller_name"),
                    "extension": c.get("extension")} for c in calls]
    else:
        callers = [_caller_view(c, snap) for c in world.get("callers", []) if c.get("state") != "ended"]
    phones = [{"port": p.get("port") or p.get("phone"), "state": (p.get("state") or "").replace("_", " "),
               "extension": p.get("extension")} for p in snap.get("phones", [])]
    return {"callers": callers, "phones": phones}


def _caller_view(caller: dict, snap: dict) -> dict:
    """A simulated caller with the engine call on its line (for the state and "send to voicemail")."""
    line = next((ln for ln in snap.get("lines", []) if ln.get("port") == caller.get("port")), {})
    call = next((c for c in snap.get("calls", []) if c.get("id") == line.get("call")), {})
    cid = caller.get("caller_id") if isinstance(caller.get("caller_id"), dict) else {}
    return {"id": caller.get("id"), "call": call.get("id"),
            "state": call.get("state") or caller.get("state"), "line": line.get("id") or caller.get("port"),
            "caller_id": cid.get("number") or call.get("caller_number"),
            "name": cid.get("name") or call.get("caller_name"), "extension": call.get("extension")}


@bp.post("/call")
def call_in():
    number, name = request.form.get("number", "").strip(), request.form.get("name", "").strip()[:15]
    line = request.form.get("line", "")
    if not NUMBER.match(number):
        return _answer(False, "The caller's number takes digits only (an optional leading +).")
    if line and not LINE.match(line):
        return _answer(False, "Choose a line.")
    args = {"number": number or None, "name": name or None, "line": line or None}
    return _do("sim.call_in", args, f"Calling in from {number or 'an unknown number'}.")


@bp.post("/caller/<caller>/press")
def press(caller: str):
    digits = request.form.get("digits", "")
    if not DIGITS.match(digits):
        return _answer(False, "Keys are 0-9, * and #.")
    return _do("sim.press", {"call": caller, "digits": digits}, f"Pressed {digits}.")


@bp.post("/caller/<caller>/hang-up")
def hang_up(caller: str):
    return _do("sim.hang_up", {"call": caller}, "The caller hung up.")


@bp.post("/caller/<caller>/speak")
def speak(caller: str):
    return _do("sim.speak", {"call": caller, "seconds": 3}, "The caller speaks for 3 seconds.")


@bp.post("/call/<call>/voicemail")
def to_voicemail(call: str):
    return _do("call.to_voicemail", {"call": call},
               "The caller hears the mailbox greeting; hang up to leave the message.")


@bp.post("/phone/<port>/<action>")
def phone(port: str, action: str):
    if not PORT.match(port):
        abort(404)
    if action == "lift":
        return _do("sim.lift", {"phone": port}, f"{port} lifted.")
    if action == "hang-up":
        return _do("sim.phone_hang_up", {"phone": port}, f"{port} hung up.")
    if action == "dial":
        digits = request.form.get("digits", "")
        if not DIGITS.match(digits):
            return _answer(False, "Dial 0-9, * and #.")
        return _do("sim.dial", {"phone": port, "digits": digits}, f"{port} dialled {digits}.")
    abort(404)


@bp.get("/listen/<target>.wav")
def listen(target: str):
    """What a port or a call hears now (``ms`` milliseconds, at most 5000), as WAV."""
    ms = request.args.get("ms", "1000")
    seconds = min(int(ms), 5000) / 1000 if ms.isdigit() and int(ms) > 0 else 1.0
    if PORT.match(target):
        args = {"port": target}
    elif CALL.match(target):
        args = {"call": target}
    else:
        abort(404)
    try:
        res = daemon().call("sim.listen", seconds=seconds, **args)
    except Refused:
        abort(404)
    return send_file(io.BytesIO(base64.b64decode(res.get("data", ""))), mimetype="audio/wav", max_age=0)


def _do(cmd: str, args: dict, ok: str):
    try:
        res = daemon().call(cmd, **{k: v for k, v in args.items() if v is not None})
    except DaemonDown:
        raise
    except Refused as exc:
        return _answer(False, str(exc))
    return _answer(True, ok, res if isinstance(res, dict) else {})


def _answer(ok: bool, message: str, result: dict | None = None):
    if request.headers.get("X-Requested-With") == "fetch":
        return jsonify(ok=ok, message=message, result=result or {}), (200 if ok else 400)
    flash(message, "ok" if ok else "error")
    return redirect(url_for("sim.index"))
