"""Event bus, media tick, audio sources and sinks, prompt library, bridge and mixer."""
from __future__ import annotations

import asyncio
import threading
import wave

import numpy as np
import pytest

from drivers.errors import DecodeError
from drivers.port import FRAME_SAMPLES
from firmware.engine import (ArraySource, Bridge, BufferSink, Concat, DirectoryPromptLibrary, EventBus,
                             MediaTick, Mixer, PromptMissing, SilenceSource, load_wav)
from firmware.engine.audio import next_frame


def test_bus_subscribe_unsubscribe_and_kinds(vclock):
    bus = EventBus(vclock)
    seen, rings = [], []
    unsubscribe = bus.subscribe(seen.append)
    bus.subscribe(rings.append, kinds=["ring"])
    bus.publish("ring", line="line1", count=1)
    bus.publish("answer", line="line1")
    unsubscribe()
    bus.publish("hangup", leg="leg1")
    assert [e.kind for e in seen] == ["ring", "answer"]
    assert [e.as_dict() for e in rings] == [{"t": 0.0, "event": "ring", "line": "line1", "count": 1}]


def test_bus_failing_listener_is_isolated(vclock, caplog):
    bus = EventBus(vclock)
    seen = []
    bus.subscribe(lambda e: 1 / 0)
    bus.subscribe(seen.append)
    bus.publish("ring")
    assert len(seen) == 1
    assert "bus listener" in caplog.text


def test_bus_publish_from_another_thread_is_handed_to_the_loop(vclock):
    vclock.bind_thread()
    bus = EventBus(vclock)
    threads = []
    bus.subscribe(lambda e: threads.append(threading.get_ident()))
    t = threading.Thread(target=bus.publish, args=("fault",))
    t.start()
    t.join(5)
    assert threads == []
    vclock.loop.run_until_complete(asyncio.sleep(0.01))
    assert threads == [threading.get_ident()]


def test_media_tick_does_not_drift(vclock):
    times = []
    tick = MediaTick(vclock, lambda: times.append(vclock.now()))
    tick.start()
    vclock.loop.run_until_complete(asyncio.sleep(10.0))
    tick.stop()
    assert len(times) == 500
    assert times[-1] == pytest.approx(10.0, abs=1e-9)
    assert tick.misses == 0


def test_media_tick_counts_missed_deadlines(vclock):
    calls = []

    def slow() -> None:
        calls.append(vclock.now())
        if len(calls) == 5:
            vclock.loop.advance(0.1)  # this frame took 100 ms: the next deadlines are missed

    tick = MediaTick(vclock, slow)
    tick.start()
    vclock.loop.run_until_complete(asyncio.sleep(1.0))
    tick.stop()
    assert tick.misses >= 1
    assert tick.stats()["worst_late_ms"] >= 80


def _write_wav(path, samples, rate=8000, channels=1, width=2):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def test_wav_loading_resamples_and_mixes_down(tmp_path):
    stereo = np.tile(np.array([[1000, 3000]], dtype=np.int16), (16000, 1))
    _write_wav(tmp_path / "s.wav", stereo.reshape(-1), rate=16000, channels=2)
    out = load_wav(tmp_path / "s.wav")
    assert len(out) == 8000
    assert int(out[100]) == 2000


def test_wav_ulaw_and_bad_files(tmp_path):
    body = bytes([0xFF, 0x80, 0x00]) * 10
    fmt = (b"fmt " + (16).to_bytes(4, "little") + (7).to_bytes(2, "little") + (1).to_bytes(2, "little")
           + (8000).to_bytes(4, "little") + (8000).to_bytes(4, "little") + (1).to_bytes(2, "little")
           + (8).to_bytes(2, "little"))
    data = b"data" + len(body).to_bytes(4, "little") + body
    riff = b"RIFF" + (4 + len(fmt) + len(data)).to_bytes(4, "little") + b"WAVE" + fmt + data
    (tmp_path / "u.wav").write_bytes(riff)
    out = load_wav(tmp_path / "u.wav")
    assert out[0] == 0 and out[1] == 32124 and out[2] == -32124
    (tmp_path / "bad.wav").write_bytes(b"hello")
    with pytest.raises(DecodeError, match="not a RIFF"):
        load_wav(tmp_path / "bad.wav")
    with pytest.raises(DecodeError, match="cannot read"):
        load_wav(tmp_path / "missing.wav")


