"""The voice-modem byte protocol: text lines, DLE event codes and DLE-shielded voice data, apart from transport.

What it is: :class:`ModemProtocol`, a ``serial.threaded.Protocol`` that splits what the modem sends into
(1) reply lines (``OK``, ``ERROR``, ``CONNECT``, query results) for the command in progress, (2) unsolicited
lines (``RING``, caller ID ``DATE=``/``TIME=``/``NMBR=``/``NAME=``/``MESG=``, ``NO CARRIER``…), (3) DLE event
codes (``<DLE>5`` a DTMF digit, ``<DLE>b`` busy, ``<DLE>d`` dial tone, ``<DLE>H`` handset off hook…) and
(4) voice data (between ``CONNECT`` after ``AT+VRX``/``AT+VTR`` and ``<DLE><ETX>``; ``<DLE><DLE>`` is one 0x10
data byte). It runs on the reader thread and only calls its :class:`ModemListener`.

What it is not: the modem driver (commands, state, faults — :mod:`drivers.modem.port`) nor the transport
(a pyserial port, by URL — :mod:`drivers.modem.connection`). Garbage is never fatal: a line that is not
ASCII (or too long) is reported as ``garbled`` and dropped, stray control characters are removed; an unknown DLE code is reported and dropped.

Byte format: lines end in CR and/or LF; empty lines are skipped. DLE = 0x10, ETX = 0x03.
"""
from __future__ import annotations

from typing import Protocol

import serial.threaded

DLE = 0x10
ETX = 0x03

UNSOLICITED_PREFIXES = ("RING", "DATE", "TIME", "NMBR", "NAME", "MESG", "DDN_NMBR", "NO CARRIER", "BUSY",
                        "NO DIALTONE", "NO DIAL TONE", "NO ANSWER", "CIDM", "+VCID")
"""Lines that report an event, never a reply to a command (``CONNECT`` and ``OK`` are replies)."""

MAX_LINE = 256
"""A longer 'line' is noise (a modem babbling binary in command mode); it is dropped as garbled."""


class ModemListener(Protocol):
    def on_reply(self, line: str) -> None: ...

    def on_unsolicited(self, line: str) -> None: ...

    def on_dle(self, code: str) -> None: ...

    def on_audio(self, data: bytes) -> None: ...

    def on_garbled(self, raw: bytes) -> None: ...

    def on_lost(self, exc: BaseException | None) -> None: ...


def is_unsolicited(line: str) -> bool:
    upper = line.upper()
    return any(upper.startswith(p) for p in UNSOLICITED_PREFIXES)


class ModemProtocol(serial.threaded.Protocol):
    """Parses the modem's byte stream for one :class:`ModemListener`."""

    def __init__(self, listener: ModemListener) -> None:
        self.listener = listener
        self.transport: serial.threaded.ReaderThread | None = None
        self._line = bytearray()
        self._voice = False       # inside a voice data stream
        self._expect_voice = False  # the next CONNECT starts one
        self._dle = False         # the previous byte was an unpaired DLE
        self._skip_lf = False     # CONNECT ended with CR: its LF is not voice data

    # -- serial.threaded.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: serial.threaded.ReaderThread) -> None:
        self.transport = transport

    def connection_lost(self, exc: BaseException | None) -> None:
        self.transport = None
        self.listener.on_lost(exc)

    def data_received(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n:
            i = self._voice_data(data, i) if self._voice else self._command_data(data, i)

    # -- mode control (any thread) ------------------------------------------------------------------
    def expect_voice(self) -> None:
        """The command just sent (``AT+VRX``/``AT+VTR``) answers ``CONNECT`` and then streams voice data."""
        self._expect_voice = True

    @property
    def in_voice(self) -> bool:
        return self._voice

    # -- parsing ------------------------------------------------------------------------------------
    def _command_data(self, data: bytes, i: int) -> int:
        byte = data[i]
        if self._dle:
            self._dle = False
            self._code(byte)
        elif byte == DLE:
            self._dle = True
        elif byte in (0x0D, 0x0A):
            self._end_line()
        else:
            self._line.append(byte)
            if len(self._line) > MAX_LINE:
                self.listener.on_garbled(bytes(self._line))
                self._line.clear()
        return i + 1

    def _end_line(self) -> None:
        raw, self._line = bytes(self._line), bytearray()
        if not raw.strip():
            return
        try:
            line = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            self.listener.on_garbled(raw)
            return
        if not line.isprintable():  # stray control characters (line noise): drop them, keep the text
            line = "".join(ch for ch in line if ch.isprintable()).strip()
            if not line:
                self.listener.on_garbled(raw)
                return
        if is_unsolicited(line):
            self.listener.on_unsolicited(line)
            return
        if line.upper().startswith("CONNECT") and self._expect_voice:
            self._expect_voice = False
            self._voice = True
            self._skip_lf = True
        self.listener.on_reply(line)

    def _voice_data(self, data: bytes, i: int) -> int:
        if self._skip_lf:
            self._skip_lf = False
            if data[i] == 0x0A:
                return i + 1
        if self._dle:
            self._dle = False
            byte = data[i]
            if byte == DLE:
                self.listener.on_audio(b"\x10")
            elif byte == ETX:
                self._voice = False
                self.listener.on_dle("ETX")
            else:
                self._code(byte)
            return i + 1
        j = data.find(DLE, i)
        end = len(data) if j < 0 else j
        if end > i:
            self.listener.on_audio(data[i:end])
        if j >= 0:
            self._dle = True
            return j + 1
        return end

    def _code(self, byte: int) -> None:
        if byte == ETX:
            self.listener.on_dle("ETX")
        elif 0x20 < byte < 0x7F:
            self.listener.on_dle(chr(byte))
        else:
            self.listener.on_dle(f"0x{byte:02x}")
