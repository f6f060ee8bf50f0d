"""A USB voice modem as an FXO line: :class:`ModemPort` (port kind ``"modem"``).

What it is: the port-contract face of a voice modem. It opens the modem at an explicit device path or pyserial
URL (``/dev/serial/by-id/usb-…``, ``loop://``), initialises it for formatted caller ID, and reports

* ``ring`` (``count`` per call, ``cadence`` None — the modem does not report cadence) and ``ring_abandoned``
  (no further RING within ``ring_abandon`` seconds),
* ``caller_id`` (complete DATE/TIME/NMBR/NAME, or what arrived by the next RING / ``cid_wait`` seconds after
  the last field; see :mod:`drivers.modem.callerid`),
* ``digit`` (source ``"modem"``, from DLE codes), ``tone`` (busy, dial, fax, data), ``dial_tone`` after
  seizing, ``dial_done``, ``off_hook`` (``parallel=True``: the handset on the modem's phone jack),
* ``disconnect`` (``busy_tone``, ``dial_tone``, ``loop_drop``, ``silence``, or ``fault`` when the modem itself
  failed mid-call), ``fault`` / ``fault_cleared``.

Commands: ``seize()`` (answer a ringing call, or go off hook to dial) → voice mode, audio flowing;
``dial(digits)`` (DTMF with ``AT+VTS``); ``release()`` (hang up). Audio: ``read_frame``/``write_frame`` through a
:class:`~drivers.modem.channel.ModemAudioChannel` (``port.audio``).

Threads: the pyserial reader thread (owned by the connection) only parses and hands events to the loop with
``call_soon_threadsafe``; a command thread (owned here) runs blocking AT dialogues. All timing — ring
abandonment, caller-ID wait, keep-alive pings, reopen back-off — comes from the injected clock.

Faults: a device that disappears, a modem that stops answering (a keep-alive ``AT`` every ``ping_interval``
seconds when idle, or any command timing out) or refuses voice commands → ``fault`` (and ``disconnect`` if a call
was up); the port closes the device and reopens it after ``backoff[0]`` seconds, doubling up to ``backoff[1]``;
when init succeeds again → ``fault_cleared``. Audio already captured stays readable.

What it is not: policy (it never answers by itself) or discovery (it never probes ttys).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np

from drivers.clock import Clock, Timer
from drivers.errors import PortError
from drivers.modem.callerid import CallerIdAssembler, parse_line
from drivers.modem.channel import ModemAudioChannel
from drivers.modem.connection import ModemConnection
from drivers.modem.dialogue import VoiceDialogues
from drivers.modem.profiles import ModemProfile, get_profile
from drivers.modem.worker import CommandThread
from drivers.port import Port

log = logging.getLogger(__name__)

DTMF = set("0123456789*#ABCD")
TONES = {"b": "busy", "d": "dial", "c": "fax", "e": "data", "a": "answer"}
IGNORED = {"/", "~", "s", "q", "h", "u", "o", "ETX", "!"}  # bracket markers, silence, on-hook, buffer notes


class _Listener:
    """Reader-thread side of one connection: hands everything to the loop, tagged with its generation."""

    def __init__(self, port: "ModemPort", gen: int) -> None:
        self.port, self.gen = port, gen
        self.silenced = False  # set before the port closes this connection on purpose

    def _hand(self, fn: Callable[..., None], *args: Any) -> None:
        if not self.silenced:
            self.port._to_loop(self.port._if_current, self.gen, fn, *args)

    def on_reply(self, line: str) -> None:  # replies are consumed by the connection
        pass

    def on_unsolicited(self, line: str) -> None:
        self._hand(self.port._unsolicited, line)

    def on_dle(self, code: str) -> None:
        self._hand(self.port._dle, code)

    def on_audio(self, data: bytes) -> None:
        if not self.silenced:
            self.port.audio.feed(data)  # thread-safe by design: a lock-free frame queue

    def on_garbled(self, raw: bytes) -> None:
        self._hand(self.port._garbled, raw)

    def on_lost(self, exc: BaseException | None) -> None:
        self._hand(self.port._lost, f"modem {self.port.device} disappeared ({exc or 'closed'})")


class ModemPort(VoiceDialogues, Port):
    """A voice modem on one phone line."""

    kind = "modem"

    def __init__(self, name: str, clock: Clock, device: str, profile: str | ModemProfile = "usr5637", *,
                 extra_init: tuple[str, ...] = (), ping_interval: float = 30.0,
                 backoff: tuple[float, float] = (1.0, 60.0), ring_abandon: float = 8.0, cid_wait: float = 1.5,
                 connect: Callable[..., ModemConnection] = ModemConnection) -> None:
        super().__init__(name, clock)
        self.device = device
        self.profile = get_profile(profile, extra_init) if isinstance(profile, str) else profile
        self.ping_interval, self.backoff = ping_interval, backoff
        self.ring_abandon, self.cid_wait = ring_abandon, cid_wait
        self._connect = connect
        self.audio = ModemAudioChannel(self.profile.sample_format, dle_double=self.profile.dle_double)
        self.audio.half_duplex = self.profile.duplex == "half"
        self.audio.on_want = self._want_direction
        self.audio.on_fault = self._audio_fault
        self.state = "closed"  # closed | opening | idle | ringing | offhook | faulted
        self.voice = "none"    # the modem's data mode: none | rx | tx | trx (set by the command thread)
        self._switching = False
        self.counters = {"rings": 0, "garbled": 0, "unknown_codes": 0, "reopens": 0, "faults": 0}
        self._conn: ModemConnection | None = None
        self._gen = 0
        self._cmd: CommandThread | None = None
        self._timers: dict[str, Timer] = {}
        self._delay = backoff[0]
        self._rings = 0
        self._cid = CallerIdAssembler()
        self._in_call = False
        self._want_dial_tone = False  # seized to dial out: dial tone before dialling is news, not a hang-up
        self._heard_dial_tone = False

    # -- lifecycle (loop thread) -------------------------------------------------------------------
    def open(self) -> None:
        if self._cmd is not None:
            return
        self._cmd = CommandThread(f"modem {self.name}", self._job_failed)
        self._cmd.start()
        self._start_connect()

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self.state = "closed"
        self.audio.close()
        cmd, self._cmd = self._cmd, None
        if cmd is not None:
            cmd.submit("close", self._drop_connection)
            cmd.stop()
        else:
            self._drop_connection()

    def _start_connect(self) -> None:
        self.state = "opening"
        self._gen += 1
        gen = self._gen
        self._submit("connect", lambda: self._job_connect(gen))

    def _job_connect(self, gen: int) -> None:
        self._drop_connection()
        listener = _Listener(self, gen)
        conn = self._connect(self.device, listener, baudrate=self.profile.baudrate)
        try:
            for cmd in self.profile.init_commands:
                conn.command(cmd, self.profile.reset_timeout if cmd.upper().startswith("ATZ")
                             else self.profile.command_timeout)
        except Exception:
            self._close_quietly(conn)
            raise
        self._conn = conn
        self._to_loop(self._if_current, gen, self._connected)

    def _connected(self) -> None:
        self.state = "idle"
        self.voice = "none"
        self._delay = self.backoff[0]
        log.info("modem %s ready on %s (%s)", self.name, self.device, self.profile.name)
        if self.fault is not None:
            self.counters["reopens"] += 1
            self.emit("fault_cleared")
        self._arm("ping", self.ping_interval, self._ping)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._close_quietly(conn)

    @staticmethod
    def _close_quietly(conn: ModemConnection) -> None:
        listener = getattr(conn, "listener", None)
        if isinstance(listener, _Listener):
            listener.silenced = True
        try:
            conn.close()
        except Exception as exc:
            log.warning("closing modem: %s", exc)

    # -- faults ---------------------------------------------------------------------------------------
    def _if_current(self, gen: int, fn: Callable[..., None], *args: Any) -> None:
        if gen == self._gen and self.state != "closed":
            fn(*args)

    def _job_failed(self, job: str, exc: BaseException) -> None:
        """Command thread: a dialogue failed. Hand it to the loop as a fault of the current connection."""
        reason = str(exc) if self.device in str(exc) else f"modem {self.device}: {exc}"
        self._to_loop(self._if_current, self._gen, self._lost, reason)

    def _to_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """Hand ``fn(*args)`` to the loop from a driver thread (dropped if the loop is already gone)."""
        try:
            self.clock.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop was closed while the port was shutting down
            log.debug("modem %s: loop closed, dropped %s", self.name, getattr(fn, "__name__", fn))

    def _lost(self, reason: str) -> None:
        if self.state in ("faulted", "closed"):
            return
        was_in_call = self._in_call
        self._end_call_state()
        self.state = "faulted"
        self.counters["faults"] += 1
        self._gen += 1  # events from the dead connection are ignored from now on
        self._cancel("ping")
        self._submit("drop", self._drop_connection)
        if self.fault is None:
            self.emit("fault", reason=reason)
        if was_in_call:
            self.emit("disconnect", reason="fault")
        log.warning("modem %s fault: %s; reopening in %.0f s", self.name, reason, self._delay)
        self._arm("reopen", self._delay, self._start_connect)
        self._delay = min(self._delay * 2, self.backoff[1])

    def _audio_fault(self, reason: str | None) -> None:
        if reason is not None:  # writing voice data failed: the device is stuck or gone
            self._to_loop(self._if_current, self._gen, self._lost, reason)

    def _ping(self) -> None:
        if self.state == "idle" and self._cmd is not None and self._cmd.backlog == 0:
            self._submit("ping", lambda: self._command("AT"))
        if self.state not in ("faulted", "closed", "opening"):
            self._arm("ping", self.ping_interval, self._ping)

    # -- events from the modem (loop thread) ------------------------------------------------------------
    def _unsolicited(self, line: str) -> None:
        field = parse_line(line)
        if field is not None:
            self._cid.add(*field)
            if self._cid.complete:
                self._flush_cid()
            else:
                self._arm("cid", self.cid_wait, self._flush_cid)
        elif line.upper().startswith("RING"):
            self._ring()
        elif line.upper().startswith(("NO CARRIER", "BUSY")) and self._in_call:
            self.emit("disconnect", reason="loop_drop" if line.upper().startswith("NO") else "busy_tone")
        else:
            log.debug("modem %s: %s", self.name, line)

    def _ring(self) -> None:
        if self._in_call:
            return
        if not self._cid.empty:
            self._flush_cid()
        self._rings += 1
        self.counters["rings"] += 1
        if self.state == "idle":
            self.state = "ringing"
        self.emit("ring", cadence=None, count=self._rings)
        self._arm("abandon", self.ring_abandon, self._abandoned)

    def _abandoned(self) -> None:
        if self.state == "ringing":
            self.state = "idle"
            self._rings = 0
            self._cid.reset()
            self.emit("ring_abandoned")

    def _flush_cid(self) -> None:
        self._cancel("cid")
        if not self._cid.empty:
            data = self._cid.event_data()
            self._cid.reset()
            self.emit("caller_id", **data)

    def _dle(self, code: str) -> None:
        now = self.clock.now()
        if code in DTMF:
            self.emit("digit", digit=code, source="modem", start=now, end=now)
        elif code in TONES:
            self._tone(TONES[code])
        elif code == "H":
            self.emit("off_hook", parallel=True)
        elif code == "R":
            self._ring()
        elif code == "l" and self._in_call:
            self.emit("disconnect", reason="loop_drop")
        elif code in IGNORED:
            pass
        else:
            self.counters["unknown_codes"] += 1
            log.debug("modem %s: unknown DLE code %r ignored", self.name, code)

    def _tone(self, tone: str) -> None:
        if tone == "dial" and self._in_call and self._want_dial_tone:
            if not self._heard_dial_tone:  # a modem may repeat <DLE>d while the tone lasts
                self._heard_dial_tone = True
                self.emit("dial_tone")
            return
        self.emit("tone", tone=tone)
        if self._in_call and tone in ("busy", "dial"):
            self.emit("disconnect", reason=f"{tone}_tone")

    def _garbled(self, raw: bytes) -> None:
        self.counters["garbled"] += 1
        log.info("modem %s sent a garbled line (%d bytes), ignored", self.name, len(raw))

    # -- commands (loop thread) ----------------------------------------------------------------------
    def seize(self) -> None:
        if self.state in ("faulted", "closed", "opening"):
            raise PortError(f"modem line {self.name} is not available: {self.fault or self.state}")
        if self.state == "offhook":
            return
        self._cancel("abandon")
        self._flush_cid()
        self._want_dial_tone = self.state != "ringing"  # answering a call hears no dial tone unless it ended
        self._heard_dial_tone = False
        self.state = "offhook"
        self._in_call = True
        self.audio.reset()
        self._submit("seize", self._job_seize)

    def release(self) -> None:
        if self.state != "offhook":
            return
        self._end_call_state()
        self.state = "idle"
        self._submit("release", self._job_release)

    def dial(self, digits: str) -> None:
        bad = set(digits) - DTMF
        if bad:
            raise PortError(f"cannot dial {''.join(sorted(bad))!r} on modem line {self.name}")
        if self.state != "offhook":
            raise PortError(f"modem line {self.name} must be seized before dialling")
        self._want_dial_tone = False
        self._submit("dial", lambda: self._job_dial(digits))

    def _end_call_state(self) -> None:
        self._in_call = False
        self._rings = 0
        self.audio.reset()

    # -- audio ----------------------------------------------------------------------------------------
    def read_frame(self) -> np.ndarray:
        return self.audio.read()

    def write_frame(self, frame: np.ndarray) -> None:
        self.audio.write(frame)

    def _want_direction(self, direction: str) -> None:
        if self.state != "offhook" or self._switching:
            return
        if (direction == "transmit" and self.voice == "rx") or (direction == "receive" and self.voice == "tx"):
            self._switching = True
            self._submit(direction, lambda: self._job_voice(direction))

    # -- helpers ------------------------------------------------------------------------------------
    def _submit(self, name: str, job: Callable[[], None]) -> None:
        if self._cmd is not None:
            self._cmd.submit(name, job)

    def _arm(self, name: str, delay: float, fn: Callable[[], None]) -> None:
        self._cancel(name)
        self._timers[name] = self.clock.call_later(delay, self._fire, name, fn)

    def _fire(self, name: str, fn: Callable[[], None]) -> None:
        self._timers.pop(name, None)
        if self.state != "closed":
            fn()

    def _cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "state": self.state, "device": self.device, "profile": self.profile.name,
                "voice": self.voice, **self.counters, "audio": dict(self.audio.counters)}
