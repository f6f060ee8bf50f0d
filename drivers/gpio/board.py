"""The board profile: which GPIO line does what, with which polarity, and the line drivers' timing knobs.

What it is: the reference board's pin map (docs/hardware.md), :func:`port_spec` (one port's pins, polarity,
options and timing overrides from the ``board:`` section of the configuration), :class:`Signal` (a pin seen
in the driver's own terms: *active* = conducting opto, off-hook, relay energised, LED lit, button pressed) and
:func:`timing`, which builds a driver's timing dataclass from its defaults plus the port's overrides.

Profile keys read (``board:`` in the office document; the schema is firmware/config/schema.yaml)::

    board:
      profile: reference                       # reference | sim | <your board>
      gpio_backend: rpigpio                    # rpigpio | sim
      ports:
        fxo1: {kind: fxo, pins: {relay: 5, ring: 6, loop: 13, polarity: 19, in_use: null},
               active_low: {ring: true}, ring_opto: full, flash_ms: 750, ...}
        fxs1: {kind: fxs, pins: {shk: 17, rm: 27, fr: 22, ol: null}, dtmf_source: software, ...}
      mt8870: {pins: {std: 0, q1: .., q2: .., q3: .., q4: ..}, ports: [fxs1]}
      panel: {leds: {line1: 7, ...}, buttons: {daynight: 0}, debounce_ms: 30, long_press: 2}
      lifeline: {pin: 26, active_high: true}

A port not listed in ``board.ports`` takes the reference pins of its number (fxo1, fxo2, fxs1-fxs4); on a
simulated board, ports beyond those take spare numbers that exist only in simulation. Any other scalar key of a
port names a timing field of its drivers (``flash_ms``, ``debounce_ms``, …; see each driver's ``*Timing``).

What it is not: the schema (firmware/config validates the document); this module only reads it.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Mapping, TypeVar

from drivers.errors import ConfigError
from drivers.gpio.base import Pin

REFERENCE_PORTS: dict[str, dict[str, int | None]] = {
    "fxo1": {"relay": 5, "ring": 6, "loop": 13, "polarity": 19, "in_use": None},
    "fxo2": {"relay": 12, "ring": 16, "loop": 20, "polarity": 21, "in_use": None},
    "fxs1": {"shk": 17, "rm": 27, "fr": 22, "ol": None},
    "fxs2": {"shk": 23, "rm": 24, "fr": 25, "ol": None},
    "fxs3": {"shk": 2, "rm": 3, "fr": 4, "ol": None},
    "fxs4": {"shk": 14, "rm": 15, "fr": 18, "ol": None},
}
REFERENCE_PANEL = {
    "leds": {"line1": 7, "line2": 8, "mwi": 9, "night": 10, "fault": 11},
    "buttons": {"daynight": 0},
}
REFERENCE_LIFELINE = 26

ACTIVE_LOW = {"ring": True, "loop": False, "polarity": False, "in_use": False, "relay": False,
              "shk": False, "rm": False, "fr": False, "ol": False, "std": False,
              "q1": False, "q2": False, "q3": False, "q4": False, "led": False, "button": True}
"""Default polarity per role on the reference board (the ring opto and the buttons pull their line low)."""

ROLES = {"fxo": ("relay", "ring", "loop", "polarity", "in_use"), "fxs": ("shk", "rm", "fr", "ol")}
SPARE_SIM_PINS = tuple(range(28, 54))
PORT_KEYS = {"kind", "pins", "audio_device", "audio_input", "audio_output", "audio_channel", "active_low"}

T = TypeVar("T")


class Signal:
    """A pin in the driver's terms: ``active`` hides whether the circuit is active-high or active-low."""

    __slots__ = ("pin", "active_low")

    def __init__(self, pin: Pin, active_low: bool = False) -> None:
        self.pin = pin
        self.active_low = active_low

    @property
    def active(self) -> bool:
        return self.pin.state != self.active_low

    def set(self, active: bool) -> None:
        self.pin.set(active != self.active_low)

    def when_changed(self, fn: Callable[[float, bool], None]) -> Callable[[], None]:
        """``fn(t, active)`` on every edge."""
        if self.active_low:
            return self.pin.when_changed(lambda t, state: fn(t, not state))
        return self.pin.when_changed(fn)

    def close(self) -> None:
        self.pin.close()


