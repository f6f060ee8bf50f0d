"""The simulated office: the REAL port and panel drivers over simulated pins and audio, plus the outside world.

What it is: :class:`SimOffice` ``(clock, config)``. From the configuration (``office.country``, ``lines``,
``phones``, ``board``) it builds

* ``ports`` — ``{"fxo1": FxoPort, ..., "fxs1": FxsPort, ...}``, the real drivers (what the engine is given),
  over :class:`~drivers.gpio.sim.SimFactory` pins laid out as the board profile says (the reference map by
  default) and pull-driven :class:`~drivers.sim.audio.PullChannel` audio;
* ``exchange`` — :class:`~drivers.sim.exchange.Exchange`, the phone company behind every FXO port
  (``call_in``, ``remote``, ``dialled``);
* ``phones`` — ``{"fxs1": SimDeskPhone, ...}``; ``chips`` — a :class:`~drivers.sim.mt8870.SimMt8870` for every
  port the board gives an MT8870 (``board.mt8870``), listening to that phone;
* ``panel`` — :class:`SimPanel`, the real panel driver over sim pins with ``leds`` (name → pattern) and
  ``press(button, hold=0.1)``;
* ``lifeline`` — the lifeline relay output (``write(level)``, ``energised``). The simulated relay starts
  energised-equivalent: nothing is joined until something drives it. Once released (``write(False)``, or the
  appliance supervisor dropping it), the first desk phone is joined straight to the first line, as on the real
  board: it rings with the line, lifting it seizes the line, its audio is the line's, and both ports of the box
  see nothing; energising it again gives both back to the box.

Everything is pulled by the engine's 20 ms media tick (``port.read_frame()`` / ``port.write_frame()``) and
clock timers; nothing runs on its own. An idle office costs a few function calls per tick.

What it is not: the engine, or a scenario runner (firmware/scenario drives these objects).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

import numpy as np

from drivers.clock import Clock
from drivers.errors import ConfigError
from drivers.fxo import FxoPort, build_fxo
from drivers.fxs import FxsPort, build_fxs
from drivers.gpio.board import REFERENCE_LIFELINE, port_spec
from drivers.gpio.sim import SimFactory, SimPin
from drivers.panel import Panel, build_panel
from drivers.port import SILENCE, Port
from drivers.sim.audio import PullChannel
from drivers.sim.exchange import Exchange
from drivers.sim.line import SimLine
from drivers.sim.mt8870 import SimMt8870
from drivers.sim.phone import SimDeskPhone

log = logging.getLogger(__name__)


class SimPanel(Panel):
    """The real front-panel driver, plus the verbs a person at the box has."""

    def press(self, button: str, hold: float = 0.1) -> float:
        """Press ``button`` now and let go after ``hold`` seconds (returned)."""
        if button not in self.button_lines:
            raise ValueError(f"the panel has no button {button!r}; it has {', '.join(self.button_lines)}")
        signal = self.button_lines[button]
        pin = signal.pin
        assert isinstance(pin, SimPin)
        pin.drive(not signal.active_low)
        self.clock.call_later(hold, pin.drive, signal.active_low)
        return hold

    @property
    def lit(self) -> dict[str, bool]:
        """Which LEDs are lit at this instant (read from the pins)."""
        return {name: signal.active for name, signal in self.led_lines.items()}


class LineWire:
    """The two-wire path between an FXO port and its line; with the lifeline released it carries a phone instead.

    Audio moves when the FXO port's channel is pulled by the media tick; while a phone is joined to the line,
    the same pull moves the phone's and the line's audio to each other and the port hears nothing.
    """

    def __init__(self) -> None:
        self.line: SimLine | None = None
        self.joined: SimDeskPhone | None = None

    def to_port(self) -> np.ndarray | None:
        line = self.line
        assert line is not None
        phone = self.joined
        if phone is None:
            return line._next_frame()
        said = phone._next_frame()
        line._office_frame(SILENCE if said is None else said)
        heard = line._next_frame()
        phone._port_frame(SILENCE if heard is None else heard)
        return None

    def from_port(self, frame: np.ndarray) -> None:
        if self.joined is None and self.line is not None:
            self.line._office_frame(frame)


class LifelineRelay:
    """The lifeline relay coil: ``write(True)`` energises it (normal service), False joins fxs1 to fxo1.

    Whoever drives the coil's pin — this object, or firmware/lifeline.py writing the pin itself, from any thread —
    moves the contacts; the first write of any level is what hands the relay to its owner.
    """

    def __init__(self, clock: Clock, pin: SimPin, on_change: Callable[[bool], None]) -> None:
        self.clock = clock
        self.pin = pin
        self.on_change = on_change
        pin.when_changed(lambda t, level: self._moved(level))

    def write(self, level: bool) -> None:
        if self.pin.state == bool(level):
            self._moved(bool(level))       # no edge, but the owner has spoken (e.g. released at start-up)
        else:
            self.pin.set(bool(level))

    def _moved(self, level: bool) -> None:
        if self.clock.in_loop_thread():
            self.on_change(level)
        else:
            self.clock.call_soon_threadsafe(self.on_change, level)

    @property
    def energised(self) -> bool:
        return self.pin.state


def _zone(name: Any) -> Any:
    """The office's time zone (caller-ID dates on the desk phones), or None for the machine's own."""
    if not name:
        return None
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(str(name))
    except (ImportError, ValueError, KeyError) as exc:
        log.warning("unknown office time zone %r (%s); caller-ID dates use the machine's zone", name, exc)
        return None


def _mapping(config: Any) -> Mapping[str, Any]:
    if isinstance(config, Mapping):
        return config
    for attr in ("as_dict", "to_dict"):
        if hasattr(config, attr):
            return getattr(config, attr)()
    raise TypeError(f"SimOffice needs a configuration mapping, got {type(config).__name__}")


class SimOffice:
    """The whole office in simulation, built from the configuration."""

    def __init__(self, clock: Clock, config: Any) -> None:
        doc = _mapping(config)
        self.clock = clock
        self.country = str((doc.get("office") or {}).get("country", "US")).upper()
        self.tz = _zone((doc.get("office") or {}).get("timezone"))
        self.board = {**(doc.get("board") or {}), "gpio_backend": "sim"}
        self.factory = SimFactory(clock)
        self.exchange = Exchange(clock, self.country, self.tz)
        self.ports: dict[str, Port] = {}
        self.lines: dict[str, SimLine] = {}
        self.phones: dict[str, SimDeskPhone] = {}
        self._wires: dict[str, LineWire] = {}
        self.chips: dict[str, SimMt8870] = {}
        for entry in doc.get("lines") or []:
            self._add_line(str(entry["port"]))
        for entry in doc.get("phones") or []:
            self._add_phone(str(entry["port"]))
        self.panel: SimPanel = build_panel(clock, self.factory, self.board, cls=SimPanel)  # type: ignore[assignment]
        lifeline_pin = (self.board.get("lifeline") or {}).get("pin", REFERENCE_LIFELINE)
        self.lifeline = LifelineRelay(clock, self.factory.pin(lifeline_pin, "out"), self._lifeline)  # type: ignore[arg-type]
        log.info("simulated office: %d lines, %d phones (%s)", len(self.lines), len(self.phones), self.country)

    def _add_line(self, port: str) -> None:
        if not port.startswith("fxo"):
            log.info("simulated office: line port %s is not an FXO port; not simulated here", port)
            return
        spec = self._pins(port)["pins"]
        wire = LineWire()               # the port's channel and the line are the two ends of one wire
        channel = PullChannel(wire.to_port, wire.from_port, name=port)
        fxo = build_fxo(port, self.clock, self.factory, self.board, channel, self.country)
        pins = self.factory.pins
        optional = {role: pins[spec[role]] if spec.get(role) is not None else None
                    for role in ("loop", "polarity", "in_use")}
        line = SimLine(self.exchange, port, pins[spec["relay"]], pins[spec["ring"]],  # type: ignore[arg-type]
                       optional["loop"], optional["polarity"])  # type: ignore[arg-type]
        line.channel = channel
        line.in_use = optional["in_use"]  # type: ignore[assignment]
        wire.line = line
        self._wires[port] = wire
        self.exchange.add_line(line)
        self.lines[port] = line
        self.ports[port] = fxo

    def _add_phone(self, port: str) -> None:
        if not port.startswith("fxs"):
            log.info("simulated office: phone port %s is not an FXS port; not simulated here", port)
            return
        spec = self._pins(port)["pins"]
        phone_ref: list[SimDeskPhone] = []
        chip: list[SimMt8870] = []

        def phone_says() -> Any:
            said = None if phone_ref[0].joined_line else phone_ref[0]._next_frame()
            if chip:
                chip[0].hear(said)            # an MT8870 on this port hears the phone too
            return said

        channel = PullChannel(phone_says, lambda f: None if phone_ref[0].joined_line else phone_ref[0]._port_frame(f),
                              name=port)
        fxs = build_fxs(port, self.clock, self.factory, self.board, channel, self.country, tz=self.tz)
        pins = self.factory.pins
        phone = SimDeskPhone(self.clock, port, pins[spec["shk"]], pins[spec["rm"]], pins[spec["fr"]],  # type: ignore[arg-type]
                             pins.get(spec["ol"]) if spec.get("ol") is not None else None,  # type: ignore[arg-type]
                             self.country)
        phone.channel = channel
        phone_ref.append(phone)
        mt_pins = self._pins(port)["mt8870"]
        if mt_pins:
            chip.append(SimMt8870(self.clock, pins[mt_pins["std"]],  # type: ignore[arg-type]
                                  [pins[mt_pins[f"q{i}"]] for i in range(1, 5)]))  # type: ignore[misc]
            self.chips[port] = chip[0]
        self.phones[port] = phone
        self.ports[port] = fxs

    def _pins(self, port: str) -> dict[str, Any]:
        try:
            return port_spec(self.board, port)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"board.ports.{port}: {exc}", [(f"board.ports.{port}", str(exc))]) from exc

    # -- the lifeline relay ------------------------------------------------------------------------------
    def _lifeline(self, energised: bool) -> None:
        """Released: the first phone is joined to the first line, the box is out of both; energised: back."""
        if not self.phones or not self.lines:
            return
        phone, port = next(iter(self.phones.values())), next(iter(self.lines))
        line, wire = self.lines[port], self._wires[port]
        relay_closed = line.relay.state
        if not energised and phone.joined_line is None:
            if relay_closed:
                line.loop_changed(False)            # the box's loop is cut off the line
            wire.joined = line.joined_phone = phone
            phone.joined_line = line
            phone._loop()
        elif energised and phone.joined_line is not None:
            if phone.off_hook:
                line.loop_changed(False)
            phone.joined_line = None
            wire.joined = line.joined_phone = None
            phone._bell = False
            phone._loop()
            if relay_closed:
                line.loop_changed(True)
        log.info("lifeline relay %s", "energised: normal service" if energised else
                 f"released: {phone.port} joined to {port}")

    # -- convenience --------------------------------------------------------------------------------------
    def phone(self, port_or_index: str | int) -> SimDeskPhone:
        if isinstance(port_or_index, int):
            return list(self.phones.values())[port_or_index]
        return self.phones[port_or_index]

    def close(self) -> None:
        """Stop the outside world's timers (the engine closes the ports it was given)."""
        self.exchange.close()
        self.panel.close()

    def snapshot(self) -> dict[str, Any]:
        return {"lines": self.exchange.snapshot(), "phones": {p: ph.snapshot() for p, ph in self.phones.items()},
                "panel": self.panel.snapshot()}
