"""The FXO port: a phone-company line through a line relay, a ring opto-coupler and optional line sensing.

What it is: :class:`FxoPort`, a :class:`~drivers.port.Port` that

* seizes and releases the line relay; refuses nothing a line can do, and keeps the line on-hook at least
  ``reseize_guard_s`` after a release (a seize inside the guard happens when it ends);
* reports rings from :class:`~drivers.ring.RingDetector` (``ring``, ``ring_end``, ``ring_abandoned``);
* captures caller ID: between the first and second ring (Bell 202 or V.23 FSK, or DTMF), and before the first
  ring after an on-hook polarity reversal (ETSI: reversal, DT-AS alert, FSK) — one ``caller_id`` per call; a
  board without polarity sensing in a country that sends caller ID before the ring listens on the idle line
  whenever it carries sound (``cid_idle_listen``);
* hook flash out (``flash(ms)``, ``flash_ms`` = 750 by default);
* ``dial(digits)``: DTMF at ``dtmf_level_dbm0`` and ``dtmf_on_ms``/``dtmf_off_ms``, sent once dial tone has been
  heard after seizing or ``dial_tone_timeout_s`` has passed; ``dial_tone`` when it is heard, ``dial_done`` when
  the digits are out; digits the far end sends are reported (``digit``, source ``dtmf``);
* disconnect supervision while seized: loop-current drop longer than ``loop_drop_ms`` (when a loop sensor is
  fitted), a polarity reversal more than ``polarity_answer_delay_ms`` after the answer reversal, busy or reorder
  tone, dial tone after the call was up, and ``silence_timeout_s`` of silence; the first reversal after an
  outgoing seizure is ``answered``;
* a parallel phone lifted on the same line (``in_use`` sensor): ``off_hook``/``on_hook`` with ``parallel``;
* a pin or audio device that fails is a ``fault``; the other ports keep serving.

What it is not: policy (when to answer, which line to hunt) or the tone detectors themselves (drivers.dsp).
Timing knobs: :class:`FxoTiming` and :class:`~drivers.ring.RingTiming`, from ``board.ports.fxoN``.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

import numpy as np

from drivers.audio.base import AudioChannel
from drivers.clock import Clock, Timer
from drivers.errors import ConfigError, PortError
from drivers.line_audio import DtmfListener, Outbox, ToneListener, cid_mode, dtmf_audio
from drivers.gpio.base import PinFactory
from drivers.gpio.board import Signal, check_options, port_spec, timing
from drivers.gpio.port import PinPort
from drivers.line_timing import FxoTiming
from drivers.port import FRAME_SECONDS, SILENCE
from drivers.ring import RingDetector, RingTiming

log = logging.getLogger(__name__)

DIAL_CHARS = frozenset("0123456789*#ABCDabcd,")


class FxoPort(PinPort):
    """A phone-company line."""

    kind = "fxo"
    hardware = "the line interface"

    def __init__(self, name: str, clock: Clock, relay: Signal, ring: Signal, audio: AudioChannel,
                 country: str = "US", loop: Signal | None = None, polarity: Signal | None = None,
                 in_use: Signal | None = None, timing_: FxoTiming | None = None,
                 ring_timing: RingTiming | None = None) -> None:
        super().__init__(name, clock, (timing_ or FxoTiming()).health_interval_s)
        self.relay, self.ring_in, self.loop, self.polarity, self.in_use = relay, ring, loop, polarity, in_use
        self.audio = audio
        self.country = country.upper()
        self.timing = timing_ or FxoTiming()
        self.detector = RingDetector(clock, self._ring_event, ring_timing, self.country, self.timing.ring_opto)
        if self.timing.cid_idle_listen not in ("auto", "on", "off"):
            path = f"board.ports.{name}.cid_idle_listen"
            raise ConfigError(f"{path} must be auto, on or off", [(path, "auto, on or off")])
        before = cid_mode(self.country)[1] == "before"
        self._idle_listen = self.timing.cid_idle_listen == "on" or (
            self.timing.cid_idle_listen == "auto" and before and polarity is None)
        self.outbox = Outbox()
        self.dtmf = DtmfListener(clock, self._far_digit, self.timing.dsp_batch_frames)
        self.seized = False
        self.parallel = False
        self.state = "idle"                 # idle | waiting_dial_tone | dialling | up
        self.answered_at: float | None = None
        self._seized_at = 0.0
        self._released_at = -1e9
        self._seize_timer: Timer | None = None
        self._dial_timer: Timer | None = None
        self._loop_timer: Timer | None = None
        self._pol_timer: Timer | None = None
        self._use_timer: Timer | None = None
        self._dial_ready = False
        self._flashing = False
        self._idle_quiet = 0
        self._pending_digits = ""
        self._sending = ""
        self._cid = None
        self._cid_until = 0.0
        self._cid_sent = False
        self._progress = None
        self._quiet_since: float | None = None
        self._ignore_loop_until = 0.0
        self._unsub: list[Callable[[], None]] = []
        self._opened = False

    # -- lifecycle --------------------------------------------------------------------------------------
    def open(self) -> None:
        if self._opened:
            return
        self._opened = True
        self.relay.set(False)
        self._unsub.append(self.ring_in.when_changed(self.detector.edge))
        if self.loop is not None:
            self._unsub.append(self.loop.when_changed(self._loop_edge))
        if self.polarity is not None:
            self._unsub.append(self.polarity.when_changed(self._polarity_edge))
        if self.in_use is not None:
            self._unsub.append(self.in_use.when_changed(self._in_use_edge))
        self.audio.on_fault = self._audio_fault

    def close(self) -> None:
        if self.seized:
            self._drive(self.relay, False)
        self.seized = False
        for timer in (self._seize_timer, self._dial_timer, self._loop_timer, self._pol_timer, self._use_timer):
            if timer is not None:
                timer.cancel()
        self.detector.close()
        for stop in self._unsub:
            stop()
        self._unsub.clear()
        self.audio.close()
        self._opened = False

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "seized": self.seized, "state": self.state, "parallel": self.parallel,
                "ring": self.detector.snapshot()}

    # -- ringing and caller ID ---------------------------------------------------------------------------
    def _ring_event(self, kind: str, t: float, **data: Any) -> None:
        if self.seized and kind in ("ring", "ring_end", "ring_abandoned"):
            return
        if kind == "ring":
            self._cid_until = 0.0     # caller ID comes before ring 1 or between ring 1 and ring 2
        elif kind == "ring_abandoned":
            self._end_of_call()
        self.emit(kind, t, **data)

    def _listen_cid(self, t: float) -> None:
        """Open the caller-ID window after an on-hook line reversal (ETSI: data before the first ring)."""
        self._cid_until = t + self.timing.cid_window_s

    def _feed_cid(self, frame: np.ndarray) -> None:
        if self._cid_until and self.clock.now() > self._cid_until:
            self._cid_until = 0.0       # the ETSI window after a reversal passed without a message
            return
        if self._cid is None:
            from drivers.dsp.callerid import CallerIdDecoder

            self._cid = CallerIdDecoder("auto")
        for message in self._cid.feed(frame):
            if not self._cid_sent:
                self._cid_sent = True
                self._cid_until = 0.0
                self.emit("caller_id", **{k: v for k, v in message.as_dict().items() if k != "format"})

    def _idle_cid(self, frame: np.ndarray) -> None:
        """Caller ID sent before the first ring on a board that cannot see the line reversal announcing it:
        wake on the first sound on the idle line, listen until a second of quiet."""
        if self._quiet(frame):
            if self._cid is None:
                return
            self._idle_quiet += 1
            if self._idle_quiet > 50:
                self._cid = None
                return
        else:
            self._idle_quiet = 0
        self._feed_cid(frame)

    def _end_of_call(self) -> None:
        self._cid = None
        self._cid_sent = False
        self._cid_until = 0.0

    # -- commands -----------------------------------------------------------------------------------------
    def seize(self) -> None:
        if self.fault is not None:
            raise PortError(f"{self.name} cannot seize: {self.fault}")
        if self.seized or self._seize_timer is not None:
            return
        wait = self._released_at + self.timing.reseize_guard_s - self.clock.now()
        if wait > 0:
            self._seize_timer = self.clock.call_later(wait, self._do_seize)
            return
        self._do_seize()

    def _do_seize(self) -> None:
        self._seize_timer = None
        if not self._drive(self.relay, True):
            return
        now = self.clock.now()
        self.seized = True
        self._seized_at = now
        self._ignore_loop_until = now + self.timing.seize_settle_ms / 1000
        incoming = self.detector.count > 0 or self._cid_sent
        self.detector.reset()
        self._cid_until = 0.0
        self.answered_at = now if incoming else None
        self.state = "up" if incoming else "waiting_dial_tone"
        self._dial_ready = incoming
        self._quiet_since = None
        self._progress = self._new_progress()
        self.dtmf.reset()
        if not incoming:
            self._dial_timer = self.clock.call_later(self.timing.dial_tone_timeout_s, self._dial_tone_timeout)

    def release(self) -> None:
        if self._seize_timer is not None:
            self._seize_timer.cancel()
            self._seize_timer = None
        if not self.seized:
            return
        self._drive(self.relay, False)
        self.seized = False
        self.state = "idle"
        self._released_at = self.clock.now()
        self.outbox.clear()
        self._pending_digits = self._sending = ""
        for attr in ("_dial_timer", "_loop_timer", "_pol_timer"):
            timer = getattr(self, attr)
            if timer is not None:
                timer.cancel()
                setattr(self, attr, None)
        self._end_of_call()
        self.detector.reset()

    def flash(self, ms: float | None = None) -> None:
        if not self.seized:
            raise PortError(f"{self.name} is on-hook; only a seized line can flash")
        length = (ms if ms is not None else self.timing.flash_ms) / 1000
        if length <= 0:
            raise PortError("a hook flash needs a positive duration")
        if self._flashing:
            raise PortError(f"{self.name} is already flashing")
        self._ignore_loop_until = self.clock.now() + length + self.timing.seize_settle_ms / 1000
        if self._drive(self.relay, False):
            self._flashing = True
            self.clock.call_later(length, self._flash_done)

    def _flash_done(self) -> None:
        self._flashing = False
        if self.seized:
            self._drive(self.relay, True)

    def dial(self, digits: str) -> None:
        if not self.seized and self._seize_timer is None:
            raise PortError(f"{self.name} is on-hook; seize the line before dialling")
        bad = set(digits) - DIAL_CHARS
        if bad or not digits:
            raise PortError(f"cannot dial {digits!r}: use 0-9 * # A-D and ',' for a pause")
        self._pending_digits += digits.upper()
        if self._dial_ready:
            self._send_pending()

    def _send_pending(self) -> None:
        digits, self._pending_digits = self._pending_digits, ""
        if not digits:
            return
        t = self.timing
        self.outbox.push(dtmf_audio(digits, t.dtmf_on_ms, t.dtmf_off_ms, t.dtmf_level_dbm0, t.dtmf_twist_db))
        self._sending += digits
        if self.state == "waiting_dial_tone":
            self.state = "dialling"

    def _dial_tone_timeout(self) -> None:
        self._dial_timer = None
        if self.seized and not self._dial_ready:
            log.info("%s: no dial tone within %.1f s; dialling anyway", self.name, self.timing.dial_tone_timeout_s)
            self._dial_ready = True
            self._send_pending()

    # -- line sensing -------------------------------------------------------------------------------------
    def _loop_edge(self, t: float, current: bool) -> None:
        if not self.seized or current:
            if self._loop_timer is not None:
                self._loop_timer.cancel()
                self._loop_timer = None
            return
        if t < self._ignore_loop_until:
            t = self._ignore_loop_until   # a drop while the seizure settles is judged once it has settled
        self._loop_timer = self.clock.call_at(t + self.timing.loop_drop_ms / 1000, self._loop_dropped, t)

    def _loop_dropped(self, t: float) -> None:
        self._loop_timer = None
        if self.seized and self.loop is not None and not self._safe_active(self.loop):
            self._disconnect("loop_drop", t)

    def _polarity_edge(self, t: float, reversed_: bool) -> None:
        if self._pol_timer is not None:
            self._pol_timer.cancel()
        self._pol_timer = self.clock.call_at(t + self.timing.polarity_debounce_ms / 1000,
                                             self._polarity_settled, t, reversed_)

    def _polarity_settled(self, t: float, reversed_: bool) -> None:
        self._pol_timer = None
        if self.polarity is None or self._safe_active(self.polarity) != reversed_:
            return   # bounced back: not a reversal
        if not self.seized:
            self._listen_cid(t)   # ETSI: reversal, alert tone, FSK, then the first ring
            return
        if t < self._seized_at + self.timing.seize_settle_ms / 1000:
            return
        if self.answered_at is None:
            if self.timing.answer_on_polarity:
                self.answered_at = t
                self.state = "up"
                self.emit("answered", t)
            return
        if self.timing.hangup_on_polarity and t - self.answered_at >= self.timing.polarity_answer_delay_ms / 1000:
            self._disconnect("polarity", t)

    def _in_use_edge(self, t: float, in_use: bool) -> None:
        if self._use_timer is not None:
            self._use_timer.cancel()
        self._use_timer = self.clock.call_at(t + self.timing.in_use_debounce_ms / 1000, self._in_use_settled,
                                             t, in_use)

    def _in_use_settled(self, t: float, in_use: bool) -> None:
        self._use_timer = None
        if self.seized or self.in_use is None or self._safe_active(self.in_use) != in_use or in_use == self.parallel:
            return
        self.parallel = in_use
        self.emit("off_hook" if in_use else "on_hook", t, parallel=True)

    def _disconnect(self, reason: str, t: float | None = None) -> None:
        if self.seized and self.state != "gone":
            self.state = "gone"
            self.emit("disconnect", t, reason=reason)

    # -- audio ---------------------------------------------------------------------------------------------
    def read_frame(self) -> np.ndarray:
        self.tick_health()
        frame = self.audio.read()
        if not self.seized:
            if not self._cid_sent and (self._cid_until or (self.detector.count == 1 and not self.detector.ringing)):
                self._feed_cid(frame)
            elif self._idle_listen and self.detector.count == 0 and not self._cid_sent:
                self._idle_cid(frame)
            return SILENCE
        if not self.outbox:
            self.dtmf.feed(frame)
        self._supervise(frame)
        return frame

    def write_frame(self, frame: np.ndarray) -> None:
        if self.outbox:
            frame = self.outbox.frame()
            if not self.outbox and self._sending:
                self.clock.call_later(FRAME_SECONDS, self._dial_finished, self._sending)
                self._sending = ""
        elif not self.seized:
            frame = SILENCE
        elif self._quiet_since is not None and not self._quiet(frame):
            self._quiet_since = None   # the box is talking (a prompt): the call is not silent
        self.audio.write(frame)

    def _dial_finished(self, digits: str) -> None:
        if self.seized:
            if self.state == "dialling":
                self.state = "up"
            self.emit("dial_done", digits=digits)

    def _far_digit(self, digit: str, start: float, end: float) -> None:
        self.emit("digit", end, digit=digit, source="dtmf", start=start, end=end)

    # -- supervision ----------------------------------------------------------------------------------------
    def _new_progress(self) -> Any:
        return ToneListener(self.clock, self.country, self._on_tone, self.timing.tone_batch_frames)

    def _supervise(self, frame: np.ndarray) -> None:
        now = self.clock.now()
        if self._quiet(frame):
            self._quiet_since = self._quiet_since or now
            if self.timing.silence_timeout_s and self.state == "up" and \
                    now - self._quiet_since >= self.timing.silence_timeout_s:
                self._disconnect("silence")
        else:
            self._quiet_since = None
        if self._progress is not None:
            self._progress.feed(frame)

    def _quiet(self, frame: np.ndarray) -> bool:
        peak = self.timing.silence_peak
        return frame is SILENCE or bool(frame.max() <= peak and frame.min() >= -peak)

    def _on_tone(self, tone: str) -> None:
        self.emit("tone", tone=tone)
        if tone == "dial":
            if self.state == "waiting_dial_tone":
                self._dial_ready = True
                if self._dial_timer is not None:
                    self._dial_timer.cancel()
                    self._dial_timer = None
                self.emit("dial_tone")
                self._send_pending()
            elif self.state == "up" and self.timing.dial_tone_disconnect:
                self._disconnect("dial_tone")
        elif tone in ("busy", "reorder") and self.state == "up" and self.timing.busy_detect:
            self._disconnect(f"{tone}_tone")

    # -- faults ------------------------------------------------------------------------------------------------
    def signals(self) -> list[Signal]:
        return [s for s in (self.relay, self.ring_in, self.loop, self.polarity, self.in_use) if s is not None]


def build_fxo(name: str, clock: Clock, factory: PinFactory, board: Mapping[str, Any], audio: AudioChannel,
              country: str = "US") -> FxoPort:
    """An FXO port wired as ``board.ports[name]`` says (reference pins by default)."""
    spec = port_spec(board, name)
    path = f"board.ports.{name}"
    check_options(spec["options"], (FxoTiming, RingTiming), path)
    pins, low = spec["pins"], spec["active_low"]

    def signal(role: str, mode: str, pull: str | None = None) -> Signal | None:
        if pins.get(role) is None:
            return None
        return Signal(factory.pin(pins[role], mode, pull=pull), low.get(role, False))

    relay, ring = signal("relay", "out"), signal("ring", "in", "up")
    if relay is None or ring is None:
        raise ConfigError(f"{path}: an FXO port needs relay and ring pins", [(f"{path}.pins", "needs relay and ring")])
    fxo_timing = timing(FxoTiming, spec["options"], path)
    if fxo_timing.ring_opto not in ("full", "half"):
        raise ConfigError(f"{path}.ring_opto must be full or half", [(f"{path}.ring_opto", "must be full or half")])
    return FxoPort(name, clock, relay, ring, audio, country, loop=signal("loop", "in", "down"),
                   polarity=signal("polarity", "in", "down"), in_use=signal("in_use", "in", "down"),
                   timing_=fxo_timing, ring_timing=timing(RingTiming, spec["options"], path))
