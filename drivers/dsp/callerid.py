"""Caller ID (CND/CLIP) and visual message waiting: messages, FSK and DTMF, both directions.

What it is:

* :class:`CallerId` — what the line told us about a call.
* :class:`CallerIdDecoder` — streaming receiver for Bell 202 (GR-30: 1200 Hz mark, 2200 Hz space) and
  V.23 (ETSI EN 300 659: 1300 Hz mark, 2100 Hz space) FSK at 1200 baud, SDMF (0x04) and MDMF (0x80) caller
  ID, SDMF/MDMF message waiting (0x06/0x82, kept in ``decoder.mwi``), and DTMF caller ID (``A..C``,
  ``D..C``, ``A..#``, ``D1#``/``D3#``). A message whose checksum fails, or whose framing breaks once
  it has begun (a truncated message included), is refused and counted in ``rejected``; noise and
  speech give nothing and count nothing.
* Encoders for FXS ports: :func:`encode_fsk` (channel seizure + marks + message), :func:`encode_dtmf_cid`,
  :func:`encode_vmwi`, :func:`dual_tone_alert` (ETSI DT-AS, 2130 + 2750 Hz).

What it is not: the timing harness (when to send relative to ringing and line reversal is the FXS/FXO
driver's job; the reference timings are in docs/dsp.md).

The FSK demodulator and UART framer are in :mod:`drivers.dsp.fsk`.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

import numpy as np

from drivers.dsp.dtmf import DtmfDetector
from drivers.dsp.fsk import BAUD, FSK_MODEMS, FskReceiver
from drivers.dsp.levels import RATE, amplitude, to_int16
from drivers.dsp.tones import dtmf as dtmf_audio, tone

__all__ = [
    "CallerId", "CallerIdDecoder", "FSK_MODEMS", "build_message", "parse_message", "encode_fsk",
    "encode_dtmf_cid", "encode_vmwi", "dual_tone_alert", "fsk_modulate",
]

SDMF_CALLERID, MDMF_CALLERID, SDMF_MWI, MDMF_MWI = 0x04, 0x80, 0x06, 0x82
P_DATETIME, P_NUMBER, P_DIALLED, P_NUMBER_ABSENT, P_NAME, P_NAME_ABSENT, P_VISUAL_MWI = (
    0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x0B)
_KNOWN_TYPES = (SDMF_CALLERID, MDMF_CALLERID, SDMF_MWI, MDMF_MWI)


@dataclass(frozen=True)
class CallerId:
    """Who is calling. ``datetime`` is "MMDDhhmm"; absence reasons are "P" (private) or "O" (unavailable)."""

    number: str | None = None
    name: str | None = None
    datetime: str | None = None
    number_absent: str | None = None
    name_absent: str | None = None
    standard: str = "bell202"
    format: str = "mdmf"
    t: float = field(default=0.0, compare=False)
    """Seconds from the first sample fed to the end of the message (decoder only; not compared)."""

    def as_dict(self) -> dict[str, str | None]:
        """The command-line contract's keys (``switchboard decode callerid``)."""
        return {"standard": self.standard, "format": self.format, "number": self.number, "name": self.name,
                "datetime": self.datetime, "number_absent": self.number_absent,
                "name_absent": self.name_absent}


# ------------------------------------------------------------------------------------------ messages
def _checksum(body: bytes) -> int:
    return (-sum(body)) & 0xFF


def _param(kind: int, value: bytes) -> bytes:
    if len(value) > 255:
        raise ValueError(f"caller-ID parameter 0x{kind:02x} too long ({len(value)} bytes)")
    return bytes((kind, len(value))) + value


def _ascii(text: str, what: str) -> bytes:
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"caller-ID {what} must be ASCII, got {text!r}") from None


def _check_reason(reason: str | None, what: str) -> None:
    if reason not in (None, "P", "O"):
        raise ValueError(f"{what} must be 'P' (private), 'O' (unavailable) or None, got {reason!r}")


