"""Switchboard configuration: one YAML document describes the whole office.

What it is: loading (:func:`load`), validation (:func:`validate`, every problem as ``(path, reason)``), atomic
saving (:func:`save`), forward migration between schema versions with a copy of the old file kept as
``<file>.v<N>.bak``, and the "last good configuration" the daemon falls back to when the document on disk is
bad (:func:`load_with_fallback`, :func:`remember_good`). The schema is ``firmware/config/schema.yaml``; every
field is explained in docs/configuration.md; ``load(None)`` gives the embedded example office.

What it is not: the place that applies a configuration to running calls (the engine does that), nor a store of
runtime state (presence set from the web page, night mode, voicemail: see :mod:`firmware.store`).

Formats: YAML (or JSON) documents, UTF-8, at most 1 MB.
"""
from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from drivers.errors import ConfigError, StorageError
from firmware.config import yamlio
from firmware.config.document import Config, revision_of
from firmware.config.migrations import CURRENT_VERSION, migrate
from firmware.config.validate import apply_defaults, format_path, schema, validate, warnings

__all__ = [
    "Config", "ConfigError", "CURRENT_VERSION", "EXAMPLE_NAME", "Loaded", "apply_defaults", "example_text",
    "format_path", "load", "load_document", "load_with_fallback", "parse", "remember_good", "revision_of",
    "save", "schema", "validate", "warnings",
]

log = logging.getLogger(__name__)

EXAMPLE_NAME = "example_office.yaml"


def example_text() -> str:
    """The embedded example office, as YAML text (with its comments)."""
    return resources.files("firmware.config").joinpath(EXAMPLE_NAME).read_text(encoding="utf-8")


def parse(text: str, source: str = "<document>") -> dict[str, Any]:
    """Parse, migrate and validate YAML text; returns the (migrated) document or raises :class:`ConfigError`."""
    doc = yamlio.parse(text, source)
    return _checked(doc, source)[0]


def _checked(doc: Any, source: str) -> tuple[dict[str, Any], int]:
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: not a configuration document",
                          [("document", "must be a mapping of sections (office:, board:, lines:, ...)")])
    migrated, old_version = migrate(doc)
    errors = validate(migrated)
    if errors:
        raise ConfigError(f"{source}: {len(errors)} problem{'s' if len(errors) != 1 else ''}: "
                          + "; ".join(f"{p}: {r}" for p, r in errors[:5]), errors)
    return migrated, old_version


def load_document(path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any], int]:
    """Read, migrate (in memory) and validate a document; returns (document, the version it was written in)."""
    if path is None:
        return _checked(yamlio.parse(example_text(), EXAMPLE_NAME), EXAMPLE_NAME)
    doc, _raw = yamlio.read(path)
    return _checked(doc, str(path))


def load(path: str | os.PathLike[str] | None = None, *, migrate_on_disk: bool = True) -> Config:
    """Load and validate a configuration; ``None`` loads the embedded example office.

    A document in an older schema version is migrated forward; with ``migrate_on_disk`` the original bytes are
    kept as ``<file>.v<N>.bak`` and the migrated document is saved in place (when the file system is read-only
    the migration stays in memory and a warning is logged). Raises :class:`ConfigError` listing ``(path, reason)``.
    """
    if path is None:
        return Config(load_document(None)[0])
    p = Path(path)
    doc, raw = yamlio.read(p)
    migrated, old_version = _checked(doc, str(p))
    if old_version < CURRENT_VERSION and migrate_on_disk:
        _write_migration(p, raw, migrated, old_version)
    return Config(migrated, p)


def _write_migration(path: Path, raw: bytes, doc: dict[str, Any], old_version: int) -> None:
    backup = _backup_name(path, old_version, raw)
    try:
        if not backup.exists():
            yamlio.write_atomic(backup, raw)
        save(path, doc, check=False)
        log.info("configuration %s migrated from schema version %d to %d (old copy: %s)",
                 path, old_version, CURRENT_VERSION, backup)
    except StorageError as exc:
        log.warning("configuration %s migrated in memory only: %s", path, exc)


def _backup_name(path: Path, version: int, raw: bytes) -> Path:
    """``<file>.v<N>.bak``; if that holds a different document already, ``<file>.v<N>.<k>.bak``."""
    candidate = path.with_name(f"{path.name}.v{version}.bak")
    k = 1
    while candidate.exists() and candidate.read_bytes() != raw:
        candidate = path.with_name(f"{path.name}.v{version}.{k}.bak")
        k += 1
    return candidate


def save(path: str | os.PathLike[str], doc: Mapping[str, Any], *, check: bool = True) -> str:
    """Validate and write ``doc`` atomically; returns its revision. A bad document raises ConfigError and
    writes nothing; a failed write raises StorageError and leaves the old file as it was."""
    doc = dict(doc)
    data = _header(doc).encode("utf-8")
    if len(data) > yamlio.MAX_DOCUMENT_BYTES:
        raise ConfigError("not saved: too large", [("document", f"larger than {yamlio.MAX_DOCUMENT_BYTES} bytes "
                                                                "as YAML; it could not be loaded again")])
    if check:
        errors = validate(doc)
        if errors:
            raise ConfigError(f"not saved: {len(errors)} problem(s)", errors)
    yamlio.write_atomic(path, data)
    return revision_of(doc)


def _header(doc: Mapping[str, Any]) -> str:
    return ("# Switchboard office configuration (schema in firmware/config/schema.yaml,\n"
            "# fields explained in docs/configuration.md). Written by Switchboard; check edits with\n"
            "# `switchboard check-config FILE`.\n" + yamlio.dump(dict(doc)))


class Loaded(NamedTuple):
    """What :func:`load_with_fallback` gives: the configuration to run and the problems found on the way."""

    config: Config
    errors: list[tuple[str, str]]


def load_with_fallback(path: str | os.PathLike[str], last_good_path: str | os.PathLike[str] | None) -> Loaded:
    """Load ``path``; if it is bad, load the last good configuration and return the problems with it.

    ``Loaded.errors`` is empty when ``path`` loaded; otherwise ``Loaded.config.path`` is ``last_good_path``.
    Raises :class:`ConfigError` (with the problems of ``path``) when neither can be loaded.
    """
    try:
        return Loaded(load(path), [])
    except ConfigError as exc:
        errors = exc.errors or [("document", str(exc))]
        if last_good_path is None:
            raise
        log.error("configuration %s refused (%d problems); starting on the last good one %s",
                  path, len(errors), last_good_path)
        try:
            return Loaded(load(last_good_path, migrate_on_disk=True), errors)
        except ConfigError as exc2:
            both = errors + [(f"last good ({last_good_path}): {p}", r) for p, r in exc2.errors]
            raise ConfigError(f"{path} is bad and no last good configuration could be loaded", both) from None


def remember_good(config: Config, last_good_path: str | os.PathLike[str]) -> None:
    """Keep ``config`` as the last good configuration (call once the office is up and running on it)."""
    save(last_good_path, config.document, check=False)
