"""A fake voice modem behind a real pseudo-terminal, speaking the AT voice dialect of a profile.

What it is: :class:`FakeModem` — opens a pty pair (``pty.openpty``), puts a ``/dev/serial/by-id``-style symlink
to the slave in a temporary directory (``modem.device``), and runs one thread that answers AT commands like the
modem family of its profile: echo (``ATE``), ``ATZ``, ``AT+VCID``, ``AT+FCLASS=8``, ``AT+VSM``, ``AT+VSD``,
``AT+VLS``, ``AT+VTS``, ``AT+VRX``/``AT+VTX`` (and ``AT+VTR`` on full-duplex profiles), ``ATH``; voice data is
DLE-shielded both ways, ``<DLE>!`` ends receiving, ``<DLE><ETX>`` ends transmitting. The driver under test opens
``modem.device`` with real pyserial exactly as it would open a USB modem.

Test verbs: ``ring()``, ``send_caller_id(number=, name=, date=, time=)``, ``send_lines(*lines)``,
``send_raw(bytes)``, ``press(digit)``, ``busy()``, ``dial_tone()``, ``handset()``, ``say(samples)`` (int16,
while the host receives voice), ``heard()`` (int16 the host played), ``hang()`` (stop answering, as a wedged
modem), ``recover()``, ``unplug()`` (the USB device disappears: the pty closes, the symlink goes) and
``replug()`` (a new pty behind the same path). ``commands`` lists every command received.

What it is not: a line simulator (no audio of its own, no timing). Linux/macOS only (``pty``). The thread
is owned by the fake: ``stop()`` joins it with a timeout.
"""
from __future__ import annotations

import os
import pty
import select
import shutil
import tempfile
import threading
import tty
from pathlib import Path

import numpy as np

from drivers.errors import ZombieThread
from drivers.modem.channel import decode, encode, shield
from drivers.modem.profiles import PROFILES, ModemProfile

DLE, ETX = b"\x10", b"\x03"


