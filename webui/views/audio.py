"""Greetings and prompts: record in the browser, upload a file, or type text for text-to-speech; play back.

Targets are the attendant menus' prompts (one per schedule state, saved as the office's own recording of
that prompt name in ``<data>/prompts/``) and each mailbox's greetings (``<data>/voicemail/<box>/``).
Every save is converted to 8 kHz telephone WAV by ``webui.audio`` and written atomically.

Routes (POSTs carry the CSRF token; the recorder script sends it as ``X-CSRFToken``)::

    GET  /greetings/                                   the page
    POST /greetings/prompt/<name>                      source=upload (file "audio") | record | tts (text)
    POST /greetings/prompt/<name>/delete               back to the built-in voice
    POST /greetings/mailbox/<box>/<kind>               as above, kind: unavailable|busy|name|temporary
    POST /greetings/mailbox/<box>/<kind>/delete
    POST /greetings/preview                            text -> WAV to hear before saving
    GET  /greetings/play/prompt/<name>.wav, /greetings/play/mailbox/<box>/<kind>.wav
"""
from __future__ import annotations

import io
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)

from webui import audio
from webui.daemon import Refused, StaleConfig
from webui.files import BadInput, atomic_write
from webui.views.common import daemon

bp = Blueprint("audio", __name__, url_prefix="/greetings")
STATES = ("day", "lunch", "night", "holiday", "override")


def data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


