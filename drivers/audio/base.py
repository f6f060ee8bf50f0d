"""The audio channel: what a port's audio runs over, plus the in-memory channel the simulator uses.

What it is: the :class:`AudioChannel` protocol every port's audio goes through, a bounded lock-free
:class:`FrameQueue`, and :class:`MemoryChannel` (with a *far side* the simulated exchange or desk phone drives)
and :class:`LoopbackChannel` (what the port plays comes back as what it captures).

What it is not: a pump. Nothing here runs on its own; the engine's 20 ms media tick pulls ``read()`` and pushes
``write()``. Real devices live beside this module (:mod:`drivers.audio.sounddevice_channel`, the modem's
channel in :mod:`drivers.modem`).

Format: 8 kHz mono, signed 16-bit (``numpy.int16``), frames of exactly ``FRAME_SAMPLES`` (160) samples = 20 ms.
``far_write`` accepts any number of int16 samples (or floats in -1..1 are refused: convert first).

Counters (``channel.counters``, a plain dict the control API can show):

=========== =======================================================================================
underruns   ``read()`` found nothing captured and returned silence
overruns    a queue was full and its oldest frame was dropped (capture or playback side)
frames_in   frames captured and handed to the port by ``read()``
frames_out  frames the port queued with ``write()``
=========== =======================================================================================

Threads: a driver thread (PortAudio callback, serial reader) may fill the capture side or drain the playback
side while the loop thread calls ``read``/``write``; :class:`FrameQueue` relies on ``collections.deque``'s atomic
``append``/``popleft``, so no lock is taken per frame. Counters are plain ints (an occasional lost increment
under a race is acceptable for a statistic).

Faults: a channel that loses its device calls ``on_fault(reason)``; when the device is back it calls
``on_fault(None)``. The port turns these into ``fault`` / ``fault_cleared`` events. The callback may come
from any thread (``Port.emit`` is thread-safe).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

import numpy as np

from drivers.port import FRAME_SAMPLES, SILENCE

if TYPE_CHECKING:
    from drivers.port import Port

FaultCallback = Callable[[str | None], None]
"""``on_fault(reason)``: a sentence when the channel fails, ``None`` when it works again."""

DEFAULT_DEPTH = 25
"""Default queue depth in frames (25 × 20 ms = 0.5 s) before the oldest frame is dropped."""


def new_counters() -> dict[str, int]:
    """A fresh counters dict with every key at zero."""
    return {"underruns": 0, "overruns": 0, "frames_in": 0, "frames_out": 0}


ChannelCounters = dict[str, int]


@runtime_checkable
class AudioChannel(Protocol):
    """What a port's audio runs over. ``read``/``write`` are called once per 20 ms tick from the loop thread."""

    counters: ChannelCounters
    on_fault: FaultCallback | None

    def read(self) -> np.ndarray:
        """The next captured 160-sample int16 frame; silence (and ``underruns += 1``) when none is waiting."""

    def write(self, frame: np.ndarray) -> None:
        """Queue 160 int16 samples for playback; when full the oldest queued frame is dropped (``overruns``)."""

    def close(self) -> None:
        """Stop the channel and release its device; idempotent. ``read`` then returns silence."""


