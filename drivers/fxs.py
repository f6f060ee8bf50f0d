"""The FXS port: an analogue desk phone on an AG1171-class SLIC (SHK in; RM and F/R out; audio via a codec).

What it is: :class:`FxsPort`, a :class:`~drivers.port.Port` that

* reports ``off_hook`` / ``on_hook`` / ``flash`` / pulse ``digit`` from SHK through :class:`~drivers.hook.HookMachine`,
  and DTMF ``digit`` from the phone's audio (software detector in :meth:`read_frame`; an MT8870 when the board
  has one; ``dtmf_source`` = ``software`` | ``mt8870`` | ``both`` decides which is trusted);
* rings on ``ring(cadence, caller_id)``: RM held high during each on-segment of the cadence while F/R toggles
  at ``ring_hz`` (20 Hz in North America and Japan, 25 Hz elsewhere, 50 % duty), every edge scheduled at an
  absolute clock time from the start of ringing so nothing drifts; ``cadence`` is a cadence name
  (:data:`drivers.ring.CADENCES`) or a country code;
* ring trip: lifting during ringing stops the ring within the ring-trip debounce (100 ms, < 200 ms);
* sends caller ID (Bell 202 FSK, MDMF) ``cid_delay_ms`` after the first ring and VMWI (``send_vmwi``) as FSK
  audio through the port while the phone is on-hook;
* ``open_loop(ms)``: removes loop current (the ``ol`` relay when fitted, else a line reversal) so answering
  machines release; SHK is ignored meanwhile;
* a pin or audio device that fails is a ``fault`` (checked every ``health_interval_s``); other ports carry on.

What it is not: a tone player. Dial tone, stutter dial tone, ringback and prompts come from the engine through
``write_frame``. Nor policy: a flash or a digit is reported, never acted on.

Timing knobs (:class:`FxsTiming`, :class:`~drivers.hook.HookTiming`, :class:`~drivers.mt8870.Mt8870Timing`) are
read from ``board.ports.fxsN`` (docs/hardware.md).
"""
from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any, Callable, Mapping

import numpy as np

from drivers.audio.base import AudioChannel
from drivers.clock import Clock, Timer
from drivers.errors import ConfigError, PortError
from drivers.gpio.base import PinFactory
from drivers.gpio.board import Signal, check_options, port_spec, timing
from drivers.gpio.port import PinPort
from drivers.line_timing import FxsTiming
from drivers.hook import HookMachine, HookTiming
from drivers.line_audio import DtmfListener, Outbox, caller_id_audio, cid_mode, vmwi_audio
from drivers.mt8870 import DigitMerger, Mt8870, Mt8870Timing
from drivers.port import SILENCE
from drivers.ring import CADENCES, COUNTRY_CADENCE, country_cadence, ring_frequency

log = logging.getLogger(__name__)

def resolve_cadence(cadence: str | None, country: str) -> tuple[str, tuple[int, ...]]:
    """A cadence name or country code (None: the office country) → (name, on/off ms)."""
    key = cadence or country
    if key.lower() in CADENCES:
        return key.lower(), CADENCES[key.lower()]
    if key.upper() in COUNTRY_CADENCE:
        name = country_cadence(key)
        return name, CADENCES[name]
    raise PortError(f"unknown ring cadence {cadence!r}; use a country code or one of {', '.join(CADENCES)}")


