"""Dial by name: the ``directory`` application.

What it is: :class:`Directory`. The caller keys the first letters of a person's name on the telephone
keypad (``attendant.directory.min_letters``, default 3; ``match``: ``last`` name, ``first`` name or
``both``); every listed extension (``directory: true``, the default) whose name matches is offered one by one
— the recorded name from the mailbox (``greeting-name.wav``) or, without one, a name rendered once with
espeak-ng into ``<data>/prompts/names/`` when the directory starts — then "at extension 2 0 1"; 1 connects
(through the router: busy or no answer → that person's mailbox), * the next name, # starts over, 0 the
operator. No match, or no key: said, and asked again, three times, then back to where the caller came from.

What it is not: a general text-to-speech service.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from firmware.attendant.routing import Router
from firmware.engine.leg import Leg
from firmware.prompts import speech
from firmware.voicemail.dialogue import Item, ask, say

if TYPE_CHECKING:
    from firmware.voicemail.mailbox import Voicemail

log = logging.getLogger(__name__)
KEYPAD = {**{c: "2" for c in "abc"}, **{c: "3" for c in "def"}, **{c: "4" for c in "ghi"},
          **{c: "5" for c in "jkl"}, **{c: "6" for c in "mno"}, **{c: "7" for c in "pqrs"},
          **{c: "8" for c in "tuv"}, **{c: "9" for c in "wxyz"}}
TRIES = 3


def keys_for(word: str) -> str:
    """The keypad digits that spell ``word`` (letters only; others are skipped)."""
    return "".join(KEYPAD[c] for c in word.lower() if c in KEYPAD)


@dataclass(frozen=True)
class Entry:
    """One person in the directory."""

    extension: str
    name: str
    mailbox: str | None

    def keys(self, match: str) -> list[str]:
        words = self.name.split()
        first, last = words[0], words[-1]
        chosen = {"first": [first], "last": [last], "both": [first, last]}.get(match, [last])
        return [keys_for(w) for w in chosen]


def entries_from_config(config: Mapping[str, Any]) -> list[Entry]:
    out = []
    for ext in config.get("extensions") or []:
        if ext.get("directory", True) and ext.get("name"):
            out.append(Entry(str(ext["number"]), str(ext["name"]),
                             str(ext["mailbox"]) if ext.get("mailbox") else None))
    return sorted(out, key=lambda e: (e.name.split()[-1].lower(), e.name.lower()))


class Directory:
    """The ``directory`` application; see the module docstring."""

    def __init__(self, config: Mapping[str, Any], router: Router, voicemail: "Voicemail | None" = None,
                 names_dir: Path | None = None) -> None:
        settings = (config.get("attendant") or {}).get("directory") or {}
        self.match = str(settings.get("match", "last"))
        self.min_letters = int(settings.get("min_letters", 3))
        self.entries = entries_from_config(config)
        self.router = router
        self.voicemail = voicemail
        self.names_dir = names_dir

    def find(self, digits: str) -> list[Entry]:
        """Entries whose chosen name(s) start with the keyed letters."""
        return [e for e in self.entries if any(k.startswith(digits) for k in e.keys(self.match))]

    def name_audio(self, entry: Entry) -> list[Item]:
        if self.voicemail is not None and entry.mailbox:
            box = self.voicemail.mailbox(entry.mailbox)
            if box is not None and box.greeting_path("name").exists():
                return [box.greeting_path("name")]
        if self.names_dir is not None and (self.names_dir / f"{entry.extension}.wav").exists():
            return [self.names_dir / f"{entry.extension}.wav"]
        return []

    def render_names(self) -> int:
        """Speak each name without a recording once with espeak-ng (start-up, not in a call)."""
        exe = shutil.which("espeak-ng")
        if self.names_dir is None or exe is None:
            return 0
        from firmware.prompts.render import finish  # noqa: PLC0415 - build helpers, only here
        from firmware.prompts.wavio import read_wav_bytes, resample_float, write_wav  # noqa: PLC0415
        self.names_dir.mkdir(parents=True, exist_ok=True)
        made = 0
        for entry in self.entries:
            path, stamp = self.names_dir / f"{entry.extension}.wav", self.names_dir / f"{entry.extension}.txt"
            if path.exists() and stamp.exists() and stamp.read_text() == entry.name:
                continue
            try:
                out = subprocess.run([exe, "-v", "en-us", "--stdout", entry.name], check=True,
                                     capture_output=True, timeout=20).stdout
                samples, rate = read_wav_bytes(out)
                write_wav(path, finish(resample_float(samples, rate)))
                stamp.write_text(entry.name)
                made += 1
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                log.warning("cannot speak the name %r: %s", entry.name, exc)
        return made

    async def __call__(self, leg: Leg, target: str | None = None) -> None:
        for _ in range(TRIES):
            letters = await ask(leg, "dir-intro", self.min_letters, timeout=8, inter_digit=5, terminators="#",
                                done=lambda d: d.startswith("0"))
            if letters.startswith("0"):
                await self.router.run(leg, self.router.parse("operator"))
                return
            if not letters:
                await leg.play("menu-no-input")
                continue
            matches = self.find(letters) if letters.isdigit() else []
            if not matches:
                await leg.play("dir-no-match")
                continue
            outcome = await self._offer(leg, matches)
            if outcome == "connected":
                return
            if outcome == "none-left":
                await leg.play("dir-no-more")

    async def _offer(self, leg: Leg, matches: list[Entry]) -> str:
        for entry in matches:
            key = await say(leg, [*self.name_audio(entry), "dir-at-extension", *speech.digits(entry.extension),
                                  "dir-options"])
            if key is None:
                key = await leg.collect(1, 6.0, 0, terminators="")
            if key == "1":
                await self.router.connect_extension(leg, entry.extension)
                return "connected"
            if key == "0":
                await self.router.run(leg, self.router.parse("operator"))
                return "connected"
            if key == "#":
                return "restart"
        return "none-left"
