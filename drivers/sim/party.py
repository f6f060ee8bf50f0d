"""People outside the office in the simulation: the caller on a line, and the party the office dials.

What it is: :class:`Party` — ``state`` (``ringing``, ``connected``, ``busy``, ``ended``), ``press(digits)`` (real
DTMF audio), ``speak(seconds)`` (both return the seconds they take), ``hang_up(how)``, ``heard(seconds)``, ``hears(tone)``. :class:`OutsideCaller`
rings in through the exchange; :class:`RemoteParty` is who the office reaches when it dials out. Their audio
moves only when the office's media tick pulls it (see :mod:`drivers.sim.audio`).

What it is not: the exchange's switching logic (drivers.sim.exchange) or a port.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from drivers.errors import SwitchboardError
from drivers.sim.audio import Ear, Mouth, speech

if TYPE_CHECKING:
    from drivers.sim.exchange import Exchange
    from drivers.sim.line import SimLine

HANG_UP_WAYS = ("loop_drop", "busy_tone")


class SimStateError(SwitchboardError, RuntimeError):
    """A simulated person was asked to do something their call does not allow (keys on a ringing call)."""


class Party:
    """Someone on the far side of an outside line."""

    role = "party"

    def __init__(self, exchange: "Exchange", number: str | None = None) -> None:
        self.exchange = exchange
        self.number = number
        self.state = "ringing"
        self.line: "SimLine | None" = None
        self.mouth = Mouth()
        self.ear = Ear(exchange.clock)
        self.connected_at: float | None = None
        self.ended_at: float | None = None
        self._said = 0

    def __repr__(self) -> str:
        port = self.line.port if self.line else None
        return f"<{type(self).__name__} {self.number or ''} {self.state} on {port}>"

    @property
    def port(self) -> str | None:
        return self.line.port if self.line is not None else None

    # -- what the person does --------------------------------------------------------------------------
    def press(self, digits: str, on_ms: float = 100, off_ms: float = 100) -> float:
        """Press keys: real DTMF audio down the line. Returns the seconds the key presses take."""
        from drivers.dsp.tones import dtmf

        self._need_connected("press keys")
        return self.send(dtmf(digits, on_ms=on_ms, off_ms=off_ms))

    def speak(self, seconds: float) -> float:
        """Talk for ``seconds`` (returned)."""
        self._need_connected("speak")
        self._said += 1
        return self.send(speech(seconds, seed=self._said))

    def send(self, samples: np.ndarray) -> float:
        """Send arbitrary int16 audio (a fax tone, music ...); returns its length in seconds."""
        self._need_connected("send audio")
        self.mouth.say(np.asarray(samples, dtype=np.int16))
        return len(samples) / 8000

    def hang_up(self, how: str = "loop_drop") -> None:
        """Hang up; a connected line shows it as a loop-current drop or as busy tone from the exchange."""
        if how not in HANG_UP_WAYS:
            raise ValueError(f"hang_up how must be one of {HANG_UP_WAYS}, got {how!r}")
        if self.state == "ended":
            return
        self.mouth.clear()
        previous, self.state = self.state, "ended"
        self.ended_at = self.exchange.clock.now()
        if self.line is not None:
            self.line.party_left(self, previous, how)

    def _need_connected(self, what: str) -> None:
        if self.state != "connected":
            raise SimStateError(f"{self!r} cannot {what}: the call is {self.state}")

    # -- what the person hears ---------------------------------------------------------------------------
    def heard(self, seconds: float | None = 3.0) -> np.ndarray:
        return self.ear.heard(seconds)

    def hears(self, tone: str) -> bool:
        if self.state == "busy":
            return tone == "busy"
        return self.ear.hears(tone, self.exchange.country)

    # -- exchange side -------------------------------------------------------------------------------------
    def _connected(self) -> None:
        self.state = "connected"
        self.connected_at = self.exchange.clock.now()

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "state": self.state, "port": self.port}


class OutsideCaller(Party):
    """A caller ringing into the office. ``caller_id`` is what the exchange sends between the rings."""

    role = "caller"

    def __init__(self, exchange: "Exchange", caller_id: dict[str, Any] | None = None) -> None:
        super().__init__(exchange, (caller_id or {}).get("number"))
        self.caller_id = caller_id


class RemoteParty(Party):
    """Whoever the office reaches by dialling out."""

    role = "remote"
