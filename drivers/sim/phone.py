"""A simulated analogue desk phone on an FXS port: hook switch, bell, keypad, rotary dial, handset.

What it is: :class:`SimDeskPhone`, wired to the FXS port's real pins: lifting drives SHK (loop current), the
bell watches RM and F/R (the SLIC's ring mode and the 20/25 Hz reversals), the ``ol`` relay (when fitted)
interrupts the loop as the circuit would, tone dialling is DTMF audio, pulse dialling is SHK breaks
(``pps`` pulses per second, ``break_ratio`` break, ``interdigit_s`` between digits), and the display decodes
the caller-ID and message-waiting FSK the port sends while the phone is on-hook.

Verbs: ``lift()``, ``hang_up()``, ``dial(digits, mode="tone"|"pulse")``, ``flash(ms=600)``, ``speak(seconds)``,
``press(digits)`` (alias of tone dialling); the last four return the seconds they take. State: ``off_hook``, ``ringing``, ``rings`` (bursts heard),
``caller_id`` (the display), ``mwi`` (the lamp), ``heard(seconds)``, ``hears(tone)``.

What it is not: the FXS driver (that is the real :class:`~drivers.fxs.FxsPort` on the other side of the pins).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from drivers.clock import Clock
from drivers.gpio.sim import SimPin
from drivers.port import SILENCE
from drivers.ring import CADENCES, country_cadence
from drivers.sim.audio import Ear, Mouth, PullChannel, speech
from drivers.sim.party import SimStateError

DIAL_MODES = ("tone", "pulse")


class SimDeskPhone:
    """One desk phone."""

    def __init__(self, clock: Clock, port: str, shk: SimPin, rm: SimPin, fr: SimPin, ol: SimPin | None = None,
                 country: str = "US") -> None:
        self.clock = clock
        self.port = port
        self.shk, self.rm, self.fr, self.ol = shk, rm, fr, ol
        self.country = country.upper()
        self.off_hook = False
        self.rings = 0
        self.caller_id: dict[str, Any] | None = None
        self.mwi: bool | None = None
        self.mouth = Mouth()
        self.ear = Ear(clock)
        self.channel = PullChannel(self._next_frame, self._port_frame, name=f"{port}-phone")
        self._rm_fell_at: float | None = None
        self._ring_reversals = 0
        self._loop_open = False
        self._pulse_until = 0.0
        self._said = 0
        self._display: Any = None
        self._display_quiet = 0
        self._longest_off = max(CADENCES[country_cadence(country)][1::2]) / 1000
        self.joined_line: Any = None       # the outside line the lifeline relay joined this phone to
        self._bell = False
        shk.drive_low()
        rm.when_changed(self._rm_edge)
        fr.when_changed(self._fr_edge)
        if ol is not None:
            ol.when_changed(self._ol_edge)

    def __repr__(self) -> str:
        return f"<SimDeskPhone {self.port} {'off' if self.off_hook else 'on'}-hook>"

    # -- the bell -------------------------------------------------------------------------------------------
    def _rm_edge(self, t: float, high: bool) -> None:
        if high:
            if self._rm_fell_at is None or t - self._rm_fell_at > 1.0:
                self.rings += 1
            self._rm_fell_at = None
        else:
            self._rm_fell_at = t

    def _fr_edge(self, t: float, state: bool) -> None:
        if self.rm.state:
            self._ring_reversals += 1

    @property
    def ringing(self) -> bool:
        """The bell is ringing: RM is up, or fell less than the cadence's longest off time ago."""
        if self.off_hook:
            return False
        if self.joined_line is not None:
            return self._bell
        if self.rm.state:
            return True
        return self._rm_fell_at is not None and self.clock.now() - self._rm_fell_at < self._longest_off + 0.3

    @property
    def bell_strikes(self) -> int:
        """F/R reversals seen while RM was up (a ringing phone's clapper strikes)."""
        return self._ring_reversals

    # -- hook switch -----------------------------------------------------------------------------------------
    def lift(self) -> None:
        """Pick up the handset."""
        if self.off_hook:
            return
        self.off_hook = True
        self._rm_fell_at = None
        self.ear.clear()
        self._loop()

    def hang_up(self) -> None:
        """Put the handset down."""
        if not self.off_hook:
            return
        self.off_hook = False
        self.mouth.clear()
        self._loop()

    def _loop(self) -> None:
        """SHK shows loop current: off-hook and the loop not interrupted by the SLIC (or the line, when joined)."""
        if self.joined_line is not None:
            self.shk.drive_low()
            self.joined_line.loop_changed(self.off_hook)
            return
        self.shk.drive(self.off_hook and not self._loop_open)

    def bell(self, ringing: bool) -> None:
        """The line's ring voltage on a phone joined straight to the line."""
        if ringing and not self._bell:
            self.rings += 1
        self._bell = ringing

    def _ol_edge(self, t: float, open_: bool) -> None:
        self._loop_open = open_
        self._loop()

    def flash(self, ms: float = 600) -> float:
        """Press the recall (flash) button: the loop opens for ``ms``. Returns the seconds it takes."""
        self._need_off_hook("flash")
        if self.joined_line is not None:
            self.joined_line.loop_changed(False)
        else:
            self.shk.drive_low()
        self.clock.call_later(ms / 1000, self._loop)
        return ms / 1000

    # -- dialling and talking ------------------------------------------------------------------------------
    def dial(self, digits: str, mode: str = "tone", pps: float = 10.0, break_ratio: float = 0.6,
             interdigit_s: float = 0.7) -> float:
        """Dial ``digits`` by keypad tones or by rotary pulses. Returns the seconds until dialling is over."""
        if mode not in DIAL_MODES:
            raise ValueError(f"dial mode must be one of {DIAL_MODES}, got {mode!r}")
        self._need_off_hook("dial")
        if mode == "tone":
            return self.press(digits)
        if not digits.isdigit():
            raise ValueError(f"a rotary dial has only 0-9, got {digits!r}")
        t = max(self.clock.now(), self._pulse_until) + 0.05
        period = 1.0 / pps
        for digit in digits:
            for k in range(10 if digit == "0" else int(digit)):
                self.clock.call_at(t + k * period, self._pulse_edge, False)
                self.clock.call_at(t + k * period + period * break_ratio, self._pulse_edge, True)
            t += (10 if digit == "0" else int(digit)) * period + interdigit_s
        self._pulse_until = t
        return t - self.clock.now()

    def _pulse_edge(self, make: bool) -> None:
        if self.off_hook:
            if self.joined_line is not None:
                self.joined_line.loop_changed(make)
            else:
                self.shk.drive(make)

    def press(self, digits: str, on_ms: float = 100, off_ms: float = 100) -> float:
        """Press keys on the keypad (DTMF audio). Returns the seconds the presses take."""
        from drivers.dsp.tones import dtmf

        self._need_off_hook("press keys")
        audio = dtmf(digits, on_ms=on_ms, off_ms=off_ms)
        self.mouth.say(audio)
        return len(audio) / 8000

    def speak(self, seconds: float) -> float:
        """Talk into the handset for ``seconds`` (returned)."""
        self._need_off_hook("speak")
        self._said += 1
        self.mouth.say(speech(seconds, seed=100 + self._said))
        return seconds

    def _need_off_hook(self, what: str) -> None:
        if not self.off_hook:
            raise SimStateError(f"the phone on {self.port} is on-hook; lift it before you {what}")

    # -- audio, pulled by the office's media tick --------------------------------------------------------------
    def _next_frame(self) -> np.ndarray | None:
        return self.mouth.next_frame() if self.off_hook else None

    def _port_frame(self, frame: np.ndarray) -> None:
        if self.off_hook:
            self.ear.hear(frame)
            return
        quiet = frame is SILENCE or not frame.any()
        if quiet and self._display is None:
            return
        self._display_quiet = self._display_quiet + 1 if quiet else 0
        self._on_hook_data(frame)
        if self._display_quiet > 50:
            self._display = None      # a second of quiet: the display's receiver rests

    def _on_hook_data(self, frame: np.ndarray) -> None:
        from drivers.dsp.callerid import CallerIdDecoder

        if self._display is None:
            self._display = CallerIdDecoder("auto")
        for message in self._display.feed(frame):
            self.caller_id = message.as_dict()
        if self._display.mwi:
            self.mwi = self._display.mwi[-1][1]

    def heard(self, seconds: float | None = 3.0) -> np.ndarray:
        return self.ear.heard(seconds)

    def hears(self, tone: str) -> bool:
        return self.ear.hears(tone, self.country)

    def snapshot(self) -> dict[str, Any]:
        return {"port": self.port, "off_hook": self.off_hook, "ringing": self.ringing, "rings": self.rings,
                "caller_id": self.caller_id, "mwi": self.mwi}