class FxsPort(PinPort):
    """A desk phone on a SLIC."""

    kind = "fxs"
    hardware = "the SLIC"

    def __init__(self, name: str, clock: Clock, shk: Signal, rm: Signal, fr: Signal, audio: AudioChannel,
                 country: str = "US", ol: Signal | None = None, timing_: FxsTiming | None = None,
                 hook_timing: HookTiming | None = None, mt8870: Mt8870 | None = None,
                 tz: tzinfo | None = None) -> None:
        super().__init__(name, clock, (timing_ or FxsTiming()).health_interval_s)
        self.shk, self.rm, self.fr, self.ol = shk, rm, fr, ol
        self.audio = audio
        self.country = country.upper()
        self.timing = t = timing_ or FxsTiming()
        self.tz = tz
        for key, allowed in (("open_loop_method", ("auto", "relay", "reversal")),
                             ("cid_standard", ("auto", "bell202", "v23", "dtmf")),
                             ("cid_timing", ("auto", "after", "before")),
                             ("dtmf_source", ("software", "mt8870", "both"))):
            if getattr(t, key) not in allowed:
                path = f"board.ports.{name}.{key}"
                raise ConfigError(f"{path} must be one of {', '.join(allowed)}", [(path, f"one of {', '.join(allowed)}")])
        if t.open_loop_method == "relay" and ol is None:
            path = f"board.ports.{name}.open_loop_method"
            raise ConfigError(f"{path} is relay but the board has no ol pin for {name}",
                              [(path, "relay needs pins.ol")])
        self.ring_hz = t.ring_hz or ring_frequency(self.country)
        self.hook = HookMachine(clock, self._hook_event, hook_timing)
        if mt8870 is None and t.dtmf_source != "software":
            path = f"board.ports.{name}.dtmf_source"
            raise ConfigError(f"{path} is {t.dtmf_source} but board.mt8870 does not serve {name}",
                              [(path, "needs an MT8870 on this port (board.mt8870.ports)")])
        self.merger = DigitMerger(t.dtmf_source)
        self.mt8870 = mt8870
        if mt8870 is not None:
            mt8870.emit = self._chip_event
        self.dtmf = DtmfListener(clock, self._dtmf_digit, t.dsp_batch_frames) \
            if self.merger.trust != "mt8870" else None
        self.outbox = Outbox()
        self.ringing = False
        self.vmwi: bool | None = None
        self._vmwi_pending = False
        self._ring_timers: list[Timer] = []
        self._edge_timer: Timer | None = None
        self._cid: Mapping[str, Any] | None = None
        self._opened = False
        self._unsub: list[Callable[[], None]] = []

    # -- lifecycle ------------------------------------------------------------------------------------
    def open(self) -> None:
        if self._opened:
            return
        self._opened = True
        self.rm.set(False)
        self.fr.set(False)
        if self.ol is not None:
            self.ol.set(False)
        self._unsub.append(self.shk.when_changed(self.hook.edge))
        self.audio.on_fault = self._audio_fault
        if self.shk.active:
            self.hook.edge(self.clock.now(), True)

    def close(self) -> None:
        self._stop_ringing()
        self.hook.close()
        for stop in self._unsub:
            stop()
        self._unsub.clear()
        if self.mt8870 is not None:
            self.mt8870.close()
        self.audio.close()
        self._opened = False

    @property
    def off_hook(self) -> bool:
        return self.hook.off_hook

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "off_hook": self.off_hook, "ringing": self.ringing, "vmwi": self.vmwi}

    # -- events from the hook, the chip and the detector ---------------------------------------------
    def _hook_event(self, kind: str, t: float, **data: Any) -> None:
        if kind == "off_hook":
            if self.ringing:
                self._stop_ringing()        # ring trip
            self.outbox.clear()
            if self.dtmf is not None:
                self.dtmf.reset()
        elif kind == "on_hook" and self._vmwi_pending:
            self.clock.call_later(1.0, self._send_pending_vmwi)
        elif kind == "digit" and not self.merger.accept(data["digit"], "pulse", data["start"], data["end"]):
            return
        self.emit(kind, t, **data)

    def _chip_event(self, kind: str, t: float, **data: Any) -> None:
        if kind == "digit" and not self.merger.accept(data["digit"], "mt8870", data["start"], data["end"]):
            return
        self.emit(kind, t, **data)

    def _dtmf_digit(self, digit: str, start: float, end: float) -> None:
        if self.merger.accept(digit, "dtmf", start, end):
            self.emit("digit", end, digit=digit, source="dtmf", start=start, end=end)

    # -- ringing ---------------------------------------------------------------------------------------
    def ring(self, cadence: str | None = None, caller_id: Mapping[str, Any] | None = None) -> None:
        if self.fault is not None:
            raise PortError(f"{self.name} cannot ring: {self.fault}")
        if self.off_hook:
            raise PortError(f"{self.name} is off-hook; a lifted phone cannot be rung")
        _, pattern = resolve_cadence(cadence, self.country)
        self._stop_ringing()
        self.outbox.clear()
        self.ringing = True
        self.hook.ringing = True
        self._cid = caller_id
        pattern_s = [v / 1000 for v in pattern]
        standard, when = self.cid_mode
        if caller_id is not None and when == "before":
            self._ring_after_cid(caller_id, standard, pattern_s)
            return
        self._ring_cycle(self.clock.now(), pattern_s, first=True)

    @property
    def cid_mode(self) -> tuple[str, str]:
        standard, when = cid_mode(self.country)
        t = self.timing
        return (standard if t.cid_standard == "auto" else t.cid_standard,
                when if t.cid_timing == "auto" else t.cid_timing)

    def _ring_after_cid(self, caller_id: Mapping[str, Any], standard: str, pattern: list[float]) -> None:
        """ETSI: reverse the line, (alert tone,) caller ID, restore polarity, then ring."""
        audio = self._cid_audio(caller_id, standard, alert=standard != "dtmf")
        now = self.clock.now()
        if not self._drive(self.fr, True):
            return
        send_at = now + 0.3
        ring_at = send_at + len(audio) / 8000 + 0.5
        self._ring_timers = [self.clock.call_at(send_at, self.outbox.push, audio),
                             self.clock.call_at(ring_at - 0.1, self._drive, self.fr, False),
                             self.clock.call_at(ring_at, self._ring_cycle, ring_at, pattern, False)]

    def _ring_cycle(self, t0: float, pattern: list[float], first: bool) -> None:
        if not self.ringing:
            return
        self._ring_timers = []
        t = t0
        for i, length in enumerate(pattern):
            if i % 2 == 0:
                self._ring_timers.append(self.clock.call_at(t, self._burst, t, t + length))
            t += length
        if first and self._cid is not None and self.cid_mode[1] == "after":
            quiet = t0 + sum(pattern[:-1])
            self._ring_timers.append(self.clock.call_at(quiet + self.timing.cid_delay_ms / 1000, self._send_cid))
        self._ring_timers.append(self.clock.call_at(t, self._ring_cycle, t, pattern, False))

    def _burst(self, start: float, end: float) -> None:
        if not self._drive(self.rm, True):
            return
        half = 1.0 / (2 * self.ring_hz)
        self._toggle(start, end, half, 1)

    def _toggle(self, start: float, end: float, half: float, k: int) -> None:
        """F/R edge number ``k`` of a burst; the next edge is scheduled at an absolute time (no drift)."""
        if not self.ringing:
            return
        t = start + k * half
        if t >= end - 1e-9:
            self._drive(self.fr, False)
            self._drive(self.rm, False)
            return
        if self._drive(self.fr, k % 2 == 1):
            self._edge_timer = self.clock.call_at(t + half, self._toggle, start, end, half, k + 1)

    def stop_ring(self) -> None:
        self._stop_ringing()

    def _stop_ringing(self) -> None:
        was = self.ringing
        self.ringing = False
        self.hook.ringing = False
        self._cancel_ring_timers()
        if was:
            self._drive(self.rm, False)
            self._drive(self.fr, False)
            if self._vmwi_pending and not self.off_hook:
                self.clock.call_later(1.0, self._send_pending_vmwi)

    def _cancel_ring_timers(self) -> None:
        for timer in self._ring_timers:
            timer.cancel()
        self._ring_timers = []
        if self._edge_timer is not None:
            self._edge_timer.cancel()
            self._edge_timer = None

    def on_hardware_fault(self) -> None:
        if self.ringing:
            self.ringing = False
            self.hook.ringing = False
            self._cancel_ring_timers()

    # -- caller ID and message waiting ------------------------------------------------------------------
    def _send_cid(self) -> None:
        cid = self._cid
        if cid is None or not self.ringing or self.off_hook:
            return
        self.outbox.push(self._cid_audio(cid, self.cid_mode[0]))

    def _cid_audio(self, cid: Mapping[str, Any], standard: str, alert: bool = False) -> np.ndarray:
        stamp = self.clock.wall().astimezone(self.tz).strftime("%m%d%H%M")
        return caller_id_audio(cid, standard, stamp, alert)

    def send_vmwi(self, active: bool) -> None:
        self.vmwi = bool(active)
        if self.off_hook or self.ringing:
            self._vmwi_pending = True
            return
        self._vmwi_pending = False
        self.outbox.push(vmwi_audio(bool(active), self.cid_mode[0]))

    def _send_pending_vmwi(self) -> None:
        if self._vmwi_pending and self.vmwi is not None and not self.off_hook and not self.ringing:
            self.send_vmwi(self.vmwi)

    # -- open-loop disconnect -------------------------------------------------------------------------
    def open_loop(self, ms: float = 500) -> None:
        if ms <= 0:
            raise PortError("open_loop needs a positive duration in ms")
        use_relay = self.ol is not None and self.timing.open_loop_method != "reversal"
        signal = self.ol if use_relay else self.fr
        assert signal is not None
        self.hook.hold(ms / 1000 + 0.05)
        if self._drive(signal, True):
            self.clock.call_later(ms / 1000, self._drive, signal, False)

    # -- audio -------------------------------------------------------------------------------------------
    def read_frame(self) -> np.ndarray:
        self.tick_health()
        frame = self.audio.read()
        if not self.hook.off_hook:
            return SILENCE
        if self.dtmf is not None:
            self.dtmf.feed(frame)
        return frame

    def write_frame(self, frame: np.ndarray) -> None:
        if self.outbox:
            frame = self.outbox.frame()
        self.audio.write(frame)

    def signals(self) -> list[Signal]:
        return [self.shk, self.rm, self.fr] + ([self.ol] if self.ol is not None else [])


