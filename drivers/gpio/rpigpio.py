"""The RPi.GPIO backend (``board.gpio_backend: rpigpio``).

What it is: :class:`RpiGpioFactory` over the ``RPi.GPIO`` API, BCM numbering. On Raspberry Pi OS that API is
provided by the ``python3-rpi-lgpio`` package (a shim over lgpio and ``/dev/gpiochip*``), which also works on a
Pi 5; the classic RPi.GPIO works on a Pi 3/4/Zero 2 W. The library is imported when the factory is created,
never at module import, and a missing library or a machine that is not a Pi is one
:class:`~drivers.errors.BackendUnavailable` saying what to install or change.

Edges: ``add_event_detect(BOTH)`` calls back on the library's own thread; the edge is stamped with the clock
(``now()`` is the loop's monotonic time, safe to read from any thread) and handed to the loop with
``call_soon_threadsafe``, so edge callbacks run on the loop thread like every other driver event. The level
is read in the library thread right after the edge.

What it is not: a fallback. If RPi.GPIO cannot be used, nothing else is tried.
"""
from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from drivers.clock import Clock
from drivers.errors import BackendUnavailable, ConfigError, HardwareError
from drivers.gpio.base import Pin, PinFactory

log = logging.getLogger(__name__)

INSTALL_HINT = ("install python3-rpi-lgpio (Raspberry Pi OS) and run the daemon from a venv made with "
                "--system-site-packages, or set board.gpio_backend to 'sim' to run without hardware")


def select_chip(chip: str | int | None, sysfs: str = "/sys/class/gpio") -> None:
    """Tell the lgpio shim which gpiochip carries the header (``board.gpio_chip``).

    ``board.gpio_chip`` is a number (``4``), a device name (``gpiochip4``) or a chip label (``pinctrl-rp1``,
    looked up in sysfs). None leaves the shim's own detection alone (right on current kernels, where the header
    is gpiochip0 on every model). The shim reads ``RPI_LGPIO_CHIP`` when it is imported, so this runs first.
    """
    if chip is None:
        return
    text = str(chip).removeprefix("/dev/").removeprefix("gpiochip")
    if not text.isdigit():
        text = _chip_by_label(str(chip), sysfs)
    os.environ["RPI_LGPIO_CHIP"] = text
    log.info("GPIO chip: gpiochip%s (board.gpio_chip)", text)


def _chip_by_label(label: str, sysfs: str) -> str:
    seen = []
    for entry in sorted(Path(sysfs).glob("gpiochip*")):
        try:
            found = (entry / "label").read_text().strip()
            device = Path(os.path.realpath(entry / "device")).name
        except OSError:
            continue
        seen.append(found)
        if found == label and device.removeprefix("gpiochip").isdigit():
            return device.removeprefix("gpiochip")
    raise ConfigError(f"board.gpio_chip: no GPIO chip labelled {label!r} on this machine "
                      f"(found: {', '.join(seen) or 'none'})",
                      [("board.gpio_chip", f"no chip labelled {label!r}; use a number such as 0")])


def load_library(module_name: str = "RPi.GPIO") -> ModuleType:
    """Import the GPIO library, turning every way it can fail into one BackendUnavailable."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailable(f"GPIO backend 'rpigpio': {module_name} is not installed ({exc}); "
                                 f"{INSTALL_HINT}") from exc
    except RuntimeError as exc:  # RPi.GPIO raises this off a Pi ("can only be run on a Raspberry Pi")
        raise BackendUnavailable(f"GPIO backend 'rpigpio': this machine is not a supported Raspberry Pi "
                                 f"({exc}); {INSTALL_HINT}") from exc


class RpiGpioPin(Pin):
    """One line through RPi.GPIO."""

    factory: "RpiGpioFactory"

    def __init__(self, factory: "RpiGpioFactory", number: int, mode: str, pull: str | None = None,
                 initial: bool = False) -> None:
        super().__init__(factory, number, mode, pull, initial)
        gpio = factory.gpio
        try:
            if mode == "out":
                gpio.setup(number, gpio.OUT, initial=gpio.HIGH if initial else gpio.LOW)
            else:
                pud = {None: gpio.PUD_OFF, "up": gpio.PUD_UP, "down": gpio.PUD_DOWN}[pull]
                gpio.setup(number, gpio.IN, pull_up_down=pud)
        except Exception as exc:  # the library raises RuntimeError/ValueError for busy or invalid lines
            raise HardwareError(f"GPIO{number} could not be set up as {mode}: {exc}") from exc

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            raise HardwareError(f"GPIO{self.number}: {what} failed: {exc}") from exc

    def _read(self) -> bool:
        return bool(self._call("read", self.factory.gpio.input, self.number))

    def _write(self, value: bool) -> None:
        self._call("write", self.factory.gpio.output, self.number, value)

    def _arm(self) -> None:
        if self.mode != "in":
            raise HardwareError(f"GPIO{self.number} is an output; it reports no edges")
        gpio = self.factory.gpio
        self._call("edge detection", lambda: gpio.add_event_detect(self.number, gpio.BOTH,
                                                                   callback=self._on_edge))

    def _disarm(self) -> None:
        try:
            self.factory.gpio.remove_event_detect(self.number)
        except Exception:  # already gone; nothing to undo
            log.debug("remove_event_detect failed on GPIO%d", self.number, exc_info=True)

    def _release(self) -> None:
        try:
            if self.mode == "out":
                self.factory.gpio.output(self.number, False)
            self.factory.gpio.cleanup(self.number)
        except Exception:
            log.warning("GPIO%d could not be released cleanly", self.number, exc_info=True)

    def _on_edge(self, _channel: int) -> None:
        """Library thread: stamp the edge and hand it to the loop."""
        t = self.factory.clock.now()
        try:
            state = bool(self.factory.gpio.input(self.number))
        except Exception:
            log.exception("GPIO%d unreadable after an edge", self.number)
            return
        self.factory.clock.call_soon_threadsafe(self._fire, t, state)


class RpiGpioFactory(PinFactory):
    """Pins through RPi.GPIO (BCM numbering). ``library`` lets tests hand in a stand-in module."""

    name = "rpigpio"

    def __init__(self, clock: Clock, library: ModuleType | None = None) -> None:
        super().__init__(clock)
        self.gpio = library if library is not None else load_library()
        try:
            self.gpio.setwarnings(False)
            self.gpio.setmode(self.gpio.BCM)
        except Exception as exc:
            raise BackendUnavailable(f"GPIO backend 'rpigpio' could not start: {exc}; {INSTALL_HINT}") from exc

    def _open(self, number: int, mode: str, pull: str | None, initial: bool) -> RpiGpioPin:
        return RpiGpioPin(self, number, mode, pull, initial)
