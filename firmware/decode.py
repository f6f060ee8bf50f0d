"""``switchboard decode dtmf|callerid|tones FILE.wav [--country CC]``: signals in a recording, as JSON lines.

What it is: the command-line face of :mod:`drivers.dsp`. It streams the file in half-second chunks through
the same detectors the ports use (constant memory, so a ten-hour recording is fine) and prints one JSON
object per line, exactly as the architecture's command-line contract says:

    dtmf      {"digit": "5", "start_ms": 120.0, "end_ms": 185.0}
    callerid  {"standard": "bell202"|"v23"|"dtmf", "format": "sdmf"|"mdmf"|"dtmf", "number": ..., "name": ...,
               "datetime": "MMDDhhmm"|null, "number_absent": "P"|"O"|null, "name_absent": "P"|"O"|null}
    tones     {"tone": "dial"|"busy"|"reorder"|"ringback", "start_ms": ..., "end_ms": ...}

Input: RIFF/WAVE, mono, 16-bit linear PCM, G.711 mu-law or A-law (also as WAVE_FORMAT_EXTENSIBLE), any
sample rate (resampled to 8 kHz with a windowed-sinc filter). A header whose data length is 0 or
0xFFFFFFFF (a WAV written to a pipe) is read to the end of the file.

What it is not: a general audio converter. Anything else (not WAV, stereo, 24-bit, float, truncated, empty)
gives one line on stderr and exit status 2; results found before a truncation are still printed.
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
from typing import BinaryIO, Callable, Iterator

import numpy as np

from drivers.dsp.callerid import CallerIdDecoder
from drivers.dsp.dtmf import DtmfDetector
from drivers.dsp.levels import RATE, alaw_decode, ulaw_decode
from drivers.dsp.progress import ProgressDetector
from drivers.dsp.tones import COUNTRY_TONES
from drivers.errors import DecodeError

__all__ = ["main", "WavInfo", "read_wav", "Resampler"]

CHUNK_SECONDS = 0.5
_PCM, _ALAW, _ULAW, _EXTENSIBLE = 0x0001, 0x0006, 0x0007, 0xFFFE
_FORMAT_NAMES = {_PCM: "16-bit linear", _ALAW: "A-law", _ULAW: "mu-law"}


class WavInfo:
    """What the header says: format code, rate, channels, bits, bytes of audio (None: to end of file)."""

    def __init__(self, fmt: int, rate: int, channels: int, bits: int, data_bytes: int | None) -> None:
        self.fmt, self.rate, self.channels, self.bits, self.data_bytes = fmt, rate, channels, bits, data_bytes


def _read_exact(f: BinaryIO, n: int, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise DecodeError(f"truncated WAV: file ends inside the {what}")
    return data


def read_header(f: BinaryIO) -> WavInfo:
    """Parse RIFF/WAVE chunks up to the start of the audio data; DecodeError says what is wrong."""
    head = f.read(12)
    if not head:
        raise DecodeError("empty file: expected a WAV recording")
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise DecodeError("not a WAV file (no RIFF/WAVE header); convert it with e.g. 'sox in.x -r 8000 out.wav'")
    fmt: tuple[int, int, int, int] | None = None
    while True:
        hdr = f.read(8)
        if len(hdr) < 8:
            raise DecodeError("truncated WAV: no audio data chunk" if fmt else "truncated WAV: no 'fmt ' chunk")
        cid, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
        if cid == b"fmt ":
            body = _read_exact(f, size + (size & 1), "format chunk")
            if size < 16:
                raise DecodeError("bad WAV: format chunk too short")
            code, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if code == _EXTENSIBLE and size >= 26:
                code = struct.unpack("<H", body[24:26])[0]
            fmt = (code, channels, rate, bits)
        elif cid == b"data":
            if fmt is None:
                raise DecodeError("bad WAV: audio data before the 'fmt ' chunk")
            code, channels, rate, bits = fmt
            return _checked(WavInfo(code, rate, channels, bits, None if size in (0, 0xFFFFFFFF) else size))
        else:
            skipped = f.read(size + (size & 1))
            if len(skipped) < size:
                raise DecodeError(f"truncated WAV: file ends inside the {cid.decode('latin-1')!r} chunk")


def _checked(info: WavInfo) -> WavInfo:
    if info.channels != 1:
        raise DecodeError(f"WAV has {info.channels} channels; only mono is decoded "
                          "(take one channel with 'sox in.wav out.wav remix 1')")
    if info.fmt not in _FORMAT_NAMES:
        raise DecodeError(f"unsupported WAV encoding (format code {info.fmt}); use 16-bit PCM, mu-law or A-law")
    if info.fmt == _PCM and info.bits != 16:
        raise DecodeError(f"unsupported WAV sample size {info.bits} bits; use 16-bit PCM, mu-law or A-law")
    if info.fmt != _PCM and info.bits != 8:
        raise DecodeError(f"bad WAV: G.711 audio must have 8 bits per sample, header says {info.bits}")
    if not 4000 <= info.rate <= 192000:
        raise DecodeError(f"unsupported sample rate {info.rate} Hz (4000-192000 Hz are resampled to 8000)")
    return info


def read_wav(f: BinaryIO, chunk_seconds: float = CHUNK_SECONDS) -> tuple[WavInfo, Iterator[np.ndarray]]:
    """Header, then an iterator of int16 chunks at the file's own rate. The iterator raises DecodeError
    when the file ends before the header's data length."""
    info = read_header(f)
    width = 2 if info.fmt == _PCM else 1
    decode: Callable[[bytes], np.ndarray]
    if info.fmt == _PCM:
        decode = lambda b: np.frombuffer(b, dtype="<i2").astype(np.int16)  # noqa: E731
    elif info.fmt == _ULAW:
        decode = lambda b: ulaw_decode(np.frombuffer(b, dtype=np.uint8))  # noqa: E731
    else:
        decode = lambda b: alaw_decode(np.frombuffer(b, dtype=np.uint8))  # noqa: E731
    chunk = max(width, int(info.rate * chunk_seconds) * width)

    def chunks() -> Iterator[np.ndarray]:
        left = info.data_bytes
        while left is None or left > 0:
            want = chunk if left is None else min(chunk, left)
            data = f.read(want)
            if left is not None and len(data) < want:
                if len(data) >= width:
                    yield decode(data[:len(data) - len(data) % width])
                raise DecodeError(f"truncated WAV: header promises {info.data_bytes} bytes of audio, "
                                  f"the file ends {left - len(data)} bytes short")
            if not data:
                return
            if left is not None:
                left -= len(data)
            usable = len(data) - len(data) % width
            if usable:
                yield decode(data[:usable])
            if len(data) < want:
                return
    return info, chunks()


