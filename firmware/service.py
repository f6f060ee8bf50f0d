"""Running as an appliance service: start-up recovery, the health tick, journald logging, stopping, data space.

What it is: the pieces ``switchboard run`` uses to behave under systemd (``systemd/switchboard.service``):

- :func:`configure_logging` — log records go to journald with structured fields (``PORT``, ``CALL``, ``LEG``,
  ``LINE``, ``EXTENSION``, ``MAILBOX`` from ``logging`` ``extra=``) through the native journal protocol when
  journald holds our output (``$JOURNAL_STREAM``), else one ``key=value`` line per record on stderr.
- :class:`Supervisor` — the link to the service manager and the lifeline relay: a health tick on the engine's
  loop sends ``WATCHDOG=1`` and the lifeline heartbeat; :meth:`Supervisor.ports_up` sends ``READY=1`` and arms
  the relay; :meth:`Supervisor.stopping` drops it.
- :func:`recover_ports` — after a crash, every relay output is driven to rest (lines released, ringing stopped)
  before the box takes calls. (The calls a crash left open in the call log are ended by the store, on open:
  :func:`firmware.engine.assembly.open_store` calls ``Store.end_interrupted_calls``.) :func:`recover_recordings`
  keeps the voicemail a crash cut short.
- :func:`install_stop_signals` and :func:`stop_within` — SIGTERM/SIGINT end calls cleanly within a bound.
- :class:`DataSpace` — whether the data partition can take a recording; when it is full the box still answers
  and plays its prompts, and recording says it cannot.
- :func:`check_gpio_backend` — the backend the unit names must be the one the board profile names.

What it is not: the daemon's main (``firmware/daemon.py``) or the call engine. Nothing here sleeps or opens
hardware; time comes from the injected clock, except the lifeline watcher's own real-time thread.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import struct
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, TextIO

from drivers.clock import Clock, Timer
from drivers.errors import ConfigError, PortError, SwitchboardError

from firmware.lifeline import Lifeline
from firmware.notify import Notifier

log = logging.getLogger(__name__)

JOURNAL_SOCKET = "/run/systemd/journal/socket"
STRUCTURED_FIELDS = ("port", "call", "leg", "line", "extension", "mailbox")
"""``logging`` ``extra=`` keys carried as journal fields (upper-cased) and as ``key=value`` pairs."""

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


# ---------------------------------------------------------------------------------------------- logging
def _priority(levelno: int) -> int:
    for level in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= level:
            return _PRIORITY[level]
    return 7


def _quote(value: Any) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """One line per record: ``level=… logger=… port=… call=… msg="…"`` (greppable, journal-friendly)."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [f"level={record.levelname.lower()}", f"logger={record.name}"]
        parts += [f"{k}={_quote(getattr(record, k))}" for k in STRUCTURED_FIELDS if getattr(record, k, None)]
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        parts.append(f"msg={_quote(message)}")
        return " ".join(parts)


def journal_fields(record: logging.LogRecord, message: str, identifier: str) -> dict[str, str]:
    """The journal fields of one record."""
    fields = {
        "MESSAGE": message, "PRIORITY": str(_priority(record.levelno)), "SYSLOG_IDENTIFIER": identifier,
        "LOGGER": record.name, "THREAD_NAME": str(record.threadName or ""),
        "CODE_FILE": str(record.pathname or ""), "CODE_LINE": str(record.lineno), "CODE_FUNC": str(record.funcName or ""),
    }
    for key in STRUCTURED_FIELDS:
        value = getattr(record, key, None)
        if value is not None and value != "":
            fields[key.upper()] = str(value)
    return fields


def encode_journal(fields: Mapping[str, str]) -> bytes:
    """The journald native protocol: ``KEY=value`` lines, or a length-prefixed value when it has a newline."""
    out = bytearray()
    for key, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalHandler(logging.Handler):
    """Sends records to journald over its native socket, with the structured fields; stderr if that fails."""

    def __init__(self, socket_path: str = JOURNAL_SOCKET, identifier: str = "switchboard",
                 fallback: TextIO | None = None) -> None:
        super().__init__()
        self.socket_path = socket_path
        self.identifier = identifier
        self.fallback = fallback
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            self._sock.sendto(encode_journal(journal_fields(record, message, self.identifier)), self.socket_path)
        except OSError:
            stream = self.fallback or sys.stderr
            stream.write(KeyValueFormatter().format(record) + "\n")
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._sock.close()
        super().close()


def configure_logging(level: int = logging.INFO, environ: Mapping[str, str] | None = None,
                      stream: TextIO | None = None, socket_path: str = JOURNAL_SOCKET) -> logging.Handler:
    """Send the root logger to journald (when it holds our output) or to ``stream`` as key=value lines."""
    env = os.environ if environ is None else environ
    handler: logging.Handler
    if env.get("JOURNAL_STREAM") and os.path.exists(socket_path):
        handler = JournalHandler(socket_path, identifier=env.get("SYSLOG_IDENTIFIER", "switchboard"))
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_switchboard", False)]:
        root.removeHandler(old)
        old.close()
    handler._switchboard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler


