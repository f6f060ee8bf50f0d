#!/usr/bin/env python3
"""Switchboard DSP benchmark: prints the figures docs/dsp.md quotes.

    .venv/bin/python bench/dsp/run.py [--quick]

* DTMF throughput in channels of real time per core (CPU time; 20 ms frames, and 100 ms blocks as the line
  drivers feed it), on silence, speech, noise,
  back-to-back digits and a typical call mix; call-progress and caller-ID decoding throughput likewise.
* False digits per hour of speech (espeak-ng voices x pitches x languages, three levels, mu-law) and music,
  ours next to spandsp 0.0.6 on the same audio.
* Detection latency: when a digit's start and end are reported after the tone starts and stops.
* Edges of the DTMF battery: shortest accepted tone, longest bridged gap, strongest twist, lowest S/N.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from drivers.dsp.callerid import CallerId, CallerIdDecoder, encode_fsk  # noqa: E402
from drivers.dsp.dtmf import DtmfDetector  # noqa: E402
from drivers.dsp.levels import DBM0_RMS, to_int16, ulaw_roundtrip  # noqa: E402
from drivers.dsp.progress import ProgressDetector  # noqa: E402
from drivers.dsp.tones import DTMF_FREQS, dtmf  # noqa: E402
from tests.dsp import corpus, spandsp_ref  # noqa: E402
from tests.dsp.signals import digits, pair  # noqa: E402


def realtime_factor(make, x: np.ndarray, repeat: int = 3, block: int = 160) -> float:
    """Seconds of audio processed per CPU second, fed as ``block``-sample blocks (20 ms frames unless
    told; best of ``repeat``)."""
    frames = [x[i:i + block] for i in range(0, x.size - block + 1, block)]
    best = float("inf")
    for _ in range(repeat):
        det = make()
        t0 = time.process_time()
        for f in frames:
            det.feed(f)
        best = min(best, time.process_time() - t0)
    return len(frames) * block / 8000 / max(best, 1e-9)


def throughput(speech: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    n = 8000 * 20
    sp = np.resize(speech, n)
    keys = dtmf("0123456789*#ABCD" * 13, 50, 50, -10)[:n]
    mix = np.concatenate((sp[:n * 6 // 10], np.zeros(n * 3 // 10, np.int16), keys[:n // 10]))
    signals = {
        "silence": np.zeros(n, np.int16),
        "speech": sp,
        "white noise -30 dBm0": to_int16(rng.normal(0, DBM0_RMS * 10 ** (-30 / 20), n)),
        "digits back to back": keys,
        "call mix (60% speech, 30% silence, 10% digits)": mix,
    }
    print("\n== throughput, channels of real time per CPU core (20 ms frames) ==")
    print("(DTMF 100 ms: fed five frames at a time, as the line drivers do)")
    print(f"{'signal':48s} {'DTMF':>8s} {'DTMF 100 ms':>12s} {'progress':>9s} {'caller ID':>10s}")
    dtmf_rt: dict[str, float] = {}
    for name, x in signals.items():
        d = realtime_factor(DtmfDetector, x, repeat=5)
        d5 = realtime_factor(DtmfDetector, x, repeat=5, block=800)
        p = realtime_factor(lambda: ProgressDetector("US"), x)
        c = realtime_factor(lambda: CallerIdDecoder("auto"), x)
        print(f"{name:48s} {d:8.0f} {d5:12.0f} {p:9.0f} {c:10.0f}")
        dtmf_rt[name] = d
    worst = dtmf_rt["digits back to back"]
    print(f"DTMF worst case (digits back to back): {worst:.0f}x real time, {20000 / worst:.1f} us of CPU per 20 ms "
          f"frame (target >= 300x: {'met' if worst >= 300 else 'NOT MET'})")
    msgs = np.concatenate([np.concatenate((encode_fsk(CallerId(number=f"55512{i:05d}", name="CALLER NAME",
                                                                datetime="11221430")), np.zeros(800, np.int16)))
                           for i in range(10)])
    for std in ("bell202", "auto"):
        f = realtime_factor(lambda: CallerIdDecoder(std), msgs)
        print(f"caller-ID decoding of continuous FSK messages ({std}): {f:.0f}x real time, "
              f"{f * msgs.size / 8000 / 10:.0f} messages per CPU second")


def talk_off(minutes: float) -> None:
    print(f"\n== talk-off: {minutes:.0f} min of espeak-ng speech per level, mu-law ==")
    if not corpus.espeak_available():
        print("espeak-ng not installed: skipped")
        return
    have_sp = spandsp_ref.available()
    total_s = 0.0
    ours_total = theirs_total = 0
    for level in (-25.0, -15.0, -5.0):
        clips = corpus.speech_corpus(minutes * 60, levels=(level,), seed=int(-level))
        seconds = sum(c.size for c in clips) / 8000
        ours = sum(len(digits(c)) for c in clips)
        theirs = sum(len(spandsp_ref.spandsp_digits(c)) for c in clips) if have_sp else None
        total_s += seconds
        ours_total += ours
        theirs_total += theirs or 0
        print(f"speech at {level:+.0f} dBm0: {seconds / 60:.1f} min, false digits ours {ours}, "
              f"spandsp {theirs if have_sp else 'n/a'}")
    music = corpus.music_corpus(minutes * 60)
    m_ours = len(digits(music))
    m_theirs = len(spandsp_ref.spandsp_digits(music)) if have_sp else "n/a"
    print(f"music-like tones: {minutes:.0f} min, false digits ours {m_ours}, spandsp {m_theirs}")
    chords = ulaw_roundtrip(corpus.chord_corpus(minutes * 60))
    c_theirs = len(spandsp_ref.spandsp_digits(chords)) if have_sp else "n/a"
    print(f"hold-music organ chords (equal-tempered; some sit inside the DTMF accept band): {minutes:.0f} min, "
          f"digits ours {len(digits(chords))}, spandsp {c_theirs}")
    hours = total_s / 3600
    print(f"false digits per hour of speech: ours {ours_total / hours:.2f}, "
          f"spandsp {theirs_total / hours:.2f}" if have_sp else f"ours {ours_total / hours:.2f}")


def latency() -> None:
    print("\n== detection latency (tone start -> start reported, tone stop -> end reported) ==")
    rng = np.random.default_rng(3)
    starts, ends, err_s, err_e = [], [], [], []
    for _ in range(200):
        key = "0123456789*#ABCD"[int(rng.integers(16))]
        lead = int(rng.integers(0, 400))
        lo, hi = DTMF_FREQS[key]
        x = to_int16(pair(lo, hi, 80, -10, -10, rng, lead=lead, tail_ms=200))
        det = DtmfDetector()
        for i in range(0, x.size, 8):
            for ev in det.feed(x[i:i + 8]):
                if ev.kind == "start":
                    starts.append((i + 8 - lead) / 8)
                    err_s.append(abs(ev.t * 8000 - lead))
                else:
                    ends.append((i + 8 - lead - 640) / 8)
                    err_e.append(abs(ev.t * 8000 - lead - 640))
    print(f"start reported after {np.mean(starts):.1f} ms mean, {np.max(starts):.1f} ms max (limit 60; 1 ms frames)")
    print(f"end reported after {np.mean(ends):.1f} ms mean, {np.max(ends):.1f} ms max")
    print(f"event timestamps vs true edges: start {np.mean(err_s):.1f} samples mean, {np.max(err_s):.0f} max; "
          f"end {np.mean(err_e):.1f} mean, {np.max(err_e):.0f} max")


def edges() -> None:
    print("\n== DTMF edges (40 random alignments each, mu-law) ==")
    rng = np.random.default_rng(9)
    lo, hi = DTMF_FREQS["0"]

    def rate(make) -> float:
        return np.mean([make() for _ in range(40)])

    half = next(ms for ms in range(20, 41) if rate(lambda: digits(ulaw_roundtrip(to_int16(
        pair(lo, hi, ms, -13, -13, rng)))) == "0") >= 0.5)
    print(f"50 % detection at {half} ms tone duration (must: >= 40 ms all, <= 23 ms none)")
    for label, sign in (("high tone weaker", -1), ("high tone stronger", 1)):
        tw = 0.0
        while rate(lambda: digits(to_int16(pair(lo, hi, 40, -10 if sign < 0 else -20,
                                                (-10 if sign < 0 else -20) + sign * (tw + 0.5), rng))) == "0") == 1.0:
            tw += 0.5
        print(f"twist, {label}: 100 % up to {tw:.1f} dB")
    sent = "".join(rng.choice(list("0123456789*#ABCD"), 200))
    x = dtmf(sent, 50, 50, -4).astype(float)
    for snr in (10, 8, 7, 6, 5, 4, 3):
        got = digits(ulaw_roundtrip(to_int16(x + rng.normal(0, DBM0_RMS * 10 ** ((-4 - snr) / 20), x.size))))
        theirs = spandsp_ref.spandsp_digits(ulaw_roundtrip(to_int16(
            x + rng.normal(0, DBM0_RMS * 10 ** ((-4 - snr) / 20), x.size)))) if spandsp_ref.available() else ""
        print(f"S/N {snr:2d} dB: ours {sum(a == b for a, b in zip(got, sent)) if len(got) == len(sent) else len(got)}"
              f"/200 ({'exact' if got == sent else 'not exact'}), spandsp {len(theirs)}/200")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller corpora")
    args = ap.parse_args()
    speech = np.concatenate(corpus.speech_corpus(20, levels=(-15.0,))) if corpus.espeak_available() \
        else to_int16(np.random.default_rng(0).normal(0, 3000, 8000 * 20))
    throughput(speech)
    latency()
    edges()
    talk_off(2 if args.quick else 10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
