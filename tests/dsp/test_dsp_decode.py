"""``switchboard decode``: the command-line contract (JSON lines, keys, exit codes), WAV formats, resampling,
bad input, and streaming in constant memory."""
from __future__ import annotations

import argparse
import io
import json
import struct
import tracemalloc
import wave

import numpy as np
import pytest

from drivers.dsp.callerid import CallerId, encode_fsk
from drivers.dsp.levels import alaw_encode, ulaw_encode
from drivers.dsp.tones import ToneGenerator, dtmf
from firmware import cli, decode


def write_wav(path, x: np.ndarray, rate: int = 8000, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(x, dtype="<i2").tobytes())


def g711_wav(codes: np.ndarray, fmt: int, extensible: bool = False, rate: int = 8000) -> bytes:
    data = codes.astype(np.uint8).tobytes()
    if extensible:
        guid = struct.pack("<H", fmt) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt_chunk = struct.pack("<HHIIHHHHI", 0xFFFE, 1, rate, rate, 1, 8, 22, 8, 0) + guid
    else:
        fmt_chunk = struct.pack("<HHIIHH", fmt, 1, rate, rate, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk \
        + b"LIST" + struct.pack("<I", 4) + b"INFO" + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def run_cli(argv: list[str], capsys) -> tuple[int, list[dict], str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


DIGITS = np.concatenate((np.zeros(960, np.int16), dtmf("12#", 80, 120, -10)))


def test_decode_dtmf_prints_one_json_object_per_digit(tmp_path, capsys):
    write_wav(tmp_path / "keys.wav", DIGITS)
    code, lines, err = run_cli(["decode", "dtmf", str(tmp_path / "keys.wav")], capsys)
    assert code == 0 and err == ""
    assert [set(d) for d in lines] == [{"digit", "start_ms", "end_ms"}] * 3
    assert [d["digit"] for d in lines] == ["1", "2", "#"]
    assert lines[0]["start_ms"] == pytest.approx(120.0, abs=0.5)
    assert lines[0]["end_ms"] == pytest.approx(200.0, abs=0.5)
    assert lines[1]["start_ms"] == pytest.approx(320.0, abs=0.5)


def test_decode_callerid_prints_the_contract_keys(tmp_path, capsys):
    x = np.concatenate((np.zeros(4000, np.int16),
                        encode_fsk(CallerId(number="5551234", name="ACME", datetime="11221430")),
                        np.zeros(4000, np.int16),
                        encode_fsk(CallerId(datetime="11221431", number_absent="P"), "v23", "sdmf")))
    write_wav(tmp_path / "cid.wav", x)
    code, lines, _ = run_cli(["decode", "callerid", str(tmp_path / "cid.wav")], capsys)
    assert code == 0
    assert lines == [
        {"standard": "bell202", "format": "mdmf", "number": "5551234", "name": "ACME", "datetime": "11221430",
         "number_absent": None, "name_absent": None},
        {"standard": "v23", "format": "sdmf", "number": None, "name": None, "datetime": "11221431",
         "number_absent": "P", "name_absent": None},
    ]


def test_decode_tones_with_country(tmp_path, capsys):
    x = np.concatenate((ToneGenerator("UK", "busy").read(8000 * 3), np.zeros(8000, np.int16),
                        ToneGenerator("UK", "dial").read(8000 * 2)))
    write_wav(tmp_path / "uk.wav", x)
    code, lines, _ = run_cli(["decode", "tones", str(tmp_path / "uk.wav"), "--country", "UK"], capsys)
    assert code == 0
    assert [(d["tone"], round(d["start_ms"] / 100), round(d["end_ms"] / 100)) for d in lines] == \
        [("busy", 0, 26), ("dial", 40, 60)]
    assert set(lines[0]) == {"tone", "start_ms", "end_ms"}


@pytest.mark.parametrize("fmt,encode", [(7, ulaw_encode), (6, alaw_encode)])
@pytest.mark.parametrize("extensible", [False, True])
def test_mu_law_and_a_law_wavs(tmp_path, capsys, fmt, encode, extensible):
    (tmp_path / "g711.wav").write_bytes(g711_wav(encode(DIGITS), fmt, extensible))
    code, lines, _ = run_cli(["decode", "dtmf", str(tmp_path / "g711.wav")], capsys)
    assert code == 0 and [d["digit"] for d in lines] == ["1", "2", "#"]


@pytest.mark.parametrize("rate", [44100, 16000, 11025, 48000])
def test_other_sample_rates_are_resampled(tmp_path, capsys, rate):
    t = np.arange(int(DIGITS.size * rate / 8000))
    x = np.interp(t * 8000 / rate, np.arange(DIGITS.size), DIGITS.astype(float))
    write_wav(tmp_path / "hi.wav", np.rint(x), rate)
    code, lines, _ = run_cli(["decode", "dtmf", str(tmp_path / "hi.wav")], capsys)
    assert code == 0 and [d["digit"] for d in lines] == ["1", "2", "#"]
    assert lines[0]["start_ms"] == pytest.approx(120.0, abs=1.5)


def _bad(tmp_path, name: str, content: bytes | None = None, x=None, **kw):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    else:
        write_wav(path, x, **kw)
    return str(path)


@pytest.mark.parametrize("case,needle", [
    ("stereo", "2 channels"), ("text", "not a WAV"), ("empty", "empty"), ("truncated", "truncated"),
    ("headless", "truncated"), ("eight_bit", "8 bits"), ("float", "format code 3"), ("missing", "cannot read"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, capsys, case, needle):
    good = (tmp_path / "good.wav")
    write_wav(good, DIGITS)
    raw = good.read_bytes()
    path = {
        "stereo": lambda: _bad(tmp_path, "s.wav", x=np.repeat(DIGITS, 2), channels=2),
        "text": lambda: _bad(tmp_path, "t.wav", b"this is a text file, not audio\n"),
        "empty": lambda: _bad(tmp_path, "e.wav", b""),
        "truncated": lambda: _bad(tmp_path, "tr.wav", raw[: len(raw) // 2]),
        "headless": lambda: _bad(tmp_path, "h.wav", raw[:30]),
        "eight_bit": lambda: _bad(tmp_path, "8.wav", raw[:34] + struct.pack("<H", 8) + raw[36:]),
        "float": lambda: _bad(tmp_path, "f.wav", raw[:20] + struct.pack("<H", 3) + raw[22:]),
        "missing": lambda: str(tmp_path / "nowhere.wav"),
    }[case]()
    code, _, err = run_cli(["decode", "dtmf", path], capsys)
    assert code == 2
    assert err.count("\n") == 1 and needle in err, err


def test_truncated_file_still_prints_what_it_found(tmp_path, capsys):
    write_wav(tmp_path / "good.wav", DIGITS)
    raw = (tmp_path / "good.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(raw[: 44 + 2 * 3000])
    code, lines, err = run_cli(["decode", "dtmf", str(tmp_path / "cut.wav")], capsys)
    assert code == 2 and "truncated" in err
    assert [d["digit"] for d in lines] == ["1", "2"]


def test_unknown_country_is_exit_2(tmp_path, capsys):
    write_wav(tmp_path / "k.wav", DIGITS)
    code, _, err = run_cli(["decode", "tones", str(tmp_path / "k.wav"), "--country", "XX"], capsys)
    assert code == 2 and "unknown country" in err


class EndlessWav(io.RawIOBase):
    """A WAV streamed from a generator: header with unknown length (0xFFFFFFFF), then ``seconds`` of
    audio made on demand (a digit every 10 s), never held in memory."""

    def __init__(self, seconds: float) -> None:
        self.left = int(seconds * 8000) * 2
        fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
        self.head = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt " + struct.pack("<I", 16) + fmt \
            + b"data" + struct.pack("<I", 0xFFFFFFFF)
        self.block = np.concatenate((dtmf("5", 60, 60, -10), np.zeros(8000 * 10 - 960, np.int16))).tobytes()
        self.pos = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            return out
        n = min(n, self.left)
        out = bytearray()
        while len(out) < n:
            take = min(n - len(out), len(self.block) - self.pos)
            out += self.block[self.pos:self.pos + take]
            self.pos = (self.pos + take) % len(self.block)
        self.left -= n
        return bytes(out)


def _peak_memory(seconds: float) -> tuple[int, int]:
    found: list[dict] = []
    tracemalloc.start()
    decode.decode_stream(EndlessWav(seconds), "dtmf", argparse.Namespace(country="US"), found.append)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, len(found)


@pytest.mark.slow
def test_a_long_recording_streams_in_constant_memory():
    short_peak, short_n = _peak_memory(60)
    long_peak, long_n = _peak_memory(900)
    assert (short_n, long_n) == (6, 90)
    assert long_peak < short_peak * 1.2 + 200_000       # memory does not grow with the length
    assert long_peak < 5_000_000


def test_a_header_claiming_ten_hours_is_read_lazily():
    stream = EndlessWav(3)
    info, chunks = decode.read_wav(stream)
    assert info.data_bytes is None and info.rate == 8000
    first = next(chunks)
    assert first.size == 4000                            # half a second at a time, not the whole file
