"""Small helpers the voicemail and attendant dialogues share: say several things, ask for digits, beep.

What it is: :func:`say` plays prompt names, recorded files (``Path``) and audio sources one after another and
returns the first key the caller pressed (barge-in); :func:`ask` plays a prompt and collects digits;
:func:`beep` is the tone before a recording. What it is not: a dialogue of its own.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterable, Union

from drivers.errors import DecodeError
from firmware.engine.audio import AudioSource, wav_source
from firmware.engine.leg import Leg

Item = Union[str, Path, AudioSource]
log = logging.getLogger(__name__)


async def say(leg: Leg, items: Iterable[Item], interruptible: bool = True) -> str | None:
    """Play each item in turn; the first key pressed stops it and is returned."""
    for item in items:
        if isinstance(item, Path):
            try:
                source: AudioSource | str = wav_source(item)
            except DecodeError as exc:
                log.error("cannot play %s: %s", item, exc)
                continue
            leg.engine.bus.publish("prompt", leg=leg.id, name=f"file:{item.name}")
        else:
            source = item
        key = await leg.play(source, interruptible=interruptible)
        if key is not None:
            return key
    return None


async def ask(leg: Leg, prompt: Iterable[Item] | str, max_digits: int, timeout: float = 8.0,
              inter_digit: float = 4.0, terminators: str = "#",
              done: Callable[[str], bool] | None = None) -> str:
    """Play ``prompt`` and collect up to ``max_digits`` digits ("" when nothing came); ``done(digits)``
    true ends the collection early."""
    items = [prompt] if isinstance(prompt, str) else list(prompt)
    first = await say(leg, items)
    if first is not None and first in terminators:
        return ""
    return await leg.collect(max_digits, timeout, inter_digit, terminators=terminators, first=first or "",
                             done=done)


async def beep(leg: Leg) -> None:
    """The short tone that says "speak now"."""
    await leg.play_tone("beep", seconds=0.3)
