"""Audio plumbing of the simulated office: pull-driven channels, what a party says, and what it hears.

What it is:

* :class:`PullChannel` — an :class:`~drivers.audio.base.AudioChannel` whose ``read()`` asks the far side for
  its next frame and whose ``write()`` hands the frame to the far side, both inside the engine's media tick.
  Nothing pumps on its own, so virtual time stays cheap: an idle far side returns the shared silence frame.
* :class:`Mouth` — samples a simulated person or exchange will send (DTMF key presses, speech, tones).
* :class:`Ear` — the last seconds a simulated person heard, and :meth:`Ear.hears` which recognises a country's
  call-progress tone (frequencies and cadence), silence, or any sound.
* :func:`speech` — deterministic voice-like audio (a gliding pitch with harmonics, syllable envelope).

What it is not: a real audio device (drivers/audio/) or a detector the firmware relies on (drivers/dsp/).
"""
from __future__ import annotations

from collections import deque
from functools import lru_cache
from typing import Callable

import numpy as np

from drivers.audio.base import new_counters
from drivers.clock import Clock
from drivers.line_audio import Outbox
from drivers.port import FRAME_SAMPLES, FRAME_SECONDS, RATE, SILENCE

Source = Callable[[], np.ndarray | None]
Sink = Callable[[np.ndarray], None]


class PullChannel:
    """A port's audio channel whose far side is a simulated line or phone."""

    def __init__(self, source: Source, sink: Sink, name: str = "sim") -> None:
        self.name = name
        self.source = source
        self.sink = sink
        self.counters = new_counters()
        self.on_fault: Callable[[str | None], None] | None = None
        self.closed = False
        self.unplugged: str | None = None

    def read(self) -> np.ndarray:
        if self.closed or self.unplugged:
            return SILENCE
        frame = self.source()
        if frame is None:
            return SILENCE
        self.counters["frames_in"] += 1
        return frame

    def write(self, frame: np.ndarray) -> None:
        if self.closed or self.unplugged:
            return
        self.counters["frames_out"] += 1
        self.sink(frame)

    def close(self) -> None:
        self.closed = True

    # -- test verbs ------------------------------------------------------------------------------------
    def unplug(self, reason: str = "the USB sound device was unplugged") -> None:
        """The sound device disappears: the port is told, and audio stops flowing."""
        self.unplugged = reason
        if self.on_fault is not None:
            self.on_fault(reason)

    def plug(self) -> None:
        self.unplugged = None
        if self.on_fault is not None:
            self.on_fault(None)


class Mouth:
    """Samples queued to be sent, one frame per tick; ``None`` when there is nothing to say."""

    def __init__(self) -> None:
        self._queue = Outbox()
        self.loop: Callable[[int], np.ndarray] | None = None   # an endless source (a tone generator)

    def say(self, samples: np.ndarray) -> None:
        self._queue.push(samples)

    def play(self, generator: Callable[[int], np.ndarray] | None) -> None:
        """Play ``generator(n)`` whenever nothing else is queued (None: stop)."""
        self.loop = generator

    def clear(self) -> None:
        self._queue.clear()
        self.loop = None

    @property
    def busy(self) -> bool:
        return bool(self._queue)

    def next_frame(self) -> np.ndarray | None:
        if self._queue:
            return self._queue.frame()
        return self.loop(FRAME_SAMPLES) if self.loop is not None else None


class Ear:
    """The last ``seconds`` of what someone heard, frame by frame, with the clock time of each frame."""

    def __init__(self, clock: Clock, seconds: float = 16.0) -> None:
        self.clock = clock
        self.frames: deque[tuple[float, np.ndarray]] = deque(maxlen=int(seconds / FRAME_SECONDS))

    def hear(self, frame: np.ndarray) -> None:
        self.frames.append((self.clock.now(), frame))

    def clear(self) -> None:
        self.frames.clear()

    def heard(self, seconds: float | None = None) -> np.ndarray:
        """What was heard in the last ``seconds`` (all that is kept when None), as one int16 array."""
        if seconds is None:
            frames = [f for _, f in self.frames]
        else:
            since = self.clock.now() - seconds - 1e-9
            frames = []
            for t, f in reversed(self.frames):
                if t <= since:
                    break
                frames.append(f)
            frames.reverse()
        return np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)

    def hears(self, what: str, country: str = "US") -> bool:
        """True when the recent audio is ``what``: a call-progress tone name, "silence" or "sound"."""
        from drivers.sim.listen import recognise

        return recognise(self, what, country)


def speech(seconds: float, seed: int = 1, level: float = 3000.0) -> np.ndarray:
    """Voice-like audio: a gliding 110-190 Hz pitch with decaying harmonics, in 4 Hz syllables, int16.

    Long stretches repeat a 4-second phrase (one of eight, by ``seed``), so talking for minutes costs nothing.
    """
    n = int(round(seconds * RATE))
    phrase = _phrase(seed % 8, level)
    reps = -(-n // len(phrase))
    return np.tile(phrase, reps)[:n] if reps > 1 else phrase[:n].copy()


@lru_cache(maxsize=16)
def _phrase(seed: int, level: float, seconds: float = 4.0) -> np.ndarray:
    n = int(round(seconds * RATE))
    t = np.arange(n) / RATE
    rng = np.random.default_rng(seed)
    pitch = 150 + 40 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)), 0, None) ** 0.7
    noise = rng.normal(0, 0.05, n)
    x = (voice * syllables + noise) * level / 2.0
    out = np.clip(x, -32767, 32767).astype(np.int16)
    out.setflags(write=False)
    return out
