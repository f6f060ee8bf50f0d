"""Running as an appliance service: readiness and watchdog, the lifeline, start-up recovery, boot config, data space.

Modules: :mod:`~firmware.service.supervisor`, :mod:`~firmware.service.recovery`, :mod:`~firmware.service.data`,
:mod:`~firmware.service.boot`. Everything public is re-exported here.

What it is: the pieces ``switchboard run`` uses to behave under systemd (``systemd/switchboard.service``):

- :class:`Supervisor` — the link to the service manager and the lifeline relay: a health tick on the engine's
  loop sends ``WATCHDOG=1`` and the lifeline heartbeat; :meth:`Supervisor.ports_up` sends ``READY=1`` and arms
  the relay; :meth:`Supervisor.stopping` drops it.
- :func:`recover_ports` — after a crash, every relay output is driven to rest (lines released, ringing stopped)
  before the box takes calls. (The calls a crash left open in the call log are ended by the store, on open:
  :func:`firmware.engine.assembly.open_store` calls ``Store.end_interrupted_calls``.) :func:`recover_recordings`
  keeps the voicemail a crash cut short.
- :class:`DataSpace` — whether the data partition can take a recording; when it is full the box still answers
  and plays its prompts, and recording says it cannot.
- :func:`check_gpio_backend` — the backend the unit names must be the one the board profile names.

What it is not: the daemon's main (``firmware/daemon.py``) or the call engine. Nothing here sleeps or opens
hardware; time comes from the injected clock, except the lifeline watcher's own real-time thread.
"""
from __future__ import annotations

from firmware.service.boot import LAST_GOOD_NAME, attach, boot_config, check_gpio_backend, last_good_path
from firmware.service.data import DataSpace, open_data_store, store_in_ram, volatile_data
from firmware.service.recovery import recover_ports, recover_recordings
from firmware.service.supervisor import Supervisor

__all__ = [
    "LAST_GOOD_NAME", "DataSpace", "Supervisor", "attach", "boot_config", "check_gpio_backend", "last_good_path",
    "open_data_store", "recover_ports", "recover_recordings", "store_in_ram", "volatile_data",
]
