"""A small office for attendant and voicemail tests: the real engine over fake ports, in virtual time.

The end-to-end scenarios run on the simulated office (``drivers/sim``); these tests drive the engine at the
port-event level so each dialogue can be checked quickly: ``call_in()``, ``press("12")``, ``speak(3)``,
``hang_up()``, ``answer("fxs2")``, and the bus transcript (``prompts()``, ``kinds("...")``).
"""
from __future__ import annotations

import asyncio
import copy
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from drivers.errors import PortError
from drivers.port import SILENCE, Port
from firmware.attendant.install import Services, install
from firmware.engine import Engine
from firmware.store import Store

CONFIG: dict[str, Any] = {
    "office": {"name": "Test Office", "country": "US", "timezone": "America/New_York"},
    "lines": [{"id": "line1", "port": "fxo1"}, {"id": "line2", "port": "fxo2"}],
    "phones": [{"port": "fxs1"}, {"port": "fxs2"}, {"port": "fxs3"}, {"port": "fxs4"}],
    "extensions": [
        {"number": "200", "name": "Rita Reception", "phone": "fxs1", "mailbox": "200"},
        {"number": "201", "name": "Sam Sales", "phone": "fxs2", "mailbox": "201", "pin": "480716"},
        {"number": "202", "name": "Sue Support", "phone": "fxs3", "mailbox": "202"},
        {"number": "203", "name": "Olivia Owner", "phone": "fxs4", "mailbox": "203"},
    ],
    "operator": "200",
    "trunks": {"incoming": {"rings_before_answer": 0, "answer_destination": "menu:main"}},
    "timeouts": {"extension_ring": 20, "inter_digit": 3, "first_digit": 10},
    "attendant": {"menu": "main"},
    "menus": {
        "main": {"greeting": {"day": "greeting-day", "night": "greeting-night", "lunch": "greeting-lunch"},
                 "timeout": 5, "retries": 2, "on_fail": "operator", "dial_by_extension": True,
                 "options": {"1": {"action": "extension", "target": "201"},
                             "2": {"action": "extension", "target": "202"},
                             "3": {"action": "submenu", "target": "more"},
                             "4": {"action": "directory"},
                             "5": {"action": "info", "prompt": "info-hours"},
                             "6": {"action": "mailbox", "target": "203"},
                             "9": {"action": "hangup"}}},
        "more": {"greeting": {"day": "greeting-default"}, "timeout": 5, "retries": 1, "on_fail": "operator",
                 "dial_by_extension": False,
                 "options": {"1": {"action": "previous"}, "2": {"action": "repeat"}}},
    },
    "schedule": {"hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                 "lunch": {"start": "12:00", "end": "13:00"}, "override_pin": "4711"},
    "voicemail": {"max_message_seconds": 30, "min_message_seconds": 1, "max_messages": 5,
                  "max_silence_seconds": 5},
    "security": {"pin_max_attempts": 3, "pin_lockout_seconds": 120, "disconnect_after_failures": 3},
}

MONDAY_10AM = datetime(2026, 1, 5, 15, 0, tzinfo=timezone.utc)     # 10:00 in New York


def config(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(CONFIG)
    out.update(changes)
    return out


class FakePort(Port):
    """The real Port interface; test verbs push events and captured audio."""

    def __init__(self, name: str, clock: Any, kind: str) -> None:
        super().__init__(name, clock)
        self.kind = kind
        self.captured: deque[np.ndarray] = deque()
        self.commands: list[tuple] = []

    def seize(self) -> None:
        if self.kind != "fxo":
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


class Tones:
    """Call-progress tones for tests: a quiet sine per name."""

    def __init__(self, country: str, name: str) -> None:
        self.n = 0

    def read(self, n: int) -> np.ndarray:
        self.n += n
        return (2000 * np.sin(2 * np.pi * 440 * (np.arange(n) + self.n) / 8000)).astype(np.int16)


def voice(seconds: float, level: int = 4000) -> list[np.ndarray]:
    t = np.arange(160) / 8000
    frame = (level * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    return [frame] * int(round(seconds * 50))


class Office:
    """The engine with the attendant installed, over fake ports."""

    def __init__(self, clock: Any, data: Path, cfg: dict[str, Any] | None = None) -> None:
        self.clock = clock
        kinds = {"fxo1": "fxo", "fxo2": "fxo", "fxs1": "fxs", "fxs2": "fxs", "fxs3": "fxs", "fxs4": "fxs"}
        self.ports = {n: FakePort(n, clock, k) for n, k in kinds.items()}
        self.store = Store.for_clock(":memory:", clock)     # the file-backed store is tested on its own
        self.engine = Engine(clock, cfg or CONFIG, self.store, self.ports, tones=Tones)
        self.services: Services = install(self.engine, data, self.store, speak_names=False)
        self.events: list = []
        self.engine.bus.subscribe(self.events.append)

    # ----- running -----
    def start(self) -> "Office":
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
    def call_in(self, port: str = "fxo1", number: str = "5551234", name: str = "ALICE") -> None:
        self.ports[port].emit("ring", count=1)
        self.ports[port].emit("caller_id", number=number, name=name)

    def press(self, digits: str, port: str = "fxo1", gap: float = 0.2) -> None:
        for d in digits:
            self.ports[port].emit("digit", digit=d, source="dtmf", start=self.clock.now())
            self.run(gap)

    def speak(self, seconds: float, port: str = "fxo1") -> None:
        self.ports[port].captured.extend(voice(seconds))

    def hang_up(self, port: str = "fxo1") -> None:
        self.ports[port].emit("disconnect", reason="loop_drop")

    def lift(self, port: str) -> None:
        self.ports[port].emit("off_hook")

    def hang_up_phone(self, port: str) -> None:
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

    def errors(self) -> list[dict]:
        return self.kinds("app_error")
