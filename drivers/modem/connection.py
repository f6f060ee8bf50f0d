"""The modem transport: a pyserial port opened by explicit path or URL, its reader thread, and AT commands.

What it is: :class:`ModemConnection` — opens ``serial.serial_for_url(url)`` (``/dev/serial/by-id/usb-…``, a
``/dev/ttyACM0`` path, or a pyserial URL such as ``loop://`` or ``socket://host:port``), runs one
``serial.threaded.ReaderThread`` feeding a :class:`~drivers.modem.protocol.ModemProtocol`, and offers
:meth:`command` — send one AT command and wait (bounded) for its final reply — and :meth:`write` for voice data.
Replies go to the command waiting for them; everything else goes straight to the listener.

What it is not: discovery. It never lists or probes ttys; it opens exactly the device it is given.

Threads: the reader thread is owned here; :meth:`close` stops it and joins it with a timeout
(:class:`~drivers.errors.ZombieThread` if it will not stop). :meth:`command` blocks the calling thread (the
modem port's own command thread), never the event loop.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import serial
import serial.threaded

from drivers.errors import HardwareError, ZombieThread
from drivers.modem.protocol import ModemListener, ModemProtocol

log = logging.getLogger(__name__)

FINAL_REPLIES = ("OK", "ERROR", "CONNECT", "NO CARRIER", "VCON", "+CME ERROR")


class ModemTimeout(HardwareError):
    """The modem did not answer a command in time."""


class ModemCommandError(HardwareError):
    """The modem answered a command with ERROR."""


class _Relay:
    """Sends replies to the waiting command and everything else to the listener."""

    def __init__(self, conn: "ModemConnection", listener: ModemListener) -> None:
        self.conn, self.listener = conn, listener

    def on_reply(self, line: str) -> None:
        self.conn._replies.put(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.listener, name)


class ModemConnection:
    """One open modem device: reader thread, locked command/response, raw writes."""

    def __init__(self, url: str, listener: ModemListener, baudrate: int = 115200) -> None:
        self.url = url
        self._replies: queue.Queue[str] = queue.Queue()
        self._command_lock = threading.Lock()
        self.protocol = ModemProtocol(_Relay(self, listener))
        try:
            self.serial = serial.serial_for_url(url, baudrate=baudrate, timeout=1, write_timeout=0.5,
                                                exclusive=True, do_not_open=False)
        except TypeError:  # URL handlers without ``exclusive``
            self.serial = serial.serial_for_url(url, baudrate=baudrate, timeout=1, write_timeout=0.5)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise HardwareError(f"cannot open modem {url}: {exc}; check board.modem.device and that the "
                                "modem is plugged in and the switchboard user is in the dialout group") from exc
        self.listener = listener
        self.reader = serial.threaded.ReaderThread(self.serial, lambda: self.protocol)
        self.reader.name = f"modem-reader {url}"
        self.reader.start()
        self.reader.connect()

    @property
    def alive(self) -> bool:
        return self.reader.alive

    def write(self, data: bytes) -> None:
        """Write raw bytes (voice data, DLE codes); HardwareError if the device is gone or stuck."""
        try:
            self.reader.write(data)
        except (serial.SerialException, OSError) as exc:
            raise HardwareError(f"modem {self.url} write failed: {exc}") from exc

    def command(self, cmd: str, timeout: float = 2.0, expect_voice: bool = False) -> list[str]:
        """Send ``cmd`` (no CR) and return its reply lines, the final one last.

        Raises :class:`ModemTimeout` when no final reply comes within ``timeout`` seconds and
        :class:`ModemCommandError` on ``ERROR``.
        """
        with self._command_lock:
            self._drain()
            if expect_voice:
                self.protocol.expect_voice()
            log.debug("%s > %s", self.url, cmd)
            self.write(cmd.encode("ascii") + b"\r")
            return self._await_final(cmd, timeout)

    def end_voice(self, ending: bytes, timeout: float = 2.0) -> list[str]:
        """Leave voice data mode: send ``ending`` (``<DLE>!`` or ``<DLE><ETX>``) and wait for the final reply."""
        with self._command_lock:
            self._drain()
            self.write(ending)
            return self._await_final("<end of voice data>", timeout)

    def _await_final(self, cmd: str, timeout: float) -> list[str]:
        lines: list[str] = []
        deadline = time.monotonic() + timeout  # real I/O deadline for a device, not driver timing
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._replies.get(timeout=max(0.0, remaining))
            except queue.Empty:
                raise ModemTimeout(f"modem {self.url} did not answer {cmd!r} within {timeout:g} s") from None
            log.debug("%s < %s", self.url, line)
            if line == cmd:  # echo (ATE1) of the command itself
                continue
            lines.append(line)
            upper = line.upper()
            if any(upper.startswith(f) for f in FINAL_REPLIES):
                if upper.startswith(("ERROR", "+CME ERROR")):
                    raise ModemCommandError(f"modem {self.url} refused {cmd!r}: {line}")
                return lines

    def _drain(self) -> None:
        while True:
            try:
                self._replies.get_nowait()
            except queue.Empty:
                return

    def close(self, timeout: float = 2.0) -> None:
        """Stop the reader thread (joined with ``timeout``) and close the port. Never call from the reader."""
        reader = self.reader
        reader.alive = False
        try:
            if hasattr(self.serial, "cancel_read"):
                self.serial.cancel_read()
        except Exception:
            pass
        if reader.is_alive() and threading.current_thread() is not reader:
            reader.join(timeout)
        try:
            self.serial.close()
        except Exception as exc:
            log.debug("closing %s: %s", self.url, exc)
        if reader.is_alive() and threading.current_thread() is not reader:
            raise ZombieThread(f"modem reader for {self.url} did not stop within {timeout:g} s")
