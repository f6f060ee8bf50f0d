"""Voicemail to e-mail through a local SMTP relay (a real SMTP server on 127.0.0.1)."""
from __future__ import annotations

import socket
import time
from datetime import datetime, timezone
from email import message_from_bytes

import numpy as np
import pytest

from firmware.voicemail.index import Message
from firmware.voicemail.mail import Mailer
from firmware.voicemail.mailbox import Mailbox
from firmware.prompts.wavio import write_wav

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.mails.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def relay():
    inbox = Inbox()
    ctl = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield ctl, inbox
    ctl.stop()


def wait_for(pred, seconds=5.0):
    end = time.monotonic() + seconds      # real time: the relay runs in real threads
    while time.monotonic() < end and not pred():
        time.sleep(0.01)
    return pred()


def test_new_message_is_mailed_with_its_audio(relay, tmp_path):
    ctl, inbox = relay
    wav = tmp_path / "msg.wav"
    write_wav(wav, (np.ones(8000) * 1000).astype(np.int16))
    box = Mailbox("201", "Sales", tmp_path, email="sales@example.com")
    msg = Message(7, "201", "new", "201/msg.wav", "5551234", "ALICE", datetime(2026, 1, 6, 19, 15,
                  tzinfo=timezone.utc), 12.4)
    mailer = Mailer({"host": "127.0.0.1", "port": ctl.port, "security": "none", "sender": "box@example.com"})
    try:
        mailer.send_message(box, msg, wav)
        assert wait_for(lambda: inbox.mails)
    finally:
        mailer.stop()
    env = inbox.mails[0]
    assert env.rcpt_tos == ["sales@example.com"]
    mail = message_from_bytes(env.content)
    assert "ALICE (5551234)" in mail["Subject"]
    parts = [p for p in mail.walk() if p.get_content_type() == "audio/wav"]
    assert parts and parts[0].get_payload(decode=True)[:4] == b"RIFF"
    assert mailer.sent == 1


def test_relay_down_is_logged_and_nothing_breaks(tmp_path, caplog):
    box = Mailbox("201", "Sales", tmp_path, email="sales@example.com")
    msg = Message(1, "201", "new", "x.wav", None, None, datetime(2026, 1, 6, tzinfo=timezone.utc), 3.0)
    mailer = Mailer({"host": "127.0.0.1", "port": free_port(), "security": "none", "attach_audio": False},
                    timeout=2)
    try:
        mailer.send_message(box, msg, tmp_path / "missing.wav")
        assert wait_for(lambda: mailer.failed == 1)
    finally:
        mailer.stop()
    assert "failed" in caplog.text
