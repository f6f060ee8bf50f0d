"""The simulated GPIO backend (``board.gpio_backend: sim``): pins that behave like the circuit.

What it is: :class:`SimFactory` and :class:`SimPin`. An input reads its pull level (pull-up → high) until the
outside world drives it; an output reads what the driver set. Every level change is stamped with the injected
clock and kept in ``history``; edge callbacks fire at once, on the caller's thread (the loop thread in the
simulated office). Outputs fire edge callbacks too, so the simulated world can watch a relay or a ring-mode
line the way the circuit on the other side of the pin would.

Circuits: ``SimFactory.connect(out, in)`` wires an output to an input (a loopback, like gpiozero's
``MockConnectedPin``).

Test verbs: ``drive_high()``, ``drive_low()``, ``release()`` (stop driving: back to the pull level),
``pulse(seconds, level)``, ``history``, ``assert_states([...])``, ``unplug(reason)`` / ``plug()`` (the device
behind the pin is gone: reads, writes and edges fail with :class:`~drivers.errors.HardwareError`).

What it is not: a timing model of the silicon. Edges arrive exactly when driven, with no bounce unless a test
makes one.
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Sequence

from drivers.clock import Clock
from drivers.errors import HardwareError
from drivers.gpio.base import Pin, PinFactory

HISTORY_DEPTH = 4096
"""Level changes kept per pin (oldest dropped first)."""


class SimPin(Pin):
    """A simulated GPIO line with test verbs."""

    def __init__(self, factory: "SimFactory", number: int, mode: str, pull: str | None = None,
                 initial: bool = False) -> None:
        super().__init__(factory, number, mode, pull, initial)
        self.clock = factory.clock
        self._driven: bool | None = None
        self._out = bool(initial)
        self.fault: str | None = None
        self.history: deque[tuple[float, bool]] = deque(maxlen=HISTORY_DEPTH)
        self.history.append((self.clock.now(), self._level()))

    # -- the circuit ----------------------------------------------------------------------------
    def _level(self) -> bool:
        if self.mode == "out":
            return self._out
        if self._driven is not None:
            return self._driven
        return self.pull == "up"

    def _change(self, mutate: Callable[[], None]) -> None:
        before = self._level()
        mutate()
        after = self._level()
        if after != before:
            t = self.clock.now()
            self.history.append((t, after))
            if self.fault is None:
                self._fire(t, after)

    def _read(self) -> bool:
        if self.fault is not None:
            raise HardwareError(f"GPIO{self.number}: {self.fault}")
        return self._level()

    def _write(self, value: bool) -> None:
        if self.fault is not None:
            raise HardwareError(f"GPIO{self.number}: {self.fault}")
        self._change(lambda: setattr(self, "_out", value))

    def _arm(self) -> None:
        if self.fault is not None:
            raise HardwareError(f"GPIO{self.number}: {self.fault}")

    # -- test verbs -------------------------------------------------------------------------------
    def drive_high(self) -> None:
        """The outside circuit pulls the input high."""
        self._drive(True)

    def drive_low(self) -> None:
        """The outside circuit pulls the input low."""
        self._drive(False)

    def drive(self, level: bool) -> None:
        self._drive(bool(level))

    def release(self) -> None:
        """The outside circuit lets go: the input returns to its pull level."""
        self._check_input()
        self._change(lambda: setattr(self, "_driven", None))

    def _drive(self, level: bool) -> None:
        self._check_input()
        self._change(lambda: setattr(self, "_driven", level))

    def _check_input(self) -> None:
        if self.mode != "in":
            raise HardwareError(f"GPIO{self.number} is an output; the outside world cannot drive it")

    def pulse(self, seconds: float, level: bool = False) -> None:
        """Drive ``level`` now and the opposite level ``seconds`` later (clock time)."""
        self._drive(level)
        self.clock.call_later(seconds, self._drive, not level)

    def assert_states(self, expected: Sequence[bool]) -> None:
        """Assert the sequence of levels this pin has had (oldest first, starting with the opening level)."""
        actual = [state for _, state in self.history]
        assert actual == list(expected), f"GPIO{self.number} levels were {actual}, expected {list(expected)}"

    def unplug(self, reason: str = "the device on this pin stopped responding") -> None:
        """The hardware behind the pin is gone: every access now raises HardwareError."""
        self.fault = reason

    def plug(self) -> None:
        """The hardware is back."""
        self.fault = None


class SimFactory(PinFactory):
    """Opens :class:`SimPin` lines on the injected clock."""

    name = "sim"

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)

    def _open(self, number: int, mode: str, pull: str | None, initial: bool) -> SimPin:
        return SimPin(self, number, mode, pull, initial)

    def connect(self, output: int, inputs: int) -> None:
        """Wire output pin ``output`` to input pin ``inputs`` (both open): the input follows the output."""
        out, into = self.pins[output], self.pins[inputs]
        assert isinstance(into, SimPin)
        into.drive(out.state)
        out.when_changed(lambda t, state: into.drive(state))
