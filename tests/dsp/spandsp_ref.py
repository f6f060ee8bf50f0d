"""spandsp 0.0.6 through ctypes: the reference DTMF and caller-ID receivers Switchboard is measured against.

Only for tests and benchmarks. ``available()`` is False when libspandsp2 is not installed; callers skip.
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

_LIB: ctypes.CDLL | None = None
_DIGITS_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)
_MSG_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.c_int)
ADSI_CLASS, ADSI_CLIP = 1, 2


def _lib() -> ctypes.CDLL | None:
    global _LIB
    if _LIB is None:
        for name in (ctypes.util.find_library("spandsp"), "libspandsp.so.2"):
            if not name:
                continue
            try:
                _LIB = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if _LIB is not None:
            _LIB.dtmf_rx_init.restype = ctypes.c_void_p
            _LIB.dtmf_rx_init.argtypes = [ctypes.c_void_p, _DIGITS_CB, ctypes.c_void_p]
            _LIB.dtmf_rx.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int]
            _LIB.dtmf_rx_free.argtypes = [ctypes.c_void_p]
            _LIB.dtmf_rx_parms.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
            _LIB.adsi_rx_init.restype = ctypes.c_void_p
            _LIB.adsi_rx_init.argtypes = [ctypes.c_void_p, ctypes.c_int, _MSG_CB, ctypes.c_void_p]
            _LIB.adsi_rx.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int]
            _LIB.adsi_rx_free.argtypes = [ctypes.c_void_p]
    return _LIB


def available() -> bool:
    """True when libspandsp can be loaded."""
    return _lib() is not None


def _ptr(x: np.ndarray) -> ctypes.POINTER(ctypes.c_int16):
    return x.ctypes.data_as(ctypes.POINTER(ctypes.c_int16))


def spandsp_digits(samples: np.ndarray, filter_dialtone: bool = True, block: int = 160) -> str:
    """Digits spandsp's dtmf_rx finds in ``samples`` (int16), fed in ``block``-sample frames."""
    lib = _lib()
    assert lib is not None, "libspandsp not available"
    got: list[str] = []
    cb = _DIGITS_CB(lambda _ud, digits, n: got.append(digits[:n].decode()))
    state = lib.dtmf_rx_init(None, cb, None)
    lib.dtmf_rx_parms(state, 1 if filter_dialtone else 0, -1, -1, -99)
    x = np.ascontiguousarray(np.asarray(samples, dtype=np.int16))
    x = np.concatenate((x, np.zeros(800, dtype=np.int16)))
    for i in range(0, x.size, block):
        chunk = np.ascontiguousarray(x[i:i + block])
        lib.dtmf_rx(state, _ptr(chunk), chunk.size)
    lib.dtmf_rx_free(state)
    return "".join(got)


def spandsp_adsi(samples: np.ndarray, standard: str = "bell202") -> list[bytes]:
    """Messages (type, length, body; no checksum) spandsp's adsi_rx decodes from ``samples``."""
    lib = _lib()
    assert lib is not None, "libspandsp not available"
    got: list[bytes] = []
    cb = _MSG_CB(lambda _ud, msg, n: got.append(bytes(msg[:n])))
    state = lib.adsi_rx_init(None, ADSI_CLASS if standard == "bell202" else ADSI_CLIP, cb, None)
    x = np.ascontiguousarray(np.concatenate((np.asarray(samples, dtype=np.int16), np.zeros(800, np.int16))))
    for i in range(0, x.size, 160):
        chunk = np.ascontiguousarray(x[i:i + 160])
        lib.adsi_rx(state, _ptr(chunk), chunk.size)
    lib.adsi_rx_free(state)
    return got


def g726_roundtrip(samples: np.ndarray, bit_rate: int = 32000) -> np.ndarray:
    """int16 audio after a G.726 encode/decode at ``bit_rate`` (40000, 32000, 24000 or 16000)."""
    lib = _lib()
    assert lib is not None, "libspandsp not available"
    lib.g726_init.restype = ctypes.c_void_p
    lib.g726_init.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.g726_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_int16),
                                ctypes.c_int]
    lib.g726_decode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.POINTER(ctypes.c_uint8),
                                ctypes.c_int]
    lib.g726_free.argtypes = [ctypes.c_void_p]
    x = np.ascontiguousarray(np.asarray(samples, dtype=np.int16))
    enc, dec = lib.g726_init(None, bit_rate, 0, 0), lib.g726_init(None, bit_rate, 0, 0)   # linear, unpacked
    codes = np.zeros(x.size, np.uint8)
    out = np.zeros(x.size, np.int16)
    n = lib.g726_encode(enc, codes.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), _ptr(x), x.size)
    m = lib.g726_decode(dec, _ptr(out), codes.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), n)
    lib.g726_free(enc)
    lib.g726_free(dec)
    return out[:m]