def build_message(cid: CallerId, fmt: str = "mdmf") -> bytes:
    """The bytes of a caller-ID message: type, length, body, checksum."""
    _check_reason(cid.number_absent, "number_absent")
    _check_reason(cid.name_absent, "name_absent")
    if cid.datetime is not None and (len(cid.datetime) != 8 or not cid.datetime.isdigit()):
        raise ValueError(f"datetime must be 8 digits MMDDhhmm, got {cid.datetime!r}")
    if fmt == "sdmf":
        who = cid.number if cid.number else (cid.number_absent or "O")
        body = _ascii((cid.datetime or "00000000") + who, "number")
        kind = SDMF_CALLERID
    elif fmt == "mdmf":
        body = b""
        if cid.datetime:
            body += _param(P_DATETIME, _ascii(cid.datetime, "datetime"))
        if cid.number:
            body += _param(P_NUMBER, _ascii(cid.number, "number"))
        else:
            body += _param(P_NUMBER_ABSENT, _ascii(cid.number_absent or "O", "reason"))
        if cid.name:
            body += _param(P_NAME, _ascii(cid.name, "name"))
        elif cid.name_absent:
            body += _param(P_NAME_ABSENT, _ascii(cid.name_absent, "reason"))
        kind = MDMF_CALLERID
    else:
        raise ValueError(f"format must be 'sdmf' or 'mdmf', got {fmt!r}")
    if len(body) > 255:
        raise ValueError("caller-ID message too long")
    msg = bytes((kind, len(body))) + body
    return msg + bytes((_checksum(msg),))


def _mwi_message(active: bool, fmt: str) -> bytes:
    if fmt == "sdmf":
        msg = bytes((SDMF_MWI, 3)) + (b"BBB" if active else b"ooo")
    else:
        body = _param(P_VISUAL_MWI, bytes((0xFF if active else 0x00,)))
        msg = bytes((MDMF_MWI, len(body))) + body
    return msg + bytes((_checksum(msg),))


def _text(raw: bytes) -> str:
    return raw.decode("ascii", errors="replace")


def parse_message(msg: bytes, standard: str = "bell202") -> CallerId | bool | None:
    """Decode a checked message (type, length, body; no checksum): a CallerId, a bool for message
    waiting (True = messages waiting), or None for a type Switchboard does not use."""
    kind, body = msg[0], msg[2:]
    if kind == SDMF_CALLERID:
        dt, who = _text(body[:8]), _text(body[8:])
        absent = who if who in ("P", "O") else None
        return CallerId(number=None if absent else who, datetime=dt if dt.isdigit() else None,
                        number_absent=absent, standard=standard, format="sdmf")
    if kind == SDMF_MWI:
        return body[:1] == b"B"
    fields = dict(_params(body))
    if kind == MDMF_MWI:
        return fields.get(P_VISUAL_MWI, b"\x00")[:1] not in (b"\x00", b"o")
    if kind != MDMF_CALLERID:
        return None
    get = lambda k: _text(fields[k]) if k in fields else None  # noqa: E731
    return CallerId(number=get(P_NUMBER), name=get(P_NAME), datetime=get(P_DATETIME),
                    number_absent=get(P_NUMBER_ABSENT), name_absent=get(P_NAME_ABSENT),
                    standard=standard, format="mdmf")


def _params(body: bytes) -> Iterator[tuple[int, bytes]]:
    i = 0
    while i + 2 <= len(body):
        kind, n = body[i], body[i + 1]
        yield kind, bytes(body[i + 2:i + 2 + n])
        i += 2 + n


# ------------------------------------------------------------------------------------------- encoders
def _bits(msg: bytes, seizure_bits: int, mark_bits: int, trailing_marks: int) -> list[int]:
    bits = [i % 2 for i in range(seizure_bits)]          # 0101... (0x55 on the wire)
    bits += [1] * mark_bits
    for byte in msg:
        bits += [0] + [(byte >> k) & 1 for k in range(8)] + [1]
    return bits + [1] * trailing_marks


