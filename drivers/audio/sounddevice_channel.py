"""A port's audio on a real sound device (a USB codec): capture and playback at 8 kHz in 20 ms frames.

What it is: :class:`SoundDeviceChannel`, an :class:`~drivers.audio.base.AudioChannel` over a full-duplex stream
of an :class:`~drivers.audio.backend.AudioBackend` (PortAudio by default, a fake one in tests). The stream
callback runs on the sound system's thread; it only converts samples (resampling where the device runs at
44.1/48 kHz) and moves 160-sample frames through two bounded lock-free queues. It never touches engine state.

What it is not: a pump or a clock. The engine's media tick calls ``read()``/``write()``; ``read()`` also runs
the watchdog, so fault detection and reopening follow the injected clock. ``open()`` starts the stream; a
channel never opened is opened by its first ``read()``/``write()`` (after the port has set ``on_fault``), and a
closed one stays closed.

Devices are chosen by **name** (exact, or the one device whose name contains the given text), never by index.

Latency: the capture queue holds at most ``depth`` frames; when more than ``high_water`` frames wait (the device
clock ran ahead of the engine's), ``read()`` drops the oldest down to ``low_water`` and counts ``skew_drops``.
The playback queue is trimmed the same way in ``write()``.

Faults: the stream ending on its own, the callback failing, or no callback for ``stall_ticks`` consecutive
reads is a lost device. The channel closes the stream, calls ``on_fault(reason)``, and retries the open after
``backoff[0]`` seconds, doubling up to ``backoff[1]``; when it works again it calls ``on_fault(None)``.

Counters: ``underruns``, ``overruns``, ``frames_in``, ``frames_out`` (see :mod:`drivers.audio.base`) and
``playback_underruns`` (the device wanted a frame the engine had not written), ``skew_drops``, ``xruns``
(reported by the sound system), ``faults``, ``reopens``.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from drivers.audio.backend import PREFERRED_RATES, AudioBackend, AudioStream
from drivers.audio.base import (FaultCallback, FrameQueue, check_frame, new_counters, put_frame, put_samples,
                                take_frame, trim_latency)
from drivers.audio.resample import Resampler, to_int16
from drivers.clock import Clock, Timer
from drivers.errors import HardwareError
from drivers.port import FRAME_SAMPLES, RATE, SILENCE

log = logging.getLogger(__name__)


class SoundDeviceChannel:
    """Capture and playback of one port on a named sound device."""

    def __init__(self, clock: Clock, capture: str, playback: str | None = None, *,
                 backend: AudioBackend | None = None, rate: int | None = None, depth: int = 10,
                 high_water: int = 4, low_water: int = 2, stall_ticks: int = 25,
                 backoff: tuple[float, float] = (1.0, 30.0), on_fault: FaultCallback | None = None) -> None:
        if not 0 < low_water < high_water <= depth:
            raise ValueError("need 0 < low_water < high_water <= depth")
        self.clock = clock
        self.capture_name, self.playback_name = capture, playback or capture
        self.backend = backend if backend is not None else _default_backend()
        self.rates: Sequence[int] = (rate,) if rate else PREFERRED_RATES
        self.depth, self.high_water, self.low_water = depth, high_water, low_water
        self.stall_ticks, self.backoff = stall_ticks, backoff
        self.on_fault = on_fault
        self.counters = new_counters()
        self.counters.update(playback_underruns=0, skew_drops=0, xruns=0, faults=0, reopens=0)
        self.state = "new"  # new | open | faulted | closed
        self.fault: str | None = None
        self.device_rate: int | None = None
        self._stream: AudioStream | None = None
        self._retry: Timer | None = None
        self._delay = backoff[0]
        self._reset_buffers()

    # -- lifecycle (loop thread) ----------------------------------------------------------------------
    def open(self) -> bool:
        """Open the devices and start the stream. On failure the channel is faulted and retries by itself."""
        if self.state == "open":
            return True
        try:
            self._start_stream()
        except HardwareError as exc:
            self._enter_fault(str(exc))
            return False
        except Exception as exc:  # the sound library itself failed (PortAudioError …): still a fault, not a crash
            log.exception("opening sound device %r", self.capture_name)
            self._enter_fault(f"sound device {self.capture_name!r} could not be opened: {exc}")
            return False
        self._delay = self.backoff[0]
        if self.fault is not None:
            self.counters["reopens"] += 1
            self.fault = None
            log.info("sound device %r is back", self.capture_name)
            self._notify(None)
        return True

    def close(self) -> None:
        """Stop the stream and any retry; idempotent."""
        self.state = "closed"
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._close_stream()

    def _start_stream(self) -> None:
        capture, playback = self._resolve()
        rate = self.backend.pick_rate(capture, playback, self.rates)
        self.device_rate = rate
        self._reset_buffers()
        blocksize = rate * FRAME_SAMPLES // RATE
        stream = self.backend.open_stream(capture, playback, rate, blocksize, self._callback, self._finished)
        try:
            stream.start()
        except Exception as exc:
            stream.close()
            raise HardwareError(f"could not start sound device {self.capture_name!r}: {exc}") from exc
        self._stream = stream
        self.state = "open"
        log.info("audio %r/%r open at %d Hz", self.capture_name, self.playback_name, rate)

    def _resolve(self) -> tuple[Any, Any]:
        try:
            return (self.backend.resolve(self.capture_name, "input"),
                    self.backend.resolve(self.playback_name, "output"))
        except HardwareError:
            rescan = getattr(self.backend, "rescan", None)
            if rescan is None or not rescan():
                raise
            return (self.backend.resolve(self.capture_name, "input"),
                    self.backend.resolve(self.playback_name, "output"))

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        self._stopping = True
        for step in (stream.stop, stream.close):
            try:
                step()
            except Exception as exc:  # a dead device may refuse; it is being dropped anyway
                log.debug("closing audio stream: %s", exc)

    def _reset_buffers(self) -> None:
        self._capture = FrameQueue(self.depth)
        self._playback = FrameQueue(self.depth)
        rate = self.device_rate or RATE
        self._rs_in = Resampler(rate, RATE)
        self._rs_out = Resampler(RATE, rate)
        self._in_partial = np.zeros(0, dtype=np.int16)
        self._out_pending = np.zeros(0, dtype=np.int16)
        self._callbacks = 0
        self._seen = 0
        self._stalled = 0
        self._lost: str | None = None
        self._stopping = False
        self._started_playing = False
        self._aligned_in = self._aligned_out = False

    # -- faults (loop thread) -----------------------------------------------------------------------
    def check(self) -> None:
        """The watchdog: called by ``read()`` once per tick; turns a lost device into a fault."""
        if self.state != "open":
            return
        if self._lost is not None:
            self._fail(self._lost)
        elif self._callbacks == self._seen:
            self._stalled += 1
            if self._stalled >= self.stall_ticks:
                ms = round(self.stall_ticks * FRAME_SAMPLES * 1000 / RATE)
                self._fail(f"sound device {self.capture_name!r} stopped delivering audio for {ms} ms")
        else:
            self._seen, self._stalled = self._callbacks, 0

    def _fail(self, reason: str) -> None:
        self._close_stream()
        self._enter_fault(reason)

    def _enter_fault(self, reason: str) -> None:
        self.state = "faulted"
        self.counters["faults"] += 1
        first = self.fault is None
        self.fault = reason
        log.warning("audio fault: %s; retrying in %.1f s", reason, self._delay)
        if first:
            self._notify(reason)
        self._retry = self.clock.call_later(self._delay, self._reopen)
        self._delay = min(self._delay * 2, self.backoff[1])

    def _reopen(self) -> None:
        self._retry = None
        if self.state == "faulted":
            self.open()

    def _notify(self, reason: str | None) -> None:
        if self.on_fault is not None:
            try:
                self.on_fault(reason)
            except Exception:
                log.exception("audio fault listener failed")

    # -- port side (loop thread) ----------------------------------------------------------------------
    def read(self) -> np.ndarray:
        if self.state == "new":  # a port that never called open(): open on first use
            self.open()
        self.check()
        trim_latency(self._capture, self.high_water, self.low_water, self.counters)
        return take_frame(self._capture, self.counters)

    def write(self, frame: np.ndarray) -> None:
        frame = check_frame(frame)
        if self.state == "new":
            self.open()
        if self.state != "open":
            return
        self.counters["frames_out"] += 1
        self._started_playing = True
        trim_latency(self._playback, self.high_water - 1, self.low_water, self.counters)
        put_frame(self._playback, frame, self.counters)

    # -- sound-system thread --------------------------------------------------------------------------
    def _callback(self, indata: np.ndarray, outdata: np.ndarray, xrun: bool) -> None:
        try:
            self._callbacks += 1
            if xrun:
                self.counters["xruns"] += 1
            self._take_capture(indata)
            self._give_playback(outdata)
        except Exception as exc:  # never let an exception kill the sound thread silently
            outdata.fill(0)
            self._lost = f"audio callback failed on {self.capture_name!r}: {exc!r}"

    def _take_capture(self, indata: np.ndarray) -> None:
        if self.device_rate == RATE:
            samples = indata
        else:
            samples = to_int16(self._rs_in.process(indata))
        if len(self._in_partial):
            samples = np.concatenate((self._in_partial, samples))
        if not self._aligned_in:  # the resampler's look-ahead shortens the first block: drop that remainder once,
            self._aligned_in = True  # so later blocks complete their frame in the same callback (-1 frame delay)
            samples = samples[len(samples) % FRAME_SAMPLES:]
        self._in_partial = put_samples(self._capture, samples, self.counters)

    def _give_playback(self, outdata: np.ndarray) -> None:
        need = len(outdata)
        parts = [self._out_pending]
        have = len(self._out_pending)
        while have < need:
            frame = self._playback.get()
            if frame is None:
                frame = SILENCE
                if self._started_playing:
                    self.counters["playback_underruns"] += 1
            dev = frame if self.device_rate == RATE else to_int16(self._rs_out.process(frame))
            if not self._aligned_out and have + len(dev) < need:  # first block: pad the look-ahead in front
                dev = np.concatenate((np.zeros(need - have - len(dev), dtype=np.int16), dev))
            self._aligned_out = True
            parts.append(dev)
            have += len(dev)
        pending = np.concatenate(parts) if len(parts) > 1 else parts[0]
        outdata[:] = pending[:need]
        self._out_pending = pending[need:]

    def _finished(self) -> None:
        if not self._stopping:
            self._lost = f"sound device {self.capture_name!r} went away"

    def snapshot(self) -> dict[str, Any]:
        """State and counters for the control API."""
        return {"device": self.capture_name, "state": self.state, "rate": self.device_rate,
                "fault": self.fault, **self.counters}


def _default_backend() -> AudioBackend:
    from drivers.audio.portaudio import PortAudioBackend
    return PortAudioBackend()


BOARD_KEYS = ("audio_device", "audio_input", "audio_output", "audio_rate", "audio_buffer_frames", "audio_stall_ms")


def channel_for_port(clock: Clock, board: Any, port: str, backend: AudioBackend | None = None
                     ) -> SoundDeviceChannel | None:
    """The sound-device channel ``board.ports[port]`` names, or None when the port has no audio device.

    Keys: ``audio_device`` (capture and playback device name), or ``audio_input`` / ``audio_output``
    separately; ``audio_rate`` (force a device rate; default: 8000 if offered, else 48000, 44100, 16000);
    ``audio_buffer_frames`` (queue depth, default 10 = 200 ms); ``audio_stall_ms`` (no audio this long is a
    lost device, default 500). Names are matched exactly, else as the one device name containing them.
    """
    from drivers.errors import ConfigError

    spec = ((board.get("ports") or {}).get(port)) or {}
    path = f"board.ports.{port}"
    capture = spec.get("audio_input", spec.get("audio_device"))
    playback = spec.get("audio_output", spec.get("audio_device", capture))
    if capture is None and playback is None:
        return None
    for key, value in (("audio_input", capture), ("audio_output", playback)):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: sound devices are chosen by name, got {value!r}",
                              [(f"{path}.{key}", "a sound device name (see `python -m sounddevice`)")])
    depth = max(3, int(spec.get("audio_buffer_frames", 10)))
    high = min(4, depth - 1)
    stall = int(round(float(spec.get("audio_stall_ms", 500)) / (FRAME_SAMPLES * 1000 / RATE)))
    return SoundDeviceChannel(clock, capture.strip(), playback.strip(), backend=backend,
                              rate=spec.get("audio_rate"), depth=depth, high_water=high, low_water=max(1, high - 2),
                              stall_ticks=max(stall, 2))
