"""Benchmark: CPU per 20 ms frame of the audio channels (what one port costs per media tick).

Prints microseconds per frame for: the in-memory channel the simulator uses (far_write + read + write +
far_read), the sound-device channel's callback work at 8 and 48 kHz (capture conversion + playback conversion,
fake sound system), and the modem channel (bytes → frame, frame → DLE-shielded bytes).

Run: ``python bench/drivers/audio_channel_cost.py``.
"""
from __future__ import annotations

import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.audio.base import MemoryChannel  # noqa: E402
from drivers.audio.sounddevice_channel import SoundDeviceChannel  # noqa: E402
from drivers.modem.channel import ModemAudioChannel, encode  # noqa: E402

N = 20000


def per_frame(fn, n: int = N) -> float:
    return min(timeit.repeat(fn, number=n, repeat=3)) / n * 1e6


def memory_channel() -> float:
    ch, f = MemoryChannel(), np.ones(160, np.int16)

    def tick() -> None:
        ch.far_write(f)
        ch.read()
        ch.write(f)
        ch.far_read()
    return per_frame(tick)


def sound_callback(rate: int) -> float:
    class NoClock:
        def call_later(self, *a):  # never needed: no faults in this benchmark
            raise AssertionError

    ch = SoundDeviceChannel(NoClock(), "bench", backend=object(), rate=rate)  # type: ignore[arg-type]
    ch.device_rate = rate
    ch._reset_buffers()
    block = rate // 50
    indata = (np.sin(np.arange(block) / 5) * 8000).astype(np.int16)
    outdata = np.zeros(block, np.int16)
    frame = np.ones(160, np.int16)

    def tick() -> None:
        ch._playback.put(frame)
        ch._callback(indata, outdata, False)
        ch._capture.get()
    return per_frame(tick, N // 4)


def modem_channel() -> float:
    ch = ModemAudioChannel("u8")
    ch.set_sender(lambda data: None)
    f = (np.sin(np.arange(160) / 5) * 8000).astype(np.int16)
    data = encode(f, "u8")

    def tick() -> None:
        ch.feed(data)
        ch.read()
        ch.write(f)
    return per_frame(tick)


def main() -> None:
    print(f"memory channel (sim), full tick:        {memory_channel():6.1f} µs/frame")
    print(f"sound-device callback at 8 kHz:         {sound_callback(8000):6.1f} µs/frame")
    print(f"sound-device callback at 48 kHz:        {sound_callback(48000):6.1f} µs/frame (with resampling)")
    print(f"sound-device callback at 44.1 kHz:      {sound_callback(44100):6.1f} µs/frame (with resampling)")
    print(f"modem channel, capture + play:          {modem_channel():6.1f} µs/frame")


if __name__ == "__main__":
    main()