@bp.get("/")
def index():
    _, doc = daemon().config()
    menus = []
    for name, menu in sorted((doc.get("menus") or {}).items()):
        greeting = menu.get("greeting") or {}
        rows = [(state, greeting.get(state) or default_greeting(name, state, doc), not greeting.get(state))
                for state in STATES]
        rows += [(key, menu[key], False) for key in ("invalid_prompt", "timeout_prompt") if menu.get(key)]
        rows += [(f"key {k}", o["prompt"], False) for k, o in sorted((menu.get("options") or {}).items())
                 if o.get("prompt")]
        menus.append((name, [(label, prompt, _has_prompt(prompt), unset) for label, prompt, unset in rows]))
    boxes = [(e["mailbox"], e.get("name", "")) for e in doc.get("extensions", []) if e.get("mailbox")]
    boxes += [(b["number"], b.get("name", "")) for b in (doc.get("voicemail") or {}).get("shared", [])]
    mailboxes = [(box, name, [(kind, _has_greeting(box, kind)) for kind in audio.GREETING_KINDS])
                 for box, name in sorted(set(boxes))]
    return render_template("audio/index.html", menus=menus, mailboxes=mailboxes, custom=_custom_prompts(),
                           max_mb=current_app.config["MAX_AUDIO_UPLOAD"] // (1024 * 1024), title="Greetings")


@bp.post("/prompt/<name>")
def save_prompt(name: str):
    return _save(lambda: audio.prompt_path(data_dir(), name), f"Prompt {name}")


@bp.post("/menu/<menu>/<state>")
def save_menu_greeting(menu: str, state: str):
    """A greeting for a schedule state the menu has none for yet: save it, then name it in the menu."""
    _, doc = daemon().config()
    if state not in STATES or menu not in (doc.get("menus") or {}):
        abort(404)
    name = (doc["menus"][menu].get("greeting") or {}).get(state) or default_greeting(menu, state, doc)
    ok, message = _store(lambda: audio.prompt_path(data_dir(), name), f"The {state} greeting of menu {menu}")
    if ok:
        problem = _name_in_menu(menu, state, name)
        if problem:
            ok, message = False, f"The recording is saved as {name}, but the menu could not use it: {problem}"
    return _answer(ok, message, 200 if ok else 400)


@bp.post("/prompt/<name>/delete")
def delete_prompt(name: str):
    return _delete(lambda: audio.prompt_path(data_dir(), name), f"Prompt {name}")


@bp.post("/mailbox/<box>/<kind>")
def save_greeting(box: str, kind: str):
    _, doc = daemon().config()
    limit = float((doc.get("voicemail") or {}).get("max_greeting_seconds", 60))
    return _save(lambda: audio.greeting_path(data_dir(), box, kind), f"Mailbox {box} {kind} greeting", limit)


@bp.post("/mailbox/<box>/<kind>/delete")
def delete_greeting(box: str, kind: str):
    return _delete(lambda: audio.greeting_path(data_dir(), box, kind), f"Mailbox {box} {kind} greeting")


@bp.post("/preview")
def preview():
    try:
        wav = audio.text_to_speech(request.form.get("text", ""), _voice())
    except BadInput as exc:
        return jsonify(error=str(exc)), 400
    return send_file(io.BytesIO(wav), mimetype="audio/wav", download_name="preview.wav")


@bp.get("/play/prompt/<name>.wav")
def play_prompt(name: str):
    return _play(lambda: audio.prompt_path(data_dir(), name))


@bp.get("/play/mailbox/<box>/<kind>.wav")
def play_greeting(box: str, kind: str):
    return _play(lambda: audio.greeting_path(data_dir(), box, kind))


def default_greeting(menu: str, state: str, doc: dict) -> str:
    """The prompt name a state's own greeting gets: ``greeting-lunch`` for the entry menu, ``sales-lunch``."""
    entry = (doc.get("attendant") or {}).get("menu", "main")
    return f"greeting-{state}" if menu == entry else f"{menu}-{state}"


def _name_in_menu(menu: str, state: str, name: str) -> str | None:
    """Put the recording's name into the menu (retried once if someone saved in between); None when done."""
    for _ in range(2):
        revision, doc = daemon().config(fresh=True)
        if menu not in (doc.get("menus") or {}):
            return "the menu was deleted"
        greeting = doc["menus"][menu].setdefault("greeting", {})
        if greeting.get(state) == name:
            return None
        greeting[state] = name
        try:
            daemon().put_config(doc, revision)
            return None
        except StaleConfig:
            continue
        except Refused as exc:
            return str(exc)
    return "the configuration kept changing; try again"


def _voice() -> str:
    _, doc = daemon().config()
    lang = (doc.get("office") or {}).get("language", "en")
    return {"en": "en-us" if (doc.get("office") or {}).get("country") in ("US", "CA") else "en-gb"}.get(lang, lang)


def _wav_from_request(max_seconds: float) -> bytes:
    source = request.form.get("source", "upload")
    if source == "tts":
        return audio.text_to_speech(request.form.get("text", ""), _voice(), max_seconds=max_seconds)
    upload = request.files.get("audio")
    if upload is None:
        raise BadInput("Choose a file to upload or make a recording first.")
    if source == "upload":
        audio.check_extension(upload.filename or "")
    elif source != "record":
        raise BadInput("Unknown kind of greeting source.")
    return audio.to_telephone_wav(upload.read(), max_seconds)


def _save(target, label: str, max_seconds: float = 600.0):
    ok, message = _store(target, label, max_seconds)
    return _answer(ok, message, 200 if ok else 400)


def _store(target, label: str, max_seconds: float = 600.0) -> tuple[bool, str]:
    """Convert the request's audio and write it atomically to ``target()``; (saved, message)."""
    try:
        path = target()
        wav = _wav_from_request(max_seconds)
        atomic_write(path, wav)
        info = audio.wav_info(wav)
    except BadInput as exc:
        return False, f"{label} was not saved: {exc}"
    return True, f"{label} saved ({info['seconds']} s)."


def _delete(target, label: str):
    try:
        path = target()
    except BadInput as exc:
        return _answer(False, str(exc), 400)
    if path.exists():
        path.unlink()
        return _answer(True, f"{label} removed; the built-in voice is used again.", 200)
    return _answer(False, f"{label} has no recording of its own.", 404)


def _answer(ok: bool, message: str, status: int):
    if request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With"):
        return jsonify(ok=ok, message=message), status
    flash(message, "ok" if ok else "error")
    return redirect(url_for("audio.index"))


def _play(target):
    try:
        path = target()
    except BadInput:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", max_age=0, conditional=True)


def _has_prompt(name: str) -> bool:
    try:
        return audio.prompt_path(data_dir(), name).is_file()
    except BadInput:
        return False


def _has_greeting(box: str, kind: str) -> bool:
    try:
        return audio.greeting_path(data_dir(), box, kind).is_file()
    except BadInput:
        return False


def _custom_prompts() -> list[str]:
    folder = data_dir() / "prompts"
    return sorted(p.stem for p in folder.glob("*.wav")) if folder.is_dir() else []
