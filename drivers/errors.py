"""The one exception tree of Switchboard.

Every error the project raises on purpose derives from :class:`SwitchboardError`. Subclasses that have a
natural builtin twin inherit it too, so callers may catch either. Messages that reach a person say what
was wrong and what to do about it.
"""
from __future__ import annotations


class SwitchboardError(Exception):
    """Base of every deliberate Switchboard error."""


class ConfigError(SwitchboardError, ValueError):
    """A configuration document is invalid; ``errors`` lists ``(path, reason)`` pairs."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class HardwareError(SwitchboardError, OSError):
    """A hardware backend could not be opened or stopped working."""


class BackendUnavailable(HardwareError):
    """The configured backend's library is missing or this machine is not the right board."""


class PortError(SwitchboardError):
    """A port refused a command (wrong state, unsupported by this kind of port)."""


class DecodeError(SwitchboardError, ValueError):
    """Input audio or a signal could not be decoded (bad file, corrupt caller-ID message)."""


class StorageError(SwitchboardError, OSError):
    """Data could not be written or read (disk full, corrupt database, missing file)."""


class ControlError(SwitchboardError):
    """A control-API request failed; ``code`` is a short machine-readable reason."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


class ZombieThread(SwitchboardError, RuntimeError):
    """A thread did not stop within its join timeout."""