def fsk_modulate(bits: Sequence[int], standard: str = "bell202", level_dbm0: float = -13.5,
                 baud: float = BAUD, rate: int = RATE, freq_scale: float = 1.0) -> np.ndarray:
    """Phase-continuous FSK of ``bits`` (1 = mark), int16."""
    mark, space = FSK_MODEMS[standard]
    n = int(np.ceil(len(bits) * rate / baud))
    idx = np.minimum((np.arange(n) * baud / rate).astype(np.int64), len(bits) - 1)
    freq = np.where(np.asarray(bits, dtype=np.int8)[idx] == 1, mark, space) * freq_scale
    phase = 2.0 * np.pi * np.cumsum(freq) / rate
    return to_int16(amplitude(level_dbm0) * np.sin(phase))


def encode_fsk(cid: CallerId, standard: str = "bell202", fmt: str = "mdmf", level_dbm0: float = -13.5,
               seizure_bits: int = 300, mark_bits: int = 180, baud: float = BAUD) -> np.ndarray:
    """FSK caller-ID audio: channel seizure (``seizure_bits`` alternating), ``mark_bits`` marks, the
    message, a few marks; int16 at 8 kHz. Call-waiting (CIDCW) practice is ``seizure_bits=0, mark_bits=80``."""
    if standard not in FSK_MODEMS:
        raise ValueError(f"FSK standard must be one of {', '.join(FSK_MODEMS)}, got {standard!r}")
    bits = _bits(build_message(cid, fmt), seizure_bits, mark_bits, 5)
    return fsk_modulate(bits, standard, level_dbm0, baud)


def encode_vmwi(active: bool, standard: str = "bell202", fmt: str = "mdmf", level_dbm0: float = -13.5) -> np.ndarray:
    """Visual message-waiting indicator message (MDMF 0x82 / SDMF 0x06) as FSK, int16."""
    if standard not in FSK_MODEMS:
        raise ValueError(f"FSK standard must be one of {', '.join(FSK_MODEMS)}, got {standard!r}")
    return fsk_modulate(_bits(_mwi_message(active, fmt), 300, 180, 5), standard, level_dbm0)


def dual_tone_alert(ms: float = 100.0, level_dbm0: float = -13.0) -> np.ndarray:
    """ETSI DT-AS / Bellcore CAS: 2130 + 2750 Hz for ``ms`` (spec 88-110 ms), int16."""
    return tone((2130.0, 2750.0), ms / 1000.0, level_dbm0)


def encode_dtmf_cid(number: str | None, form: str = "A..C", absent: str | None = None,
                    on_ms: float = 60, off_ms: float = 60, level_dbm0: float = -7.0) -> np.ndarray:
    """DTMF caller ID: ``form`` is "A..C", "D..C", "A..#" or "..#". ``absent`` ("P"/"O") sends the
    absence code instead of a number (A..C: B10/B00; D..#: D1#/D3#)."""
    _check_reason(absent, "absent")
    if number is not None and (not number or not number.isdigit()):
        raise ValueError(f"DTMF caller ID carries digits only, got {number!r}")
    if form not in ("A..C", "D..C", "A..#", "..#"):
        raise ValueError(f"form must be A..C, D..C, A..# or ..#, got {form!r}")
    if number is None:
        code = {"P": "10", "O": "00"}[absent or "O"]
        text = {"A..C": f"AB{code}C", "D..C": f"DB{code}C", "A..#": f"D{'1' if absent == 'P' else '3'}#",
                "..#": f"D{'1' if absent == 'P' else '3'}#"}[form]
    else:
        text = {"A..C": f"A{number}C", "D..C": f"D{number}C", "A..#": f"A{number}#", "..#": f"{number}#"}[form]
    return dtmf_audio(text, on_ms, off_ms, level_dbm0)


