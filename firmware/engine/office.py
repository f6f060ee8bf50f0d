"""A read-only view of the parts of the configuration document the call engine uses, with defaults.

What it is: :class:`OfficeView` over the configuration (a mapping shaped like
``firmware/config/example_office.yaml``, or an object exposing it as ``.doc``/``.data``/``.as_dict()``):
country, lines in hunt order, phones, extensions by number and by phone port, operator, trunk settings and
timeouts. Missing optional keys fall back to the documented defaults.

What it is not: validation. ``firmware/config`` refuses a bad document before the engine ever sees it.
"""
from __future__ import annotations

from typing import Any, Mapping

DEFAULTS = {
    "rings_before_answer": 0,
    "answer_destination": "menu:main",
    "access_code": "9",
    "dial_tone_timeout": 3.0,
    "extension_ring": 20.0,
    "inter_digit": 3.0,
    "first_digit": 10.0,
    "cid_wait_rings": 2,
    "max_digits": 15,
    "max_call": 14400.0,
    "off_hook_warning": 30.0,
    "transfer_recall": 30.0,
}


def as_mapping(config: Any) -> Mapping[str, Any]:
    """The configuration document as a plain mapping."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return config
    for attr in ("doc", "data", "document"):
        value = getattr(config, attr, None)
        if isinstance(value, Mapping):
            return value
    as_dict = getattr(config, "as_dict", None) or getattr(config, "to_dict", None)
    if callable(as_dict):
        return as_dict()
    raise TypeError(f"cannot read configuration from {type(config).__name__}")


class OfficeView:
    """The engine's questions to the configuration."""

    def __init__(self, config: Any) -> None:
        self.doc = as_mapping(config)
        self.extensions: dict[str, dict[str, Any]] = {
            str(e["number"]): dict(e) for e in self.doc.get("extensions", []) or []}
        self.by_phone: dict[str, dict[str, Any]] = {
            e["phone"]: e for e in self.extensions.values() if e.get("phone")}
        self.lines: list[dict[str, Any]] = [dict(x) for x in self.doc.get("lines", []) or []]
        self.phones: list[dict[str, Any]] = [dict(x) for x in self.doc.get("phones", []) or []]

    @property
    def country(self) -> str:
        return str((self.doc.get("office") or {}).get("country", "US")).upper()

    @property
    def operator(self) -> str | None:
        op = self.doc.get("operator")
        return str(op) if op is not None else None

    def _trunk(self, direction: str) -> Mapping[str, Any]:
        return ((self.doc.get("trunks") or {}).get(direction) or {})

    def incoming(self, key: str) -> Any:
        return self._trunk("incoming").get(key, DEFAULTS.get(key))

    def outgoing(self, key: str) -> Any:
        return self._trunk("outgoing").get(key, DEFAULTS.get(key))

    def timeout(self, key: str) -> float:
        return float((self.doc.get("timeouts") or {}).get(key, DEFAULTS[key]))

    def allowed_outgoing(self, extension: str | None) -> bool:
        allowed = self._trunk("outgoing").get("allowed_extensions")
        if allowed is None:
            return extension is not None
        return extension is not None and str(extension) in {str(a) for a in allowed}

    @property
    def emergency_numbers(self) -> list[str]:
        return [str(n) for n in self._trunk("outgoing").get("emergency_numbers") or []]

    def emergency(self, number: str) -> str | None:
        """The emergency number ``number`` (dialled after the access code) stands for, or None: ``911``, and
        also ``11`` after the access code ``9`` (a caller who dials 9-1-1 means 911)."""
        numbers = self.emergency_numbers
        if number in numbers:
            return number
        with_code = f"{self.outgoing('access_code') or ''}{number}"
        return with_code if number and with_code in numbers else None

    def emergency_incomplete(self, number: str) -> bool:
        """True while ``number`` could still grow into an emergency number (keep collecting)."""
        code = str(self.outgoing("access_code") or "")
        return any(e != n and e.startswith(n) for e in self.emergency_numbers for n in (number, code + number))

    def outgoing_refusal(self, extension: str | None, number: str) -> str | None:
        """Why the outside number ``number`` (as dialled after the access code) may not be dialled from
        ``extension``, or None. Emergency numbers are always allowed; otherwise the extension must be allowed
        out, the number must not be longer than ``max_digits`` nor start with a blocked prefix."""
        if self.emergency(number) is not None:
            return None
        if not self.allowed_outgoing(extension):
            return "not_allowed"
        if len(number) > int(self.outgoing("max_digits")):
            return "too_many_digits"
        if any(number.startswith(str(p)) for p in self._trunk("outgoing").get("blocked_prefixes") or []):
            return "blocked_prefix"
        return None

    def line(self, port: str) -> dict[str, Any]:
        """The configuration entry of the line on ``port`` (empty when none)."""
        return next((x for x in self.lines if x.get("port") == port), {})

    def phone(self, port: str) -> dict[str, Any]:
        """The configuration entry of the phone on ``port`` (empty when none)."""
        return next((x for x in self.phones if x.get("port") == port), {})

    def mailbox_of(self, number: str) -> str | None:
        ext = self.extensions.get(str(number))
        mb = ext.get("mailbox") if ext else None
        return str(mb) if mb is not None else None