# ----------------------------------------------------------------------------------- the health tick
class Supervisor:
    """Readiness, the loop's health tick (watchdog and lifeline heartbeat) and stopping, in one place.

    The daemon creates it, calls :meth:`start` on the loop, :meth:`ports_up` once every port is open, and
    :meth:`stopping` on shutdown. ``healthy`` (optional) is asked on every tick; while it says False the
    watchdog is not fed, so systemd restarts a daemon whose engine is stuck even though its loop still runs.
    """

    def __init__(self, clock: Clock, notifier: Notifier | None = None, lifeline: Lifeline | None = None,
                 tick_seconds: float | None = None, healthy: Callable[[], bool] | None = None) -> None:
        self.clock = clock
        self.notifier = notifier or Notifier()
        self.lifeline = lifeline
        self.healthy = healthy
        self.tick_seconds = tick_seconds or self._default_tick()
        self.ready = False
        self.ticks = 0
        self.problems: list[str] = []
        self._timer: Timer | None = None

    def _default_tick(self) -> float:
        candidates = [1.0]
        if self.notifier.watchdog_interval():
            candidates.append(self.notifier.watchdog_interval() or 1.0)
        if self.lifeline is not None:
            candidates.append(self.lifeline.stall_seconds / 4)
        return min(candidates)

    def start(self) -> None:
        """Drop the lifeline to rest, start its watcher, and begin ticking on the loop (loop thread)."""
        if self.lifeline is not None:
            self.lifeline.start()
        self.notifier.status("starting: opening ports")
        self._schedule()

    def _schedule(self) -> None:
        self._timer = self.clock.call_later(self.tick_seconds, self._on_timer)

    def _on_timer(self) -> None:
        self.tick()
        self._schedule()

    def tick(self) -> bool:
        """One health tick: feed the watchdog and the lifeline if the engine says it is healthy."""
        ok = True
        if self.healthy is not None:
            try:
                ok = bool(self.healthy())
            except Exception:
                log.exception("health check failed")
                ok = False
        if ok:
            self.ticks += 1
            self.notifier.watchdog()
            if self.lifeline is not None:
                self.lifeline.heartbeat()
        return ok

    def report(self, problem: str) -> None:
        """A problem a person should see (``systemctl status``, the log); the box keeps running."""
        self.problems.append(problem)
        log.error("%s", problem)
        self.notifier.status(self.status_line())

    def status_line(self) -> str:
        state = "ready" if self.ready else "starting"
        if self.problems:
            return f"{state}; problem: {self.problems[-1]}"
        return state

    def ports_up(self, summary: str = "") -> None:
        """Every configured port is open: tell systemd we are ready and energise the lifeline relay."""
        self.ready = True
        text = self.status_line() if self.problems else ("ready: " + summary if summary else "ready")
        self.notifier.ready(text)
        if self.lifeline is not None:
            self.lifeline.arm()

    def stopping(self, reason: str = "stopping") -> None:
        """Stop ticking, tell systemd, and drop the lifeline relay (FXS 1 joins FXO 1)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.notifier.stopping(reason)
        if self.lifeline is not None:
            self.lifeline.stop()


# -------------------------------------------------------------------------------- start-up recovery
def recover_ports(ports: Mapping[str, Any]) -> list[str]:
    """Drive every relay output to rest: release lines (FXO, modem), stop ringing phones (FXS).

    After a crash the GPIO lines are back to inputs, but the driver's idea of the line and any ring in
    progress are gone; this makes the hardware and the drivers agree before the first call. Returns the
    names of the ports that refused (each is logged with its reason).
    """
    refused = []
    for name, port in ports.items():
        command = "stop_ring" if getattr(port, "kind", "") == "fxs" else "release"
        if not hasattr(port, command) or getattr(port, "kind", "") in ("panel", "sip"):
            continue
        try:
            getattr(port, command)()
        except (PortError, OSError) as exc:
            refused.append(name)
            log.warning("could not bring %s to rest at start-up: %s", name, exc, extra={"port": name})
    return refused


_WAV_HEADER_BYTES = 44
_RATE = 8000


def _wav_header(n_samples: int) -> bytes:
    data = n_samples * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, _RATE, _RATE * 2, 2, 16) + b"data" + struct.pack("<I", data))


def recover_recordings(data_dir: Path, store: Any, min_seconds: float = 1.0) -> list[Path]:
    """Keep the messages a crash cut short: every ``voicemail/<mailbox>/.rec-*.part`` becomes a message.

    A recording streams to its part file frame by frame (:mod:`firmware.voicemail.recorder`); after a kill or a
    power cut the file holds everything the caller said up to then, under a header that says 0 samples. Here
    the header is fixed from the file's size, the file renamed to a message name (stamped with its last
    write), indexed in the store and marked partial. Parts shorter than ``min_seconds`` are removed. Returns
    the messages kept.
    """
    kept = []
    for part in sorted(Path(data_dir, "voicemail").glob("*/.rec-*.part")):
        mailbox = part.parent.name
        try:
            kept_path = _adopt_part(part, mailbox, store, min_seconds)
        except (OSError, SwitchboardError) as exc:
            log.error("could not recover the interrupted recording %s: %s", part, exc, extra={"mailbox": mailbox})
            continue
        if kept_path is not None:
            kept.append(kept_path)
    return kept


def _adopt_part(part: Path, mailbox: str, store: Any, min_seconds: float) -> Path | None:
    samples = max(0, part.stat().st_size - _WAV_HEADER_BYTES) // 2
    seconds = samples / _RATE
    if seconds < min_seconds:
        part.unlink()
        log.info("removed an interrupted recording of %.1f s (too short)", seconds, extra={"mailbox": mailbox})
        return None
    stamp = datetime.fromtimestamp(part.stat().st_mtime, timezone.utc)
    with open(part, "r+b") as fh:
        fh.truncate(_WAV_HEADER_BYTES + samples * 2)
        fh.seek(0)
        fh.write(_wav_header(samples))
        fh.flush()
        os.fsync(fh.fileno())
    final = part.with_name(f"msg-{stamp.strftime('%Y%m%d-%H%M%S')}-{part.stem[-8:]}.wav")
    os.replace(part, final)
    msg_id = store.add_message(mailbox, final, duration_s=seconds, received_at=stamp)
    store.put(f"voicemail.partial.{msg_id}", True)
    log.warning("kept a message of %.1f s interrupted by a restart", seconds, extra={"mailbox": mailbox})
    return final


# ------------------------------------------------------------------------------------------ stopping
def install_stop_signals(loop: asyncio.AbstractEventLoop, request_stop: Callable[[str], None]) -> Callable[[], None]:
    """On SIGTERM or SIGINT call ``request_stop(signal name)`` once on the loop; returns an uninstaller."""
    fired = False

    def handler(name: str) -> None:
        nonlocal fired
        if not fired:
            fired = True
            log.info("%s received: ending calls and stopping", name)
            request_stop(name)

    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, handler, sig.name)
        installed.append(sig)

    def uninstall() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return uninstall


async def stop_within(stop: Awaitable[Any], seconds: float = 5.0,
                      force: Callable[[], Any] | None = None) -> bool:
    """Await ``stop`` (e.g. ``engine.stop()``) for at most ``seconds``; on timeout call ``force``. True if clean."""
    try:
        await asyncio.wait_for(stop, seconds)
        return True
    except asyncio.TimeoutError:
        log.error("calls did not end within %.0f s; releasing the ports anyway", seconds)
        if force is not None:
            force()
        return False


# ---------------------------------------------------------------------------------------- data space
@dataclass
class DataSpace:
    """Free space on the data partition, asked before a recording starts.

    ``reserve_bytes`` stays free for the call log and configuration saves; a recording needs that plus
    ``bytes_per_second`` (16-bit 8 kHz: 16000) times its length limit, or at least ``min_record_seconds``.
    """

    path: Path
    reserve_bytes: int = 2 * 1024 * 1024
    bytes_per_second: int = 16000
    min_record_seconds: int = 10
    statvfs: Callable[[str], os.statvfs_result] = os.statvfs

    def free_bytes(self) -> int:
        try:
            st = self.statvfs(str(self.path))
        except OSError as exc:
            log.error("cannot read free space of %s: %s", self.path, exc)
            return 0
        return st.f_bavail * st.f_frsize

    def can_record(self, seconds: float | None = None) -> bool:
        """True when a recording of ``seconds`` (default ``min_record_seconds``) fits above the reserve."""
        need = self.reserve_bytes + int(self.bytes_per_second * (seconds or self.min_record_seconds))
        return self.free_bytes() >= need

    def recordable_seconds(self) -> float:
        """How many seconds of audio fit above the reserve (0 when full)."""
        return max(0.0, (self.free_bytes() - self.reserve_bytes) / self.bytes_per_second)


# ------------------------------------------------------------------------------------------ the board
def check_gpio_backend(configured: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse to start when the unit's ``SWITCHBOARD_GPIO_BACKEND`` and the board profile disagree."""
    env = os.environ if environ is None else environ
    named = env.get("SWITCHBOARD_GPIO_BACKEND")
    if named and named != configured:
        raise ConfigError(
            f"the service runs the {named!r} GPIO backend but board.gpio_backend is {configured!r}",
            [("board.gpio_backend", f"must be {named!r} on this box (set by SWITCHBOARD_GPIO_BACKEND)")],
        )


def runtime_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The service's runtime directory (``$RUNTIME_DIRECTORY``, set by ``RuntimeDirectory=``), if any."""
    env = os.environ if environ is None else environ
    raw = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return Path(raw) if raw else None

