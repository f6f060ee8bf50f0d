"""Telling the service manager how the daemon is doing: the sd_notify protocol, and a recording fake.

What it is: :class:`Notifier`, which sends sd_notify(3) datagrams (``READY=1``, ``STATUS=…``, ``WATCHDOG=1``,
``STOPPING=1``, ``ERRNO=…``) to the socket named by ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
namespace), and :class:`RecordingNotifier`, its test twin that keeps every message instead. Without
``$NOTIFY_SOCKET`` (a developer's shell, ``switchboard run --sim``) a :class:`Notifier` does nothing and says so
through :attr:`Notifier.enabled`.

What it is not: the policy of *when* to send. The daemon sends ``READY=1`` once its ports are open and
``WATCHDOG=1`` from its event loop's health tick (see :mod:`firmware.service`), never from a thread that pings
blindly, so a hung loop is what the watchdog catches.

The watchdog period comes from ``$WATCHDOG_USEC`` (set by ``WatchdogSec=``), valid only when ``$WATCHDOG_PID`` is
unset or is this process: :meth:`Notifier.watchdog_interval` returns half of it, as sd_watchdog_enabled(3)
advises.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Mapping

log = logging.getLogger(__name__)


def _address(raw: str) -> str | bytes:
    """A NOTIFY_SOCKET value as a socket address: ``@name`` is the abstract namespace (leading NUL)."""
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    return raw


def _one_line(text: str) -> str:
    """STATUS= must not carry a newline (it would start a new assignment)."""
    return " ".join(text.split())


class Notifier:
    """Sends sd_notify messages to the service manager; a no-op when not started by one."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = _address(raw) if raw else None
        self._watchdog_usec = self._parse_watchdog(env)
        self._sock: socket.socket | None = None
        self.errors = 0

    @staticmethod
    def _parse_watchdog(env: Mapping[str, str]) -> int | None:
        pid = env.get("WATCHDOG_PID")
        if pid and pid.strip() != str(os.getpid()):
            return None
        try:
            usec = int(env.get("WATCHDOG_USEC", ""))
        except ValueError:
            return None
        return usec if usec > 0 else None

    @property
    def enabled(self) -> bool:
        """True when a service manager is listening."""
        return self._address is not None

    def watchdog_interval(self) -> float | None:
        """Seconds between ``WATCHDOG=1`` pings (half of ``WatchdogSec=``), or None without a watchdog."""
        return None if self._watchdog_usec is None else self._watchdog_usec / 2e6

    def send(self, **fields: str | int) -> bool:
        """Send ``KEY=value`` assignments in one datagram; False (logged the first time) when it cannot.

        Never blocks: when the manager's queue is full the message is dropped (a missed ``WATCHDOG=1`` is
        covered by the next one, half a period later).
        """
        if self._address is None:
            return False
        payload = "\n".join(f"{k}={v}" for k, v in fields.items()).encode()
        try:
            if self._sock is None:
                # Non-blocking: a manager that is slow to read must never stall the engine loop.
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC |
                                           socket.SOCK_NONBLOCK)
            self._sock.sendto(payload, self._address)
        except OSError as exc:
            self.errors += 1
            if self.errors == 1:
                log.warning("could not notify the service manager: %s", exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """The daemon is serving: every port is open."""
        if status is None:
            return self.send(READY=1)
        return self.send(READY=1, STATUS=_one_line(status))

    def status(self, text: str) -> bool:
        """A one-line status shown by ``systemctl status``."""
        return self.send(STATUS=_one_line(text))

    def watchdog(self) -> bool:
        """The event loop is alive and ticking."""
        return self.send(WATCHDOG=1)

    def stopping(self, status: str | None = None) -> bool:
        """The daemon is shutting down."""
        if status is None:
            return self.send(STOPPING=1)
        return self.send(STOPPING=1, STATUS=_one_line(status))

    def close(self) -> None:
        """Close the datagram socket (sending again reopens it)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class RecordingNotifier(Notifier):
    """A :class:`Notifier` that records messages instead of sending them (tests, ``--sim``)."""

    def __init__(self, watchdog_usec: int | None = None) -> None:
        super().__init__(environ={})
        self._address = "recording"
        self._watchdog_usec = watchdog_usec
        self.messages: list[dict[str, str]] = []

    def send(self, **fields: str | int) -> bool:
        self.messages.append({k: str(v) for k, v in fields.items()})
        return True

    def sent(self, key: str) -> list[str]:
        """Every value sent for ``key``, oldest first."""
        return [m[key] for m in self.messages if key in m]

    @property
    def is_ready(self) -> bool:
        return "1" in self.sent("READY")

    @property
    def last_status(self) -> str | None:
        values = self.sent("STATUS")
        return values[-1] if values else None
