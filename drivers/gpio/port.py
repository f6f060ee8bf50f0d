"""A port built on GPIO signals and an audio channel: what FXO and FXS ports share about failing hardware.

What it is: :class:`PinPort`, a :class:`~drivers.port.Port` base that drives and reads its
:class:`~drivers.gpio.board.Signal` lines without letting a dead pin raise into the engine, turns a failing pin
or audio device into one ``fault`` event (and ``fault_cleared`` when it works again), and checks its pins every
``health_interval_s`` from the media tick (:meth:`PinPort.tick_health`), so a board that was pulled is noticed
even while nothing is being switched.

Subclasses set ``hardware`` (how a person names the failing part, e.g. "the SLIC") and ``signals()``; they may
override :meth:`PinPort.on_hardware_fault` to stop what they were doing.

What it is not: a driver of any particular circuit.
"""
from __future__ import annotations

from typing import Iterable

from drivers.clock import Clock
from drivers.errors import HardwareError
from drivers.gpio.board import Signal
from drivers.port import FRAME_SECONDS, Port


class PinPort(Port):
    """Fault handling for ports on GPIO pins and an audio channel."""

    hardware = "the port's board"

    def __init__(self, name: str, clock: Clock, health_interval_s: float = 1.0) -> None:
        super().__init__(name, clock)
        self._health_every = max(1, int(round(health_interval_s / FRAME_SECONDS)))
        self._ticks = 0
        self._pin_fault = False

    def signals(self) -> Iterable[Signal]:
        """Every signal of this port (for the health check)."""
        return ()

    # -- pins ---------------------------------------------------------------------------------------------
    def _drive(self, signal: Signal, active: bool) -> bool:
        """Set ``signal``; False (and a fault) when the pin does not respond."""
        try:
            signal.set(active)
            return True
        except HardwareError as exc:
            self._hardware_fault(exc)
            return False

    def _safe_active(self, signal: Signal) -> bool:
        try:
            return signal.active
        except HardwareError as exc:
            self._hardware_fault(exc)
            return False

    def _hardware_fault(self, exc: Exception) -> None:
        self.on_hardware_fault()
        self._pin_fault = True
        if self.fault is None:
            self.emit("fault", reason=f"{self.hardware} of {self.name} does not respond ({exc}); check its board")

    def on_hardware_fault(self) -> None:
        """Stop whatever the port was doing with its pins (default: nothing)."""

    def tick_health(self) -> None:
        """Call once per media tick: every ``health_interval_s`` the pins are read back."""
        self._ticks += 1
        if self._ticks % self._health_every:
            return
        try:
            for signal in self.signals():
                signal.pin.state
        except HardwareError as exc:
            self._hardware_fault(exc)
            return
        if self._pin_fault:
            self._pin_fault = False
            if self.fault is not None:
                self.emit("fault_cleared")

    # -- audio --------------------------------------------------------------------------------------------
    def _audio_fault(self, reason: str | None) -> None:
        """The audio channel's ``on_fault``: a sentence when the device failed, None when it is back."""
        if reason is None:
            if self.fault is not None:
                self.emit("fault_cleared")
        elif self.fault is None:
            self.emit("fault", reason=f"{self.name} audio: {reason}")
