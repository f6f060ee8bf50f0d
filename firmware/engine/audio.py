"""Audio sources and sinks the engine plays to and records from a leg.

What it is: the :class:`AudioSource` protocol (``read(n) -> int16 array | None``; fewer than ``n`` samples is
allowed, ``None`` means finished), the sources every application needs — :class:`ArraySource` (samples in
memory), :func:`wav_source` (a WAV file), :class:`SilenceSource`, :class:`ToneSource` (a call-progress tone
of the configured country, from ``drivers.dsp``), :class:`Concat` (one after another) — and the
:class:`RecordingSink` protocol (``write(frame)``) with :class:`BufferSink`, a sink in memory.

Formats accepted by :func:`load_wav`: RIFF WAV, PCM 16-bit (or 8-bit unsigned), µ-law or A-law (format tags
7/6), mono or stereo (mixed down), any sample rate (resampled linearly to 8 kHz). Anything else raises
:class:`~drivers.errors.DecodeError` naming the file and the reason.

What it is not: a file writer. Voicemail owns how messages reach the disk (temp name, rename, index row).
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

import numpy as np

from drivers.errors import DecodeError
from drivers.port import FRAME_SAMPLES, RATE


class AudioSource(Protocol):
    """Something that produces 8 kHz int16 audio; ``read`` returns ``None`` when finished."""

    def read(self, n: int) -> np.ndarray | None: ...


class RecordingSink(Protocol):
    """Something that takes 20 ms frames of what a leg's far end says."""

    def write(self, frame: np.ndarray) -> None: ...


