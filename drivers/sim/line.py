"""One simulated phone-company line into the office, as the exchange sees it.

What it is: :class:`SimLine`, wired to an FXO port's pins and audio: it rings the ring input with opto pulses
in the country cadence, sends caller ID in the country's way, watches the line relay (and a phone joined by the
lifeline relay) as loop closures, gives dial tone, decodes dialled DTMF, routes to a remote party, and shows
far-end hang-ups as a loop-current drop or busy tone. See :mod:`drivers.sim.exchange` for the whole picture.

What it is not: the hunt group or the number plan (that is :class:`~drivers.sim.exchange.Exchange`).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from drivers.clock import Timer
from drivers.gpio.sim import SimFactory, SimPin
from drivers.line_audio import caller_id_audio, cid_mode
from drivers.ring import CADENCES, country_cadence, ring_frequency
from drivers.sim.audio import Ear, Mouth, PullChannel
from drivers.sim.party import OutsideCaller, Party, RemoteParty
from drivers.sim.ringer import RingSignal

if TYPE_CHECKING:
    from drivers.sim.exchange import Exchange

log = logging.getLogger(__name__)

class SimLine:
    """One phone-company line, as the exchange sees it, wired to an FXO port's pins and audio."""

    def __init__(self, exchange: "Exchange", port: str, relay: SimPin, ring: SimPin, loop: SimPin | None,
                 polarity: SimPin | None) -> None:
        self.exchange = exchange
        self.clock = exchange.clock
        self.port = port
        self.relay, self.ring_pin, self.loop, self.polarity = relay, ring, loop, polarity
        self.state = "idle"       # idle | ringing | connected | dialtone | calling | busy | remote | gone
        self.party: Party | None = None
        self.digits = ""
        self.flashes = 0
        self.seized = False
        self.mouth = Mouth()          # what the exchange itself sends (tones, caller ID)
        self.ear = Ear(self.clock)    # what the office sent down the line
        self.channel = PullChannel(self._next_frame, self._office_frame, name=f"{port}-line")
        self._signal: RingSignal | None = None
        self._timers: list[Timer] = []
        self._release_timer: Timer | None = None
        self._dtmf: Any = None
        self._digit_timer: Timer | None = None
        self._reversed = False
        self._loop_closed = False
        self._bell: SimPin | None = None
        self.in_use: SimPin | None = None      # the box's line-voltage sensor, when the board has one
        self.parallel_off_hook = False
        self.joined_phone: Any = None        # a desk phone joined by the lifeline relay (the box is bypassed)
        relay.when_changed(self._relay_edge)

    def __repr__(self) -> str:
        return f"<SimLine {self.port} {self.state}>"

    @property
    def free(self) -> bool:
        return self.state == "idle" and not self.seized

    # -- audio, pulled by the office's media tick ----------------------------------------------------------
    def _next_frame(self) -> np.ndarray | None:
        frame = self.mouth.next_frame()
        if self.party is not None and self.party.state == "connected" and self.state in ("connected", "remote"):
            spoken = self.party.mouth.next_frame()
            if spoken is not None:
                frame = spoken if frame is None else np.clip(frame.astype(np.int32) + spoken, -32768,
                                                             32767).astype(np.int16)
        return frame

    def _office_frame(self, frame: np.ndarray) -> None:
        if not self.seized:
            return
        self.ear.hear(frame)
        if self.party is not None and self.state in ("connected", "remote"):
            self.party.ear.hear(frame)
        elif self.state == "dialtone" and self._dtmf is not None:
            for event in self._dtmf.feed(frame):
                if event.kind == "start":
                    self._digit(event.digit)

    # -- ringing in ---------------------------------------------------------------------------------------------
    def offer(self, caller: OutsideCaller) -> None:
        self.state = "ringing"
        self.party = caller
        caller.line = self
        country = self.exchange.country
        name = country_cadence(country)
        hz = ring_frequency(country)
        first_group = len(CADENCES[name]) // 2
        if self.joined_phone is not None:
            self.joined_phone.bell(True)
        pin = self.ring_pin if self.joined_phone is None else self._bell_pin()
        self._signal = RingSignal(self.clock, pin, CADENCES[name], hz=hz,
                                  on_burst_end=lambda n: n == first_group and self._after_first_ring())
        standard, when = cid_mode(country)
        if caller.caller_id is not None and when == "before" and self.polarity is not None:
            self._pre_ring_caller_id(standard)
        else:
            self._signal.start()

    def _bell_pin(self) -> SimPin:
        """While a phone is joined by the lifeline the ring voltage goes to its bell, not to the box's opto."""
        if self._bell is None:
            self._bell = SimFactory(self.clock).pin(0, "in", pull="up")  # type: ignore[assignment]
        return self._bell  # type: ignore[return-value]

    def _after_first_ring(self) -> None:
        caller = self.party
        if caller is None or self.state != "ringing" or caller.caller_id is None:
            return
        standard, when = cid_mode(self.exchange.country)
        if when == "before" and self.polarity is not None:
            return
        self._timers.append(self.clock.call_later(0.5, self._send_caller_id, standard))

    def _send_caller_id(self, standard: str, alert: bool = False) -> float:
        """Send the caller's ID now; returns how long it lasts (0 when the call is no longer ringing)."""
        if self.state != "ringing" or self.party is None:
            return 0.0
        stamp = self.clock.wall().astimezone(self.exchange.tz).strftime("%m%d%H%M")
        audio = caller_id_audio(self.party.caller_id or {}, standard, stamp, alert=alert)
        self.mouth.say(audio)
        return len(audio) / 8000

    def _pre_ring_caller_id(self, standard: str) -> None:
        """ETSI (UK SIN227): line reversal, DT-AS alert (FSK only), caller ID, then the first ring."""
        self._reverse(True)
        self._timers.append(self.clock.call_later(0.3, self._alert_and_cid, standard))

    def _alert_and_cid(self, standard: str) -> None:
        lasts = self._send_caller_id(standard, alert=standard != "dtmf")
        if lasts:
            self._timers.append(self.clock.call_later(lasts + 0.5, self._start_ring_after_cid))

    def _start_ring_after_cid(self) -> None:
        self._reverse(False)
        if self.state == "ringing" and self._signal is not None:
            self._signal.start()

    def _stop_ringing(self) -> None:
        if self.joined_phone is not None:
            self.joined_phone.bell(False)
        if self._signal is not None:
            self._signal.stop()
            self._signal = None
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    # -- the office's loop -----------------------------------------------------------------------------------
    def _relay_edge(self, t: float, closed: bool) -> None:
        if self.joined_phone is None:
            self.loop_changed(closed)

    def loop_changed(self, closed: bool) -> None:
        """The loop on the line closed (off-hook) or opened — by the box's relay or a joined phone."""
        if closed == self._loop_closed:
            return
        self._loop_closed = closed
        if closed:
            if self._release_timer is not None:      # back within release_s: a hook flash
                self._release_timer.cancel()
                self._release_timer = None
                self.flashes += 1
                self._set_loop(True)
                return
            self.seized = True
            self._set_loop(True)
            self._seized()
        else:
            self._set_loop(False)
            self._release_timer = self.clock.call_later(self.exchange.release_s, self._released)

    def _seized(self) -> None:
        if self.state == "ringing" and self.party is not None:
            self._stop_ringing()
            self.mouth.clear()
            self.state = "connected"
            self.party._connected()
            return
        if self.state == "idle":
            self._dial_tone()

    def _released(self) -> None:
        self._release_timer = None
        self.seized = False
        party, self.party = self.party, None
        if party is not None and party.state in ("connected", "ringing"):
            party.state = "ended"
            party.ended_at = self.clock.now()
        self._idle()

    def _idle(self) -> None:
        self._stop_ringing()
        self.mouth.clear()
        self.state = "idle"
        self.digits = ""
        self._dtmf = None
        if self._digit_timer is not None:
            self._digit_timer.cancel()
            self._digit_timer = None
        self._reverse(False)

    def _set_loop(self, current: bool) -> None:
        if self.loop is not None:
            self.loop.drive(current)

    def _reverse(self, reversed_: bool) -> None:
        if self.polarity is not None and reversed_ != self._reversed:
            self._reversed = reversed_
            self.polarity.drive(reversed_)

    # -- dialling out -------------------------------------------------------------------------------------------
    def _dial_tone(self) -> None:
        from drivers.dsp.dtmf import DtmfDetector
        from drivers.dsp.tones import ToneGenerator

        self.state = "dialtone"
        self.digits = ""
        self._dtmf = DtmfDetector()
        self.mouth.play(ToneGenerator(self.exchange.country, "dial").read)

    def _digit(self, digit: str) -> None:
        if not self.digits:
            self.mouth.play(None)
        self.digits += digit
        if self._digit_timer is not None:
            self._digit_timer.cancel()
        self._digit_timer = self.clock.call_later(self.exchange.inter_digit_s, self._number_complete)

    def _number_complete(self) -> None:
        from drivers.dsp.tones import ToneGenerator

        self._digit_timer = None
        if self.state != "dialtone":
            return
        number, settings = self.digits, self.exchange.remote(self.digits)
        party = RemoteParty(self.exchange, number)
        party.line = self
        self.party = party
        self.exchange.dialled.append((self.port, number, party))
        self._dtmf = None
        if settings.busy:
            self.state = "busy"
            party.state = "busy"
            self.mouth.play(ToneGenerator(self.exchange.country, "busy").read)
            return
        self.state = "calling"
        self.mouth.play(ToneGenerator(self.exchange.country, "ringback").read)
        if not settings.no_answer:
            self._timers.append(self.clock.call_later(settings.answer_after, self._remote_answers))

    def _remote_answers(self) -> None:
        if self.state != "calling" or self.party is None:
            return
        self.mouth.play(None)
        self.state = "remote"
        self.party._connected()
        if self.exchange.answer_supervision:
            self._reverse(True)

    # -- the far end hangs up -------------------------------------------------------------------------------------
    def party_left(self, party: Party, previous: str, how: str) -> None:
        if party is not self.party:
            return
        if previous == "ringing" and self.state == "ringing":
            self.party = None
            self._idle()
            return
        if self.state not in ("connected", "remote", "calling", "busy"):
            return
        self.state = "gone"
        if how == "loop_drop":
            self._cpc()
        else:
            from drivers.dsp.tones import ToneGenerator

            self.mouth.play(ToneGenerator(self.exchange.country, "busy").read)

    def _cpc(self) -> None:
        """Calling-party control: the loop current drops for ``cpc_s``, then silence, then dial tone."""
        if self.loop is not None:
            self._set_loop(False)
            self._timers.append(self.clock.call_later(self.exchange.cpc_s, self._after_cpc))
        elif self.polarity is not None:
            self._reverse(not self._reversed)
        else:
            from drivers.dsp.tones import ToneGenerator

            self.mouth.play(ToneGenerator(self.exchange.country, "busy").read)

    def _after_cpc(self) -> None:
        if self.seized:
            self._set_loop(True)
            self._timers.append(self.clock.call_later(self.exchange.dial_tone_after_cpc_s, self._permanent_signal))

    def _permanent_signal(self) -> None:
        from drivers.dsp.tones import ToneGenerator

        if self.seized and self.state == "gone":
            self.mouth.play(ToneGenerator(self.exchange.country, "dial").read)

    # -- a second phone on the same pair (an extension socket in the office) ---------------------------------
    def parallel_lift(self) -> None:
        """Someone lifts a phone wired in parallel on this line: the line voltage drops below 15 V."""
        self.parallel_off_hook = True
        if self.in_use is not None:
            self.in_use.drive_high()

    def parallel_hang_up(self) -> None:
        self.parallel_off_hook = False
        if self.in_use is not None:
            self.in_use.drive_low()

    def snapshot(self) -> dict[str, Any]:
        return {"port": self.port, "state": self.state, "seized": self.seized,
                "party": self.party.snapshot() if self.party else None}
