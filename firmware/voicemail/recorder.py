"""Writing a recording to disk safely: a message or greeting as it is spoken.

What it is: :class:`MessageWriter`, a recording sink (``write(frame)``) that streams every 20 ms frame to a
temp file (``.<name>.part`` in the mailbox folder) as it arrives and keeps the frames in memory. When the
recording ends, :meth:`MessageWriter.finish` cuts what is not the caller's (the stop key's tone, silence at
both ends when ``silence_trim``), refuses recordings shorter than the minimum, and writes the final WAV under
a temp name that is renamed when complete. If the disk fills while recording (``ENOSPC`` or any
``OSError``), writing stops, ``on_error`` is called once (the application tells the caller) and whatever
reached the disk is still finished into a message: the part file's header is fixed in place and it is
renamed, which needs no more space.

What it is not: the index row or the message-waiting lamp (``firmware.voicemail.mailbox``).
"""
from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from drivers.port import FRAME_SAMPLES, RATE
from firmware.prompts.wavio import WAV_HEADER_BYTES, wav_header, write_wav

SILENCE_RMS = 200.0
"""A 20 ms frame below this RMS (int16 units, about -44 dBFS) is silence for trimming."""
TRIM_MARGIN = 0.25
"""Seconds of silence kept before the first and after the last sound."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finished:
    """A recording that was kept: its final ``path``, ``seconds`` and whether the disk cut it short."""

    path: Path
    seconds: float
    partial: bool


def trim_silence(samples: np.ndarray, margin: float = TRIM_MARGIN) -> np.ndarray:
    """Cut silence at both ends, keeping ``margin`` seconds around the sound; all silence → empty."""
    n = len(samples) // FRAME_SAMPLES
    if n == 0:
        return samples[:0]
    frames = samples[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES).astype(np.float64)
    loud = np.nonzero(np.sqrt((frames ** 2).mean(axis=1)) >= SILENCE_RMS)[0]
    if len(loud) == 0:
        return samples[:0]
    keep = int(margin * RATE / FRAME_SAMPLES)
    first = max(0, loud[0] - keep) * FRAME_SAMPLES
    last = min(len(samples), (loud[-1] + 1 + keep) * FRAME_SAMPLES)
    return samples[first:last]


class MessageWriter:
    """A recording sink that streams to a part file and finishes into a complete WAV; see the module doc."""

    def __init__(self, folder: Path, on_error: Callable[[OSError], None] | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.part = self.folder / f".rec-{uuid.uuid4().hex}.part"
        self.on_error = on_error
        self.error: OSError | None = None
        self._frames: list[np.ndarray] = []
        self._fd: int | None = None
        self._written = 0
        try:
            self._fd = os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            self._write_bytes(wav_header(0))
        except OSError as exc:
            self._fail(exc)

    @property
    def seconds(self) -> float:
        return sum(len(f) for f in self._frames) / RATE

    @property
    def disk_full(self) -> bool:
        return self.error is not None

    def _write_bytes(self, data: bytes) -> None:
        """One write to the part file (the seam a test uses to fill the disk)."""
        assert self._fd is not None
        done = 0
        while done < len(data):
            done += os.write(self._fd, data[done:])

    def write(self, frame: np.ndarray) -> None:
        if self.error is not None:
            return
        frame = np.asarray(frame, dtype=np.int16)
        try:
            self._write_bytes(frame.astype("<i2").tobytes())
        except OSError as exc:
            self._fail(exc)
            return
        self._frames.append(frame.copy())
        self._written += len(frame)

    def _fail(self, exc: OSError) -> None:
        self.error = exc
        log.error("recording to %s stopped: %s", self.folder, exc)
        if self.on_error is not None:
            callback, self.on_error = self.on_error, None
            callback(exc)

    def samples(self) -> np.ndarray:
        return np.concatenate(self._frames) if self._frames else np.zeros(0, dtype=np.int16)

    def finish(self, final: Path, trim_end_seconds: float = 0.0, min_seconds: float = 0.0,
               silence_trim: bool = True) -> Finished | None:
        """Keep the recording as ``final`` (None: too short, discarded). Never leaves the part file behind."""
        samples = self.samples()
        cut = int(max(0.0, trim_end_seconds) * RATE)
        if cut:
            samples = samples[: max(0, len(samples) - cut)]
        if silence_trim:
            samples = trim_silence(samples)
        seconds = len(samples) / RATE
        if seconds < min_seconds or len(samples) == 0:
            self.discard()
            return None
        partial = self.error is not None
        try:
            write_wav(final, samples)
        except OSError as exc:
            log.error("cannot write %s (%s); keeping the recording as it reached the disk", final, exc)
            return self._finish_in_place(final)
        self.discard()
        return Finished(final, seconds, partial)

    def _finish_in_place(self, final: Path) -> Finished | None:
        """The disk is full: fix the part file's header and rename it (needs no new space)."""
        self._close()
        try:
            with open(self.part, "r+b") as fh:
                fh.truncate(WAV_HEADER_BYTES + self._written * 2)
                fh.write(wav_header(self._written))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(self.part, final)
        except OSError as exc:
            log.error("recording lost: %s", exc)
            self.discard()
            return None
        return Finished(final, self._written / RATE, True)

    def _close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = None

    def discard(self) -> None:
        """Close and delete the part file."""
        self._close()
        try:
            self.part.unlink()
        except FileNotFoundError:
            pass