class ArraySource:
    """Plays an int16 array once (``loop=True``: for ever)."""

    def __init__(self, samples: np.ndarray, loop: bool = False) -> None:
        self.samples = np.asarray(samples, dtype=np.int16)
        self.loop = loop
        self.pos = 0

    def read(self, n: int) -> np.ndarray | None:
        if self.pos >= len(self.samples):
            if not self.loop or len(self.samples) == 0:
                return None
            self.pos = 0
        chunk = self.samples[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


class SilenceSource:
    """``seconds`` of silence (``None``: for ever)."""

    def __init__(self, seconds: float | None = None) -> None:
        self.left = None if seconds is None else int(round(seconds * RATE))

    def read(self, n: int) -> np.ndarray | None:
        if self.left is None:
            return np.zeros(n, dtype=np.int16)
        if self.left <= 0:
            return None
        k = min(n, self.left)
        self.left -= k
        return np.zeros(k, dtype=np.int16)


class Concat:
    """Plays sources one after the other."""

    def __init__(self, sources: Iterable[AudioSource]) -> None:
        self.sources = list(sources)

    def read(self, n: int) -> np.ndarray | None:
        while self.sources:
            chunk = self.sources[0].read(n)
            if chunk is not None and len(chunk):
                return chunk
            if chunk is None:
                self.sources.pop(0)
        return None


class ToneSource:
    """A call-progress tone (``dial``, ``ringback``, ``busy``, ``reorder``, ``stutter``, …) of a country.

    Wraps ``drivers.dsp.ToneGenerator(country, name)``; ``seconds=None`` plays until stopped.
    """

    def __init__(self, country: str, name: str, seconds: float | None = None,
                 generator_factory: Callable[[str, str], Any] | None = None) -> None:
        factory = generator_factory or _dsp_tone_generator
        self.name = name
        self.gen = factory(country, name)
        self.left = None if seconds is None else int(round(seconds * RATE))

    def read(self, n: int) -> np.ndarray | None:
        if getattr(self.gen, "finished", False):
            return None
        if self.left is not None:
            if self.left <= 0:
                return None
            n = min(n, self.left)
            self.left -= n
        return _generator_read(self.gen, n)


TONE_ALIASES = {"stutter": "stutter_dial", "stutter_dial_tone": "stutter_dial", "dialtone": "dial"}
"""Names applications may use for tones the DSP table spells differently."""


def _dsp_tone_generator(country: str, name: str) -> Any:
    from drivers.dsp.tones import ToneGenerator  # imported here: DSP is loaded when a tone first plays
    return ToneGenerator(country, TONE_ALIASES.get(name, name))


def _generator_read(gen: Any, n: int) -> np.ndarray:
    for method in ("read", "generate", "samples"):
        fn = getattr(gen, method, None)
        if fn is not None:
            out = fn(n)
            if out is None:  # a finite tone (e.g. stutter then steady) that ended: keep silence
                return np.zeros(n, dtype=np.int16)
            return np.asarray(out, dtype=np.int16)
    raise TypeError(f"tone generator {gen!r} has no read(n)")


class BufferSink:
    """Keeps every recorded frame in memory (tests, short recordings)."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def write(self, frame: np.ndarray) -> None:
        self.frames.append(np.array(frame, dtype=np.int16))

    @property
    def samples(self) -> np.ndarray:
        if not self.frames:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self.frames)

    @property
    def seconds(self) -> float:
        return len(self.frames) * FRAME_SAMPLES / RATE


def next_frame(source: AudioSource) -> tuple[np.ndarray, bool]:
    """Read one full 160-sample frame from ``source``; returns ``(frame, finished)`` (padded with silence)."""
    parts: list[np.ndarray] = []
    have = 0
    while have < FRAME_SAMPLES:
        chunk = source.read(FRAME_SAMPLES - have)
        if chunk is None:
            break
        if len(chunk) == 0:
            continue
        parts.append(chunk)
        have += len(chunk)
    else:
        frame = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return frame.astype(np.int16, copy=False), False
    frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    if parts:
        data = np.concatenate(parts)
        frame[:len(data)] = data
    return frame, True


# -- WAV ------------------------------------------------------------------------------------------

_ULAW_TABLE: np.ndarray | None = None
_ALAW_TABLE: np.ndarray | None = None


def _ulaw_table() -> np.ndarray:
    global _ULAW_TABLE
    if _ULAW_TABLE is None:
        u = ~np.arange(256, dtype=np.int32) & 0xFF
        sign = u & 0x80
        exp = (u >> 4) & 0x07
        mant = u & 0x0F
        mag = (((mant << 3) + 0x84) << exp) - 0x84
        _ULAW_TABLE = np.where(sign, -mag, mag).astype(np.int16)
    return _ULAW_TABLE


def _alaw_table() -> np.ndarray:
    global _ALAW_TABLE
    if _ALAW_TABLE is None:
        a = np.arange(256, dtype=np.int32) ^ 0x55
        sign = a & 0x80
        exp = (a >> 4) & 0x07
        mant = a & 0x0F
        mag = np.where(exp == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(exp - 1, 0))
        _ALAW_TABLE = np.where(sign, mag, -mag).astype(np.int16)
    return _ALAW_TABLE


def load_wav(path: str | Path) -> np.ndarray:
    """Read a WAV file as 8 kHz mono int16 samples (see the module docstring for the formats)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise DecodeError(f"{path}: not a RIFF WAVE file")
    fmt, body = _wav_chunks(path, data)
    tag, channels, rate, bits = fmt
    samples = _decode_body(path, body, tag, bits)
    if channels > 1:
        usable = len(samples) - len(samples) % channels
        samples = samples[:usable].reshape(-1, channels).mean(axis=1).astype(np.int16)
    if rate != RATE:
        samples = _resample(samples, rate)
    return samples


def _wav_chunks(path: Path, data: bytes) -> tuple[tuple[int, int, int, int], bytes]:
    pos, fmt, body = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunk = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            if len(chunk) < 16:
                raise DecodeError(f"{path}: fmt chunk too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", chunk[:16])
            if tag == 0xFFFE and len(chunk) >= 26:
                tag = struct.unpack("<H", chunk[24:26])[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            body = chunk
        pos += 8 + size + (size & 1)
    if fmt is None or body is None:
        raise DecodeError(f"{path}: missing {'fmt' if fmt is None else 'data'} chunk")
    if fmt[1] < 1 or fmt[2] < 1000:
        raise DecodeError(f"{path}: bad channel count or sample rate")
    return fmt, body


def _decode_body(path: Path, body: bytes, tag: int, bits: int) -> np.ndarray:
    if tag == 1 and bits == 16:
        return np.frombuffer(body[:len(body) - len(body) % 2], dtype="<i2").astype(np.int16)
    if tag == 1 and bits == 8:
        return ((np.frombuffer(body, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if tag == 7 and bits == 8:
        return _ulaw_table()[np.frombuffer(body, dtype=np.uint8)]
    if tag == 6 and bits == 8:
        return _alaw_table()[np.frombuffer(body, dtype=np.uint8)]
    raise DecodeError(f"{path}: unsupported WAV encoding (format tag {tag}, {bits} bits); "
                      "use 16-bit PCM, µ-law or A-law")


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    if len(samples) == 0:
        return samples
    n_out = int(round(len(samples) * RATE / rate))
    x_out = np.arange(n_out) * (rate / RATE)
    return np.interp(x_out, np.arange(len(samples)), samples.astype(np.float64)).astype(np.int16)


def wav_source(path: str | Path) -> ArraySource:
    """A source that plays the WAV file at ``path`` once."""
    return ArraySource(load_wav(path))
