"""Build a :class:`~drivers.modem.port.ModemPort` from the board profile (``board.ports.modemN``).

Keys (all scalars; only ``device`` is required):

=============== ======================================================================== ==============
key             meaning                                                                  default
=============== ======================================================================== ==============
device          the modem's device path or pyserial URL, e.g.                            (required)
                ``/dev/serial/by-id/usb-U.S._Robotics_USB_Modem-if00`` — never probed
profile         ``usr5637`` or ``cx93010`` (:mod:`drivers.modem.profiles`)               ``usr5637``
extra_init      extra AT commands after the profile's init, separated by spaces         ""
                (e.g. ``"AT!4886=00 AT!4892=FF"`` for Dell RD02-D400 caller ID)
baudrate        serial speed                                                             profile's
ping_interval   seconds between keep-alive ``AT`` while idle                             30
reopen_min      first reopen delay after a fault, doubling …                            1
reopen_max      … up to this many seconds                                                60
ring_abandon    seconds without RING before ``ring_abandoned``                          8
cid_wait        seconds to wait for missing caller-ID fields                             1.5
=============== ======================================================================== ==============
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from drivers.clock import Clock
from drivers.errors import ConfigError
from drivers.modem.port import ModemPort
from drivers.modem.profiles import get_profile

KEYS = {"kind", "device", "profile", "extra_init", "baudrate", "ping_interval", "reopen_min", "reopen_max",
        "ring_abandon", "cid_wait"}


def build_modem(name: str, clock: Clock, board: Mapping[str, Any]) -> ModemPort:
    """The modem port ``name`` as ``board.ports[name]`` describes it; ConfigError naming the field if not."""
    path = f"board.ports.{name}"
    spec = dict(((board.get("ports") or {}).get(name)) or {})
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown modem keys {unknown}", [(f"{path}.{k}", "unknown key") for k in unknown])
    device = spec.get("device")
    if not isinstance(device, str) or not device.strip():
        raise ConfigError(f"{path}.device: the modem's device path is required (e.g. /dev/serial/by-id/…)",
                          [(f"{path}.device", "required: a device path or URL")])
    extra = str(spec.get("extra_init") or "").split()
    profile = get_profile(str(spec.get("profile", "usr5637")), extra, path)
    if spec.get("baudrate"):
        profile = dataclasses.replace(profile, baudrate=int(spec["baudrate"]))
    numbers = {}
    for key, default in (("ping_interval", 30.0), ("reopen_min", 1.0), ("reopen_max", 60.0),
                         ("ring_abandon", 8.0), ("cid_wait", 1.5)):
        value = spec.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{path}.{key} must be a positive number of seconds", [(f"{path}.{key}", "positive")])
        numbers[key] = float(value)
    return ModemPort(name, clock, device.strip(), profile, ping_interval=numbers["ping_interval"],
                     backoff=(numbers["reopen_min"], max(numbers["reopen_min"], numbers["reopen_max"])),
                     ring_abandon=numbers["ring_abandon"], cid_wait=numbers["cid_wait"])