def test_sources_concat_and_frames():
    src = Concat([ArraySource(np.full(100, 5, dtype=np.int16)), SilenceSource(0.02),
                  ArraySource(np.full(30, 7, dtype=np.int16))])
    f1, done1 = next_frame(src)
    f2, done2 = next_frame(src)
    assert not done1 and f1[0] == 5 and f1[99] == 5 and f1[100] == 0
    assert done2 and f2[99] == 0 and f2[100] == 7 and f2[129] == 7 and f2[130] == 0
    assert next_frame(ArraySource(np.zeros(0, dtype=np.int16)))[1]


def test_directory_prompt_library_prefers_the_first_folder(tmp_path):
    own, shipped = tmp_path / "own", tmp_path / "shipped"
    own.mkdir(), shipped.mkdir()
    _write_wav(shipped / "greeting-day.wav", np.full(800, 1, dtype=np.int16))
    _write_wav(shipped / "menu-invalid.wav", np.full(800, 2, dtype=np.int16))
    _write_wav(own / "greeting-day.wav", np.full(1600, 3, dtype=np.int16))
    lib = DirectoryPromptLibrary([own, shipped])
    assert lib.source("greeting-day").read(5000).tolist() == [3] * 1600
    assert lib.source("menu-invalid").read(5000).tolist() == [2] * 800
    with pytest.raises(PromptMissing):
        lib.source("nothing")
    with pytest.raises(PromptMissing):
        lib.source("../etc/passwd")


class _L:
    def __init__(self, i):
        self.id = i


def test_bridge_passes_audio_across_and_mute():
    a, b = _L("a"), _L("b")
    br = Bridge([a, b])
    fa = np.full(FRAME_SAMPLES, 1, dtype=np.int16)
    fb = np.full(FRAME_SAMPLES, 2, dtype=np.int16)
    out = br.mix({"a": fa, "b": fb})
    assert out["a"][0] == 2 and out["b"][0] == 1
    br.muted.add("a")
    assert br.mix({"a": fa, "b": fb})["b"][0] == 0
    with pytest.raises(ValueError):
        Bridge([a])


def test_mixer_everyone_hears_the_others_saturated():
    legs = [_L("a"), _L("b"), _L("c")]
    mx = Mixer(legs)
    frames = {"a": np.full(FRAME_SAMPLES, 20000, dtype=np.int16),
              "b": np.full(FRAME_SAMPLES, 20000, dtype=np.int16),
              "c": np.full(FRAME_SAMPLES, 5, dtype=np.int16)}
    out = mx.mix(frames)
    assert out["c"][0] == 32767  # 40000 clipped
    assert out["a"][0] == 20005 and out["b"][0] == 20005


def test_buffer_sink():
    sink = BufferSink()
    sink.write(np.ones(FRAME_SAMPLES, dtype=np.int16))
    assert sink.seconds == pytest.approx(0.02) and sink.samples.sum() == FRAME_SAMPLES


def test_a_port_whose_audio_raises_does_not_stop_the_others(office):
    calls = []

    def broken():
        raise OSError("sound card unplugged")
    office.ports["fxs3"].read_frame = broken
    office.ports["fxs2"].write_frame = lambda frame: calls.append(1)
    office.run(0.2)
    assert len(calls) == 10                         # fxs2 still gets every frame
    faults = office.kinds("fault")
    assert len(faults) == 1 and faults[0]["port"] == "fxs3" and "unplugged" in faults[0]["reason"]
