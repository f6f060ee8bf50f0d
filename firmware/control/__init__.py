"""The control API: how the web UI and the command line talk to the running daemon.

What it is: a Unix-socket JSON-lines protocol (:mod:`.protocol`), the daemon side (:class:`ControlServer` with
its command :class:`Registry` and :class:`EventHub`), the blocking :class:`ControlClient`, the store-level
commands (:mod:`.handlers`: ``config.*``, ``calllog.query``, ``voicemail.*``) and :class:`FakeControl`, the
same client interface over an in-memory office for tests. Every command and event is listed in
docs/control-api.md.

What it is not: the commands that drive calls; the daemon registers those (``snapshot``, ``call.*``, ``sim.*``,
``schedule.set_mode``, ``presence.set``). Importing this package opens nothing.
"""
from __future__ import annotations

from drivers.errors import ControlError
from firmware.control.client import ControlClient, EventStream, default_socket
from firmware.control.fake import FakeControl, FakeEventStream
from firmware.control.handlers import ConfigService, register_store_commands
from firmware.control.protocol import DEFAULT_SOCKET, ERROR_CODES, MAX_LINE, SOCKET_ENV
from firmware.control.registry import EventHub, Registry, control_error
from firmware.control.server import ControlServer

__all__ = [
    "ConfigService", "ControlClient", "ControlError", "ControlServer", "DEFAULT_SOCKET", "ERROR_CODES",
    "EventHub", "EventStream", "FakeControl", "FakeEventStream", "MAX_LINE", "Registry", "SOCKET_ENV",
    "control_error", "default_socket", "register_store_commands",
]
