"""Voicemail to e-mail: a new message, with its audio, through the admin's SMTP relay.

What it is: :class:`Mailer`, which owns one worker thread and a queue. ``send_notice`` mails a short
notice (a mailbox greeting was changed by phone — the classic sign of a hijacked mailbox). ``send_message(box, message, path)``
returns at once (never blocks the call engine's loop); the worker builds the e-mail (who called, when, how
long; the WAV attached when ``attach_audio``) and hands it to the relay with :mod:`smtplib` — STARTTLS, TLS
or plain as configured, with login when a username is given. A relay that refuses or is down is logged and
the message stays in the mailbox; nothing is lost. ``stop(timeout)`` ends the worker and joins it
(:class:`~drivers.errors.ZombieThread` if it does not stop).

Configuration ``voicemail.smtp``: ``host``, ``port`` (587), ``security`` (starttls|tls|none), ``username``,
``password``, ``sender``, ``attach_audio`` (true).

What it is not: a mail server or a retry spool.
"""
from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Mapping

from drivers.errors import ZombieThread

log = logging.getLogger(__name__)
_STOP = object()


class Mailer:
    """Sends voicemail notifications from a worker thread; see the module docstring."""

    def __init__(self, smtp: Mapping[str, Any], office_name: str = "Switchboard", timeout: float = 20.0) -> None:
        self.host = str(smtp["host"])
        self.port = int(smtp.get("port", 587))
        self.security = str(smtp.get("security", "starttls"))
        self.username = smtp.get("username")
        self.password = smtp.get("password")
        self.sender = str(smtp.get("sender") or f"voicemail@{self.host}")
        self.attach_audio = bool(smtp.get("attach_audio", True))
        self.office_name = office_name
        self.timeout = timeout
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue = queue.Queue(maxsize=1000)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voicemail-mailer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise ZombieThread(f"voicemail mailer did not stop within {timeout} s")
        self._thread = None

    def send_message(self, box: Any, message: Any, path: Path) -> None:
        """Queue a notification for ``message`` of ``box`` (returns at once)."""
        self.start()
        try:
            self._queue.put_nowait(self.compose(box, message, path))
        except queue.Full:
            log.error("mail queue full; mailbox %s message %s not mailed", box.number, message.id)

    def send_notice(self, box: Any, subject: str, text: str) -> None:
        """Queue a short notice to the mailbox owner (a greeting changed: the owner should know)."""
        self.start()
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = box.email
        mail["Subject"] = subject
        mail.set_content(f"{text}\n\n-- {self.office_name}")
        try:
            self._queue.put_nowait(mail)
        except queue.Full:
            log.error("mail queue full; notice to %s not mailed", box.email)

    def compose(self, box: Any, message: Any, path: Path) -> EmailMessage:
        who = message.caller_name or message.caller_number or "an unknown caller"
        if message.caller_name and message.caller_number:
            who = f"{message.caller_name} ({message.caller_number})"
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = box.email
        mail["Subject"] = f"New voicemail for {box.name} from {who}"
        lines = [f"{box.name} (mailbox {box.number}) has a new message.", "",
                 f"From:     {who}", f"Received: {message.received.isoformat(timespec='seconds')}",
                 f"Length:   {message.seconds:.0f} s"]
        if message.partial:
            lines.append("Note:     the recording was cut short because the box's storage was full.")
        lines += ["", f"-- {self.office_name}"]
        mail.set_content("\n".join(lines))
        if self.attach_audio:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                log.error("cannot attach %s: %s", path, exc)
            else:
                mail.add_attachment(data, maintype="audio", subtype="wav", filename=Path(path).name)
        return mail

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self.deliver(item)
                self.sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                self.failed += 1
                log.error("voicemail e-mail to %s failed through %s:%s: %s", item["To"], self.host, self.port, exc)

    def deliver(self, mail: EmailMessage) -> None:
        """Send one e-mail now (blocking; the worker calls it)."""
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                   context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(str(self.username), str(self.password or ""))
            client.send_message(mail)
