"""Signal levels and G.711 companding for Switchboard's 8 kHz int16 audio.

What it is: the one place that fixes the level reference of every DSP module, the dB helpers built on it,
and vectorised G.711 mu-law / A-law encoding and decoding of numpy arrays.

The dBm0 reference (same convention as spandsp and ITU-T G.711's digital milliwatt): a sine at the full
scale of int16 (peak 32767) is **+3.14 dBm0**, so a 0 dBm0 sine has a peak of 22826 and an RMS of 16141.
Levels of a tone pair (DTMF, dial tone) are always given **per tone**. The level of arbitrary audio
(:func:`power_dbm0`) is its RMS power on the same scale: a 0 dBm0 sine measures 0.0.

What it is not: an analogue calibration. Mapping the sound card's dBFS to the line's dBm is the audio
driver's job (one gain, measured once).

Formats: int16 numpy arrays for linear audio, uint8 numpy arrays for G.711 bytes.
"""
from __future__ import annotations

import numpy as np

RATE = 8000
"""Sample rate of all Switchboard audio (Hz)."""
FULL_SCALE_DBM0 = 3.14
"""Level of a full-scale int16 sine, in dBm0."""
FULL_SCALE = 32767.0
DBM0_PEAK = FULL_SCALE * 10.0 ** (-FULL_SCALE_DBM0 / 20.0)
"""Peak amplitude of a 0 dBm0 sine (about 22826)."""
DBM0_RMS = DBM0_PEAK / np.sqrt(2.0)
"""RMS of a 0 dBm0 sine (about 16141)."""

__all__ = [
    "RATE", "FULL_SCALE_DBM0", "DBM0_PEAK", "DBM0_RMS",
    "amplitude", "dbm0_of_amplitude", "power_dbm0", "db_to_ratio", "ratio_to_db", "to_int16",
    "ulaw_encode", "ulaw_decode", "alaw_encode", "alaw_decode", "ulaw_roundtrip", "alaw_roundtrip",
]


def amplitude(level_dbm0: float) -> float:
    """Peak amplitude (int16 units) of a sine at ``level_dbm0``."""
    return float(DBM0_PEAK * 10.0 ** (level_dbm0 / 20.0))


def dbm0_of_amplitude(peak: float) -> float:
    """Level in dBm0 of a sine whose peak amplitude is ``peak`` (-inf for 0)."""
    if peak <= 0:
        return float("-inf")
    return float(20.0 * np.log10(peak / DBM0_PEAK))


def power_dbm0(samples: np.ndarray) -> float:
    """RMS power of ``samples`` in dBm0 (a 0 dBm0 sine gives 0.0; silence gives -inf)."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return float("-inf")
    ms = float(np.dot(x, x)) / x.size
    if ms <= 0.0:
        return float("-inf")
    return float(10.0 * np.log10(ms / DBM0_RMS**2))


def db_to_ratio(db: float) -> float:
    """Amplitude ratio of ``db`` decibels."""
    return float(10.0 ** (db / 20.0))


def ratio_to_db(ratio: float) -> float:
    """Decibels of an amplitude ratio (-inf for 0)."""
    return float(20.0 * np.log10(ratio)) if ratio > 0 else float("-inf")


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round and saturate a float array to int16 (what a DAC or codec would do)."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float64)), -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------------------------------------- G.711
def _ulaw_decode_one(code: int) -> int:
    u = ~code & 0xFF
    exponent = (u >> 4) & 0x07
    value = (((u & 0x0F) << 3) + 0x84) << exponent
    value -= 0x84
    return -value if u & 0x80 else value


def _alaw_decode_one(code: int) -> int:
    a = code ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    else:
        t += 0x108
        if seg > 1:
            t <<= seg - 1
    return t if a & 0x80 else -t


_ULAW_DECODE = np.array([_ulaw_decode_one(c) for c in range(256)], dtype=np.int16)
_ALAW_DECODE = np.array([_alaw_decode_one(c) for c in range(256)], dtype=np.int16)


def _ulaw_encode_all() -> np.ndarray:
    x = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0x00)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.floor(np.log2(mag)).astype(np.int32) - 7
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


def _alaw_encode_all() -> np.ndarray:
    x = np.arange(-32768, 32768, dtype=np.int32) >> 3
    mask = np.where(x >= 0, 0xD5, 0x55)
    mag = np.where(x >= 0, x, -x - 1)
    seg_end = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
    seg = np.searchsorted(seg_end, mag, side="left")
    low = np.where(seg < 2, (mag >> 1) & 0x0F, (mag >> np.maximum(seg, 1)) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | low)
    return ((aval ^ mask) & 0xFF).astype(np.uint8)


_ULAW_ENCODE = _ulaw_encode_all()
_ALAW_ENCODE = _alaw_encode_all()


def ulaw_encode(samples: np.ndarray) -> np.ndarray:
    """G.711 mu-law bytes (uint8) of int16 samples."""
    return _ULAW_ENCODE[np.asarray(samples, dtype=np.int16).astype(np.int32) + 32768]


def ulaw_decode(codes: np.ndarray) -> np.ndarray:
    """int16 samples of G.711 mu-law bytes."""
    return _ULAW_DECODE[np.asarray(codes, dtype=np.uint8)]


def alaw_encode(samples: np.ndarray) -> np.ndarray:
    """G.711 A-law bytes (uint8) of int16 samples."""
    return _ALAW_ENCODE[np.asarray(samples, dtype=np.int16).astype(np.int32) + 32768]


def alaw_decode(codes: np.ndarray) -> np.ndarray:
    """int16 samples of G.711 A-law bytes."""
    return _ALAW_DECODE[np.asarray(codes, dtype=np.uint8)]


def ulaw_roundtrip(samples: np.ndarray) -> np.ndarray:
    """What int16 audio sounds like after a mu-law hop (encode then decode)."""
    return ulaw_decode(ulaw_encode(samples))


def alaw_roundtrip(samples: np.ndarray) -> np.ndarray:
    """What int16 audio sounds like after an A-law hop (encode then decode)."""
    return alaw_decode(alaw_encode(samples))
