"""Greeting and prompt audio for the web UI: uploads and browser recordings to 8 kHz telephone WAV, and TTS.

Accepted input: WAV (PCM, float, µ-law, A-law), FLAC, OGG/Vorbis, MP3 — anything libsndfile decodes
(through the ``soundfile`` library); the browser's recorder sends 16-bit WAV made in ``static/recorder.js``,
so the box needs no codec for browser formats. Output: mono, 8000 Hz, 16-bit PCM WAV, peak-limited, resampled
with a polyphase filter (scipy). Text-to-speech runs ``espeak-ng`` (text on stdin, never on the command line).

Refused with :class:`webui.files.BadInput` and a sentence a person can act on: an empty file, a file that is
not audio whatever its name says, an extension we do not take, silence only, or a recording longer than
``max_seconds``. This module does not decide where files go beyond :func:`prompt_path`/`greeting_path`.
"""
from __future__ import annotations

import io
import shutil
import subprocess
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from webui.files import BadInput, inside, safe_name

RATE = 8000
EXTENSIONS = {".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3"}
MAX_TTS_CHARS = 1000
GREETING_KINDS = ("unavailable", "busy", "temp", "name")


def check_extension(filename: str) -> None:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in EXTENSIONS:
        raise BadInput("Upload a WAV, MP3, OGG or FLAC file.")


def to_telephone_wav(data: bytes, max_seconds: float = 300.0) -> bytes:
    """Decode any accepted audio and return it as 8 kHz mono 16-bit WAV bytes."""
    if not data:
        raise BadInput("The recording is empty (0 bytes). Record or choose a file again.")
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise BadInput("That file is not audio the box can read (WAV, MP3, OGG or FLAC).") from exc
    if samples.shape[0] == 0:
        raise BadInput("The recording has no sound in it (zero length). Record again.")
    if samples.shape[0] / rate > max_seconds:
        raise BadInput(f"The recording is longer than {int(max_seconds)} seconds; make it shorter.")
    mono = samples.mean(axis=1)
    if rate != RATE:
        g = gcd(int(rate), RATE)
        mono = resample_poly(mono, RATE // g, int(rate) // g).astype(np.float32)
    peak = float(np.max(np.abs(mono))) if mono.size else 0.0
    if peak < 1e-4:
        raise BadInput("The recording is silent. Check the microphone and record again.")
    if peak > 0.99:
        mono = mono * (0.99 / peak)
    out = io.BytesIO()
    sf.write(out, (mono * 32767).astype(np.int16), RATE, format="WAV", subtype="PCM_16")
    return out.getvalue()


def wav_info(data: bytes) -> dict:
    """Duration and rate of a WAV we wrote (for listings)."""
    info = sf.info(io.BytesIO(data))
    return {"seconds": round(info.frames / info.samplerate, 1), "rate": info.samplerate}


def text_to_speech(text: str, voice: str = "en-us", speed: int = 150, max_seconds: float = 600.0) -> bytes:
    """Speak ``text`` with espeak-ng and return 8 kHz telephone WAV bytes."""
    text = " ".join((text or "").split())
    if not text:
        raise BadInput("Type the words the box should say.")
    if len(text) > MAX_TTS_CHARS:
        raise BadInput(f"Keep the text under {MAX_TTS_CHARS} characters.")
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise BadInput("Text-to-speech (espeak-ng) is not installed on this box.")
    if not voice.replace("-", "").isalnum():
        voice = "en-us"
    try:
        res = subprocess.run([exe, "-v", voice, "-s", str(int(speed)), "--stdout"], input=text.encode(),
                             capture_output=True, timeout=30, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise BadInput("Text-to-speech failed; try a shorter text.") from exc
    return to_telephone_wav(res.stdout, max_seconds)


def prompt_path(data_dir: str | Path, name: str) -> Path:
    """``<data>/prompts/<name>.wav`` — the office's own recording of a prompt (replaces the shipped one)."""
    return inside(Path(data_dir) / "prompts", safe_name(name, "prompt name") + ".wav")


def greeting_path(data_dir: str | Path, mailbox: str, kind: str) -> Path:
    """``<data>/voicemail/<mailbox>/greeting-<kind>.wav`` — a mailbox's own greeting."""
    if kind not in GREETING_KINDS:
        raise BadInput("Choose the unavailable, busy, temporary (temp) or name greeting.")
    if not mailbox.isdigit() or len(mailbox) > 6:
        raise BadInput("A mailbox is an extension number.")
    return inside(Path(data_dir) / "voicemail", mailbox, f"greeting-{kind}.wav")