# -------------------------------------------------------------------------------------------- decoder
class CallerIdDecoder:
    """Streaming caller-ID receiver: ``feed(samples) -> [CallerId]``.

    ``standard`` is "bell202", "v23", "dtmf" or "auto" (all three at once). Checksum failures are
    refused and counted in ``rejected``; message-waiting messages land in ``mwi`` as (t, active), the
    latest 64 kept.
    """

    def __init__(self, standard: str = "auto", min_level_dbm0: float = -42.0) -> None:
        if standard not in ("bell202", "v23", "dtmf", "auto"):
            raise ValueError(f"standard must be bell202, v23, dtmf or auto, got {standard!r}")
        self.standard = standard
        self.min_level_dbm0 = min_level_dbm0
        self.rejected = 0
        self.mwi: deque[tuple[float, bool]] = deque(maxlen=64)    # the latest message-waiting messages
        self.reset()

    def reset(self) -> None:
        """Forget all audio and partial messages; time restarts at 0 (``rejected`` and ``mwi`` stay)."""
        fsk = [s for s in FSK_MODEMS if self.standard in (s, "auto")]
        self._fsk = [FskReceiver(s, _KNOWN_TYPES, self.min_level_dbm0) for s in fsk]
        self._dtmf = DtmfDetector() if self.standard in ("dtmf", "auto") else None
        self._digits = ""
        self._last_digit_t = 0.0
        self._n = 0

    def feed(self, samples: np.ndarray) -> list[CallerId]:
        """Analyse ``samples`` (int16, any length); return the caller IDs they complete."""
        x = np.asarray(samples, dtype=np.float64).ravel()
        out: list[CallerId] = []
        found = sorted((end, msg, purity, rx.standard) for rx in self._fsk for end, msg, purity in rx.feed(x, self._n))
        for end, msg, purity, standard in found:
            twin = [f for f in found if f[3] != standard and abs(f[0] - end) < RATE // 10 and f[1] == msg]
            if twin and twin[0][2] > purity:
                continue                   # the other modem heard the same message more clearly
            self._deliver(standard, end, msg, out)
        if self._dtmf is not None:
            for ev in self._dtmf.feed(x):
                if ev.kind == "start":
                    self._dtmf_digit(ev.digit, ev.t, out)
        self._n += x.size
        return out

    def _deliver(self, standard: str, end: int, msg: bytes | None, out: list[CallerId]) -> None:
        if msg is None:
            self.rejected += 1
            return
        parsed = parse_message(msg, standard)
        t = end / RATE
        if isinstance(parsed, bool):
            self.mwi.append((t, parsed))
        elif parsed is not None:
            out.append(replace(parsed, t=t))

    def _dtmf_digit(self, digit: str, t: float, out: list[CallerId]) -> None:
        if t - self._last_digit_t > 1.0:
            self._digits = ""
        self._last_digit_t = t
        if not self._digits and digit not in "AD" and not digit.isdigit():
            return
        self._digits += digit
        if len(self._digits) > 40:
            self._digits = ""
            return
        if digit in "C#" and len(self._digits) > 1:
            cid = _parse_dtmf_cid(self._digits)
            self._digits = ""
            if cid is not None:
                out.append(replace(cid, t=t))


def _parse_dtmf_cid(text: str) -> CallerId | None:
    body, end = text[:-1], text[-1]
    mk = lambda number=None, absent=None: CallerId(number=number, number_absent=absent,  # noqa: E731
                                                   standard="dtmf", format="dtmf")
    if body[:1] == "D" and end == "#" and body[1:] in ("1", "2", "3"):
        return mk(absent={"1": "P", "2": None, "3": "O"}[body[1:]])
    if body[:1] in "AD":
        start = body[1:]
        number = ""
        i = 0
        while i < len(start) and start[i].isdigit():
            number += start[i]
            i += 1
        info = start[i:]
        if number:
            return mk(number=number)
        if info.startswith("B") and len(info) >= 3:
            return mk(absent={"10": "P", "00": "O"}.get(info[1:3], "O"))
        return None
    if body.isdigit() and end == "#":
        return mk(number=body)
    return None

