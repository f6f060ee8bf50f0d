"""Running as an appliance service: readiness and watchdog, the lifeline, start-up recovery, boot config, data space.

What it is: the pieces ``switchboard run`` uses to behave under systemd (``systemd/switchboard.service``):

- :class:`Supervisor` — the link to the service manager and the lifeline relay: a health tick on the engine's
  loop sends ``WATCHDOG=1`` and the lifeline heartbeat; :meth:`Supervisor.ports_up` sends ``READY=1`` and arms
  the relay; :meth:`Supervisor.stopping` drops it.
- :func:`recover_ports` — after a crash, every relay output is driven to rest (lines released, ringing stopped)
  before the box takes calls. (The calls a crash left open in the call log are ended by the store, on open:
  :func:`firmware.engine.assembly.open_store` calls ``Store.end_interrupted_calls``.) :func:`recover_recordings`
  keeps the voicemail a crash cut short.
- :class:`DataSpace` — whether the data partition can take a recording; when it is full the box still answers
  and plays its prompts, and recording says it cannot.
- :func:`check_gpio_backend` — the backend the unit names must be the one the board profile names.

What it is not: the daemon's main (``firmware/daemon.py``) or the call engine. Nothing here sleeps or opens
hardware; time comes from the injected clock, except the lifeline watcher's own real-time thread.
"""
from __future__ import annotations

import logging
import os
import struct
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from drivers.clock import Clock, Timer
from drivers.errors import ConfigError, PortError, StorageError, SwitchboardError

