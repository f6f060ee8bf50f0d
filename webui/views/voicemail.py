"""Voicemail inbox: every mailbox's messages — play in the browser, download, mark heard/new, delete.

Messages come from the daemon (``voicemail.list``/``get``/``mark``/``delete``). The audio is served from
the file the daemon names, only if it lies inside the data folder, or from the bytes it returns.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for

from webui.daemon import Refused
from webui.files import BadInput, inside
from webui.views.common import daemon

bp = Blueprint("voicemail", __name__, url_prefix="/voicemail")


@bp.get("/")
def index():
    box = request.args.get("mailbox", "")
    args = {"mailbox": box} if box.isdigit() else {}
    res = daemon().call("voicemail.list", **args)
    messages = res.get("messages", []) if isinstance(res, dict) else list(res or [])
    messages.sort(key=lambda m: str(m.get("received", m.get("time", ""))), reverse=True)
    _, doc = daemon().config()
    boxes = sorted({e["mailbox"] for e in doc.get("extensions", []) if e.get("mailbox")})
    return render_template("voicemail.html", messages=messages, boxes=boxes, box=box, title="Voicemail")


@bp.get("/<msg_id>.wav")
def audio(msg_id: str):
    data, path = _message_audio(msg_id)
    download = request.args.get("download") == "1"
    name = f"message-{msg_id}.wav"
    if path is not None:
        return send_file(path, mimetype="audio/wav", as_attachment=download, download_name=name,
                         conditional=True, max_age=0)
    return send_file(io.BytesIO(data), mimetype="audio/wav", as_attachment=download, download_name=name)


@bp.post("/<msg_id>/mark")
def mark(msg_id: str):
    heard = request.form.get("heard", "1") == "1"
    _act(lambda: daemon().call("voicemail.mark", id=msg_id, heard=heard),
         "Marked as heard." if heard else "Marked as new.")
    return redirect(url_for("voicemail.index", mailbox=request.form.get("mailbox", "")))


@bp.post("/<msg_id>/delete")
def delete(msg_id: str):
    _act(lambda: daemon().call("voicemail.delete", id=msg_id), "Message deleted.")
    return redirect(url_for("voicemail.index", mailbox=request.form.get("mailbox", "")))


def _act(fn, ok: str) -> None:
    try:
        fn()
        flash(ok, "ok")
    except Refused as exc:
        flash(f"That did not work: {exc}", "error")


def _message_audio(msg_id: str) -> tuple[bytes | None, Path | None]:
    if not msg_id.replace("-", "").replace("_", "").isalnum() or len(msg_id) > 64:
        abort(404)
    try:
        res = daemon().call("voicemail.get", id=msg_id)
    except Refused:
        abort(404)
    if res.get("path"):
        try:
            path = inside(Path(current_app.config["DATA_DIR"]), res["path"])
        except BadInput:
            abort(404)
        if not path.is_file():
            abort(404)
        return None, path
    encoded = res.get("audio") or res.get("wav_base64")
    if not encoded:
        abort(404)
    return base64.b64decode(encoded), None
