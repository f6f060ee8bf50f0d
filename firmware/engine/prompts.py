"""Prompt lookup by name: the pluggable library the engine asks when an application plays ``"greeting-day"``.

What it is: the :class:`PromptLibrary` protocol (``source(name) -> AudioSource``, raising
:class:`PromptMissing` when there is no such prompt) and :class:`DirectoryPromptLibrary`, which finds
``<name>.wav`` in an ordered list of folders (an office's own recordings first, the shipped ones after) and
keeps decoded prompts in memory. The shipped catalogue and its renderer live in ``firmware/prompts/``.

What it is not: text-to-speech or the catalogue of phrases.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterable, Protocol

import numpy as np

from drivers.errors import SwitchboardError
from firmware.engine.audio import ArraySource, AudioSource, load_wav

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PromptMissing(SwitchboardError, KeyError):
    """No prompt of that name in the library."""


class PromptLibrary(Protocol):
    """Finds prompts by name."""

    def source(self, name: str) -> AudioSource: ...


class DirectoryPromptLibrary:
    """``<name>.wav`` from the first folder that has it; decoded audio is cached."""

    def __init__(self, folders: Iterable[str | Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self._cache: dict[Path, tuple[float, np.ndarray]] = {}

    def path(self, name: str) -> Path:
        """The file that plays for ``name`` (raises :class:`PromptMissing`)."""
        if not _NAME.match(name):
            raise PromptMissing(f"bad prompt name {name!r}")
        for folder in self.folders:
            candidate = folder / f"{name}.wav"
            if candidate.is_file():
                return candidate
        raise PromptMissing(f"no prompt {name!r} in {', '.join(map(str, self.folders)) or 'no folders'}")

    def samples(self, name: str) -> np.ndarray:
        """The prompt's decoded samples, read-only, cached until its file changes (raises :class:`PromptMissing`)."""
        path = self.path(name)
        mtime = path.stat().st_mtime
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            samples = load_wav(path)
            samples.setflags(write=False)
            cached = (mtime, samples)
            self._cache[path] = cached
        return cached[1]

    def source(self, name: str) -> AudioSource:
        return ArraySource(self.samples(name))


class MemoryPromptLibrary:
    """Prompts held in memory by name (tests, generated phrases)."""

    def __init__(self, prompts: dict[str, np.ndarray] | None = None) -> None:
        self.prompts = dict(prompts or {})

    def add(self, name: str, samples: np.ndarray) -> None:
        self.prompts[name] = np.asarray(samples, dtype=np.int16)

    def source(self, name: str) -> AudioSource:
        if name not in self.prompts:
            raise PromptMissing(f"no prompt {name!r}")
        return ArraySource(self.prompts[name])


class ChainPromptLibrary:
    """Asks each library in turn."""

    def __init__(self, libraries: Iterable[PromptLibrary]) -> None:
        self.libraries = list(libraries)

    def source(self, name: str) -> AudioSource:
        for lib in self.libraries:
            try:
                return lib.source(name)
            except PromptMissing:
                continue
        raise PromptMissing(f"no prompt {name!r}")
