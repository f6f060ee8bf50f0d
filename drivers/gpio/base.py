"""The GPIO pin interface every line, ring, hook, DTMF and panel driver talks to.

What it is: :class:`Pin` (one BCM-numbered line: input with pull and edge callbacks carrying clock
timestamps, or output) and :class:`PinFactory` (opens pins for one backend). Drivers never import a GPIO
library; they ask a factory, chosen in one place (:func:`drivers.gpio.open_factory`).

What it is not: a device. Pins know levels and edges; what an edge *means* (a ring pulse, a hook break) is
the business of :mod:`drivers.ring`, :mod:`drivers.hook` and friends.

A subclass **must** override ``_read``, ``_write`` and ``_arm`` (start delivering edges) and **may** override
``_disarm`` and ``_release``. Edge callbacks are ``fn(t, state)``: ``t`` is clock seconds (the injected
clock's ``now()``), ``state`` the new level (True = high). Callbacks run on the loop thread: a backend whose
library calls back from its own thread hands the edge over with ``clock.call_soon_threadsafe``.
"""
from __future__ import annotations

import logging
from typing import Callable

from drivers.clock import Clock
from drivers.errors import HardwareError

log = logging.getLogger(__name__)

EdgeCallback = Callable[[float, bool], None]
"""``fn(t, state)``: clock time of the edge and the new level."""

PULLS = (None, "up", "down")
MODES = ("in", "out")


class Pin:
    """One GPIO line. Open it with :meth:`PinFactory.pin`."""

    def __init__(self, factory: "PinFactory", number: int, mode: str, pull: str | None = None,
                 initial: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"pin mode must be one of {MODES}, got {mode!r}")
        if pull not in PULLS:
            raise ValueError(f"pin pull must be one of {PULLS}, got {pull!r}")
        if mode == "out" and pull is not None:
            raise ValueError(f"GPIO{number}: an output takes no pull resistor")
        self.factory = factory
        self.number = number
        self.mode = mode
        self.pull = pull
        self.closed = False
        self._callbacks: list[EdgeCallback] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} GPIO{self.number} {self.mode}>"

    # -- state ----------------------------------------------------------------------------------
    @property
    def state(self) -> bool:
        """The current level (True = high). Raises :class:`HardwareError` when the pin is unusable."""
        self._check_open()
        return self._read()

    @state.setter
    def state(self, value: bool) -> None:
        self.set(value)

    def set(self, value: bool) -> None:
        """Drive an output high (True) or low (False)."""
        self._check_open()
        if self.mode != "out":
            raise HardwareError(f"GPIO{self.number} is an input; it cannot be driven")
        self._write(bool(value))

    def write(self, level: bool) -> None:
        """The same as :meth:`set` (the name relay owners such as firmware/lifeline.py use)."""
        self.set(level)

    # -- edges ----------------------------------------------------------------------------------
    def when_changed(self, fn: EdgeCallback) -> Callable[[], None]:
        """Call ``fn(t, state)`` on every edge; returns a function that stops it."""
        self._check_open()
        first = not self._callbacks
        self._callbacks.append(fn)
        if first:
            self._arm()

        def stop() -> None:
            if fn in self._callbacks:
                self._callbacks.remove(fn)
                if not self._callbacks and not self.closed:
                    self._disarm()

        return stop

    def _fire(self, t: float, state: bool) -> None:
        for fn in list(self._callbacks):
            try:
                fn(t, state)
            except Exception:  # one failing listener must not silence the others
                log.exception("edge callback failed on GPIO%d", self.number)

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop edges and release the line (an output is left low). Idempotent."""
        if self.closed:
            return
        if self._callbacks:
            self._disarm()
        self._callbacks.clear()
        self._release()
        self.closed = True
        self.factory._forget(self)

    def _check_open(self) -> None:
        if self.closed:
            raise HardwareError(f"GPIO{self.number} is closed")

    # -- backend hooks ----------------------------------------------------------------------------
    def _read(self) -> bool:
        raise NotImplementedError

    def _write(self, value: bool) -> None:
        raise NotImplementedError

    def _arm(self) -> None:
        raise NotImplementedError

    def _disarm(self) -> None:
        """Stop delivering edges (default: nothing to do)."""

    def _release(self) -> None:
        """Give the line back to the system (default: nothing to do)."""


class PinFactory:
    """Opens pins of one backend; one factory per board. ``name`` is the backend's configuration name."""

    name = "base"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.pins: dict[int, Pin] = {}

    def pin(self, number: int, mode: str = "in", pull: str | None = None, initial: bool = False) -> Pin:
        """Open GPIO ``number`` (BCM numbering). A pin can be opened once per factory."""
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 53:
            raise ValueError(f"GPIO numbers are BCM 0-53, got {number!r}")
        if number in self.pins:
            raise HardwareError(f"GPIO{number} is already in use by {self.pins[number]!r}; "
                                "check the board profile for a pin given twice")
        pin = self._open(number, mode, pull, initial)
        self.pins[number] = pin
        return pin

    def _open(self, number: int, mode: str, pull: str | None, initial: bool) -> Pin:
        raise NotImplementedError

    def _forget(self, pin: Pin) -> None:
        if self.pins.get(pin.number) is pin:
            del self.pins[pin.number]

    def close(self) -> None:
        """Close every pin this factory opened."""
        for pin in list(self.pins.values()):
            pin.close()
