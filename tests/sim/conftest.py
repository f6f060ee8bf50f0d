"""Fixtures for the simulated-office tests: the example office on a virtual clock, ticked like the engine."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import yaml

from drivers.clock import LoopClock
from drivers.port import SILENCE, PortEvent
from drivers.sim import SimOffice

EXAMPLE = Path(__file__).resolve().parents[2] / "firmware" / "config" / "example_office.yaml"


class Tick:
    """A stand-in for the engine's 20 ms media tick: reads every port, writes what ``feeds`` say (else silence)."""

    def __init__(self, clock: LoopClock, office: SimOffice) -> None:
        self.clock = clock
        self.office = office
        self.feeds: dict[str, Callable[[], np.ndarray]] = {}
        self.captured: dict[str, list[np.ndarray]] = {name: [] for name in office.ports}
        self.capture = False
        self.n = 0
        self.t0 = clock.now()
        clock.call_at(self.t0, self._tick)

    def _tick(self) -> None:
        self.n += 1
        for name, port in self.office.ports.items():
            frame = port.read_frame()
            if self.capture:
                self.captured[name].append(frame)
        for name, port in self.office.ports.items():
            feed = self.feeds.get(name)
            port.write_frame(feed() if feed else SILENCE)
        self.clock.call_at(self.t0 + self.n * 0.02, self._tick)


class Events:
    def __init__(self) -> None:
        self.all: list[PortEvent] = []

    def __call__(self, event: PortEvent) -> None:
        self.all.append(event)

    def of(self, port: str, kind: str | None = None) -> list[PortEvent]:
        return [e for e in self.all if e.port == port and (kind is None or e.kind == kind)]

    def kinds(self, port: str) -> list[str]:
        return [e.kind for e in self.all if e.port == port]


def load_example(**changes: Any) -> dict[str, Any]:
    doc = yaml.safe_load(EXAMPLE.read_text())
    for key, value in changes.items():
        doc[key] = value
    return doc


@pytest.fixture
def example_doc():
    """``example_doc(**sections)``: a fresh copy of the example office, sections replaced."""
    return load_example


@pytest.fixture
def make_office(vclock: LoopClock):
    made: list[SimOffice] = []

    def make(doc: dict[str, Any] | None = None) -> tuple[SimOffice, Events, Tick]:
        office = SimOffice(vclock, doc or load_example())
        events = Events()
        for port in office.ports.values():
            port.open()
            port.subscribe(events)
        office.panel.open()
        made.append(office)
        return office, events, Tick(vclock, office)

    yield make
    for office in made:
        office.close()
        for port in office.ports.values():
            port.close()


@pytest.fixture
def run(vclock: LoopClock):
    """``run(seconds)``: let virtual time pass."""

    def step(seconds: float) -> None:
        vclock.loop.run_until_complete(asyncio.sleep(seconds))

    return step