def build_fxs(name: str, clock: Clock, factory: PinFactory, board: Mapping[str, Any], audio: AudioChannel,
              country: str = "US", tz: tzinfo | None = None) -> FxsPort:
    """An FXS port wired as ``board.ports[name]`` says (reference pins by default)."""
    spec = port_spec(board, name)
    path = f"board.ports.{name}"
    check_options(spec["options"], (FxsTiming, HookTiming, Mt8870Timing), path)
    pins, low = spec["pins"], spec["active_low"]

    def signal(role: str, mode: str) -> Signal | None:
        if pins.get(role) is None:
            return None
        pull = "down" if mode == "in" else None
        return Signal(factory.pin(pins[role], mode, pull=pull), low.get(role, False))

    shk, rm, fr = signal("shk", "in"), signal("rm", "out"), signal("fr", "out")
    if shk is None or rm is None or fr is None:
        raise ConfigError(f"{path}: an FXS port needs shk, rm and fr pins", [(f"{path}.pins", "needs shk, rm and fr")])
    chip = None
    if spec["mt8870"]:
        mp = spec["mt8870"]
        std = Signal(factory.pin(mp["std"], "in", pull="down"))
        missing = [role for role in ("std", "q1", "q2", "q3", "q4") if mp.get(role) is None]
        if missing:
            raise ConfigError(f"board.mt8870.pins needs {', '.join(missing)}",
                              [("board.mt8870.pins", f"missing {', '.join(missing)}")])
        q = [Signal(factory.pin(mp[f"q{i}"], "in", pull="down")) for i in range(1, 5)]
        if mp.get("toe") is not None:   # the chip's output enable: drive it high so Q1-Q4 are not floating
            factory.pin(mp["toe"], "out", initial=True).set(True)
        chip = Mt8870(clock, std, q, lambda *a, **k: None, timing(Mt8870Timing, spec["options"], path))
    return FxsPort(name, clock, shk, rm, fr, audio, country, ol=signal("ol", "out"),
                   timing_=timing(FxsTiming, spec["options"], path),
                   hook_timing=timing(HookTiming, spec["options"], path), mt8870=chip, tz=tz)