class FakeModem:
    """A voice modem on a pty, with test verbs."""

    def __init__(self, profile: str = "usr5637", directory: str | os.PathLike | None = None) -> None:
        self.profile: ModemProfile = PROFILES[profile]
        self._tmp = None if directory else tempfile.mkdtemp(prefix="fake-modem-")
        by_id = Path(directory or self._tmp) / "by-id"
        by_id.mkdir(parents=True, exist_ok=True)
        self.device = str(by_id / f"usb-Switchboard_Fake_{profile}-if00")
        self.commands: list[str] = []
        self.echo, self.off_hook, self.mode = True, False, "command"
        self.responsive = True
        self.plugged = False
        self._line = bytearray()
        self._dle = False
        self._tx_audio = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._plug()
        self._thread = threading.Thread(target=self._run, name=f"fake-modem {profile}", daemon=True)
        self._thread.start()

    # -- device lifecycle ---------------------------------------------------------------------------
    def _plug(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)
        self._master, self._slave = master, slave
        link = Path(self.device)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.ttyname(slave))
        self.echo, self.off_hook, self.mode = True, False, "command"
        self.plugged = True

    def unplug(self) -> None:
        """The USB modem is pulled out: its tty goes away under whoever has it open."""
        with self._lock:
            if not self.plugged:
                return
            self.plugged = False
            for fd in (self._master, self._slave):
                os.close(fd)
            Path(self.device).unlink(missing_ok=True)

    def replug(self) -> None:
        with self._lock:
            if not self.plugged:
                self._plug()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.unplug()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        if self._thread.is_alive():
            raise ZombieThread("fake modem thread did not stop")

    # -- test verbs ---------------------------------------------------------------------------------
    def ring(self) -> None:
        self._send(DLE + b"R" if self.mode != "command" else b"\r\nRING\r\n")

    def send_lines(self, *lines: str | bytes) -> None:
        for line in lines:
            self._send(b"\r\n" + (line.encode("latin-1") if isinstance(line, str) else line) + b"\r\n")

    def send_caller_id(self, number: str | None = None, name: str | None = None, date: str | None = None,
                       time: str | None = None) -> None:
        fields = [("DATE", date), ("TIME", time), ("NMBR", number), ("NAME", name)]
        self.send_lines(*[f"{k} = {v}" for k, v in fields if v is not None])

    def send_raw(self, data: bytes) -> None:
        self._send(data)

    def press(self, digit: str) -> None:
        code = digit.encode("ascii")
        if self.profile.name == "cx93010":  # Conexant brackets DTMF with <DLE>/ … <DLE>~
            self._send(DLE + b"/" + DLE + code + DLE + b"~")
        else:
            self._send(DLE + code)

    def busy(self) -> None:
        self._send(DLE + b"b")

    def dial_tone(self) -> None:
        self._send(DLE + b"d")

    def handset(self) -> None:
        self._send(DLE + b"H")

    def say(self, samples: np.ndarray) -> None:
        """Send int16 audio to the host (only while it receives voice)."""
        if self.mode in ("vrx", "vtr"):
            self._send(shield(encode(np.asarray(samples, dtype=np.int16), self.profile.sample_format)))

    def heard(self) -> np.ndarray:
        """What the host played so far, as int16."""
        with self._lock:
            return decode(bytes(self._tx_audio), self.profile.sample_format)

    def hang(self) -> None:
        self.responsive = False

    def recover(self) -> None:
        self.responsive = True

    # -- the modem ----------------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        with self._lock:
            if self.plugged:
                try:
                    os.write(self._master, data)
                except OSError:
                    pass

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                fd = self._master if self.plugged else None
            if fd is None:
                self._stop.wait(0.02)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                data = os.read(fd, 4096) if ready else b""
            except OSError:  # unplugged under us, or the host closed its side
                self._stop.wait(0.02)
                continue
            if data and self.responsive:
                self._receive(data)

    def _receive(self, data: bytes) -> None:
        for byte in data:
            b = bytes((byte,))
            if self.mode in ("vtx", "vtr"):
                self._voice_in(b)
            elif self.mode == "vrx" and (self._dle or b == DLE):
                self._voice_in(b)
            else:
                self._command_byte(b)

    def _voice_in(self, b: bytes) -> None:
        if not self._dle:
            if b == DLE:
                self._dle = True
            else:
                with self._lock:
                    self._tx_audio += b
            return
        self._dle = False
        if b == DLE:
            with self._lock:
                self._tx_audio += DLE
        elif b == ETX and self.mode in ("vtx", "vtr"):
            self._end_voice(send_etx=self.mode == "vtr")
        elif b in (b"!", b"^") and self.mode in ("vrx", "vtr"):
            self._end_voice(send_etx=True)

    def _end_voice(self, send_etx: bool) -> None:
        self.mode = "command"
        self._send((DLE + ETX if send_etx else b"") + b"\r\nOK\r\n")

    def _command_byte(self, b: bytes) -> None:
        if self.echo:
            self._send(b)
        if b in (b"\r", b"\n"):
            line, self._line = self._line.decode("ascii", "replace").strip(), bytearray()
            if line:
                self.commands.append(line)
                self._send(b"\r\n" + self._answer(line).encode("ascii") + b"\r\n")
        else:
            self._line += b

    def _answer(self, cmd: str) -> str:
        up = cmd.upper().replace(" ", "")
        if not up.startswith("AT"):
            return "ERROR"
        reply = "OK"
        for part in up[2:].split(";"):
            reply = self._one(part) if part else reply
            if reply != "OK":
                break
        return reply

    def _one(self, part: str) -> str:
        if part in ("", "Z"):
            self.echo, self.off_hook, self.mode = True, False, "command"
        elif part.startswith("E") and part[1:2] in ("0", "1"):
            self.echo = part[1] == "1"
            return self._one(part[2:]) if len(part) > 2 else "OK"
        elif part.startswith("V") and part[1:2] in ("0", "1"):
            return self._one(part[2:]) if len(part) > 2 else "OK"
        elif part in ("H", "H0", "+VLS=0"):
            self.off_hook = False
        elif part == "+VLS=1":
            self.off_hook = True
        elif part.startswith(("+VCID=", "+FCLASS=", "+VSD=", "-SCID", "-STE", "&W", "!")):
            pass
        elif part.startswith("+VSM="):
            return "OK" if part == self.profile.vsm.upper()[2:] else "ERROR"
        elif part.startswith("+VTS="):
            return "OK" if self.off_hook else "ERROR"
        elif part in ("+VRX", "+VTX", "+VTR"):
            if not self.off_hook or (part == "+VTR" and self.profile.duplex != "full"):
                return "ERROR"
            self.mode = part[1:].lower()
            return "CONNECT"
        else:
            return "ERROR"
        return "OK"
