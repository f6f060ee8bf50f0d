"""The running configuration: a validated document with defaults filled in, and lookups by the office's names.

What it is: :class:`Config`, a read-only mapping over the effective document (the file plus the schema's
defaults), with ``document`` (exactly what the file says, for the web page's editor and ``config.get``),
``revision`` (a digest of ``document``; a save based on an older revision is refused) and lookups: extension by
number, line by id or port, phone by port, menu, ring group and mailbox by name or number.

What it is not: a loader or a validator (see :mod:`firmware.config`). Treat what the lookups return as read-only;
change the configuration by saving a new document.
"""
from __future__ import annotations

import copy
import hashlib
import json
import zoneinfo
from pathlib import Path
from typing import Any, Iterator, Mapping

from firmware.config.validate import apply_defaults


def revision_of(doc: Mapping[str, Any]) -> str:
    """A short stable digest of a document's content (key order and formatting do not matter)."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


class Config(Mapping[str, Any]):
    """A validated office configuration. ``config["timeouts"]["extension_ring"]`` always has a value."""

    def __init__(self, document: Mapping[str, Any], path: str | Path | None = None) -> None:
        self.document: dict[str, Any] = copy.deepcopy(dict(document))
        self.path = Path(path) if path is not None else None
        self.revision = revision_of(self.document)
        self._data = apply_defaults(self.document)

    # Mapping over the effective document
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Config({self.office_name!r}, path={str(self.path) if self.path else None!r}, rev={self.revision})"

    def as_dict(self) -> dict[str, Any]:
        """A deep copy of the effective document (defaults included)."""
        return copy.deepcopy(self._data)

    # Office
    @property
    def office_name(self) -> str:
        return self._data["office"]["name"]

    @property
    def country(self) -> str:
        return self._data["office"]["country"]

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        """The schedule's zone (``schedule.timezone``, else ``office.timezone``)."""
        return zoneinfo.ZoneInfo(self._data["schedule"].get("timezone") or self._data["office"]["timezone"])

    # Lines and phones
    @property
    def lines(self) -> list[dict[str, Any]]:
        return self._data["lines"]

    @property
    def phones(self) -> list[dict[str, Any]]:
        return self._data["phones"]

    def line(self, line_id: str) -> dict[str, Any] | None:
        return _find(self._data["lines"], "id", line_id)

    def line_by_port(self, port: str) -> dict[str, Any] | None:
        return _find(self._data["lines"], "port", port)

    def phone(self, port: str) -> dict[str, Any] | None:
        return _find(self._data["phones"], "port", port)

    def board_port(self, port: str) -> dict[str, Any]:
        """``board.ports[port]`` (pins, audio device), or an empty mapping when the board does not describe it."""
        return (self._data["board"].get("ports") or {}).get(port, {})

    # Extensions and groups
    @property
    def extensions(self) -> list[dict[str, Any]]:
        return self._data["extensions"]

    def extension(self, number: str) -> dict[str, Any] | None:
        return _find(self._data["extensions"], "number", str(number))

    def extension_for_phone(self, port: str) -> dict[str, Any] | None:
        """The extension whose desk phone is on ``port``."""
        return _find(self._data["extensions"], "phone", port)

    @property
    def operator(self) -> dict[str, Any] | None:
        """The operator's extension, or None when the office has none."""
        number = self._data.get("operator")
        return self.extension(number) if number else None

    def menu(self, name: str) -> dict[str, Any] | None:
        return self._data["menus"].get(name)

    def ring_group(self, name: str) -> dict[str, Any] | None:
        return _find(self._data["ring_groups"], "name", name)

    def mailbox(self, number: str) -> dict[str, Any] | None:
        """A mailbox by number: ``{"number", "name", "pin", "members", "email", "shared"}`` or None."""
        number = str(number)
        for ext in self._data["extensions"]:
            if ext.get("mailbox") == number:
                return {"number": number, "name": ext["name"], "pin": ext.get("pin"), "members": [ext["number"]],
                        "email": ext.get("email"), "shared": False}
        for box in self._data["voicemail"].get("shared", []):
            if box["number"] == number:
                return {"number": number, "name": box["name"], "pin": box.get("pin"),
                        "members": list(box.get("members", [])), "email": box.get("email"), "shared": True}
        return None

    def mailboxes(self) -> list[dict[str, Any]]:
        """Every mailbox (personal then shared)."""
        numbers = [e["mailbox"] for e in self._data["extensions"] if e.get("mailbox")]
        numbers += [b["number"] for b in self._data["voicemail"].get("shared", [])]
        return [m for m in (self.mailbox(n) for n in numbers) if m is not None]

    def dialable(self, number: str) -> tuple[str, dict[str, Any]] | None:
        """What an internal number reaches: ("extension"|"ring_group", item), or None."""
        ext = self.extension(number)
        if ext is not None:
            return "extension", ext
        for kind, section in (("ring_group", "ring_groups"),):
            item = _find(self._data[section], "number", number)
            if item is not None:
                return kind, item
        return None


def _find(items: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any] | None:
    for item in items:
        if item.get(key) == value:
            return item
    return None
