"""The audio channel contract and the in-memory channel the simulated office runs on."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from drivers.audio.base import AudioChannel, FrameQueue, LoopbackChannel, MemoryChannel
from drivers.port import FRAME_SAMPLES


def frame(value: int) -> np.ndarray:
    return np.full(FRAME_SAMPLES, value, dtype=np.int16)


def test_memory_channel_is_an_audio_channel():
    assert isinstance(MemoryChannel(), AudioChannel)
    assert isinstance(LoopbackChannel(), AudioChannel)


def test_an_empty_channel_reads_silence_and_counts_an_underrun():
    ch = MemoryChannel()
    out = ch.read()
    assert out.shape == (FRAME_SAMPLES,) and out.dtype == np.int16 and not out.any()
    assert ch.counters == {"underruns": 1, "overruns": 0, "frames_in": 0, "frames_out": 0}


def test_far_side_speech_arrives_in_whole_frames_in_order():
    ch = MemoryChannel()
    samples = np.arange(400, dtype=np.int16)  # 2.5 frames
    ch.far_write(samples)
    assert np.array_equal(ch.read(), samples[:160])
    assert np.array_equal(ch.read(), samples[160:320])
    assert not ch.read().any()  # the remainder waits for more
    ch.far_write(np.arange(400, 480, dtype=np.int16))
    assert np.array_equal(ch.read(), np.concatenate((samples[320:], np.arange(400, 480, dtype=np.int16))))
    assert ch.counters["frames_in"] == 3 and ch.counters["underruns"] == 1


def test_what_the_port_plays_reaches_the_far_side():
    ch = MemoryChannel()
    ch.write(frame(7))
    ch.write(frame(8))
    assert ch.far_pending == 2
    assert ch.far_read()[0] == 7
    assert np.array_equal(ch.far_drain(), frame(8))
    assert not ch.far_read().any()
    assert ch.counters["frames_out"] == 2


def test_a_full_playback_queue_drops_the_oldest_and_counts_an_overrun():
    ch = MemoryChannel(depth=3)
    for v in range(5):
        ch.write(frame(v))
    assert ch.counters["overruns"] == 2
    assert [int(ch.far_read()[0]) for _ in range(3)] == [2, 3, 4]


def test_a_full_capture_queue_drops_the_oldest_and_counts_an_overrun():
    ch = MemoryChannel(depth=2)
    ch.far_write(np.concatenate([frame(v) for v in range(4)]))
    assert ch.counters["overruns"] == 2
    assert int(ch.read()[0]) == 2


def test_a_frame_written_and_changed_afterwards_is_not_altered_on_the_far_side():
    ch = MemoryChannel()
    buf = frame(1)
    ch.far_write(buf)
    buf[:] = 9
    assert int(ch.read()[0]) == 1


@pytest.mark.parametrize("bad", [np.zeros(160, np.float32), np.zeros(80, np.int16), np.zeros((2, 160), np.int16)])
def test_a_malformed_frame_is_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="int16|160"):
        MemoryChannel().write(bad)


def test_far_write_refuses_float_samples():
    with pytest.raises(ValueError, match="int16"):
        MemoryChannel().far_write(np.zeros(160))


def test_loopback_returns_what_was_played():
    ch = LoopbackChannel()
    ch.write(frame(5))
    assert int(ch.read()[0]) == 5


def test_closed_channel_reads_silence_and_ignores_writes():
    ch = MemoryChannel()
    ch.far_write(frame(3))
    ch.close()
    ch.close()
    assert not ch.read().any()
    ch.write(frame(1))
    assert ch.far_pending == 0


def test_fault_reports_reach_the_port_callback():
    seen = []
    ch = MemoryChannel()
    ch.on_fault = seen.append
    ch.report_fault("sound device gone")
    ch.report_fault(None)
    assert seen == ["sound device gone", None]


def test_queue_is_safe_with_a_producer_thread_and_a_consumer():
    q = FrameQueue(depth=1000)
    n = 5000
    got: list[int] = []

    def produce():
        for i in range(n):
            q.put(frame(i % 30000))

    t = threading.Thread(target=produce)
    t.start()
    while len(got) + 0 < n:
        f = q.get()
        if f is not None:
            got.append(int(f[0]))
        elif not t.is_alive() and len(q) == 0:
            break
    t.join(timeout=5)
    assert not t.is_alive()
    # drops are allowed when the consumer lags, but order is preserved
    assert got == sorted(got) and got[-1] == (n - 1) % 30000