class Resampler:
    """Streaming windowed-sinc resampler to 8 kHz (Blackman window, 16 output samples wide, cut-off
    3.7 kHz when decimating): ``process(int16 chunk) -> float64 chunk``; constant memory."""

    def __init__(self, rate_in: int, rate_out: int = RATE, half_width: int = 8) -> None:
        self.step = rate_in / rate_out
        scale = max(1.0, self.step)
        self.cutoff = 0.4625 / scale                         # cycles per input sample
        self.half = int(np.ceil(half_width * scale))
        self._buf = np.zeros(self.half)                        # silence before the first sample
        self._t = float(self.half)                             # next output position, in _buf indices

    def process(self, x: np.ndarray) -> np.ndarray:
        """Resample the next chunk; returns the output samples it completes."""
        buf = np.concatenate((self._buf, np.asarray(x, dtype=np.float64)))
        last = buf.size - self.half - 1                        # an output needs ``half`` samples after it
        if self._t > last:
            self._buf = buf
            return np.zeros(0)
        times = np.arange(self._t, last + 1, self.step)
        base = np.floor(times).astype(np.int64)
        offs = np.arange(-self.half + 1, self.half + 1)
        idx = base[:, None] + offs[None, :]
        dist = idx - times[:, None]
        phase = np.pi * dist / (self.half + 1)
        win = 0.42 + 0.5 * np.cos(phase) + 0.08 * np.cos(2 * phase)
        kern = 2 * self.cutoff * np.sinc(2 * self.cutoff * dist) * win
        out = np.einsum("ij,ij->i", buf[idx], kern)
        next_t = times[-1] + self.step
        keep_from = max(0, int(next_t) - self.half)
        self._buf = buf[keep_from:]
        self._t = next_t - keep_from
        return out

    def flush(self) -> np.ndarray:
        """The outputs still held back at the end of the input (as if silence followed)."""
        pending = self._buf.size - self._t                     # input samples not yet turned into output
        out = self.process(np.zeros(self.half + 1))
        return out[: max(0, int(np.ceil(pending / self.step)))]


