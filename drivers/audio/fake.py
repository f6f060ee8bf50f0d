"""A fake sound system for tests and the simulator: named devices with test verbs, paced by the injected clock.

What it is: :class:`FakeAudioBackend` (an :class:`~drivers.audio.backend.AudioBackend`) holding
:class:`FakeSoundDevice` objects. A started stream calls the channel back every block on the clock, at
``t0 + n * block`` so it never drifts (or, with ``ppm``, drifts exactly as much as a real codec's crystal).
The callback runs on the loop thread here; a real one runs on PortAudio's thread.

Test verbs on a device: ``speak(samples)`` (what the microphone side will capture, at the device rate),
``played()`` (everything the device played so far), ``unplug()`` (streams end, opens fail — a USB codec pulled
out), ``plug()``, ``freeze()`` (the stream silently stops calling back — a wedged driver), ``xrun()``.

What it is not: PortAudio. Tests of the real path use an ALSA ``type file`` device (see docs/audio.md).
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Sequence

import numpy as np

from drivers.audio.backend import StreamCallback, match_device
from drivers.clock import Clock, Timer
from drivers.errors import HardwareError


class FakeSoundDevice:
    """A codec with an input and an output that a test can talk into and listen to."""

    def __init__(self, name: str, rates: Sequence[int] = (8000,)) -> None:
        self.name = name
        self.rates = tuple(rates)
        self.present = True
        self.frozen = False
        self._mic: deque[np.ndarray] = deque()
        self._played: list[np.ndarray] = []
        self._xrun = False
        self.streams: list["FakeStream"] = []

    def speak(self, samples: np.ndarray) -> None:
        """Queue int16 samples (device rate) for capture."""
        self._mic.append(np.asarray(samples, dtype=np.int16).ravel().copy())

    def played(self) -> np.ndarray:
        """Everything played so far (device rate)."""
        return np.concatenate(self._played) if self._played else np.zeros(0, dtype=np.int16)

    def unplug(self) -> None:
        self.present = False
        for stream in list(self.streams):
            stream.end()

    def plug(self) -> None:
        self.present, self.frozen = True, False

    def freeze(self) -> None:
        self.frozen = True

    def xrun(self) -> None:
        self._xrun = True

    def _capture(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.int16)
        filled = 0
        while filled < n and self._mic:
            chunk = self._mic[0]
            take = min(n - filled, len(chunk))
            out[filled:filled + take] = chunk[:take]
            filled += take
            if take == len(chunk):
                self._mic.popleft()
            else:
                self._mic[0] = chunk[take:]
        return out


class FakeStream:
    """A full-duplex stream between two fake devices, called back on the clock."""

    def __init__(self, clock: Clock, capture: FakeSoundDevice, playback: FakeSoundDevice, rate: int,
                 blocksize: int, callback: StreamCallback, finished: Callable[[], None], ppm: float) -> None:
        self.clock, self.capture, self.playback = clock, capture, playback
        self.blocksize, self.callback, self.finished = blocksize, callback, finished
        self.period = blocksize / rate * (1 - ppm * 1e-6)
        self.blocks = 0
        self.running = False
        self._timer: Timer | None = None
        self._t0 = 0.0

    def start(self) -> None:
        self.running = True
        self._t0 = self.clock.now()
        for dev in {id(self.capture): self.capture, id(self.playback): self.playback}.values():
            dev.streams.append(self)
        self._schedule()

    def _schedule(self) -> None:
        self._timer = self.clock.call_at(self._t0 + (self.blocks + 1) * self.period, self._tick)

    def _tick(self) -> None:
        if not self.running:
            return
        self.blocks += 1
        if not self.capture.frozen:
            indata = self.capture._capture(self.blocksize)
            outdata = np.zeros(self.blocksize, dtype=np.int16)
            xrun, self.capture._xrun = self.capture._xrun, False
            self.callback(indata, outdata, xrun)
            self.playback._played.append(outdata)
        self._schedule()

    def end(self) -> None:
        """The device went away: stop calling back and report it, as PortAudio does."""
        if self.running:
            self.stop()
            self.finished()

    def stop(self) -> None:
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for dev in (self.capture, self.playback):
            if self in dev.streams:
                dev.streams.remove(self)

    def close(self) -> None:
        self.stop()


class FakeAudioBackend:
    """Named fake devices; ``ppm`` makes every stream's clock run that many parts per million fast."""

    name = "fake"

    def __init__(self, clock: Clock, devices: Sequence[FakeSoundDevice] = (), ppm: float = 0.0) -> None:
        self.clock = clock
        self.devices = list(devices)
        self.ppm = ppm
        self.opened: list[FakeStream] = []

    def add(self, device: FakeSoundDevice) -> FakeSoundDevice:
        self.devices.append(device)
        return device

    def resolve(self, name: str, kind: str) -> FakeSoundDevice:
        present = [d for d in self.devices if d.present]
        return present[match_device(name, kind, [d.name for d in present])]

    def pick_rate(self, capture: FakeSoundDevice, playback: FakeSoundDevice, rates: Sequence[int]) -> int:
        for rate in rates:
            if rate in capture.rates and rate in playback.rates:
                return rate
        raise HardwareError(f"sound devices accept none of the rates {list(rates)} Hz")

    def open_stream(self, capture: FakeSoundDevice, playback: FakeSoundDevice, rate: int, blocksize: int,
                    callback: StreamCallback, finished: Callable[[], None]) -> FakeStream:
        if not (capture.present and playback.present):
            raise HardwareError(f"could not open sound device {capture.name!r}: not present")
        stream = FakeStream(self.clock, capture, playback, rate, blocksize, callback, finished, self.ppm)
        self.opened.append(stream)
        return stream
