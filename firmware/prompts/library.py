"""The prompt library: every phrase the box speaks, looked up by name.

What it is: the source of ``leg.play(name)``. A name resolves to 8 kHz mono int16 audio, first from the
office's own recordings (``<data dir>/prompts/<name>.wav``: 16-bit PCM, µ-law or A-law WAV at any rate),
then from the rendered catalogue committed in ``firmware/prompts/audio/``. It is the engine's
:class:`~firmware.engine.prompts.DirectoryPromptLibrary` (cache, reload on change, :class:`PromptMissing`)
with the two folders fixed, plus what applications need: ``get(name)`` (samples), ``name in library``,
:meth:`PromptLibrary.sequence` (several prompts as one source, for "you have three new messages") and
:meth:`PromptLibrary.names`.

What it is not: a renderer (``python -m firmware.prompts.render`` is the build step) or a store of mailbox
greetings (``firmware/voicemail`` keeps those).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

import numpy as np
import yaml

from firmware.engine.audio import ArraySource
from firmware.engine.prompts import DirectoryPromptLibrary, PromptMissing

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOGUE = PACKAGE_DIR / "catalogue.yaml"
AUDIO_DIR = PACKAGE_DIR / "audio"
log = logging.getLogger(__name__)

__all__ = ["AUDIO_DIR", "ArraySource", "PromptLibrary", "PromptMissing", "load_catalogue"]


def load_catalogue(path: Path = CATALOGUE) -> dict[str, str]:
    """Prompt name → text, in catalogue order."""
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    return {str(k): " ".join(str(v).split()) for k, v in doc.items()}


class PromptLibrary(DirectoryPromptLibrary):
    """Name → audio, with the office's recordings overriding the rendered defaults."""

    def __init__(self, override_dir: Path | str | None = None, audio_dir: Path | str = AUDIO_DIR) -> None:
        self.override_dir = Path(override_dir) if override_dir else None
        self.audio_dir = Path(audio_dir)
        super().__init__([f for f in (self.override_dir, self.audio_dir) if f is not None])

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.path(name)
        except PromptMissing:
            return False
        return True

    def is_override(self, name: str) -> bool:
        return self.override_dir is not None and name in self and self.path(name).parent == self.override_dir

    def get(self, name: str) -> np.ndarray:
        """The prompt's samples; :class:`PromptMissing` when there are none."""
        return self.samples(name)

    def sequence(self, names: Iterable[str]) -> ArraySource:
        """One source that speaks several prompts in a row."""
        parts = [self.get(n) for n in names]
        return ArraySource(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16))

    def seconds(self, name: str) -> float:
        return len(self.get(name)) / 8000

    def names(self) -> list[str]:
        """Every name this library can speak (rendered and overridden)."""
        found = {p.stem for p in self.audio_dir.glob("*.wav")}
        if self.override_dir and self.override_dir.is_dir():
            found |= {p.stem for p in self.override_dir.glob("*.wav")}
        return sorted(found)
