"""The modem's voice audio as an :class:`~drivers.audio.base.AudioChannel`: modem bytes ⇄ 8 kHz int16 frames.

What it is: :class:`ModemAudioChannel`. Captured bytes (voice data after ``AT+VRX``/``AT+VTR``, already
un-shielded by the protocol) are converted to int16 and cut into 160-sample frames on the reader thread;
``read()`` hands them out on the loop thread. ``write(frame)`` converts a frame to the modem's sample format,
doubles every DLE byte (0x10 → 0x10 0x10) and sends it while the modem is transmitting; otherwise it keeps the
frame (bounded) and asks the port to switch a half-duplex modem to transmit. After ``idle_frames`` silent
frames with nothing left to send, it asks to go back to receiving.

Latency: when more than ``high_water`` captured frames wait (the modem's sample clock runs a little faster than
the engine's), ``read()`` drops the oldest down to ``low_water`` (``skew_drops``).

Formats: ``u8`` (8-bit unsigned linear, 0x80 silence) and ``s16le`` — see :mod:`drivers.modem.profiles`.

What it is not: the AT dialogue (the port does that on its command thread).
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from drivers.audio.base import (DEFAULT_DEPTH, FaultCallback, FrameQueue, check_frame, new_counters, put_frame,
                                take_frame, trim_latency)
from drivers.port import FRAME_SAMPLES


def decode(data: bytes, fmt: str) -> np.ndarray:
    """Modem voice bytes → int16 samples."""
    if fmt == "u8":
        return ((np.frombuffer(data, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if fmt == "s16le":
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)
    raise ValueError(f"unknown modem sample format {fmt!r}")


def encode(frame: np.ndarray, fmt: str) -> bytes:
    """int16 samples → modem voice bytes (not yet DLE-shielded)."""
    if fmt == "u8":
        return ((frame.astype(np.int32) + 32768 + 128) >> 8).clip(0, 255).astype(np.uint8).tobytes()
    if fmt == "s16le":
        return frame.astype("<i2").tobytes()
    raise ValueError(f"unknown modem sample format {fmt!r}")


def shield(data: bytes) -> bytes:
    """Double every DLE byte so the modem reads it as data."""
    return data.replace(b"\x10", b"\x10\x10")


class ModemAudioChannel:
    """Audio of one voice modem line."""

    def __init__(self, sample_format: str = "u8", *, depth: int = DEFAULT_DEPTH, dle_double: bool = True,
                 idle_frames: int = 10, high_water: int = 6, low_water: int = 3) -> None:
        self.sample_format = sample_format
        self.bytes_per_frame = FRAME_SAMPLES * (2 if sample_format == "s16le" else 1)
        self.dle_double = dle_double
        self.idle_frames = idle_frames
        self.high_water, self.low_water = high_water, low_water
        self.counters = new_counters()
        self.counters["skew_drops"] = 0
        self.on_fault: FaultCallback | None = None
        self.sender: Callable[[bytes], None] | None = None  # set while the modem transmits
        self.on_want: Callable[[str], None] | None = None   # "transmit" / "receive" for half duplex
        self.half_duplex = False
        self.closed = False
        self._capture = FrameQueue(depth)
        self._pending = FrameQueue(depth)
        self._partial = b""
        self._silent = 0
        self._send_lock = threading.Lock()

    def set_sender(self, sender: Callable[[bytes], None] | None) -> None:
        """Start (a write function) or stop (None) sending; never while a frame is half sent."""
        with self._send_lock:
            self.sender = sender

    # -- reader thread --------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Voice bytes from the modem (un-shielded)."""
        data = self._partial + data
        whole = len(data) - len(data) % self.bytes_per_frame
        for start in range(0, whole, self.bytes_per_frame):
            frame = decode(data[start:start + self.bytes_per_frame], self.sample_format)
            put_frame(self._capture, frame, self.counters)
        self._partial = data[whole:]

    # -- loop thread ----------------------------------------------------------------------------------
    def read(self) -> np.ndarray:
        trim_latency(self._capture, self.high_water, self.low_water, self.counters)
        return take_frame(self._capture, self.counters)

    def write(self, frame: np.ndarray) -> None:
        frame = check_frame(frame)
        if self.closed:
            return
        self.counters["frames_out"] += 1
        silent = not frame.any()
        self._silent = self._silent + 1 if silent else 0
        if self.sender is None:
            if not silent or len(self._pending):
                put_frame(self._pending, frame, self.counters)
                if self.half_duplex and self.on_want is not None and not silent:
                    self.on_want("transmit")
            return
        self.flush()
        self._send(frame)
        if self.half_duplex and self._silent >= self.idle_frames and self.on_want is not None:
            self.on_want("receive")

    def _send(self, frame: np.ndarray) -> None:
        data = encode(frame, self.sample_format)
        with self._send_lock:
            if self.sender is None:  # the modem stopped transmitting meanwhile: keep the frame
                self._pending.put(frame)
                return
            try:
                self.sender(shield(data) if self.dle_double else data)
            except Exception as exc:  # the device went away; the reader thread reports the fault
                self.sender = None
                self.counters["overruns"] += 1
                if self.on_fault is not None:
                    self.on_fault(f"modem audio write failed: {exc}")

    def flush(self) -> None:
        """Send what was kept while the modem was not transmitting."""
        while self.sender is not None and (frame := self._pending.get()) is not None:
            self._send(frame)

    def reset(self) -> None:
        """A new call: forget half-cut bytes and anything not yet sent (captured frames stay readable)."""
        self._partial = b""
        self._pending.clear()
        self._silent = 0
        self.set_sender(None)

    def close(self) -> None:
        self.closed = True
        self.set_sender(None)
        self._pending.clear()

    @property
    def pending(self) -> int:
        return len(self._pending)
