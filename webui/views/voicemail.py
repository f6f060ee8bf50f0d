"""Voicemail inbox: every mailbox's messages — play in the browser, download, mark heard/new, delete.

Messages come from the daemon (``voicemail.list``/``mark``/``delete``); the audio is read through
``voicemail.audio`` in chunks (the web UI never opens the daemon's files), at most :data:`MAX_AUDIO` bytes.
"""
from __future__ import annotations

import base64
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from webui.daemon import Refused
from webui.views.common import daemon

bp = Blueprint("voicemail", __name__, url_prefix="/voicemail")
MAX_AUDIO = 64 * 1024 * 1024


@bp.get("/")
def index():
    box = request.args.get("mailbox", "")
    args = {"mailbox": box} if box.isdigit() else {}
    res = daemon().call("voicemail.list", **args)
    messages = res.get("messages", [])
    _, doc = daemon().config()
    boxes = sorted({e["mailbox"] for e in doc.get("extensions", []) if e.get("mailbox")})
    return render_template("voicemail.html", messages=messages, boxes=boxes, box=box, title="Voicemail")


@bp.get("/<int:msg_id>.wav")
def audio(msg_id: int):
    data = _message_audio(msg_id)
    download = request.args.get("download") == "1"
    return send_file(io.BytesIO(data), mimetype="audio/wav", as_attachment=download,
                     download_name=f"message-{msg_id}.wav", max_age=0)


@bp.post("/<int:msg_id>/mark")
def mark(msg_id: int):
    heard = request.form.get("heard", "1") == "1"
    _act(lambda: daemon().call("voicemail.mark", id=msg_id, heard=heard),
         "Marked as heard." if heard else "Marked as new.")
    return redirect(url_for("voicemail.index", mailbox=request.form.get("mailbox", "")))


@bp.post("/<int:msg_id>/delete")
def delete(msg_id: int):
    _act(lambda: daemon().call("voicemail.delete", id=msg_id), "Message deleted.")
    return redirect(url_for("voicemail.index", mailbox=request.form.get("mailbox", "")))


def _act(fn, ok: str) -> None:
    try:
        fn()
        flash(ok, "ok")
    except Refused as exc:
        flash(f"That did not work: {exc}", "error")


def _message_audio(msg_id: int) -> bytes:
    chunks, offset = [], 0
    while offset is not None:
        try:
            res = daemon().call("voicemail.audio", id=msg_id, offset=offset)
        except Refused:
            abort(404)
        chunks.append(base64.b64decode(res.get("data", "")))
        offset = res.get("next_offset")
        if sum(map(len, chunks)) > MAX_AUDIO:
            abort(413)
    return b"".join(chunks)
