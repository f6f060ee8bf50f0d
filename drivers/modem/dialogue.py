"""The modem port's AT dialogues, run on its command thread: answer, switch voice direction, dial, hang up.

What it is: :class:`VoiceDialogues`, the half of :class:`~drivers.modem.port.ModemPort` that talks to the modem
(blocking, bounded by the profile's timeouts). Each dialogue either completes or raises; the command thread
turns an exception into a fault of the port. Results for the loop go through the port's ``_to_loop``.

What it is not: state keeping or events (the port, on the loop thread, does those).

Voice modes (``self.voice``): ``none`` (command mode), ``rx`` (``AT+VRX``: the modem streams what it hears),
``tx`` (``AT+VTX``: we stream what it plays), ``trx`` (``AT+VTR``: both). Leaving: ``<DLE>!`` ends receiving
(the modem answers ``<DLE><ETX>`` and ``OK``), ``<DLE><ETX>`` ends transmitting.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drivers.errors import HardwareError
from drivers.modem.connection import ModemCommandError

if TYPE_CHECKING:
    from drivers.clock import Clock
    from drivers.modem.channel import ModemAudioChannel
    from drivers.modem.connection import ModemConnection
    from drivers.modem.profiles import ModemProfile


class VoiceDialogues:
    """Mixed into ModemPort; uses its ``_conn``, ``profile``, ``audio``, ``clock``, ``state`` and ``voice``."""

    _conn: "ModemConnection | None"
    profile: "ModemProfile"
    audio: "ModemAudioChannel"
    clock: "Clock"
    state: str
    voice: str
    _switching: bool

    def _command(self, cmd: str, expect_voice: bool = False) -> list[str]:
        conn = self._conn
        if conn is None:
            raise HardwareError("modem is not connected")
        return conn.command(cmd, self.profile.command_timeout, expect_voice=expect_voice)

    def _leave_voice(self) -> None:
        conn = self._conn
        if conn is None or self.voice == "none":
            return
        self.audio.set_sender(None)
        ending = b"\x10\x03" if self.voice == "tx" else b"\x10!"
        conn.end_voice(ending, self.profile.command_timeout)
        self.voice = "none"

    def _start_voice(self, direction: str) -> None:
        conn = self._conn
        assert conn is not None
        if self.profile.duplex == "full":
            self._command("AT+VTR", expect_voice=True)
            self.voice = "trx"
        elif direction == "transmit":
            self._command("AT+VTX")
            self.voice = "tx"
        else:
            self._command("AT+VRX", expect_voice=True)
            self.voice = "rx"
        if self.voice in ("trx", "tx"):
            self.audio.set_sender(conn.write)
            self._to_loop(self.audio.flush)  # type: ignore[attr-defined]

    def _job_seize(self) -> None:
        try:
            for cmd in (self.profile.voice_mode, self.profile.vsm, self.profile.vsd):
                self._command(cmd)
        except ModemCommandError as exc:
            raise ModemCommandError(f"{exc} — the modem does not take the '{self.profile.name}' voice commands; "
                                    "check that the board profile's modem profile matches the modem") from exc
        self._command(self.profile.off_hook)
        self._start_voice("transmit" if self.audio.pending else "receive")

    def _job_voice(self, direction: str) -> None:
        try:
            if self.state == "offhook":
                self._leave_voice()
                self._start_voice(direction)
        finally:
            self._switching = False

    def _job_dial(self, digits: str) -> None:
        self._leave_voice()
        self._command("AT+VTS=" + ",".join(digits))
        self._start_voice("receive")
        self._to_loop(self._emit_if_offhook, "dial_done", {"digits": digits})  # type: ignore[attr-defined]

    def _emit_if_offhook(self, kind: str, data: dict[str, Any]) -> None:
        if self.state == "offhook":
            self.emit(kind, **data)  # type: ignore[attr-defined]

    def _job_release(self) -> None:
        self._leave_voice()
        self._command(self.profile.on_hook)
