"""Ports: everything the box connects (FXO line, FXS phone, modem line, SIP endpoint) as one interface.

What it is: the contract between drivers and the call engine. A port *emits* timestamped events and
*accepts* commands; audio moves through it as 20 ms frames of 160 int16 samples at 8 kHz.

What it is not: policy. A port never decides to answer, route or hang up; it reports what happened on the
wire and does what it is told.

Events (``PortEvent.kind`` and the keys of ``PortEvent.data``):

============== ===================================================================== ==================
kind           data                                                                  ports
============== ===================================================================== ==================
ring           ``cadence`` (name or None), ``count`` (bursts so far in this call)    fxo, modem
ring_end       ``count``                                                             fxo, modem
ring_abandoned (none) — no further ring within the cadence's off time plus a margin  fxo, modem
caller_id      ``number``, ``name``, ``datetime`` ("MMDDhhmm"), ``number_absent``,   fxo, modem, sip
               ``name_absent`` ("P"/"O"/None), ``standard``
off_hook       ``parallel`` (True: a parallel phone on an FXO line)                  fxs, fxo
on_hook        (none)                                                                fxs
flash          (none)                                                                fxs
digit          ``digit`` ("0"-"9", "*", "#", "A"-"D"), ``source`` ("dtmf", "pulse",  all
               "mt8870", "modem", "rfc4733"), ``start``, ``end`` (clock seconds)
dial_tone      (none) — dial tone heard after seizing                                fxo, modem
dial_done      ``digits``                                                            fxo, modem
tone           ``tone`` ("busy", "reorder", "ringback", "dial", …)                   fxo, modem
answered       (none) — answer supervision (polarity reversal, SIP 200)              fxo, sip
disconnect     ``reason`` ("loop_drop", "polarity", "busy_tone", "reorder_tone",     fxo, modem, sip
               "dial_tone", "silence", "remote")
fault          ``reason`` (a sentence for a person)                                  all
fault_cleared  (none)                                                                all
============== ===================================================================== ==================

Commands (a port that cannot do one raises :class:`~drivers.errors.PortError`):
``seize()``, ``release()``, ``flash(ms=None)``, ``dial(digits)`` for lines; ``ring(cadence, caller_id=None)``,
``stop_ring()``, ``send_vmwi(active)``, ``open_loop(ms=500)`` for phones. Audio: ``read_frame()`` returns the
next captured frame (what the far side says; detectors run here and may emit events), ``write_frame(frame)``
queues a frame to send. The engine calls both once per 20 ms media tick, on the loop thread.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Mapping, TypeVar

import numpy as np

from drivers.clock import Clock
from drivers.errors import PortError

RATE = 8000
"""Samples per second on every port."""
FRAME_SAMPLES = 160
"""Samples in one audio frame."""
FRAME_SECONDS = FRAME_SAMPLES / RATE
"""Duration of one audio frame (20 ms)."""

SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)
SILENCE.setflags(write=False)

EVENT_KINDS = frozenset({
    "ring", "ring_end", "ring_abandoned", "caller_id", "off_hook", "on_hook", "flash", "digit",
    "dial_tone", "dial_done", "tone", "answered", "disconnect", "fault", "fault_cleared",
})

log = logging.getLogger(__name__)

Listener = Callable[["PortEvent"], None]
E = TypeVar("E")


class Listeners(Generic[E]):
    """The subscribers of one event source (a port, the front panel): ``add(fn)`` returns the function that
    unsubscribes ``fn``; ``notify(event, ...)`` calls each subscriber in turn, and one that raises is logged and
    isolated, so the others still hear the event.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._fns: list[Callable[[E], None]] = []
        self._log = logger

    def add(self, fn: Callable[[E], None]) -> Callable[[], None]:
        self._fns.append(fn)

        def unsubscribe() -> None:
            if fn in self._fns:
                self._fns.remove(fn)

        return unsubscribe

    def notify(self, event: E, failure: str, *args: Any) -> None:
        """Give ``event`` to every subscriber; a failing one is logged as ``failure % args`` with its traceback."""
        for fn in list(self._fns):
            try:
                fn(event)
            except Exception:  # a failing listener is logged and isolated
                self._log.exception(failure, *args)


@dataclass(frozen=True)
class PortEvent:
    """Something that happened on a port, at clock time ``t``."""

    kind: str
    port: str
    t: float
    data: Mapping[str, Any] = field(default_factory=dict)


class Port:
    """Base class of every port: listener bookkeeping, thread-safe emit, refusing commands by default.

    Subclasses must set ``kind`` and override the commands they support, plus ``read_frame``/``write_frame``.
    """

    kind = "port"

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self._listeners: Listeners[PortEvent] = Listeners(log)
        self.fault: str | None = None

    # -- events -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns a function that unsubscribes."""
        return self._listeners.add(listener)

    def emit(self, kind: str, t: float | None = None, **data: Any) -> None:
        """Report an event. Safe from any thread: off the loop thread it is handed to the loop."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown port event kind {kind!r}")
        if kind == "fault":
            self.fault = data.get("reason", "fault")
        elif kind == "fault_cleared":
            self.fault = None
        event = PortEvent(kind, self.name, self.clock.now() if t is None else t, data)
        if self.clock.in_loop_thread():
            self._dispatch(event)
        else:
            self.clock.call_soon_threadsafe(self._dispatch, event)

    def _dispatch(self, event: PortEvent) -> None:
        self._listeners.notify(event, "listener failed on %s event from %s", event.kind, event.port)

    # -- commands (refused unless a subclass supports them) ----------------------------------------
    def _refuse(self, command: str) -> PortError:
        return PortError(f"{self.kind} port {self.name} cannot {command}")

    def seize(self) -> None:
        raise self._refuse("seize")

    def release(self) -> None:
        raise self._refuse("release")

    def flash(self, ms: float | None = None) -> None:
        raise self._refuse("flash")

    def dial(self, digits: str) -> None:
        raise self._refuse("dial")

    def ring(self, cadence: str | None = None, caller_id: Mapping[str, Any] | None = None) -> None:
        raise self._refuse("ring")

    def stop_ring(self) -> None:
        raise self._refuse("stop ringing")

    def send_vmwi(self, active: bool) -> None:
        raise self._refuse("send message-waiting")

    def open_loop(self, ms: float = 500) -> None:
        raise self._refuse("open the loop")

    # -- audio --------------------------------------------------------------------------------------
    def read_frame(self) -> np.ndarray:
        """The next captured 20 ms frame (160 int16). Silence when nothing was captured."""
        return SILENCE

    def write_frame(self, frame: np.ndarray) -> None:
        """Queue 160 int16 samples to send out of the port."""

    # -- lifecycle ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Acquire the hardware (pins, audio device, serial port). Idempotent."""

    def close(self) -> None:
        """Release the hardware and stop any thread this port owns (joined with a timeout)."""

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready view of the port's state for the control API."""
        return {"name": self.name, "kind": self.kind, "fault": self.fault}
