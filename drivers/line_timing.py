"""Timing knobs of the line ports: every time and level an FXO or FXS port uses, with its default.

What it is: :class:`FxoTiming` and :class:`FxsTiming`, frozen dataclasses read from ``board.ports.<port>``
(docs/hardware.md lists every key). The hook state machine's knobs are :class:`drivers.hook.HookTiming`, the
ring detector's :class:`drivers.ring.RingTiming`.

What it is not: the ports themselves (``drivers/fxo.py``, ``drivers/fxs.py``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FxoTiming:
    """FXO knobs (``board.ports.fxoN``); defaults from DAHDI/Asterisk (pbx_features §2)."""

    flash_ms: float = 750.0
    dial_tone_timeout_s: float = 3.0
    dtmf_on_ms: float = 100.0
    dtmf_off_ms: float = 100.0
    dtmf_level_dbm0: float = -8.0        # the low (row) tone; the high tone is dtmf_twist_db above it
    dtmf_twist_db: float = 2.0
    seize_settle_ms: float = 300.0
    loop_drop_ms: float = 200.0
    polarity_debounce_ms: float = 64.0
    polarity_answer_delay_ms: float = 600.0
    answer_on_polarity: bool = True
    hangup_on_polarity: bool = True
    busy_detect: bool = True
    dial_tone_disconnect: bool = True
    silence_timeout_s: float = 30.0
    silence_peak: float = 150.0          # |sample| never above this in a frame counts as silence (about -47 dBm0)
    reseize_guard_s: float = 1.0
    cid_window_s: float = 6.0
    cid_idle_listen: str = "auto"        # auto | on | off: listen for caller ID on an idle line without a ring
    in_use_debounce_ms: float = 100.0
    health_interval_s: float = 1.0
    ring_opto: str = "full"
    dsp_batch_frames: int = 5            # frames analysed together by the DTMF detector (100 ms)
    tone_batch_frames: int = 10          # frames analysed together by the call-progress detector (200 ms)


@dataclass(frozen=True)
class FxsTiming:
    """FXS knobs (``board.ports.fxsN``)."""

    ring_hz: float = 0.0              # 0: by country (20 or 25 Hz)
    cid_delay_ms: float = 500.0       # first ring end → caller-ID FSK
    open_loop_method: str = "auto"    # auto (relay if an ol pin is fitted) | relay | reversal
    health_interval_s: float = 1.0
    dtmf_source: str = "software"     # software | mt8870 | both
    dsp_batch_frames: int = 5         # frames analysed together by the DTMF detector (5 = 100 ms)
    cid_standard: str = "auto"        # auto (by country) | bell202 | v23 | dtmf
    cid_timing: str = "auto"          # auto (by country) | after (the first ring) | before (the first ring)
