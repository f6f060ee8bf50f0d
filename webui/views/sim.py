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
import wave

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for

from webui.daemon import DaemonDown, DaemonError, Refused
from webui.views.common import daemon

bp = Blueprint("sim", __name__, url_prefix="/sim")
DIGITS = re.compile(r"^[0-9*#]{1,32}$")
NUMBER = re.compile(r"^\+?[0-9]{0,20}$")
PORT = re.compile(r"^(fxo|fxs|modem|sip)[1-9][0-9]?$")
KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]


def daemon_is_simulated() -> bool:
    """True when the daemon says it runs the simulated office (asked once per request)."""
    if "sim_mode" not in g:
        try:
            g.sim_mode = bool(daemon().snapshot().get("sim"))
        except DaemonError:
            g.sim_mode = False
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
    snap = daemon().snapshot()
    sim = snap.get("sim") if isinstance(snap.get("sim"), dict) else {}
    callers = sim.get("callers", snap.get("callers", []))
    phones = sim.get("phones", snap.get("phones", []))
    return {"callers": [{k: c.get(k) for k in ("id", "state", "port", "caller_id", "name")} for c in callers],
            "phones": [{"port": p.get("port"), "state": p.get("state"), "ringing": p.get("ringing"),
                        "off_hook": p.get("off_hook")} for p in phones]}


@bp.post("/call")
def call_in():
    number, name = request.form.get("number", "").strip(), request.form.get("name", "").strip()[:15]
    port = request.form.get("port", "")
    if not NUMBER.match(number):
        return _answer(False, "The caller's number takes digits only (an optional leading +).")
    if port and not PORT.match(port):
        return _answer(False, "Choose a line.")
    args = {"caller_id": number or None, "name": name or None}
    if port:
        args["port"] = port
    return _do("sim.call_in", args, f"Calling in from {number or 'an unknown number'}.")


@bp.post("/caller/<caller>/press")
def press(caller: str):
    digits = request.form.get("digits", "")
    if not DIGITS.match(digits):
        return _answer(False, "Keys are 0-9, * and #.")
    return _do("sim.press", {"caller": caller, "digits": digits}, f"Pressed {digits}.")


@bp.post("/caller/<caller>/hang-up")
def hang_up(caller: str):
    return _do("sim.hang_up", {"caller": caller}, "The caller hung up.")


@bp.post("/phone/<port>/<action>")
def phone(port: str, action: str):
    if not PORT.match(port):
        abort(404)
    if action == "lift":
        return _do("sim.lift", {"port": port}, f"{port} lifted.")
    if action == "hang-up":
        return _do("sim.phone_hang_up", {"port": port}, f"{port} hung up.")
    if action == "dial":
        digits = request.form.get("digits", "")
        if not DIGITS.match(digits):
            return _answer(False, "Dial 0-9, * and #.")
        return _do("sim.dial", {"port": port, "digits": digits}, f"{port} dialled {digits}.")
    abort(404)


@bp.get("/listen/<target>.wav")
def listen(target: str):
    """The last ``ms`` milliseconds a port (or a virtual caller) heard, as WAV."""
    ms = request.args.get("ms", "1000")
    ms = min(int(ms), 5000) if ms.isdigit() else 1000
    key = "port" if PORT.match(target) else "caller"
    try:
        res = daemon().call("sim.listen", **{key: target, "ms": ms})
    except Refused:
        abort(404)
    pcm = base64.b64decode(res.get("audio", "")) if isinstance(res, dict) else b""
    rate = int(res.get("rate", 8000)) if isinstance(res, dict) else 8000
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    out.seek(0)
    return send_file(out, mimetype="audio/wav", max_age=0)


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
