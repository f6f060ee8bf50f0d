"""The modem byte protocol: lines, DLE codes and shielded voice data, however the bytes are chunked."""
from __future__ import annotations

import pytest

from drivers.errors import HardwareError
from drivers.modem.connection import ModemConnection, ModemTimeout
from drivers.modem.protocol import ModemProtocol


class Sink:
    def __init__(self) -> None:
        self.replies, self.unsolicited, self.codes, self.garbled = [], [], [], []
        self.audio = bytearray()
        self.lost = []

    def on_reply(self, line):
        self.replies.append(line)

    def on_unsolicited(self, line):
        self.unsolicited.append(line)

    def on_dle(self, code):
        self.codes.append(code)

    def on_audio(self, data):
        self.audio += data

    def on_garbled(self, raw):
        self.garbled.append(raw)

    def on_lost(self, exc):
        self.lost.append(exc)


STREAM = (b"\r\nOK\r\n\r\nRING\r\n\r\nNMBR = 5551234\r\n\x105\r\nCONNECT\r\n"
          b"\x80\x81\x10\x10\x82\x10#\x83\x10\x03\r\nOK\r\n")


def feed(chunks) -> Sink:
    sink = Sink()
    proto = ModemProtocol(sink)
    proto.expect_voice()
    for chunk in chunks:
        proto.data_received(chunk)
    return sink


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(STREAM)])
def test_the_stream_parses_the_same_whatever_the_chunking(size):
    sink = feed([STREAM[i:i + size] for i in range(0, len(STREAM), size)])
    assert sink.replies == ["OK", "CONNECT", "OK"]
    assert sink.unsolicited == ["RING", "NMBR = 5551234"]
    assert sink.codes == ["5", "#", "ETX"]
    assert bytes(sink.audio) == b"\x80\x81\x10\x82\x83"


def test_noise_is_reported_and_dropped():
    sink = feed([b"\r\n\xff\xfe\xfd\r\n", b"A" * 300 + b"\r\n", b"\r\nR\x07ING\r\n"])
    assert len(sink.garbled) == 2 and sink.unsolicited == ["RING"]


def test_a_connect_without_voice_expected_is_just_a_reply():
    sink = Sink()
    proto = ModemProtocol(sink)
    proto.data_received(b"\r\nCONNECT\r\n\x80\x80\r\n")
    assert sink.replies == ["CONNECT"] and not sink.audio and not proto.in_voice


def test_a_url_opens_without_probing_and_a_silent_device_times_out():
    sink = Sink()
    conn = ModemConnection("loop://", sink)
    try:
        with pytest.raises(ModemTimeout, match="did not answer 'AT'"):
            conn.command("AT", timeout=0.2)  # loop:// only echoes; the echo is not an answer
    finally:
        conn.close()
    assert sink.lost == [None]


def test_a_missing_device_is_a_clear_error(tmp_path):
    with pytest.raises(HardwareError, match="cannot open modem .*dialout"):
        ModemConnection(str(tmp_path / "usb-no-such-modem"), Sink())


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    given = None

if given is not None:
    from drivers.modem.channel import shield

    pieces = st.lists(st.one_of(st.binary(min_size=1, max_size=40).map(lambda b: ("audio", b)),
                                st.sampled_from("0123456789*#ABCDbdHR").map(lambda c: ("code", c))),
                      max_size=30)

    @settings(max_examples=150, deadline=None)
    @given(pieces, st.lists(st.integers(min_value=1, max_value=17), min_size=1, max_size=8))
    def test_any_voice_stream_in_any_chunking_gives_back_the_audio_and_codes(items, cuts):
        wire = b"\r\nCONNECT\r\n"
        for kind, value in items:
            wire += shield(value) if kind == "audio" else b"\x10" + value.encode()
        wire += b"\x10\x03\r\nOK\r\n"
        chunks, i, k = [], 0, 0
        while i < len(wire):
            size = cuts[k % len(cuts)]
            chunks.append(wire[i:i + size])
            i, k = i + size, k + 1
        sink = feed(chunks)
        assert bytes(sink.audio) == b"".join(v for kind, v in items if kind == "audio")
        assert sink.codes == [v for kind, v in items if kind == "code"] + ["ETX"]
        assert sink.replies == ["CONNECT", "OK"]