from firmware.lifeline import Lifeline
from firmware.notify import Notifier

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------------- the health tick
class Supervisor:
    """Readiness, the loop's health tick (watchdog and lifeline heartbeat) and stopping, in one place.

    The daemon creates it, calls :meth:`start` on the loop, :meth:`ports_up` once every port is open, and
    :meth:`stopping` on shutdown. ``healthy`` (optional) is asked on every tick; while it says False the
    watchdog is not fed, so systemd restarts a daemon whose engine is stuck even though its loop still runs.
    """

    SPACE_CHECK_SECONDS = 60.0

    def __init__(self, clock: Clock, notifier: Notifier | None = None, lifeline: Lifeline | None = None,
                 tick_seconds: float | None = None, healthy: Callable[[], bool] | None = None,
                 space: "DataSpace | None" = None, on_space: Callable[[bool], None] | None = None) -> None:
        self.clock = clock
        self.notifier = notifier or Notifier()
        self.lifeline = lifeline
        self.healthy = healthy
        self.space = space
        self.on_space = on_space
        self.tick_seconds = tick_seconds or self._default_tick()
        self.ready = False
        self.ticks = 0
        self.problems: list[str] = []
        self.space_low = False
        self._next_space_check = 0.0
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
        self._check_space()
        return ok

    def _check_space(self) -> None:
        """Every minute: is there room to record? Reported on the change, both ways."""
        if self.space is None or self.clock.now() < self._next_space_check:
            return
        self._next_space_check = self.clock.now() + self.SPACE_CHECK_SECONDS
        low = not self.space.can_record()
        if low == self.space_low:
            return
        self.space_low = low
        if low:
            self.report(f"the data partition is full ({self.space.free_bytes() // 1024} KiB free): "
                        "calls are answered, messages cannot be recorded")
        else:
            log.info("the data partition has room again")
            self.problems = [p for p in self.problems if not p.startswith("the data partition is full")]
            self.notifier.status(self.status_line())
        if self.on_space is not None:
            self.on_space(low)

    def report(self, problem: str) -> None:
        """A problem a person should see (``systemctl status``, the log); the box keeps running."""
        self.problems.append(problem)
        log.error("%s", problem)
        self.notifier.status(self.status_line())

    def status_line(self) -> str:
        state = "ready" if self.ready else "starting"
        if self.ready and self.lifeline is not None and not self.lifeline.energised:
            state += " (lifeline relay at rest)"
        if self.problems:
            return f"{state}; problem: {self.problems[-1]}"
        return state

    def ports_up(self, summary: str = "") -> None:
        """Every configured port is open: energise the lifeline relay, then tell systemd we are ready."""
        self.ready = True
        text = self.status_line() if self.problems else ("ready: " + summary if summary else "ready")
        if self.lifeline is not None:
            self.lifeline.arm()
        self.notifier.ready(text)

    def stopping(self, reason: str = "stopping") -> None:
        """Stop ticking, tell systemd, and drop the lifeline relay (FXS 1 joins FXO 1)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.notifier.stopping(reason)
        self.notifier.close()
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


# ------------------------------------------------------------------------------------------- the store
STORE_NAME = "switchboard.db"


def open_data_store(clock: Clock, data_dir: Path, environ: Mapping[str, str] | None = None) -> Any:
    """The SQLite store on the data partition; one in RAM when that cannot be opened, so the box still answers.

    A data partition that is full (SQLite cannot even create its journal) or damaged must not keep the box from
    starting: the store is then opened under the runtime directory (RAM) and :func:`attach` reports it — the call
    log and new messages' index live there until the partition is fixed and the daemon restarted.
    """
    from firmware.store import Store
    try:
        return Store.for_clock(Path(data_dir) / STORE_NAME, clock)
    except (StorageError, OSError) as exc:
        env = os.environ if environ is None else environ
        runtime = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
        ram = Path(tempfile.mkdtemp(prefix="switchboard-store-", dir=runtime or None)) / STORE_NAME
        log.error("cannot open the store on the data partition (%s); keeping the call log in RAM at %s", exc, ram)
        return Store.for_clock(ram, clock)


def store_in_ram(store: Any, data_dir: Path) -> bool:
    """True when ``store`` is not the one on the data partition (see :func:`open_data_store`)."""
    path = getattr(store, "path", None)
    return path is not None and Path(path) != Path(data_dir) / STORE_NAME


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


# ----------------------------------------------------------------------------------- boot configuration
LAST_GOOD_NAME = "config.last-good.yaml"
"""The last configuration the box ran on, kept in the data directory."""


def last_good_path(data_dir: Path) -> Path:
    return Path(data_dir) / LAST_GOOD_NAME


def boot_config(args: Any, data_dir: Path, load: Callable[[Any, Path], tuple[Any, Path | None]]
                ) -> tuple[Any, Path | None, list[tuple[str, str]]]:
    """``load(args, data_dir)``; if the document is refused, the last good configuration and the problems.

    Returns ``(config, path, problems)``. ``path`` stays the office's own document, so the next save (from the
    web page) replaces the bad one. Raises the original :class:`ConfigError` when there is no last good one,
    and a :class:`ConfigError` naming ``board.gpio_backend`` when it is not the backend the unit names.
    """
    try:
        config, path = load(args, data_dir)
        problems: list[tuple[str, str]] = []
    except ConfigError as exc:
        fallback = last_good_path(data_dir)
        if getattr(args, "sim", False) and not getattr(args, "config", None) or not fallback.exists():
            raise
        from firmware import config as configuration
        problems = exc.errors or [("document", str(exc))]
        log.error("the configuration was refused (%s); starting on the last good one, %s",
                  "; ".join(f"{p}: {r}" for p, r in problems), fallback)
        config = configuration.load(fallback)
        path = Path(args.config) if getattr(args, "config", None) else Path(data_dir) / "config.yaml"
    if not getattr(args, "sim", False):
        check_gpio_backend(str((config.get("board") or {}).get("gpio_backend")))
    return config, path, problems


# ------------------------------------------------------------------------------------ the daemon's hooks
def attach(daemon: Any, problems: list[tuple[str, str]] | None = None,
           environ: Mapping[str, str] | None = None) -> Callable[[], "Supervisor | None"]:
    """Make ``daemon`` (:class:`firmware.daemon.Daemon`) a service: hooks on its start and stop.

    On start (ports open, box built, control API served): recordings a crash cut short are kept; the lifeline relay is opened and armed; ``READY=1`` is sent with a
    status line; the health tick (every 0.5 s on the loop) feeds the watchdog and the relay while the media tick
    advances; configuration ``problems`` (from :func:`boot_config`) are reported and light the fault lamp;
    otherwise the configuration is remembered as the last good one. On stop: ``STOPPING=1`` and the relay
    drops. Returns a function giving the :class:`Supervisor` (None before the start).
    """
    env = os.environ if environ is None else environ
    notifier = Notifier(env)
    holder: dict[str, Supervisor] = {}

    def started(d: Any) -> None:
        holder["sup"] = _start_service(d, notifier, problems or [], env)

    def stopping(d: Any) -> None:
        sup = holder.get("sup")
        if sup is not None:
            sup.stopping("stopping: ending calls")
        else:
            notifier.stopping("stopping")
            notifier.close()

    daemon.on_start.append(started)
    daemon.on_stop.append(stopping)
    return lambda: holder.get("sup")


def _start_service(daemon: Any, notifier: Notifier, problems: list[tuple[str, str]],
                   env: Mapping[str, str]) -> Supervisor:
    board = daemon.config.get("board") or {}
    box = daemon.box
    _keep_recordings(daemon)
    lifeline = _open_lifeline(daemon, board, env)
    sup = Supervisor(daemon.clock, notifier, lifeline, tick_seconds=0.5, healthy=_advancing(box.engine.media),
                     space=DataSpace(Path(daemon.data_dir)), on_space=_space_fault(box))
    sup.start()
    if store_in_ram(box.store, Path(daemon.data_dir)):
        sup.report("the data partition cannot be written (full or damaged): calls are answered, "
                   "the call log is kept in RAM until it is fixed, messages cannot be recorded")
        box.engine.bus.publish("fault", port="data", reason="the data partition cannot be written")
    for path, reason in problems:
        sup.report(f"configuration refused, running on the last good one: {path}: {reason}")
        box.engine.bus.publish("fault", port="config", reason=f"configuration refused: {path}: {reason}")
    ports = sorted(box.engine.ports)
    sup.ports_up(f"{len(ports)} ports ({', '.join(ports)})")
    if not problems and daemon.config_path is not None:
        _remember(daemon)
    return sup


def _advancing(media: Any) -> Callable[[], bool]:
    """Healthy while the engine's media tick has run since the last health tick."""
    seen = [media.ticks]

    def check() -> bool:
        ticks = media.ticks
        moved = ticks != seen[0]
        seen[0] = ticks
        return moved

    return check


