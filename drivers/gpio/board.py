"""The board profile: which GPIO line does what, and the timing knobs of the line drivers.

What it is: the reference board's pin map (docs/hardware.md), the lookup of one port's pins from the
``board:`` section of the configuration, and :func:`timing`, which builds a driver's timing dataclass from
its defaults plus ``board.timing.<driver>`` overrides, refusing unknown keys and bad values with the field's
path.

Profile keys read (all optional except ``gpio_backend``)::

    board:
      profile: reference            # reference | sim (sim: the reference map, extra ports on spare numbers)
      gpio_backend: rpigpio         # rpigpio | sim
      fxo:  [{relay: 5, ring: 6, loop: 13, polarity: 19, in_use: null, ring_opto: full}, ...]
      fxs:  [{shk: 17, rm: 27, fr: 22, ol: null, mt8870: {std: .., q1: .., q2: .., q3: .., q4: ..}}, ...]
      panel: {leds: {line1: 7, ...}, buttons: {daynight: 0}}
      lifeline: 26
      timing: {ring: {...}, hook: {...}, fxs: {...}, fxo: {...}, mt8870: {...}, panel: {...}}

What it is not: the schema (``firmware/config`` validates the document); this module only reads it.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, TypeVar

from drivers.errors import ConfigError

REFERENCE_FXO = (
    {"relay": 5, "ring": 6, "loop": 13, "polarity": 19, "in_use": None, "ring_opto": "full"},
    {"relay": 12, "ring": 16, "loop": 20, "polarity": 21, "in_use": None, "ring_opto": "full"},
)
REFERENCE_FXS = (
    {"shk": 17, "rm": 27, "fr": 22, "ol": None, "mt8870": None},
    {"shk": 23, "rm": 24, "fr": 25, "ol": None, "mt8870": None},
    {"shk": 2, "rm": 3, "fr": 4, "ol": None, "mt8870": None},
    {"shk": 14, "rm": 15, "fr": 18, "ol": None, "mt8870": None},
)
REFERENCE_PANEL = {
    "leds": {"line1": 7, "line2": 8, "mwi": 9, "night": 10, "fault": 11},
    "buttons": {"daynight": 0},
}
REFERENCE_LIFELINE = 26
SPARE_SIM_PINS = tuple(range(28, 54))
"""BCM numbers that exist only in simulation; extra simulated ports take their pins from here."""

T = TypeVar("T")


def _ports(board: Mapping[str, Any], kind: str, reference: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    given = board.get(kind)
    if given is None:
        return [dict(p) for p in reference]
    if not isinstance(given, list):
        raise ConfigError(f"board.{kind} must be a list", [(f"board.{kind}", "must be a list")])
    return [dict(reference[i] if i < len(reference) else {}, **p) for i, p in enumerate(given)]


def port_pins(board: Mapping[str, Any], kind: str, index: int) -> dict[str, Any]:
    """Pins of the ``index``-th (0-based) FXO or FXS port. Simulated boards grow spare pins as needed."""
    reference = REFERENCE_FXO if kind == "fxo" else REFERENCE_FXS
    ports = _ports(board, kind, reference)
    if index < len(ports):
        return ports[index]
    if board.get("gpio_backend") != "sim":
        raise ConfigError(f"the board has no {kind}{index + 1} port",
                          [(f"board.{kind}", f"has {len(ports)} entries; port {kind}{index + 1} is not wired")])
    return _spare_port(kind, index - len(ports), len(ports), board)


def _spare_port(kind: str, extra: int, existing: int, board: Mapping[str, Any]) -> dict[str, Any]:
    names = ("relay", "ring", "loop", "polarity") if kind == "fxo" else ("shk", "rm", "fr")
    # fxo spares count up from the bottom of the spare range, fxs spares down from the top
    width = len(names)
    if kind == "fxo":
        first = SPARE_SIM_PINS[0] + extra * width
        numbers = range(first, first + width)
    else:
        last = SPARE_SIM_PINS[-1] - extra * width
        numbers = range(last, last - width, -1)
    if min(numbers) < SPARE_SIM_PINS[0] or max(numbers) > SPARE_SIM_PINS[-1]:
        raise ConfigError(f"too many simulated {kind} ports", [(f"board.{kind}", "no spare pins left")])
    pins: dict[str, Any] = dict(zip(names, numbers))
    pins.update({"in_use": None, "ring_opto": "full"} if kind == "fxo" else {"ol": None, "mt8870": None})
    return pins


def panel_pins(board: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    panel = board.get("panel") or {}
    return {"leds": dict(panel.get("leds", REFERENCE_PANEL["leds"])),
            "buttons": dict(panel.get("buttons", REFERENCE_PANEL["buttons"]))}


def timing(cls: type[T], board: Mapping[str, Any] | None, section: str,
           overrides: Mapping[str, Any] | None = None) -> T:
    """``cls()`` with ``board.timing.<section>`` and then ``overrides`` applied; bad keys → ConfigError."""
    values: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    sources = [((board or {}).get("timing", {}) or {}).get(section, {}) or {}, overrides or {}]
    for source in sources:
        for key, value in source.items():
            path = f"board.timing.{section}.{key}"
            if key not in fields:
                raise ConfigError(f"{path}: unknown timing", [(path, f"unknown; known: {', '.join(fields)}")])
            default = getattr(cls(), key)
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                    raise ConfigError(f"{path}: must be a number >= 0", [(path, "must be a number >= 0")])
            values[key] = value
    return cls(**values)
