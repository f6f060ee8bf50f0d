"""One contract for every audio channel: memory, loopback, sound device (fake sound system), voice modem."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.audio.base import AudioChannel, LoopbackChannel, MemoryChannel
from drivers.audio.fake import FakeAudioBackend, FakeSoundDevice
from drivers.audio.sounddevice_channel import SoundDeviceChannel
from drivers.modem.channel import ModemAudioChannel
from drivers.port import FRAME_SAMPLES

KEYS = {"underruns", "overruns", "frames_in", "frames_out"}


def memory(clock):
    return MemoryChannel()


def loopback(clock):
    return LoopbackChannel()


def sound_device(clock):
    ch = SoundDeviceChannel(clock, "codec", backend=FakeAudioBackend(clock, [FakeSoundDevice("codec")]))
    ch.open()
    return ch


def modem(clock):
    ch = ModemAudioChannel("u8")
    ch.set_sender(lambda data: None)
    return ch


@pytest.fixture(params=[memory, loopback, sound_device, modem])
def channel(request, vclock) -> AudioChannel:
    ch = request.param(vclock)
    yield ch
    ch.close()


def test_satisfies_the_protocol(channel):
    assert isinstance(channel, AudioChannel)
    assert KEYS <= set(channel.counters)


def test_reading_with_nothing_captured_gives_silence_and_counts_it(channel):
    frame = channel.read()
    assert frame.dtype == np.int16 and frame.shape == (FRAME_SAMPLES,) and not frame.any()
    assert channel.counters["underruns"] == 1 and channel.counters["frames_in"] == 0


def test_writing_counts_frames(channel):
    for _ in range(3):
        channel.write(np.full(FRAME_SAMPLES, 100, np.int16))
    assert channel.counters["frames_out"] == 3


@pytest.mark.parametrize("bad", [np.zeros(FRAME_SAMPLES, np.float64), np.zeros(159, np.int16), [0] * 160])
def test_a_malformed_frame_is_a_value_error(channel, bad):
    with pytest.raises(ValueError):
        channel.write(bad)


def test_close_is_idempotent_and_leaves_silence(channel):
    channel.close()
    channel.close()
    assert not channel.read().any()
    channel.write(np.zeros(FRAME_SAMPLES, np.int16))
