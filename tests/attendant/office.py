"""A small office for attendant and voicemail tests: the real engine over fake ports, in virtual time.

The end-to-end scenarios run on the simulated office (``drivers/sim``); these tests drive the engine at the
port-event level so each dialogue can be checked quickly: ``call_in()``, ``press("12")``, ``speak(3)``,
``hang_up()``, ``answer("fxs2")``, ``feature_code("fxs2", "*98", pin)``, and the bus transcript (``prompts()``,
``kinds("...")``).
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from firmware.attendant.probe import ProbeOffice, voice as probe_voice

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


def voice(seconds: float, level: int = 4000) -> list[np.ndarray]:
    return probe_voice(seconds, level)


class Office(ProbeOffice):
    """The probe office with the test defaults (lines fxo1/fxo2, phones fxs1-fxs4, in-memory store)."""

    def __init__(self, clock: Any, data: Path, cfg: dict[str, Any] | None = None) -> None:
        super().__init__(clock, cfg or CONFIG, data)

    def call_in(self, port: str = "fxo1", number: str = "5551234", name: str = "ALICE") -> str:
        return super().call_in(port, number, name)

    def press(self, digits: str, port: str = "fxo1", gap: float = 0.2) -> None:
        super().press(digits, port, gap)

    def speak(self, seconds: float, port: str = "fxo1") -> None:
        super().speak(seconds, port)

    def hang_up(self, port: str = "fxo1") -> None:
        super().hang_up(port)

    def hang_up_phone(self, port: str) -> None:
        self.put_down(port)

    def feature_code(self, phone: str, code: str, pin: str) -> None:
        """From desk phone ``phone``: lift, key ``code`` after 0.5 s of dial tone, then ``pin`` and # 1 s later."""
        self.lift(phone)
        self.run(0.5)
        self.press(code, port=phone)
        self.run(1)
        self.press(pin + "#", port=phone)

    def errors(self) -> list[dict]:
        return self.kinds("app_error")
