"""A probe office: the real engine and attendant over event-level fake ports, for walking menus fast.

What it is: :class:`ProbeOffice` ``(clock, config, data_dir)``. Every line and phone of the configuration
becomes a :class:`ProbePort` (the real :class:`~drivers.port.Port` interface; keys arrive as ``digit``
events, speech as captured frames, hang-ups as ``disconnect``/``on_hook``) and the engine runs with the
attendant installed (:func:`firmware.attendant.install.install`). Verbs: ``call_in``, ``press``, ``speak``,
``hang_up``, ``lift``, ``put_down``, ``run(seconds)``; what happened is the bus transcript ``events`` plus
each port's ``commands`` (a line seized or dialled shows there). Used by the menu tester
(``switchboard test-menu``), the attendant benchmark and the attendant tests.

What it is not: the simulated office of ``drivers/sim`` (audio-level, real drivers), which scenarios use.
Tones are silent here; DTMF is not decoded from audio.
"""
from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from drivers.clock import LoopClock
from drivers.errors import PortError
from drivers.port import SILENCE, Port
from firmware.attendant.install import Services, install
from firmware.engine import Engine
from firmware.engine.office import as_mapping
from firmware.store import Store


class ProbePort(Port):
    """A port driven by events; records the commands the engine gives it."""

    def __init__(self, name: str, clock: Any, kind: str) -> None:
        super().__init__(name, clock)
        self.kind = kind
        self.captured: deque[np.ndarray] = deque()
        self.commands: list[tuple] = []

    def seize(self) -> None:
        if self.kind != "line":
            raise PortError("not a line")
        self.commands.append(("seize",))

    def release(self) -> None:
        self.commands.append(("release",))

    def dial(self, digits: str) -> None:
        self.commands.append(("dial", digits))

    def ring(self, cadence: str | None = None, caller_id: Any = None) -> None:
        self.commands.append(("ring", cadence))

    def stop_ring(self) -> None:
        self.commands.append(("stop_ring",))

    def open_loop(self, ms: float = 500) -> None:
        pass

    def send_vmwi(self, active: bool) -> None:
        self.commands.append(("vmwi", active))

    def read_frame(self) -> np.ndarray:
        return self.captured.popleft() if self.captured else SILENCE

    def write_frame(self, frame: np.ndarray) -> None:
        pass


class SilentTones:
    """Call-progress tones as silence (the probe listens to events, not audio)."""

    def __init__(self, country: str, name: str) -> None:
        pass

    def read(self, n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.int16)


def voice(seconds: float, level: int = 4000) -> list[np.ndarray]:
    """Frames of a steady voice-like tone, ``seconds`` long."""
    t = np.arange(160) / 8000
    frame = (level * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    return [frame] * int(round(seconds * 50))


class ProbeOffice:
    """The engine with the attendant installed, over probe ports; see the module docstring."""

    def __init__(self, clock: LoopClock, config: Any, data_dir: Path | str, store: Store | None = None,
                 tones: Any = SilentTones) -> None:
        self.clock = clock
        doc = as_mapping(config)
        self.ports: dict[str, ProbePort] = {}
        for line in doc.get("lines") or []:
            self.ports[str(line["port"])] = ProbePort(str(line["port"]), clock, "line")
        for phone in doc.get("phones") or []:
            self.ports[str(phone["port"])] = ProbePort(str(phone["port"]), clock, "phone")
        self.store = store or Store.for_clock(":memory:", clock)
        self.engine = Engine(clock, doc, self.store, self.ports, tones=tones)
        self.services: Services = install(self.engine, data_dir, self.store, speak_names=False)
        self.events: list = []
        self.engine.bus.subscribe(self.events.append)

    def start(self) -> "ProbeOffice":
        async def go() -> None:
            self.engine.start()
            self.services.start()
        self.clock.loop.run_until_complete(go())
        return self

    def stop(self) -> None:
        self.services.stop()
        self.clock.loop.run_until_complete(self.engine.stop())
        self.store.close()

    def run(self, seconds: float) -> None:
        self.clock.loop.run_until_complete(asyncio.sleep(seconds))

    # ----- the outside world -----
    def line_ports(self) -> list[str]:
        return [n for n, p in self.ports.items() if p.kind == "line"]

    def call_in(self, port: str | None = None, number: str = "5551234", name: str = "ALICE") -> str:
        port = port or self.line_ports()[0]
        self.ports[port].emit("ring", count=1)
        self.ports[port].emit("caller_id", number=number, name=name)
        return port

    def press(self, digits: str, port: str | None = None, gap: float = 0.2) -> None:
        port = port or self.line_ports()[0]
        for d in digits:
            self.ports[port].emit("digit", digit=d, source="dtmf", start=self.clock.now())
            self.run(gap)

    def speak(self, seconds: float, port: str | None = None) -> None:
        self.ports[port or self.line_ports()[0]].captured.extend(voice(seconds))

    def hang_up(self, port: str | None = None) -> None:
        self.ports[port or self.line_ports()[0]].emit("disconnect", reason="loop_drop")

    def lift(self, port: str) -> None:
        self.ports[port].emit("off_hook")

    def put_down(self, port: str) -> None:
        self.ports[port].emit("on_hook")

    # ----- what happened -----
    def kinds(self, kind: str) -> list[dict]:
        return [e.as_dict() for e in self.events if e.kind == kind]

    def prompts(self) -> list[str]:
        return [e["name"] for e in self.kinds("prompt")]

    def ringing(self) -> list[str]:
        return [e["extension"] for e in self.kinds("ringing")]

    def legs_up(self) -> int:
        return sum(1 for leg in self.engine.legs.values() if leg.up)

    def outside_activity(self) -> list[tuple[str, tuple]]:
        """Lines the box seized or dialled on its own (not an answered incoming call)."""
        out = []
        for name, port in self.ports.items():
            if port.kind == "line":
                out += [(name, c) for c in port.commands if c[0] == "dial"]
        return out + [(e.get("line", "?"), ("outgoing",)) for e in self.kinds("outgoing")]
