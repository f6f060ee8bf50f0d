"""Fixtures for the line-driver tests: sim pins on the virtual clock and a way to let time pass."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from drivers.clock import LoopClock
from drivers.gpio.sim import SimFactory


def run_until(clock: LoopClock, t: float) -> None:
    """Let virtual time run until clock time ``t`` (every timer due by then fires)."""
    clock.loop.run_until_complete(asyncio.sleep(max(0.0, t - clock.now())))


def run_for(clock: LoopClock, seconds: float) -> None:
    run_until(clock, clock.now() + seconds)


class Recorder:
    """Collects ``emit(kind, t, **data)`` calls."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, dict[str, Any]]] = []

    def __call__(self, kind: str, t: float, **data: Any) -> None:
        self.events.append((kind, t, data))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.events]

    def of(self, kind: str) -> list[tuple[str, float, dict[str, Any]]]:
        return [e for e in self.events if e[0] == kind]


@pytest.fixture
def advance(vclock: LoopClock):
    """``advance(seconds)``: let virtual time pass; ``advance.until(t)`` runs to clock time ``t``."""

    def step(seconds: float) -> None:
        run_for(vclock, seconds)

    step.until = lambda t: run_until(vclock, t)  # type: ignore[attr-defined]
    return step


@pytest.fixture
def factory(vclock: LoopClock) -> SimFactory:
    f = SimFactory(vclock)
    yield f
    f.close()


@pytest.fixture
def rec() -> Recorder:
    return Recorder()
