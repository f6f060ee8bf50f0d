"""Benchmark: audio path latency (capture → engine tick → playback) and jitter through the ALSA file device.

What it measures: a real PortAudio/ALSA full-duplex stream on the ALSA ``type file`` device (no sound card),
capture paced in real time through a named pipe, playback written to a second named pipe. A feeder writes
silence with a 20 ms tone burst every 300 ms; an engine-like media tick on a real asyncio loop (every 20 ms,
scheduled ``t0 + n·20 ms``) reads each frame and plays it straight back; a reader timestamps when each burst
comes out of the playback pipe. Latency = burst out − burst in (wall clock), i.e. ALSA capture period +
PortAudio + the channel's queues + tick phase + playback period. Jitter: spread of that latency, and of the
tick's lateness against its schedule.

Run: ``python bench/drivers/audio_latency.py [--seconds 6] [--rate 8000 48000]``. Linux with libportaudio.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BURST_EVERY = 15  # frames (300 ms)


def source(rate: int, seconds: float) -> tuple[np.ndarray, list[int]]:
    chunk = rate // 50
    n = int(seconds * 50)
    x = np.zeros(n * chunk, dtype=np.int16)
    t = np.arange(chunk) / rate
    burst = np.rint(12000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    starts = list(range(10, n - 10, BURST_EVERY))
    for k in starts:
        x[k * chunk:(k + 1) * chunk] = burst
    return x, starts


class PipeReader:
    """Reads the playback pipe; records (monotonic time, samples so far) for each read."""

    def __init__(self, fd: int) -> None:
        self.fd, self.marks, self.data = fd, [], bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import select
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                self.data += os.read(self.fd, 65536)
                self.marks.append((time.monotonic(), len(self.data) // 2))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def child(cfg: dict) -> dict:
    in_fd = os.open(cfg["infile"], os.O_RDWR)
    out_fd = os.open(cfg["outfile"], os.O_RDWR)  # both pipes open before ALSA looks at them
    sys.path.insert(0, cfg["root"])
    from drivers.audio.alsafile import DEVICE, FifoFeeder
    from drivers.audio.sounddevice_channel import SoundDeviceChannel
    from drivers.clock import LoopClock

    rate = cfg["rate"]
    samples, starts = source(rate, cfg["seconds"])
    loop = asyncio.new_event_loop()
    clock = LoopClock(loop)
    ch = SoundDeviceChannel(clock, DEVICE, rate=rate)
    reader = PipeReader(out_fd)
    feeder = FifoFeeder(in_fd, samples, rate)
    late: list[float] = []
    done = loop.create_future()
    ticks = int(cfg["seconds"] * 50)
    t_cpu = time.process_time()

    def tick(n: int) -> None:
        late.append(loop.time() - (t0 + n * 0.02))
        ch.write(ch.read())
        if n + 1 < ticks:
            loop.call_at(t0 + (n + 1) * 0.02, tick, n + 1)
        else:
            done.set_result(None)

    assert ch.open(), ch.fault
    feeder.start()
    t0 = loop.time() + 0.02
    loop.call_at(t0, tick, 0)
    loop.run_until_complete(done)
    cpu = time.process_time() - t_cpu
    ch.close()
    feeder.stop()
    reader.stop()
    played = np.frombuffer(bytes(reader.data[: len(reader.data) // 2 * 2]), dtype="<i2")
    return {"rate": rate, "latency_ms": burst_latencies(played, reader.marks, feeder.sent_at, starts, rate),
            "tick_late_ms": [x * 1000 for x in late], "counters": ch.counters, "cpu_s": cpu,
            "seconds": cfg["seconds"]}


def burst_latencies(played, marks, sent_at, starts, rate) -> list[float]:
    """For each burst: when the chunk holding its first loud sample came out, minus when it went in."""
    loud = np.flatnonzero(np.abs(played.astype(np.int32)) > 3000)
    onsets, last = [], -10 ** 9
    for i in loud:
        if i - last > rate // 10:
            onsets.append(i)
        last = i
    out_times = []
    for i in onsets:
        for t, count in marks:
            if count > i:
                out_times.append(t)
                break
    sent = np.array([sent_at[k] for k in starts if k < len(sent_at)])
    latencies = []
    for t_out in out_times:  # pair each burst heard with the last burst sent before it (a dropped one is skipped)
        before = sent[sent <= t_out]
        if len(before) and t_out - before[-1] < BURST_EVERY * 0.02:
            latencies.append((t_out - before[-1]) * 1000)
    return latencies


def run(rate: int, seconds: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="sb-audio-bench-"))
    infile, outfile = work / "in.fifo", work / "out.fifo"
    os.mkfifo(infile)
    os.mkfifo(outfile)
    root = str(Path(__file__).resolve().parents[2])
    sys.path.insert(0, root)
    from drivers.audio.alsafile import write_asoundrc
    write_asoundrc(work, infile, outfile)
    cfg = {"infile": str(infile), "outfile": str(outfile), "rate": rate, "seconds": seconds, "root": root}
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], capture_output=True,
                          text=True, timeout=seconds + 30, env=dict(os.environ, HOME=str(work)))
    if proc.returncode:
        raise SystemExit(f"benchmark session failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def summary(r: dict) -> str:
    lat = np.array(r["latency_ms"])
    late = np.array(r["tick_late_ms"])
    c = r["counters"]
    lines = [f"device rate {r['rate']} Hz, {r['seconds']:g} s, {len(lat)} bursts heard",
             f"  latency capture→engine→playback: median {np.median(lat):.1f} ms, min {lat.min():.1f}, "
             f"max {lat.max():.1f}, jitter (std) {lat.std():.1f} ms",
             f"  media tick lateness: median {np.median(late):.2f} ms, p99 {np.percentile(late, 99):.2f}, "
             f"max {late.max():.2f} ms",
             f"  CPU {r['cpu_s'] / r['seconds'] * 100:.1f} % of one core (stream + tick, one port)",
             "  counters: " + ", ".join(f"{k}={v}" for k, v in c.items())]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(json.loads(sys.argv[2]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--rate", type=int, nargs="+", default=[8000, 48000])
    args = ap.parse_args()
    for rate in args.rate:
        print(summary(run(rate, args.seconds)))


if __name__ == "__main__":
    main()
