"""A port's audio on a sound device, through the fake sound system on the virtual clock."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.audio.base import AudioChannel
from drivers.audio.fake import FakeAudioBackend, FakeSoundDevice
from drivers.audio.sounddevice_channel import SoundDeviceChannel
from drivers.port import FRAME_SAMPLES

from .conftest import run_ticks


def ramp(frames: int, start: int = 1) -> np.ndarray:
    return (np.arange(frames * FRAME_SAMPLES) % 20000 + start).astype(np.int16)


def tone(hz: float, rate: int, seconds: float, amp: float = 8000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amp * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * rate / len(x))


def open_channel(vclock, backend, name="line 1", **kw) -> SoundDeviceChannel:
    faults: list = []
    ch = SoundDeviceChannel(vclock, name, backend=backend, on_fault=faults.append, **kw)
    ch.faults_seen = faults
    assert ch.open()
    return ch


def strip_leading_silence(x: np.ndarray) -> np.ndarray:
    nz = np.flatnonzero(x)
    return x[nz[0]:] if len(nz) else x[:0]


def test_is_an_audio_channel(vclock, backend):
    assert isinstance(SoundDeviceChannel(vclock, "line 1", backend=backend), AudioChannel)


def test_what_the_caller_says_arrives_in_order_in_frames(vclock, backend, codec):
    ch = open_channel(vclock, backend)
    said = ramp(20)
    codec.speak(said)
    got = []
    run_ticks(vclock, 0.6, lambda: got.append(ch.read().copy()))
    heard = strip_leading_silence(np.concatenate(got))
    assert np.array_equal(heard[:len(said)], said)
    # the first tick lands before the first block has been captured
    assert ch.counters["frames_in"] == 29 and ch.counters["underruns"] == 1 and ch.counters["skew_drops"] == 0


def test_what_the_port_plays_reaches_the_device(vclock, backend, codec):
    ch = open_channel(vclock, backend)
    frames = iter(np.split(ramp(20), 20))
    run_ticks(vclock, 0.6, lambda: ch.write(next(frames, np.zeros(FRAME_SAMPLES, np.int16))))
    played = strip_leading_silence(codec.played())
    assert np.array_equal(played[:20 * FRAME_SAMPLES], ramp(20))
    assert ch.counters["frames_out"] == 30 and ch.counters["playback_underruns"] <= 1


@pytest.mark.parametrize("rate", [48000, 44100])
def test_a_codec_that_only_offers_a_high_rate_is_resampled_both_ways(vclock, rate):
    codec = FakeSoundDevice("CM108 codec", rates=(rate,))
    ch = open_channel(vclock, FakeAudioBackend(vclock, [codec]), "CM108")
    assert ch.device_rate == rate
    codec.speak(tone(1000, rate, 1.0))
    out_tone = iter(np.split(tone(700, 8000, 1.0), 50))
    got = []

    def tick():
        got.append(ch.read().copy())
        ch.write(next(out_tone, np.zeros(FRAME_SAMPLES, np.int16)))

    run_ticks(vclock, 1.0, tick)
    heard = np.concatenate(got)[1600:7200].astype(float)
    assert peak_hz(heard, 8000) == pytest.approx(1000, abs=10)
    assert heard.std() * np.sqrt(2) == pytest.approx(8000, rel=0.05)
    played = codec.played()[rate // 5: rate * 4 // 5].astype(float)
    assert peak_hz(played, rate) == pytest.approx(700, abs=10)
    assert played.std() * np.sqrt(2) == pytest.approx(8000, rel=0.1)


def test_the_preferred_rate_is_8k_when_the_codec_offers_it(vclock):
    codec = FakeSoundDevice("codec", rates=(48000, 8000))
    assert open_channel(vclock, FakeAudioBackend(vclock, [codec]), "codec").device_rate == 8000


def test_a_device_clock_running_fast_never_builds_up_latency(vclock, codec):
    backend = FakeAudioBackend(vclock, [codec], ppm=5000)  # a very bad crystal: 0.5 % fast
    ch = open_channel(vclock, backend)
    waiting = []

    def tick():
        ch.read()
        waiting.append(len(ch._capture))

    run_ticks(vclock, 30.0, tick)
    assert max(waiting) <= ch.high_water
    assert ch.counters["skew_drops"] > 0


def test_a_device_pulled_out_mid_call_is_a_fault_and_comes_back(vclock, backend, codec):
    ch = open_channel(vclock, backend, backoff=(1.0, 8.0))
    run_ticks(vclock, 0.2, ch.read)
    codec.unplug()
    run_ticks(vclock, 0.1, ch.read)
    assert ch.state == "faulted"
    assert ch.faults_seen == [f"sound device 'line 1' went away"]
    assert not ch.read().any()
    run_ticks(vclock, 10.0, ch.read)  # retries at +1, +2, +4 s: all fail
    assert ch.counters["faults"] == 4 and ch.faults_seen == [ch.faults_seen[0]]
    codec.plug()
    run_ticks(vclock, 8.5, ch.read)  # the next retry, 8 s after the last, succeeds
    assert ch.state == "open" and ch.faults_seen[-1] is None and ch.counters["reopens"] == 1
    codec.speak(ramp(2))
    got = []
    run_ticks(vclock, 0.2, lambda: got.append(ch.read().copy()))
    assert np.array_equal(strip_leading_silence(np.concatenate(got))[:320], ramp(2))


def test_a_wedged_device_is_noticed_after_the_stall_time(vclock, backend, codec):
    ch = open_channel(vclock, backend, stall_ticks=10)
    run_ticks(vclock, 0.1, ch.read)
    codec.freeze()
    run_ticks(vclock, 0.18, ch.read)
    assert ch.state == "open"
    run_ticks(vclock, 0.04, ch.read)
    assert ch.state == "faulted" and "stopped delivering audio for 200 ms" in ch.faults_seen[0]


def test_a_missing_device_at_start_is_a_fault_with_the_choices(vclock, backend):
    faults = []
    ch = SoundDeviceChannel(vclock, "line 9", backend=backend, on_fault=faults.append)
    assert not ch.open()
    assert "no input sound device named 'line 9'" in faults[0] and "line 1" in faults[0]
    ch.close()


def test_an_ambiguous_device_name_is_refused(vclock, codec):
    backend = FakeAudioBackend(vclock, [codec, FakeSoundDevice("USB Audio Codec: line 2")])
    faults = []
    ch = SoundDeviceChannel(vclock, "USB Audio Codec", backend=backend, on_fault=faults.append)
    assert not ch.open() and "ambiguous" in faults[0]
    ch.close()


def test_one_codec_pulled_out_leaves_the_other_ports_serving(vclock, codec):
    other = FakeSoundDevice("line 2 codec")
    backend = FakeAudioBackend(vclock, [codec, other])
    one, two = open_channel(vclock, backend, "line 1"), open_channel(vclock, backend, "line 2")
    codec.unplug()
    other.speak(ramp(5))
    got = []
    run_ticks(vclock, 0.3, lambda: (one.read(), got.append(two.read().copy())))
    assert one.state == "faulted" and two.state == "open"
    assert np.array_equal(strip_leading_silence(np.concatenate(got))[:800], ramp(5))


def test_xruns_reported_by_the_sound_system_are_counted(vclock, backend, codec):
    ch = open_channel(vclock, backend)
    codec.xrun()
    run_ticks(vclock, 0.1, ch.read)
    assert ch.counters["xruns"] == 1


def test_close_stops_the_stream_and_any_retry(vclock, backend, codec):
    ch = open_channel(vclock, backend)
    codec.unplug()
    run_ticks(vclock, 0.1, ch.read)
    ch.close()
    codec.plug()
    run_ticks(vclock, 5.0, ch.read)
    assert ch.state == "closed" and ch.counters["reopens"] == 0
    assert not codec.streams


def test_a_failing_callback_becomes_a_fault_not_a_dead_thread(vclock, backend, codec):
    ch = open_channel(vclock, backend)
    ch._rs_in = None  # force the conversion to blow up inside the sound thread
    ch.device_rate = 48000
    run_ticks(vclock, 0.1, ch.read)
    assert ch.state == "faulted" and "audio callback failed" in ch.faults_seen[0]


def test_audio_captured_before_the_device_was_lost_is_still_delivered(vclock, backend, codec):
    ch = open_channel(vclock, backend, high_water=8, depth=10)
    codec.speak(ramp(5))
    run_ticks(vclock, 0.1, lambda: None)  # five blocks captured, nobody read them yet
    codec.unplug()
    got = [ch.read().copy() for _ in range(6)]
    assert ch.state == "faulted"
    assert np.array_equal(np.concatenate(got[:5]), ramp(5)) and not got[5].any()


def test_a_lost_codec_becomes_a_fault_on_its_port_and_other_ports_keep_serving(vclock, codec):
    from drivers.audio.base import report_faults_to
    from drivers.port import Port

    class LinePort(Port):
        kind = "fxo"

    other = FakeSoundDevice("line 2 codec")
    backend = FakeAudioBackend(vclock, [codec, other])
    line1, line2 = LinePort("fxo1", vclock), LinePort("fxo2", vclock)
    events = []
    for port in (line1, line2):
        port.subscribe(events.append)
    ch1 = SoundDeviceChannel(vclock, "line 1", backend=backend, backoff=(1.0, 1.0))
    ch2 = SoundDeviceChannel(vclock, "line 2", backend=backend)
    report_faults_to(line1, ch1)
    report_faults_to(line2, ch2)
    ch1.open(), ch2.open()
    codec.unplug()
    run_ticks(vclock, 3.0, lambda: (ch1.read(), ch2.read()))
    assert [(e.port, e.kind) for e in events] == [("fxo1", "fault")]
    assert line1.fault and line2.fault is None and ch2.counters["frames_in"] > 100
    codec.plug()
    run_ticks(vclock, 1.1, lambda: (ch1.read(), ch2.read()))
    assert [(e.port, e.kind) for e in events] == [("fxo1", "fault"), ("fxo1", "fault_cleared")]


def test_the_board_profile_names_the_devices(vclock, backend):
    from drivers.audio.sounddevice_channel import channel_for_port
    board = {"ports": {"fxo1": {"audio_device": "line 1", "audio_stall_ms": 300, "audio_buffer_frames": 6},
                       "fxo2": {}, "fxo3": {"audio_device": 2}}}
    ch = channel_for_port(vclock, board, "fxo1", backend=backend)
    assert (ch.capture_name, ch.playback_name, ch.stall_ticks, ch.depth) == ("line 1", "line 1", 15, 6)
    assert ch.open()
    assert channel_for_port(vclock, board, "fxo2", backend=backend) is None
    from drivers.errors import ConfigError
    with pytest.raises(ConfigError, match="chosen by name"):
        channel_for_port(vclock, board, "fxo3", backend=backend)


def test_a_device_index_is_refused_as_a_name(vclock, backend):
    faults = []
    ch = SoundDeviceChannel(vclock, "1", backend=backend, on_fault=faults.append)
    assert not ch.open() and "by name" in faults[0]
    ch.close()


def test_a_port_that_never_calls_open_gets_its_stream_on_the_first_tick(vclock, backend, codec):
    faults = []
    ch = SoundDeviceChannel(vclock, "line 1", backend=backend)
    ch.on_fault = faults.append
    codec.speak(ramp(2))
    got = []
    run_ticks(vclock, 0.1, lambda: got.append(ch.read().copy()))
    assert ch.state == "open" and np.array_equal(strip_leading_silence(np.concatenate(got))[:320], ramp(2))
    ch.close()
    run_ticks(vclock, 0.1, ch.read)
    assert ch.state == "closed" and not faults


def test_a_sound_library_error_is_a_fault_not_a_crash(vclock, backend, caplog):
    def broken(*args, **kw):
        raise RuntimeError("PortAudio says no")

    backend.open_stream = broken
    faults = []
    ch = SoundDeviceChannel(vclock, "line 1", backend=backend, on_fault=faults.append)
    assert not ch.open() and "PortAudio says no" in faults[0]
    assert not ch.read().any()
    ch.close()