def _kind(port: str) -> str:
    return port.rstrip("0123456789")


def _spare_pins(board: Mapping[str, Any], port: str) -> dict[str, int | None]:
    """Pins for a simulated port beyond the reference map, from numbers only the simulator has."""
    if board.get("gpio_backend") != "sim":
        raise ConfigError(f"board.ports.{port}: the board does not describe this port",
                          [(f"board.ports.{port}", "missing: give its pins (see docs/hardware.md)")])
    kind, number = _kind(port), int(port[len(_kind(port)):])
    reference = sum(1 for name in REFERENCE_PORTS if _kind(name) == kind)
    extra = number - reference - 1
    roles = ROLES[kind][:4] if kind == "fxo" else ROLES[kind][:3]
    offset = extra * 4 if kind == "fxo" else 13 + extra * 3   # fxo spares 28..40, fxs spares 41..53
    numbers = [SPARE_SIM_PINS[0] + offset + i for i in range(len(roles))]
    limit = SPARE_SIM_PINS[0] + (13 if kind == "fxo" else 26)
    if max(numbers) >= limit:
        raise ConfigError(f"too many simulated {kind} ports", [(f"board.ports.{port}", "no spare pins left")])
    pins: dict[str, int | None] = {role: None for role in ROLES[kind]}
    pins.update(zip(roles, numbers))
    return pins


def port_spec(board: Mapping[str, Any], port: str) -> dict[str, Any]:
    """``{"pins": {role: n|None}, "active_low": {role: bool}, "options": {key: scalar}}`` for one port."""
    given = dict((board.get("ports") or {}).get(port) or {})
    base = REFERENCE_PORTS.get(port)
    pins = dict(base) if base is not None and "pins" not in given else {}
    if not pins and "pins" not in given:
        pins = _spare_pins(board, port)
    pins.update(given.get("pins") or {})
    active_low = {role: ACTIVE_LOW.get(role, False) for role in pins}
    active_low.update(given.get("active_low") or {})
    options = {k: v for k, v in given.items() if k not in PORT_KEYS}
    mt = board.get("mt8870") or {}
    mt8870 = dict(mt.get("pins") or {}) if port in (mt.get("ports") or []) else None
    return {"pins": pins, "active_low": active_low, "options": options, "mt8870": mt8870}


def panel_spec(board: Mapping[str, Any]) -> dict[str, Any]:
    """LED and button pins plus the panel's own scalar options."""
    panel = dict(board.get("panel") or {})
    leds = dict(panel.pop("leds", REFERENCE_PANEL["leds"]))
    buttons = dict(panel.pop("buttons", REFERENCE_PANEL["buttons"]))
    return {"leds": leds, "buttons": buttons, "options": panel}


def timing(cls: type[T], options: Mapping[str, Any], path: str) -> T:
    """``cls()`` with the matching keys of ``options`` applied; a bad value → ConfigError naming its path."""
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    defaults = cls()
    values: dict[str, Any] = {}
    for key, value in options.items():
        if key not in fields:
            continue
        default = getattr(defaults, key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}.{key}: must be true or false", [(f"{path}.{key}", "must be true or false")])
        elif isinstance(default, (int, float)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{path}.{key}: must be a number >= 0", [(f"{path}.{key}", "must be a number >= 0")])
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"{path}.{key}: must be text", [(f"{path}.{key}", "must be text")])
        values[key] = value
    return cls(**values)


def check_options(options: Mapping[str, Any], known: Iterable[type], path: str, extra: Iterable[str] = ()) -> None:
    """Refuse option keys that no timing dataclass in ``known`` (nor ``extra``) defines."""
    names = set(extra)
    for cls in known:
        names.update(f.name for f in dataclasses.fields(cls))
    for key in options:
        if key not in names:
            raise ConfigError(f"{path}.{key}: unknown setting",
                              [(f"{path}.{key}", f"unknown; known: {', '.join(sorted(names))}")])