def _space_fault(box: Any) -> Callable[[bool], None]:
    """Light (or clear) the fault lamp when the data partition fills (or has room again)."""
    def publish(low: bool) -> None:
        if low:
            box.engine.bus.publish("fault", port="data", reason="the data partition is full")
        else:
            box.engine.bus.publish("fault_cleared", port="data")
    return publish


def _open_lifeline(daemon: Any, board: Mapping[str, Any], env: Mapping[str, str]) -> Lifeline:
    """The lifeline on the simulated office's relay pin, else on a pin of the board's GPIO backend."""
    from firmware.lifeline import open_lifeline
    relay = getattr(getattr(daemon, "office", None), "lifeline", None)
    if relay is not None and hasattr(relay, "pin"):
        return open_lifeline(board, pin=relay.pin, environ=env)
    from drivers.gpio import open_factory
    return open_lifeline(board, open_factory(board, daemon.clock), environ=env)


def _keep_recordings(daemon: Any) -> None:
    kept = recover_recordings(Path(daemon.data_dir), daemon.box.store)
    for mailbox in sorted({p.parent.name for p in kept}):
        daemon.box.engine.bus.publish("mwi", mailbox=mailbox, active=True)


def _remember(daemon: Any) -> None:
    """Keep the configuration the box is now running on as the last good one (a full disk only logs)."""
    from firmware import config as configuration
    try:
        configuration.remember_good(daemon.config, last_good_path(Path(daemon.data_dir)))
    except (SwitchboardError, OSError) as exc:
        log.error("could not keep the last good configuration: %s", exc)
