"""Talk-off corpus: speech from espeak-ng (voices x pitches x languages) and music-like tones, 8 kHz int16.

Generated on demand (nothing large is committed). Used by the DTMF talk-off tests and bench/dsp.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from drivers.dsp.levels import DBM0_RMS, to_int16, ulaw_roundtrip
from drivers.dsp.tones import DTMF_COLS, DTMF_ROWS
from firmware.decode import Resampler

TEXTS = {
    "en": "Thank you for calling. Please hold while we connect you to the next available agent. "
          "Our office hours are nine to five, Monday through Friday. Press one for sales, two for support.",
    "de": "Guten Tag, Sie sind mit der Zentrale verbunden. Bitte warten Sie, der nächste freie Mitarbeiter "
          "ist gleich für Sie da. Unsere Öffnungszeiten sind von neun bis siebzehn Uhr.",
    "fr": "Bonjour, merci de votre appel. Veuillez patienter, un conseiller va vous répondre. "
          "Nos bureaux sont ouverts du lundi au vendredi de neuf heures à dix-sept heures.",
    "es": "Gracias por llamar. Por favor espere mientras le conectamos con el siguiente agente disponible.",
    "it": "Grazie per aver chiamato. Attenda in linea, il primo operatore libero le risponderà subito.",
    "pt": "Obrigado por ligar. Aguarde enquanto transferimos a sua chamada para o próximo atendente.",
}
VOICES = ("en", "en+m3", "en+f2", "en+f4", "en+klatt", "en-us", "de", "de+f3", "fr", "fr+m4", "es", "it", "pt")
PITCHES = (20, 50, 80, 99)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, voice: str, pitch: int, speed: int = 160) -> np.ndarray:
    """espeak-ng speech at 8 kHz, float64 (unscaled)."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True, timeout=60).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return Resampler(rate).process(np.concatenate((x, np.zeros(rate // 10, dtype=np.int16))))


def at_level(x: np.ndarray, active_dbm0: float) -> np.ndarray:
    """Scale speech so its active level (frames above -30 dB of the peak) is ``active_dbm0``."""
    frames = x[: x.size // 160 * 160].reshape(-1, 160)
    power = (frames ** 2).mean(axis=1)
    active = power[power > power.max() * 1e-3]
    gain = DBM0_RMS * 10 ** (active_dbm0 / 20) / np.sqrt(active.mean() + 1e-9)
    return x * gain


def speech_corpus(seconds: float, levels=(-15.0,), seed: int = 1, ulaw: bool = True) -> list[np.ndarray]:
    """About ``seconds`` of speech per level, cycling voices, pitches and languages; int16 clips."""
    rng = np.random.default_rng(seed)
    clips: list[np.ndarray] = []
    total = 0.0
    i = 0
    while total < seconds:
        voice = VOICES[i % len(VOICES)]
        pitch = PITCHES[i % len(PITCHES)]             # 13 voices x 4 pitches: every pairing within 52 clips
        lang = voice.split("+")[0].split("-")[0]
        raw = speak(TEXTS.get(lang, TEXTS["en"]), voice, pitch, speed=int(rng.integers(140, 190)))
        total += raw.size / 8000
        for level in levels:
            y = to_int16(at_level(raw, level))
            clips.append(ulaw_roundtrip(y) if ulaw else y)
        i += 1
    return clips


def music_corpus(seconds: float, seed: int = 2) -> np.ndarray:
    """Music-like audio: random harmonic notes, and two-note pure chords kept >= 4 % away from every DTMF
    pair, 120-600 ms each, at -20..-5 dBm0; int16."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    n_total = int(seconds * 8000)
    n = 0
    while n < n_total:
        dur = int(rng.integers(960, 4800))
        t = np.arange(dur) / 8000
        amp = DBM0_RMS * np.sqrt(2) * 10 ** (rng.uniform(-20, -5) / 20)
        if rng.random() < 0.5:
            f0 = 110 * 2 ** (rng.integers(0, 36) / 12)
            x = sum(amp / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 8) if f0 * k < 3800)
        else:
            lo, hi = _off_dtmf(rng, DTMF_ROWS), _off_dtmf(rng, DTMF_COLS)
            x = amp * (np.sin(2 * np.pi * lo * t) + np.sin(2 * np.pi * hi * t))
        env = np.minimum(1, np.minimum(np.arange(dur), np.arange(dur)[::-1]) / 80)
        parts.append(x * env)
        n += dur
    return to_int16(np.concatenate(parts))


def _off_dtmf(rng: np.random.Generator, group: tuple[float, ...]) -> float:
    while True:
        f = rng.uniform(group[0] * 0.9, group[-1] * 1.1)
        if all(abs(f - g) / g >= 0.04 for g in group):
            return f


def chord_corpus(seconds: float, seed: int = 4) -> np.ndarray:
    """Hold-music-like organ chords: two equal-tempered notes (one from E5-B5, one from D6-A6, pure sines
    with a weak 2nd harmonic), 80-400 ms each with 10 ms ramps, at -20..-5 dBm0; int16. Some chords sit
    inside the DTMF accept band (F5 + F#6 is a '3' by any standard); the rest probe each detector's
    frequency discipline (G#5 = 852 Hz - 2.5 %)."""
    rng = np.random.default_rng(seed)
    note = lambda k: 440.0 * 2 ** (k / 12)          # noqa: E731  (k semitones from A4)
    parts: list[np.ndarray] = []
    n = 0
    while n < seconds * 8000:
        dur = int(rng.integers(640, 3200))
        t = np.arange(dur) / 8000
        amp = DBM0_RMS * np.sqrt(2) * 10 ** (rng.uniform(-20, -5) / 20)
        lo, hi = note(int(rng.integers(7, 15))), note(int(rng.integers(17, 25)))
        x = amp * (np.sin(2 * np.pi * lo * t) + np.sin(2 * np.pi * hi * t)
                   + 0.05 * np.sin(4 * np.pi * lo * t) + 0.05 * np.sin(4 * np.pi * hi * t))
        env = np.minimum(1, np.minimum(np.arange(dur), np.arange(dur)[::-1]) / 80)
        parts += [x * env, np.zeros(int(rng.integers(0, 800)))]
        n += dur
    return to_int16(np.concatenate(parts))
