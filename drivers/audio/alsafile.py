"""The ALSA ``type file`` sound device: real PortAudio and ALSA with no sound card, for tests and benchmarks.

What it is: helpers to run a :class:`~drivers.audio.sounddevice_channel.SoundDeviceChannel` through the real
PortAudio → ALSA path on a machine without audio hardware. ALSA's ``file`` plugin reads capture from
``infile`` and writes playback to ``file``; its slave is the ``null`` device::

    pcm.switchboard_file_in { type file; slave.pcm { type null }; file "/dev/null"; infile "in.fifo"; format "raw" }
    pcm.switchboard_file_out { type file; slave.pcm { type null }; file "out.raw"; format "raw" }
    pcm.switchboard_file { type asym; playback.pcm "switchboard_file_out"; capture.pcm "switchboard_file_in" }

(The ``file`` plugin copies captured audio into its ``file`` too, hence two devices joined by ``asym``.)

The ``null`` slave is not paced (it runs as fast as the CPU), so the capture side reads from a **named pipe**
that a feeder writes in real time: the stream is then paced like a codec, and what goes in is known exactly.
``python -m drivers.audio.alsafile CONFIG.json`` runs one loopback session (capture → engine tick → playback of
the *negated* frame, so what was played can never be mistaken for what was captured) in
a process whose ``HOME`` holds the ``.asoundrc`` — ALSA reads it when PortAudio initialises, so it must be set
before ``sounddevice`` is imported — and writes a JSON report.

What it is not: a device a real office uses, or a fake (that is :mod:`drivers.audio.fake`). Linux only.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

DEVICE = "switchboard_file"


def write_asoundrc(home: Path, infile: Path, outfile: Path, name: str = DEVICE) -> Path:
    """Write ``home/.asoundrc`` defining the full-duplex file device ``name``; returns its path.

    The ``file`` plugin also copies *captured* audio into its ``file``, so capture and playback are two file
    devices joined by ``type asym``: the output file then holds only what was played.
    """
    rc = Path(home) / ".asoundrc"
    rc.write_text(
        f'pcm.{name}_in {{ type file; slave.pcm {{ type null }}; file "/dev/null"; infile "{infile}"; '
        f'format "raw" }}\n'
        f'pcm.{name}_out {{ type file; slave.pcm {{ type null }}; file "{outfile}"; format "raw" }}\n'
        f'pcm.{name} {{ type asym; playback.pcm "{name}_out"; capture.pcm "{name}_in" }}\n')
    return rc


class FifoFeeder:
    """Writes int16 samples into the capture pipe in real time, 20 ms at a time; silence after the end.

    Owns one thread (``start``/``stop`` with a join timeout). ``sent_at[k]`` is the monotonic time the k-th
    20 ms chunk was written.
    """

    def __init__(self, fd: int, samples: np.ndarray, rate: int) -> None:
        self.fd, self.samples, self.chunk = fd, samples.astype("<i2"), rate // 50
        self.sent_at: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fifo-feeder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        t0 = time.monotonic()
        k = 0
        silence = bytes(2 * self.chunk)
        while not self._stop.is_set():
            part = self.samples[k * self.chunk:(k + 1) * self.chunk]
            data = part.tobytes() + silence[:2 * self.chunk - 2 * len(part)]
            self.sent_at.append(time.monotonic())
            os.write(self.fd, data)
            k += 1
            self._stop.wait(max(0.0, t0 + k * 0.02 - time.monotonic()))

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def run_loopback(cfg: dict[str, Any]) -> dict[str, Any]:
    """One session in this process (HOME already points at the .asoundrc): capture, echo, play back."""
    fd = os.open(cfg["infile"], os.O_RDWR)  # keeps the pipe open so ALSA's open never blocks
    from drivers.audio.sounddevice_channel import SoundDeviceChannel
    from drivers.clock import LoopClock

    loop = asyncio.new_event_loop()
    clock = LoopClock(loop)
    rate = cfg["rate"]
    samples = np.fromfile(cfg["source"], dtype="<i2")
    ch = SoundDeviceChannel(clock, DEVICE, rate=rate, depth=cfg.get("depth", 50),
                            high_water=cfg.get("high_water", 40), low_water=cfg.get("low_water", 20))
    feeder = FifoFeeder(fd, samples, rate)
    captured: list[np.ndarray] = []
    tick_times: list[float] = []
    done = loop.create_future()

    def tick(n: int) -> None:
        tick_times.append(time.monotonic())
        frame = ch.read()
        captured.append(frame.copy())
        ch.write(-frame)  # int16 negation; the test signals stay within ±32767
        if n + 1 < cfg["ticks"]:
            clock.call_at(t0 + (n + 1) * 0.02, tick, n + 1)
        else:
            done.set_result(None)

    opened = ch.open()
    feeder.start()
    t0 = loop.time() + 0.02
    clock.call_at(t0, tick, 0)
    loop.run_until_complete(asyncio.wait_for(done, cfg["ticks"] * 0.02 + 10))
    ch.close()
    feeder.stop()
    os.close(fd)
    loop.close()
    np.concatenate(captured).astype("<i2").tofile(cfg["captured"])
    return {"opened": opened, "device_rate": ch.device_rate, "counters": ch.counters,
            "sent_at": feeder.sent_at, "ticks": tick_times}


def run_in_subprocess(workdir: Path, source: np.ndarray, rate: int, ticks: int, timeout: float = 30,
                      **options: Any) -> dict[str, Any]:
    """Set up the file device under ``workdir`` and run :func:`run_loopback` in a fresh interpreter.

    Returns the report plus ``captured`` (8 kHz int16 the engine read) and ``played`` (device-rate int16 that
    reached the output file, after ALSA's priming silence).
    """
    workdir = Path(workdir)
    infile, outfile = workdir / "in.fifo", workdir / "out.raw"
    if not infile.exists():
        os.mkfifo(infile)
    write_asoundrc(workdir, infile, outfile)
    source_path = workdir / "source.raw"
    source.astype("<i2").tofile(source_path)
    cfg = {"infile": str(infile), "source": str(source_path), "rate": rate, "ticks": ticks,
           "captured": str(workdir / "captured.raw"), **options}
    env = dict(os.environ, HOME=str(workdir))
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.run([sys.executable, "-m", "drivers.audio.alsafile", json.dumps(cfg)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"ALSA file-device session failed: {proc.stderr.strip()[-2000:]}")
    report = json.loads(proc.stdout)
    report["captured"] = np.fromfile(cfg["captured"], dtype="<i2")
    report["played"] = np.fromfile(outfile, dtype="<i2") if outfile.exists() else np.zeros(0, np.int16)
    return report


if __name__ == "__main__":
    print(json.dumps(run_loopback(json.loads(sys.argv[1]))))