# ------------------------------------------------------------------------------------------- decoders
def _ms(t: float) -> float:
    return round(t * 1000.0, 1)


class _DtmfSink:
    def __init__(self, args: argparse.Namespace, emit: Callable[[dict], None]) -> None:
        self.det, self.emit, self.open = DtmfDetector(), emit, {}

    def feed(self, x: np.ndarray) -> None:
        for ev in self.det.feed(x):
            if ev.kind == "start":
                self.open[ev.digit] = ev.t
            elif ev.digit in self.open:
                self.emit({"digit": ev.digit, "start_ms": _ms(self.open.pop(ev.digit)), "end_ms": _ms(ev.t)})

    def finish(self, seconds: float) -> None:
        self.feed(np.zeros(RATE // 5))
        for digit, t in self.open.items():
            self.emit({"digit": digit, "start_ms": _ms(t), "end_ms": _ms(seconds)})


class _CallerIdSink:
    def __init__(self, args: argparse.Namespace, emit: Callable[[dict], None]) -> None:
        self.dec, self.emit = CallerIdDecoder("auto"), emit

    def feed(self, x: np.ndarray) -> None:
        for cid in self.dec.feed(x):
            self.emit(cid.as_dict())

    def finish(self, seconds: float) -> None:
        self.feed(np.zeros(RATE // 2))


class _ToneSink:
    def __init__(self, args: argparse.Namespace, emit: Callable[[dict], None]) -> None:
        country = (args.country or "US").upper()
        if country not in COUNTRY_TONES:
            raise DecodeError(f"unknown country {args.country!r}; known: {', '.join(sorted(COUNTRY_TONES))}")
        self.det, self.emit, self.open = ProgressDetector(country), emit, None

    def feed(self, x: np.ndarray) -> None:
        for ev in self.det.feed(x):
            if ev.kind == "start":
                self.open = (ev.tone, ev.t)
            elif self.open is not None:
                self.emit({"tone": self.open[0], "start_ms": _ms(self.open[1]), "end_ms": _ms(ev.t)})
                self.open = None

    def finish(self, seconds: float) -> None:
        if self.open is not None:
            self.emit({"tone": self.open[0], "start_ms": _ms(self.open[1]), "end_ms": _ms(seconds)})


_SINKS = {"dtmf": _DtmfSink, "callerid": _CallerIdSink, "tones": _ToneSink}


def decode_stream(f: BinaryIO, what: str, args: argparse.Namespace, emit: Callable[[dict], None]) -> None:
    """Decode an open WAV stream, calling ``emit`` for each result. Raises DecodeError on bad input."""
    sink = _SINKS[what](args, emit)
    info, chunks = read_wav(f)
    resampler = Resampler(info.rate) if info.rate != RATE else None
    samples = 0
    try:
        for chunk in chunks:
            x = resampler.process(chunk) if resampler else chunk
            samples += x.size
            sink.feed(x)
    except DecodeError:
        sink.finish(samples / RATE)                 # report what the audio before the damage held
        raise
    if resampler is not None and samples:
        tail = resampler.flush()
        samples += tail.size
        sink.feed(tail)
    if samples == 0:
        raise DecodeError("the WAV file holds no audio")
    sink.finish(samples / RATE)


def main(args: argparse.Namespace) -> int:
    """Entry point for ``switchboard decode``; returns the exit status."""
    def emit(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")

    try:
        with open(args.file, "rb") as f:
            decode_stream(f, args.what, args, emit)
    except DecodeError as exc:
        sys.stdout.flush()
        print(f"switchboard decode: {args.file}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"switchboard decode: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    return 0
