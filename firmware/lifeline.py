"""The lifeline relay: a GPIO output held energised only while the call engine's loop is healthy.

What it is: :class:`Lifeline`, which owns one output pin and one watcher thread. The engine's health tick
calls :meth:`Lifeline.heartbeat`; once the ports are up (:meth:`Lifeline.arm`) each heartbeat keeps the relay
energised. The watcher thread drops the relay to rest when no heartbeat came for more than ``stall_seconds``
(2 s by default), whatever the loop is stuck on. At rest — power cut, crash, hang, shutdown — the relay's
normally-closed contacts join FXS 1 to FXO 1, so the office keeps one working phone on the outside line
(wiring: docs/appliance.md and docs/hardware.md).

A killed process cannot drive its pin any more: the kernel releases the GPIO line, the pin becomes an input and
the pull-down on the relay driver's input drops the relay. :class:`StateMirror` models that for the simulated
board: it writes the pin level and the owning process id to a small file (in the runtime directory), and
:func:`relay_energised` reads it from *another* process the way the relay coil sees it — energised only while
the level is high and the owning process is alive.

What it is not: the health check itself. Whether the loop is healthy is decided by the loop calling
``heartbeat()``; this module only notices when it stops. It does not decide how the board's pins are opened.

Board configuration (``board.lifeline`` in the office document): ``pin`` (BCM number, default 26 as on the
reference board), ``active_high`` (default true: high energises the coil), ``stall_seconds`` (default 2).
:func:`open_lifeline` builds the lifeline from it; on the simulated board it mirrors the relay to
``$RUNTIME_DIRECTORY/lifeline.state`` (or ``$SWITCHBOARD_LIFELINE_MIRROR``) when either is set.

Mirror file format (one line, ASCII): ``<level 0|1> <pid> <unix time of the change>``.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from drivers.errors import ZombieThread
from drivers.gpio.board import REFERENCE_LIFELINE

log = logging.getLogger(__name__)

DEFAULT_STALL_SECONDS = 2.0


class RelayOutput(Protocol):
    """The one thing the lifeline needs of a pin (:class:`drivers.gpio.Pin` has it): drive a logic level."""

    def set(self, value: bool) -> None: ...


class StateMirror:
    """Writes the relay's level and owner to a file another process can read (simulated board only)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def write(self, level: bool) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(f"{int(level)} {os.getpid()} {time.time():.3f}\n", encoding="ascii")
        os.replace(tmp, self.path)

    def clear(self) -> None:
        """Remove the file (the process is going away cleanly)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


@dataclass(frozen=True)
class MirrorState:
    """What a :class:`StateMirror` file says."""

    level: bool
    pid: int
    changed_at: float


def read_mirror(path: str | os.PathLike[str]) -> MirrorState | None:
    """Parse a mirror file; None when it is absent or half-written."""
    try:
        fields = Path(path).read_text(encoding="ascii").split()
        return MirrorState(level=fields[0] == "1", pid=int(fields[1]), changed_at=float(fields[2]))
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def relay_energised(path: str | os.PathLike[str]) -> bool:
    """As the relay coil sees it: the mirrored level is high and the process driving it still exists."""
    state = read_mirror(path)
    return bool(state and state.level and _alive(state.pid))


class Lifeline:
    """Owns the lifeline relay pin and the watcher thread that drops it when the loop stalls.

    Thread use: :meth:`heartbeat`, :meth:`arm` and :meth:`rest` are called from the engine's loop thread; the
    watcher thread calls :meth:`check`. A lock keeps the pin and the state together.
    """

    def __init__(self, pin: RelayOutput, *, stall_seconds: float = DEFAULT_STALL_SECONDS,
                 active_high: bool = True, mirror: StateMirror | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if stall_seconds <= 0:
            raise ValueError("stall_seconds must be positive")
        self.pin = pin
        self.stall_seconds = stall_seconds
        self.active_high = active_high
        self.mirror = mirror
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._armed = False
        self._energised = False
        self._last_beat = monotonic()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.stalls = 0
        self.last_drop_silence: float | None = None   # how long the loop had been silent when it last dropped

    # -- state ------------------------------------------------------------------------------------
    @property
    def energised(self) -> bool:
        """True while the relay holds FXS 1 and FXO 1 on the box's own circuits."""
        return self._energised

    @property
    def armed(self) -> bool:
        return self._armed

    def _drive(self, energise: bool) -> None:
        self.pin.set(energise if self.active_high else not energise)
        self._energised = energise
        if self.mirror is not None:
            self.mirror.write(energise)

    # -- called from the loop ----------------------------------------------------------------------
    def rest(self) -> None:
        """Drop the relay and stop energising it on heartbeats (start-up before the ports are up; shutdown)."""
        with self._lock:
            self._armed = False
            self._drive(False)

    def arm(self) -> None:
        """The ports are up: energise now, and keep energised while heartbeats come."""
        with self._lock:
            self._armed = True
            self._last_beat = self._monotonic()
            self._drive(True)
        log.info("lifeline relay energised: FXS 1 and FXO 1 are on the box")

    def heartbeat(self) -> None:
        """The loop is healthy. Re-energises the relay after a stall once the loop ticks again."""
        with self._lock:
            self._last_beat = self._monotonic()
            if self._armed and not self._energised:
                self._drive(True)
                log.warning("lifeline relay energised again: the engine loop is ticking")

    # -- called from the watcher -----------------------------------------------------------------
    def check(self) -> bool:
        """Drop the relay if the loop has not beaten for more than ``stall_seconds``. True when it dropped."""
        with self._lock:
            silent = self._monotonic() - self._last_beat
            if not (self._energised and silent > self.stall_seconds):
                return False
            self._drive(False)
            self.stalls += 1
            self.last_drop_silence = silent
        log.error("engine loop silent for %.1f s: lifeline relay dropped, FXS 1 is joined to FXO 1", silent)
        return True

    # -- the watcher thread ------------------------------------------------------------------------
    def start(self) -> None:
        """Drive the relay to rest and start the watcher thread."""
        if self._thread is not None:
            return
        self.rest()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._watch, name="lifeline-watcher", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        period = min(0.1, self.stall_seconds / 8)
        while not self._stopping.wait(period):
            try:
                self.check()
            except Exception:  # a failing pin must not kill the watcher silently
                log.exception("lifeline watcher could not drive the relay")

    def stop(self, timeout: float = 1.0) -> None:
        """Drop the relay, stop the watcher and join it; :class:`ZombieThread` if it outlives ``timeout``."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise ZombieThread("the lifeline watcher did not stop")
        self.rest()


def mirror_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the simulated relay is mirrored: ``$SWITCHBOARD_LIFELINE_MIRROR``, else the runtime directory."""
    env = os.environ if environ is None else environ
    if env.get("SWITCHBOARD_LIFELINE_MIRROR"):
        return Path(env["SWITCHBOARD_LIFELINE_MIRROR"])
    runtime = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return Path(runtime) / "lifeline.state" if runtime else None


def open_lifeline(board: Mapping[str, Any], factory: Any = None, environ: Mapping[str, str] | None = None,
                  pin: RelayOutput | None = None) -> Lifeline:
    """The lifeline relay of ``board`` (the office document's ``board:``): on ``pin``, or a pin from ``factory``.

    A pin from the factory is opened as an output driven to rest. On the simulated board the relay is mirrored
    to a file so that a test or the bench can watch it from another process (see :func:`relay_energised`).
    """
    spec = board.get("lifeline") or {}
    active_high = bool(spec.get("active_high", True))
    if pin is None:
        if factory is None:
            raise ValueError("open_lifeline needs a pin or a pin factory")
        pin = factory.pin(int(spec.get("pin", REFERENCE_LIFELINE)), mode="out", initial=not active_high)
    mirror = None
    if board.get("gpio_backend") == "sim":
        path = mirror_path(environ)
        mirror = StateMirror(path) if path is not None else None
    return Lifeline(pin, stall_seconds=float(spec.get("stall_seconds", DEFAULT_STALL_SECONDS)),
                    active_high=active_high, mirror=mirror)
