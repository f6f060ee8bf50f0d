"""GPIO for Switchboard: one pin interface, backends beside it, chosen in ONE place from the board profile.

``open_factory(board, clock)`` reads ``board.gpio_backend`` (``rpigpio`` | ``sim``), logs the choice and returns
a :class:`~drivers.gpio.base.PinFactory`. An unknown name is a :class:`~drivers.errors.ConfigError`; a backend
that cannot start raises :class:`~drivers.errors.BackendUnavailable`. There is never a silent fallback to
another backend. Importing this package imports no GPIO library.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from drivers.clock import Clock
from drivers.errors import ConfigError
from drivers.gpio.base import EdgeCallback, Pin, PinFactory

log = logging.getLogger(__name__)

BACKENDS = ("rpigpio", "sim")

__all__ = ["BACKENDS", "EdgeCallback", "Pin", "PinFactory", "open_factory"]


def open_factory(board: Mapping[str, Any], clock: Clock) -> PinFactory:
    """The pin factory the board profile names. The one place a GPIO backend is chosen."""
    name = board.get("gpio_backend")
    if name not in BACKENDS:
        raise ConfigError(f"board.gpio_backend must be one of {', '.join(BACKENDS)}, got {name!r}",
                          [("board.gpio_backend", f"must be one of {', '.join(BACKENDS)}")])
    if name == "sim":
        from drivers.gpio.sim import SimFactory
        factory: PinFactory = SimFactory(clock)
    else:
        from drivers.gpio.rpigpio import RpiGpioFactory, select_chip
        select_chip(board.get("gpio_chip"))
        factory = RpiGpioFactory(clock)
    log.info("GPIO backend: %s (board profile %s)", name, board.get("profile", "reference"))
    return factory
