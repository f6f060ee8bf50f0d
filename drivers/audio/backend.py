"""The seam between an audio channel and the sound system: :class:`AudioBackend` and :class:`AudioStream`.

What it is: the small interface :class:`~drivers.audio.sounddevice_channel.SoundDeviceChannel` needs from a
sound system — find a device by name, pick a sample rate it supports, open a full-duplex mono int16 stream that
calls back once per block. Backends: :class:`~drivers.audio.portaudio.PortAudioBackend` (sounddevice, real) and
:class:`~drivers.audio.fake.FakeAudioBackend` (devices with test verbs, driven by the injected clock).

What it is not: policy. Fault handling, buffering and resampling live in the channel.

The stream callback is ``callback(indata, outdata, xrun)``: ``indata`` and ``outdata`` are 1-D int16 arrays of
the same length at the device rate (``outdata`` must be filled in place), ``xrun`` is True when the sound
system reported an overflow or underflow. ``finished()`` is called when the stream ends on its own (the device
went away); it is not called after a ``stop()`` the channel asked for.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

import numpy as np

from drivers.errors import HardwareError

StreamCallback = Callable[[np.ndarray, np.ndarray, bool], None]

PREFERRED_RATES = (8000, 48000, 44100, 16000)
"""Device rates tried in order when the board profile does not fix one."""


class AudioStream(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class AudioBackend(Protocol):
    name: str

    def resolve(self, name: str, kind: str) -> Any:
        """The device called ``name`` (exact, else the one name containing it) for ``kind`` "input"/"output"."""

    def pick_rate(self, capture: Any, playback: Any, rates: Sequence[int]) -> int:
        """The first of ``rates`` both devices accept, else raise :class:`HardwareError`."""

    def open_stream(self, capture: Any, playback: Any, rate: int, blocksize: int,
                    callback: StreamCallback, finished: Callable[[], None]) -> AudioStream:
        """Open (not start) a full-duplex mono int16 stream."""


def match_device(name: str, kind: str, names: Sequence[str]) -> int:
    """Index into ``names`` of the device called ``name``: an exact (case-insensitive) match wins, else the
    only name containing it. Raises :class:`HardwareError` naming the choices when none or several match."""
    wanted = name.strip().lower()
    if wanted.isdigit():
        raise HardwareError(f"{kind} sound device {name!r} looks like an index; Switchboard picks sound devices "
                            "by name (an index changes when a codec is plugged in elsewhere)")
    exact = [i for i, n in enumerate(names) if n.lower() == wanted]
    if len(exact) == 1:
        return exact[0]
    partial = [i for i, n in enumerate(names) if wanted and wanted in n.lower()]
    if len(partial) == 1:
        return partial[0]
    listed = ", ".join(repr(n) for n in names) or "none"
    if not partial:
        raise HardwareError(f"no {kind} sound device named {name!r} (devices: {listed}); "
                            "check the board profile's audio device names and that the codec is plugged in")
    choices = ", ".join(repr(names[i]) for i in partial)
    raise HardwareError(f"{kind} sound device name {name!r} is ambiguous ({choices}); use the full name")
