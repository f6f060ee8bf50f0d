"""WAV reading and writing for prompts, greetings and messages: 8 kHz mono int16 in memory.

``read_wav_bytes`` reads what a text-to-speech engine hands back: 16-bit linear PCM WAV at any rate, including
the streamed WAV of ``espeak-ng --stdout`` (sizes unknown: everything after the ``data`` chunk header is
taken); ``resample_float`` brings it to 8 kHz with a band-limited filter. ``write_wav`` writes 8 kHz 16-bit
mono to a temp name, fsyncs and renames; ``wav_bytes`` makes the same file in memory, ``wav_header`` its header
alone (for a recording streamed to disk). Reading files at run time is the engine's ``load_wav``.
"""
from __future__ import annotations

import io
import os
import struct
import wave
from pathlib import Path

import numpy as np

from drivers.errors import DecodeError

RATE = 8000
WAV_HEADER_BYTES = 44
"""Size of the plain RIFF header :func:`wav_header` makes (a recording streamed to disk starts with it)."""


def wav_header(n_samples: int) -> bytes:
    """The header of an 8 kHz 16-bit mono PCM WAV of ``n_samples`` samples (``WAV_HEADER_BYTES`` long)."""
    data = n_samples * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16) + b"data" + struct.pack("<I", data))


def read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float samples (int16 scale) and the file's rate."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
    except (wave.Error, EOFError, struct.error) as exc:
        raise DecodeError(f"not a readable WAV file: {exc}") from exc
    if width != 2:
        raise DecodeError(f"WAV has {8 * width}-bit samples; only 16-bit linear PCM is accepted")
    raw = _data_chunk(data)
    samples = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64)
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    return samples, rate


def _data_chunk(data: bytes) -> bytes:
    pos = 12
    while pos + 8 <= len(data):
        ident, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if ident == b"data":
            end = pos + 8 + size
            return data[pos + 8: end if 0 < size < 0x7FFFFFF0 and end <= len(data) else len(data)]
        pos += 8 + size + (size & 1)
    raise DecodeError("WAV file has no data chunk")


def resample_float(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """Band-limited resampling by windowed-sinc interpolation (enough for speech)."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float64)
    n_out = int(len(samples) * target / rate)
    cutoff = 0.45 * min(rate, target) / rate
    half = 32
    t = np.arange(n_out) * rate / target
    base = np.floor(t).astype(np.int64)
    out = np.zeros(n_out)
    for k in range(-half + 1, half + 1):
        idx = base + k
        valid = (idx >= 0) & (idx < len(samples))
        x = t - idx
        w = 2 * cutoff * np.sinc(2 * cutoff * x) * (0.5 + 0.5 * np.cos(np.pi * x / half))
        out[valid] += samples[idx[valid]] * w[valid]
    return out


def wav_bytes(samples: np.ndarray) -> bytes:
    """``samples`` as a whole 8 kHz 16-bit mono WAV file, in memory."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return buf.getvalue()


def write_wav(path: Path, samples: np.ndarray) -> None:
    """8 kHz 16-bit mono WAV, written to a temp name, fsynced and renamed."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(wav_bytes(samples))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
