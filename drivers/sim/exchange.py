"""The simulated phone company: lines into the office, a hunt group, ringing, caller ID, dial tone, and the
people at the other end.

What it is: :class:`Exchange` with one :class:`SimLine` per FXO port. It works the office's real FXO drivers at
the lowest level that makes sense: ring voltage as opto pulses on the ring input (:class:`RingSignal`, country
cadence and frequency), loop current and polarity on the sensing inputs, the line relay watched as the
circuit would see it, and audio samples: caller ID in the country's way (:func:`drivers.line_audio.cid_mode`: Bell 202
or V.23 FSK between ring 1 and ring 2; V.23 after a polarity reversal and DT-AS before the first ring in the UK
and Ireland; DTMF after a reversal before the first ring in Denmark, Sweden, the Netherlands ...), dial tone,
ringback, busy, DTMF, speech.

* ``call_in(port=None, caller_id=None) -> OutsideCaller``: no port → the telco hunt group rings the first free
  line in configured order; every line busy → the caller hears busy (``state == "busy"``).
* A seized idle line hears dial tone; dialled DTMF is decoded (drivers.dsp DtmfDetector); after
  ``inter_digit_s`` without a digit the number is complete and routed to ``remote(number)`` settings:
  ``answer_after`` seconds (ringback meanwhile; the answer reverses polarity when ``answer_supervision``),
  ``busy`` (busy tone) or ``no_answer`` (ringback forever). Unknown numbers answer after 3 s.
* The office opening its loop for longer than ``release_s`` ends the call; shorter is a hook flash (counted in
  ``line.flashes``).

What it is not: a telephone network. One call per line, no glare resolution beyond what the relay shows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from drivers.clock import Clock
from drivers.sim.line import SimLine
from drivers.sim.party import OutsideCaller, RemoteParty

log = logging.getLogger(__name__)


@dataclass
class RemoteSettings:
    """How a dialled number behaves."""

    answer_after: float = 3.0
    busy: bool = False
    no_answer: bool = False


class Exchange:
    """The phone company's side of every line into the office."""

    def __init__(self, clock: Clock, country: str = "US", tz: tzinfo | None = None) -> None:
        self.clock = clock
        self.country = country.upper()
        self.tz = tz                      # caller-ID dates are the office's local time
        self.lines: dict[str, SimLine] = {}
        self.hunt: list[str] = []
        self.remotes: dict[str, RemoteSettings] = {}
        self.default_remote = RemoteSettings()
        self.dialled: list[tuple[str, str, RemoteParty]] = []
        self.callers: list[OutsideCaller] = []
        self.release_s = 1.0
        self.cpc_s = 0.8
        self.dial_tone_after_cpc_s = 4.0
        self.inter_digit_s = 3.0
        self.answer_supervision = True

    def add_line(self, line: SimLine) -> None:
        self.lines[line.port] = line
        self.hunt.append(line.port)

    def call_in(self, port: str | None = None, caller_id: dict[str, Any] | None = None) -> OutsideCaller:
        """A caller rings the office (on ``port``, or the first free line of the hunt group)."""
        caller = OutsideCaller(self, caller_id)
        self.callers.append(caller)
        if port is not None:
            if port not in self.lines:
                raise KeyError(f"the exchange has no line on {port!r}; lines: {', '.join(self.lines)}")
            line: SimLine | None = self.lines[port] if self.lines[port].free else None
        else:
            line = next((self.lines[p] for p in self.hunt if self.lines[p].free), None)
        if line is None:
            caller.state = "busy"
            return caller
        line.offer(caller)
        return caller

    def remote(self, number: str, answer_after: float | None = None, busy: bool | None = None,
               no_answer: bool | None = None) -> RemoteSettings:
        """How ``number`` behaves when dialled; with arguments, set it."""
        settings = self.remotes.get(number)
        if answer_after is None and busy is None and no_answer is None:
            return settings or self.default_remote
        settings = settings or RemoteSettings()
        if answer_after is not None:
            settings.answer_after = answer_after
        if busy is not None:
            settings.busy = busy
        if no_answer is not None:
            settings.no_answer = no_answer
        self.remotes[number] = settings
        return settings

    def last_dialled(self, number: str | None = None) -> RemoteParty | None:
        for _, dialled, party in reversed(self.dialled):
            if number is None or dialled == number:
                return party
        return None

    def close(self) -> None:
        for line in self.lines.values():
            line._stop_ringing()
            if line._digit_timer is not None:
                line._digit_timer.cancel()
            if line._release_timer is not None:
                line._release_timer.cancel()

    def snapshot(self) -> dict[str, Any]:
        return {port: line.snapshot() for port, line in self.lines.items()}
