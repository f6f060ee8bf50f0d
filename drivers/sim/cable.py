"""A cable between an FXS port and an FXO port of the same box, in simulation: the bench loopback rig.

What it is: :class:`LoopbackCable`, which joins the SLIC pins of an FXS port to the line-interface pins of an FXO
port the way a two-wire cable between the two jacks would: ring voltage from the SLIC (RM up, F/R reversing)
becomes opto pulses on the FXO ring input (one per reversal: a full-wave opto sees both half-cycles); the FXO
relay closing the loop gives the SLIC loop current (SHK) and the FXO its loop-current input; the line polarity
the FXO senses is the SLIC's F/R; audio written by either port is what the other captures, one tick later.

The same rig exists on a real board — a cord between the FXS and FXO jacks — which is how the line-driver
contract suite (tests/drivers/test_line_contract.py) runs against real hardware.

What it is not: a model of line impedance, ring voltage or level loss.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np

from drivers.clock import Clock
from drivers.gpio.sim import SimFactory, SimPin
from drivers.sim.audio import PullChannel

OPTO_PULSE_S = 0.006


class AudioWire:
    """Two pull channels whose playback is the other's capture (one 20 ms frame of delay).

    ``fxs_tap(frame)``, when set, hears every frame arriving at the FXS side (a DTMF decoder chip on that port).
    """

    def __init__(self, depth: int = 25) -> None:
        self._to_fxo: deque[np.ndarray] = deque(maxlen=depth)
        self._to_fxs: deque[np.ndarray] = deque(maxlen=depth)
        self.fxs_tap: Callable[[np.ndarray | None], None] | None = None
        self.fxs_end = PullChannel(self._fxs_hears, self._to_fxo.append, name="cable-fxs")
        self.fxo_end = PullChannel(lambda: _pop(self._to_fxo), self._to_fxs.append, name="cable-fxo")

    def _fxs_hears(self) -> np.ndarray | None:
        frame = _pop(self._to_fxs)
        if self.fxs_tap is not None:
            self.fxs_tap(frame)
        return frame


def _pop(queue: deque[np.ndarray]) -> np.ndarray | None:
    return queue.popleft() if queue else None


class LoopbackCable:
    """Joins FXS pins (shk, rm, fr) to FXO pins (relay, ring, loop, polarity) through the circuit rules above."""

    def __init__(self, clock: Clock, factory: SimFactory, fxs: dict[str, int], fxo: dict[str, int | None]) -> None:
        self.clock = clock
        pins = factory.pins
        self.shk: SimPin = pins[fxs["shk"]]  # type: ignore[assignment]
        self.rm: SimPin = pins[fxs["rm"]]  # type: ignore[assignment]
        self.fr: SimPin = pins[fxs["fr"]]  # type: ignore[assignment]
        self.relay: SimPin = pins[fxo["relay"]]  # type: ignore[index,assignment]
        self.ring: SimPin = pins[fxo["ring"]]  # type: ignore[index,assignment]
        self.loop: SimPin | None = pins.get(fxo["loop"]) if fxo.get("loop") is not None else None  # type: ignore[assignment,arg-type]
        self.polarity: SimPin | None = pins.get(fxo["polarity"]) if fxo.get("polarity") is not None else None  # type: ignore[assignment,arg-type]
        self.shk.drive_low()
        self.ring.drive_high()
        self.fr.when_changed(self._fr_edge)
        self.rm.when_changed(lambda t, level: self._loop())
        self.relay.when_changed(lambda t, level: self._loop())

    def _fr_edge(self, t: float, level: bool) -> None:
        if self.rm.state:
            self.ring.drive_low()                 # the opto conducts on this half-cycle
            self.clock.call_later(OPTO_PULSE_S, self.ring.drive_high)
        elif self.polarity is not None:
            self.polarity.drive(level)

    def _loop(self) -> None:
        closed = self.relay.state and not self.rm.state
        self.shk.drive(self.relay.state)          # a closed loop trips the ring too
        if self.loop is not None:
            self.loop.drive(closed)
