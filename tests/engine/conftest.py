"""Small ports with the real Port interface, for engine unit tests (the end-to-end scenarios use SimOffice)."""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import numpy as np
import pytest

from drivers.errors import PortError
from drivers.port import SILENCE, Port
from firmware.engine import Engine, MemoryPromptLibrary
from firmware.store import Store

OFFICE = {
    "office": {"country": "US"},
    "lines": [{"id": "line1", "port": "fxo1"}, {"id": "line2", "port": "fxo2"}],
    "phones": [{"port": "fxs1"}, {"port": "fxs2"}, {"port": "fxs3"}],
    "extensions": [
        {"number": "200", "name": "Reception", "phone": "fxs1", "mailbox": "200"},
        {"number": "201", "name": "Sales", "phone": "fxs2", "mailbox": "201"},
        {"number": "202", "name": "Support", "phone": "fxs3", "mailbox": "202"},
    ],
    "operator": "200",
    "trunks": {"incoming": {"rings_before_answer": 0, "answer_destination": "test"},
               "outgoing": {"access_code": "9", "dial_tone_timeout": 3,
                            "allowed_extensions": ["200", "201"]}},
    "timeouts": {"extension_ring": 20, "inter_digit": 3, "first_digit": 10},
}


class FakePort(Port):
    """Records commands and written frames; test verbs push events and captured audio."""

    def __init__(self, name: str, clock: Any, kind: str) -> None:
        super().__init__(name, clock)
        self.kind = kind
        self.commands: list[tuple] = []
        self.captured: deque[np.ndarray] = deque()
        self.written: list[np.ndarray] = []
        self.keep_written = False
        self.frames_out = 0

    def _cmd(self, *cmd: Any) -> None:
        self.commands.append(cmd)

    def seize(self) -> None:
        if self.kind != "fxo":
            raise PortError("not a line")
        self._cmd("seize")

    def release(self) -> None:
        self._cmd("release")

    def dial(self, digits: str) -> None:
        self._cmd("dial", digits)

    def ring(self, cadence: str | None = None, caller_id: Any = None) -> None:
        self._cmd("ring", cadence, caller_id)

    def stop_ring(self) -> None:
        self._cmd("stop_ring")

    def open_loop(self, ms: float = 500) -> None:
        self._cmd("open_loop", ms)

    def send_vmwi(self, active: bool) -> None:
        self._cmd("vmwi", active)

    def read_frame(self) -> np.ndarray:
        return self.captured.popleft() if self.captured else SILENCE

    def write_frame(self, frame: np.ndarray) -> None:
        self.frames_out += 1
        if self.keep_written:
            self.written.append(np.array(frame))

    def names(self) -> list[str]:
        return [c[0] for c in self.commands]


class SineTone:
    """A tone generator stand-in: a constant sine per tone name (busy/reorder/ringback/dial differ by pitch)."""

    PITCH = {"dial": 350, "stutter": 360, "ringback": 440, "busy": 480, "reorder": 620}

    def __init__(self, country: str, name: str) -> None:
        self.f = self.PITCH.get(name, 1000)
        self.n = 0

    def read(self, n: int) -> np.ndarray:
        t = (np.arange(n) + self.n) / 8000
        self.n += n
        return (8000 * np.sin(2 * np.pi * self.f * t)).astype(np.int16)


class Office:
    """An engine over fake ports, with helpers to run the loop in virtual time."""

    def __init__(self, clock: Any, config: dict | None = None) -> None:
        self.clock = clock
        names = {"fxo1": "fxo", "fxo2": "fxo", "fxs1": "fxs", "fxs2": "fxs", "fxs3": "fxs"}
        self.ports = {n: FakePort(n, clock, k) for n, k in names.items()}
        prompts = MemoryPromptLibrary({"hello": np.full(8000, 1000, dtype=np.int16),
                                       "short": np.full(800, 1000, dtype=np.int16)})
        self.engine = Engine(clock, config or OFFICE, None, self.ports, prompts=prompts, tones=SineTone)
        self.events: list = []
        self.engine.bus.subscribe(self.events.append)

    def run(self, seconds: float) -> None:
        self.clock.loop.run_until_complete(asyncio.sleep(seconds))

    def start(self) -> "Office":
        async def go() -> None:
            self.engine.start()
        self.clock.loop.run_until_complete(go())
        return self

    def stop(self) -> None:
        self.clock.loop.run_until_complete(self.engine.stop())

    def kinds(self, kind: str) -> list[dict]:
        return [e.as_dict() for e in self.events if e.kind == kind]

    def emit(self, port: str, kind: str, **data: Any) -> None:
        self.ports[port].emit(kind, **data)

    def dial(self, port: str, digits: str, **data: Any) -> None:
        """Key ``digits`` on ``port``, one every 0.2 s; ``data`` (e.g. ``source=``) goes with each digit."""
        for d in digits:
            self.emit(port, "digit", digit=d, **data)
            self.run(0.2)

    def lift_and_dial(self, port: str, digits: str, **data: Any) -> None:
        """Take ``port`` off hook, wait 0.5 s for dial tone, then :meth:`dial`."""
        self.emit(port, "off_hook")
        self.run(0.5)
        self.dial(port, digits, **data)


def office_with_store(clock: Any, folder: Any, app: Any = None) -> tuple[Office, Store]:
    """A started :class:`Office` whose engine writes to a new store ``folder/sb.db`` (``app``, if given, is
    registered as ``test``). The caller stops the office and closes the store."""
    store = Store.for_clock(folder / "sb.db", clock)
    o = Office(clock)
    o.engine.store = store
    if app is not None:
        o.engine.register_app("test", app)
    return o.start(), store


@pytest.fixture
def office(vclock):
    o = Office(vclock).start()
    yield o
    o.stop()