def check_frame(frame: np.ndarray) -> np.ndarray:
    """Return ``frame`` as a 160-sample int16 array, or raise ``ValueError`` saying what is wrong with it."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.int16:
        frame = np.asarray(frame)
        if frame.dtype != np.int16:
            raise ValueError(f"audio frames are int16, got {frame.dtype}")
    if frame.shape != (FRAME_SAMPLES,):
        raise ValueError(f"audio frames are {FRAME_SAMPLES} samples, got shape {frame.shape}")
    return frame


class FrameQueue:
    """A bounded FIFO of frames; when full, ``put`` drops the oldest frame and returns False.

    Safe for one producer and one consumer on different threads without a lock.
    """

    __slots__ = ("_q", "depth")

    def __init__(self, depth: int = DEFAULT_DEPTH) -> None:
        if depth < 1:
            raise ValueError("a frame queue holds at least one frame")
        self._q: deque[np.ndarray] = deque()
        self.depth = depth

    def put(self, frame: np.ndarray) -> bool:
        """Append ``frame``; False when the oldest frame had to be dropped to make room."""
        dropped = False
        if len(self._q) >= self.depth:
            try:
                self._q.popleft()
            except IndexError:  # the consumer emptied it meanwhile
                pass
            dropped = True
        self._q.append(frame)
        return not dropped

    def get(self) -> np.ndarray | None:
        """The oldest frame, or None when empty."""
        try:
            return self._q.popleft()
        except IndexError:
            return None

    def clear(self) -> None:
        self._q.clear()

    def __len__(self) -> int:
        return len(self._q)


def take_frame(queue: FrameQueue, counters: ChannelCounters) -> np.ndarray:
    """The oldest captured frame (``frames_in += 1``), or silence when none waits (``underruns += 1``)."""
    frame = queue.get()
    if frame is None:
        counters["underruns"] += 1
        return SILENCE
    counters["frames_in"] += 1
    return frame


def put_frame(queue: FrameQueue, frame: np.ndarray, counters: ChannelCounters) -> None:
    """Queue ``frame``; when the queue was full its oldest frame is dropped (``overruns += 1``)."""
    if not queue.put(frame):
        counters["overruns"] += 1


def put_samples(queue: FrameQueue, samples: np.ndarray, counters: ChannelCounters) -> np.ndarray:
    """Queue each whole frame of ``samples`` (a copy, through :func:`put_frame`); return the rest (fewer than
    ``FRAME_SAMPLES`` samples, a copy) for the caller to put in front of the next samples."""
    whole = len(samples) - len(samples) % FRAME_SAMPLES
    for start in range(0, whole, FRAME_SAMPLES):
        put_frame(queue, samples[start:start + FRAME_SAMPLES].copy(), counters)
    return samples[whole:].copy()


def trim_latency(queue: FrameQueue, high_water: int, low_water: int, counters: ChannelCounters) -> None:
    """When more than ``high_water`` frames wait (the far clock runs ahead), drop the oldest down to
    ``low_water``, counting ``skew_drops``: latency never builds up over a long call."""
    if len(queue) > high_water:
        while len(queue) > low_water and queue.get() is not None:
            counters["skew_drops"] = counters.get("skew_drops", 0) + 1


class MemoryChannel:
    """An in-memory channel with a far side: the simulated line or phone at the other end of the wire.

    Port side: ``read()`` / ``write(frame)`` / ``close()`` / ``counters``. Far side: ``far_write(samples)`` feeds
    what the port will capture (any length; whole frames become readable, a remainder waits for more),
    ``far_read()`` returns the next frame the port played (silence when none), ``far_drain()`` everything
    the port played and nobody read yet, as one array.
    """

    def __init__(self, depth: int = DEFAULT_DEPTH, name: str = "memory") -> None:
        self.name = name
        self.counters: ChannelCounters = new_counters()
        self.on_fault: FaultCallback | None = None
        self.closed = False
        self._capture = FrameQueue(depth)
        self._playback = FrameQueue(depth)
        self._partial = np.zeros(0, dtype=np.int16)

    # -- port side --------------------------------------------------------------------------------
    def read(self) -> np.ndarray:
        return take_frame(self._capture, self.counters)

    def write(self, frame: np.ndarray) -> None:
        frame = check_frame(frame)
        if self.closed:
            return
        self.counters["frames_out"] += 1
        put_frame(self._playback, frame, self.counters)

    def close(self) -> None:
        self.closed = True
        self._capture.clear()

    # -- far side ---------------------------------------------------------------------------------
    def far_write(self, samples: np.ndarray) -> None:
        """Feed int16 samples the port will capture (what the far end says)."""
        samples = np.asarray(samples)
        if samples.dtype != np.int16:
            raise ValueError(f"far_write takes int16 samples, got {samples.dtype}")
        if self.closed:
            return
        if not len(self._partial) and samples.shape == (FRAME_SAMPLES,):
            self._capture_frame(samples.copy())
            return
        if len(self._partial):
            samples = np.concatenate((self._partial, samples.ravel()))
        self._partial = put_samples(self._capture, samples, self.counters)

    def _capture_frame(self, frame: np.ndarray) -> None:
        put_frame(self._capture, frame, self.counters)

    def far_read(self) -> np.ndarray:
        """The next frame the port played, or silence when it played nothing."""
        frame = self._playback.get()
        return SILENCE if frame is None else frame

    def far_drain(self) -> np.ndarray:
        """Everything the port played that the far side has not read yet, oldest first."""
        frames = []
        while (frame := self._playback.get()) is not None:
            frames.append(frame)
        return np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)

    @property
    def far_pending(self) -> int:
        """Frames played by the port and not yet read by the far side."""
        return len(self._playback)

    def report_fault(self, reason: str | None) -> None:
        """Test verb: behave as if the device failed (``reason``) or came back (``None``)."""
        if self.on_fault is not None:
            self.on_fault(reason)


class LoopbackChannel(MemoryChannel):
    """A channel whose playback comes straight back as capture: ``write(f)`` then ``read()`` returns ``f``."""

    def write(self, frame: np.ndarray) -> None:
        frame = check_frame(frame)
        if self.closed:
            return
        self.counters["frames_out"] += 1
        self._capture_frame(frame.copy())


def report_faults_to(port: "Port", channel: AudioChannel) -> None:
    """Wire ``channel``'s fault reports to ``port``: a reason → ``fault`` event, ``None`` → ``fault_cleared``.

    ``Port.emit`` is thread-safe, so the channel may report from its device thread.
    """

    def on_fault(reason: str | None) -> None:
        if reason is not None:
            port.emit("fault", reason=reason)
        elif port.fault is not None:
            port.emit("fault_cleared")

    channel.on_fault = on_fault
