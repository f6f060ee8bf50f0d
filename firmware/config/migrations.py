"""Forward migration of configuration documents between schema versions.

What it is: ``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n + 1`` one; :func:`migrate` runs
the chain up to :data:`CURRENT_VERSION`. A document without ``schema_version`` is version 0 (the draft format,
which allowed a menu ``greeting`` to be a single prompt name and an option to be just an extension number).
When the schema changes incompatibly, bump :data:`CURRENT_VERSION`, add a step here, and add a test.

What it is not: a downgrade. A document written by a newer Switchboard is refused, never rewritten. Keeping a copy
of the old file on disk is the loader's job (``<file>.v<N>.bak``, see :func:`firmware.config.load`).
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from drivers.errors import ConfigError

CURRENT_VERSION = 1

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def version_of(doc: dict[str, Any]) -> int:
    """The document's schema version (0 when it has none); refuses versions that are not whole numbers."""
    v = doc.get("schema_version", 0)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ConfigError("bad schema_version", [("schema_version", f"must be a whole number (got {v!r})")])
    return v


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """Draft format -> 1: menu greetings become per-state mappings, bare option targets become extension actions."""
    for menu in (doc.get("menus") or {}).values():
        if not isinstance(menu, dict):
            continue
        if isinstance(menu.get("greeting"), str):
            menu["greeting"] = {"day": menu["greeting"]}
        options = menu.get("options")
        if isinstance(options, dict):
            menu["options"] = {str(k): _v0_option(v) for k, v in options.items()}
    doc["schema_version"] = 1
    return doc


def _v0_option(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        if value.isdigit():
            return {"action": "extension", "target": value}
        kind, _, target = value.partition(":")
        if kind == "menu":
            kind = "submenu"
        return {"action": kind, "target": target} if target else {"action": kind}
    return value


MIGRATIONS: dict[int, Migration] = {0: _v0_to_v1}


def migrate(doc: dict[str, Any], target: int | None = None) -> tuple[dict[str, Any], int]:
    """Migrate a copy of ``doc`` to ``target`` (default: current); returns (new document, original version)."""
    target = CURRENT_VERSION if target is None else target
    start = version_of(doc)
    if start > target:
        raise ConfigError(
            "document is newer than this Switchboard",
            [("schema_version", f"is {start}, but this Switchboard reads up to {target}; upgrade the firmware "
                                "or restore an older configuration")],
        )
    out = copy.deepcopy(doc)
    for v in range(start, target):
        step = MIGRATIONS.get(v)
        if step is None:
            raise ConfigError("no migration", [("schema_version", f"no migration from version {v} to {v + 1}")])
        out = step(out)
        out["schema_version"] = v + 1
    return out, start
