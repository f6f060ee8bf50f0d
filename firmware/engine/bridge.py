"""Bridges and mixers: who hears whom, computed once per 20 ms media tick.

What it is: :class:`Bridge` joins exactly two legs (each hears the other; no arithmetic, the frame is passed
through) and :class:`Mixer` three or more (each hears the sum of the others, saturated to int16). A leg can
be *muted* in either: it still hears, but nobody hears it (used while an extension dials out on a line).

What it is not: policy. Whether two legs may be joined (an outside caller never reaches a line) is decided
by the engine before it builds one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np

from drivers.port import SILENCE

if TYPE_CHECKING:
    from firmware.engine.leg import Leg


class Bridge:
    """Two legs hearing each other."""

    kind = "bridge"

    def __init__(self, legs: Iterable["Leg"], bridge_id: str = "") -> None:
        self.legs: list["Leg"] = list(legs)
        self.id = bridge_id
        self.muted: set[str] = set()
        if len(self.legs) != 2:
            raise ValueError(f"a bridge joins two legs, got {len(self.legs)}")

    def mix(self, heard: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``heard`` maps leg id → what that leg's far end said this tick; returns leg id → what to send it."""
        a, b = self.legs
        return {a.id: self._from(b, heard), b.id: self._from(a, heard)}

    def _from(self, leg: "Leg", heard: dict[str, np.ndarray]) -> np.ndarray:
        if leg.id in self.muted:
            return SILENCE
        return heard.get(leg.id, SILENCE)

    def remove(self, leg: "Leg") -> None:
        if leg in self.legs:
            self.legs.remove(leg)


class Mixer(Bridge):
    """Three or more legs; each hears everyone but themselves."""

    kind = "mixer"

    def __init__(self, legs: Iterable["Leg"], bridge_id: str = "") -> None:
        self.legs = list(legs)
        self.id = bridge_id
        self.muted = set()
        if len(self.legs) < 2:
            raise ValueError("a mixer needs at least two legs")

    def add(self, leg: "Leg") -> None:
        if leg not in self.legs:
            self.legs.append(leg)

    def mix(self, heard: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        voices = {leg.id: heard.get(leg.id, SILENCE).astype(np.int32)
                  for leg in self.legs if leg.id not in self.muted}
        total = np.zeros(len(SILENCE), dtype=np.int32)
        for v in voices.values():
            total += v
        out: dict[str, np.ndarray] = {}
        for leg in self.legs:
            mine = voices.get(leg.id)
            mixed = total - mine if mine is not None else total
            out[leg.id] = np.clip(mixed, -32768, 32767).astype(np.int16)
        return out
