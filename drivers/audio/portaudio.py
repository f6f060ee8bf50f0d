"""The real sound system: PortAudio through the ``sounddevice`` package.

What it is: :class:`PortAudioBackend`, an :class:`~drivers.audio.backend.AudioBackend` that finds devices by
name, checks which rate they accept and opens full-duplex mono int16 callback streams. ``sounddevice`` (and so
libportaudio) is imported only when the backend is first used, so importing this module touches no hardware.

What it is not: the channel (buffering, resampling, faults — :mod:`drivers.audio.sounddevice_channel`).

Hot-plug: PortAudio enumerates devices once when it initialises. When a device cannot be found and no stream
of this backend is open, :meth:`rescan` re-initialises PortAudio so a codec plugged back in is seen again;
while other streams run, the rescan is skipped (it would cut them off) and the retry waits.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Sequence

import numpy as np

from drivers.audio.backend import StreamCallback, match_device
from drivers.errors import BackendUnavailable, HardwareError

log = logging.getLogger(__name__)


class _Stream:
    """A started/stopped sounddevice stream that counts itself in its backend's open streams."""

    def __init__(self, backend: "PortAudioBackend", stream: Any) -> None:
        self._backend, self._stream, self._closed = backend, stream, False

    def start(self) -> None:
        self._stream.start()

    def stop(self) -> None:
        self._stream.abort(ignore_errors=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._stream.close(ignore_errors=True)
            finally:
                self._backend._forget()


class PortAudioBackend:
    """Sound devices through PortAudio (``sounddevice``)."""

    name = "portaudio"

    def __init__(self) -> None:
        self._sd: Any = None
        self._lock = threading.Lock()
        self._open = 0

    def _lib(self) -> Any:
        if self._sd is None:
            try:
                import sounddevice
            except (ImportError, OSError) as exc:  # OSError: libportaudio missing
                raise BackendUnavailable(f"the sounddevice audio backend needs PortAudio: {exc}") from exc
            self._sd = sounddevice
            log.info("audio backend: PortAudio %s via sounddevice %s",
                     sounddevice.get_portaudio_version()[1], sounddevice.__version__)
        return self._sd

    def device_names(self, kind: str) -> list[tuple[int, str]]:
        key = f"max_{kind}_channels"
        return [(d["index"], d["name"]) for d in self._lib().query_devices() if d[key] > 0]

    def resolve(self, name: str, kind: str) -> int:
        devices = self.device_names(kind)
        return devices[match_device(name, kind, [n for _, n in devices])][0]

    def rescan(self) -> bool:
        """Re-enumerate devices when no stream is open; True when it did."""
        sd = self._lib()
        with self._lock:
            if self._open:
                return False
            sd._terminate()
            sd._initialize()
        return True

    def pick_rate(self, capture: int, playback: int, rates: Sequence[int]) -> int:
        sd = self._lib()
        for rate in rates:
            try:
                sd.check_input_settings(device=capture, channels=1, dtype="int16", samplerate=rate)
                sd.check_output_settings(device=playback, channels=1, dtype="int16", samplerate=rate)
                return rate
            except Exception:  # PortAudioError / ValueError: not supported
                continue
        raise HardwareError(f"sound devices accept none of the rates {list(rates)} Hz")

    def open_stream(self, capture: int, playback: int, rate: int, blocksize: int,
                    callback: StreamCallback, finished: Callable[[], None]) -> _Stream:
        sd = self._lib()

        def pa_callback(indata: np.ndarray, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
            callback(indata[:, 0], outdata[:, 0], bool(status))

        try:
            stream = sd.Stream(device=(capture, playback), samplerate=rate, blocksize=blocksize, channels=1,
                               dtype="int16", latency="low", callback=pa_callback, finished_callback=finished)
        except Exception as exc:
            raise HardwareError(f"could not open sound device: {exc}") from exc
        with self._lock:
            self._open += 1
        return _Stream(self, stream)

    def _forget(self) -> None:
        with self._lock:
            self._open -= 1
