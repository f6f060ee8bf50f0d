"""Store-level control commands: ``config.*``, ``calllog.query``, ``voicemail.*`` and ``store.restore``.

What it is: :class:`ConfigService` (the running configuration: get, validate, put with ``base_revision`` so a
stale save is refused with code ``stale`` and nothing is lost, atomic write, then ``on_change`` so the engine
applies it; a valid hand edit made on disk meanwhile is never overwritten, ``config.reload`` picks it up) and
:func:`register_store_commands`, which registers these commands on a registry for a
:class:`~firmware.store.Store`. The real daemon and :class:`~firmware.control.fake.FakeControl` use the same code.

What it is not: call control or the attendant's voicemail behaviour (the daemon registers ``snapshot``,
``call.*``, ``sim.*``, ``schedule.set_mode`` and ``presence.set``). Message audio is written by the voicemail
application; here it is only listed, read in chunks, marked and deleted.
"""
from __future__ import annotations

import asyncio
import base64
import copy
import inspect
import logging
import os
from pathlib import Path
from typing import Any, Callable

from drivers.errors import ConfigError, StorageError
from firmware import config as configuration
from firmware.config import migrations, yamlio
from firmware.config import Config
from firmware.control.registry import Registry, control_error
from firmware.store import DIRECTIONS, DISPOSITIONS, FOLDERS, Store, to_epoch

log = logging.getLogger(__name__)

Publish = Callable[..., Any]
AUDIO_CHUNK = 256 * 1024

_ID = {"type": "integer", "minimum": 1}
_STAMP = {"type": "string", "minLength": 4, "maxLength": 40}
_TEXT = {"type": "string", "maxLength": 80}

CONFIG_PUT_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["document", "base_revision"],
    "properties": {"document": {"type": "object"}, "base_revision": {"type": "string"}},
}
CONFIG_VALIDATE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["document"],
    "properties": {"document": {"type": "object"}},
}
CALLLOG_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"start": _STAMP, "end": _STAMP, "line": _TEXT, "extension": _TEXT, "caller": _TEXT,
                   "direction": {"enum": list(DIRECTIONS)}, "disposition": {"enum": list(DISPOSITIONS)},
                   "limit": {"type": "integer", "minimum": 1, "maximum": 500},
                   "offset": {"type": "integer", "minimum": 0}},
}
STORE_RESTORE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["path"],
    "properties": {"path": {"type": "string", "minLength": 1, "maxLength": 4096}},
}
VM_LIST_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"mailbox": _TEXT, "folder": {"enum": list(FOLDERS)}, "heard": {"type": "boolean"},
                   "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                   "offset": {"type": "integer", "minimum": 0}},
}
VM_ID_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["id"], "properties": {"id": _ID}}
VM_MARK_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["id"],
    "properties": {"id": _ID, "heard": {"type": "boolean"}, "folder": {"enum": list(FOLDERS)}},
}
VM_AUDIO_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["id"],
    "properties": {"id": _ID, "offset": {"type": "integer", "minimum": 0},
                   "length": {"type": "integer", "minimum": 1, "maximum": AUDIO_CHUNK}},
}


def _errors_detail(errors: list[tuple[str, str]]) -> dict[str, Any]:
    return {"errors": [{"path": p, "reason": r} for p, r in errors]}


class ConfigService:
    """The running configuration and how the control API changes it.

    ``path``: where ``config.put`` saves (None: the change is kept in memory only, e.g. the embedded example).
    ``on_change(new_config)``: called (or awaited) after a successful save; the engine applies the new office.
    ``load_errors``: problems of the document that was refused at start (the daemon runs on the last good one).
    """

    def __init__(self, config: Config, path: str | os.PathLike[str] | None = None, *,
                 publish: Publish | None = None, on_change: Callable[[Config], Any] | None = None,
                 load_errors: list[tuple[str, str]] | None = None) -> None:
        self.config = config
        self.path = Path(path) if path is not None else None
        self.publish = publish
        self.on_change = on_change
        self.load_errors = list(load_errors or [])

    def get(self) -> dict[str, Any]:
        """The configuration document as written, its revision, and problems found at start."""
        return {"document": copy.deepcopy(self.config.document), "revision": self.config.revision,
                "path": str(self.path) if self.path else None,
                "schema_version": configuration.CURRENT_VERSION,
                "load_errors": _errors_detail(self.load_errors)["errors"]}

    def validate(self, document: dict[str, Any]) -> dict[str, Any]:
        """Check a document without saving it: ``{"ok", "errors": [{"path", "reason"}]}``."""
        errors = _validate(document)
        hints = [] if errors else configuration.warnings(document)
        return {"ok": not errors, **_errors_detail(errors),
                "warnings": [{"path": p, "reason": r} for p, r in hints]}

    async def put(self, document: dict[str, Any], base_revision: str) -> dict[str, Any]:
        """Save a new document if nobody changed the configuration since ``base_revision``; then apply it."""
        current = self.config.revision
        if base_revision != current:
            raise control_error("stale", "the configuration was changed since you loaded it (revision "
                                f"{base_revision}, now {current}); reload it and apply your change again",
                                {"revision": current})
        errors = _validate(document)
        if errors:
            raise control_error("invalid", f"not saved: {len(errors)} problem(s); first: {errors[0][0]}: "
                                f"{errors[0][1]}", _errors_detail(errors))
        saved = False
        if self.path is not None:
            self._guard_disk_edits()
            configuration.save(self.path, document, check=False)   # StorageError -> "storage"; old file intact
            saved = True
        return await self._switch(Config(document, self.path), saved=saved)

    async def reload(self) -> dict[str, Any]:
        """Load the configuration file again (after an edit by hand); a bad file is refused, the running one stays."""
        if self.path is None:
            raise control_error("unavailable", "the running configuration has no file to reload")
        return await self._switch(configuration.load(self.path), saved=False)

    async def _switch(self, new: Config, saved: bool) -> dict[str, Any]:
        self.config, previous = new, self.config
        self.load_errors = []
        applied, warning = await self._apply(new)
        if self.publish is not None:
            self.publish("config", revision=new.revision, previous=previous.revision, saved=saved)
        result = {"revision": new.revision, "saved": saved, "applied": applied}
        if warning:
            result["warning"] = warning
        return result

    def _guard_disk_edits(self) -> None:
        """Refuse to overwrite a valid hand edit made since the file was loaded; keep a copy of a broken one."""
        assert self.path is not None
        try:
            on_disk, raw = yamlio.read(self.path)
            migrated, _ = migrations.migrate(on_disk)
            valid = not configuration.validate(migrated)
            disk_revision = configuration.revision_of(migrated)
        except ConfigError:
            if not self.path.exists():
                return
            raw, valid, disk_revision = self.path.read_bytes(), False, None
        if disk_revision == self.config.revision:
            return
        if valid:
            raise control_error("stale", f"{self.path} was edited on disk since the box loaded it; reload it "
                                "(config.reload) so those edits are not overwritten, then apply your change",
                                {"revision": self.config.revision, "disk_revision": disk_revision})
        kept = self.path.with_name(self.path.name + ".rejected")
        yamlio.write_atomic(kept, raw)
        log.warning("the configuration file on disk was not valid; kept as %s before saving over it", kept)

    async def _apply(self, new: Config) -> tuple[bool, str | None]:
        if self.on_change is None:
            return True, None
        try:
            outcome = self.on_change(new)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:  # noqa: BLE001 - saved; report that applying it failed
            log.exception("applying the new configuration failed")
            return False, f"saved, but applying it failed: {exc}; it takes effect at the next restart"
        return True, None

    def schema(self) -> dict[str, Any]:
        """The configuration's JSON Schema (for building forms)."""
        return configuration.schema()


def _validate(document: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        doc, _ = migrations.migrate(document)
    except ConfigError as exc:
        return exc.errors
    if doc.get("schema_version") != document.get("schema_version"):
        return [("schema_version", f"must be {configuration.CURRENT_VERSION} (the current format)")]
    return configuration.validate(document)


def _public(message: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in message.items() if k != "path"}
    try:
        out["size"] = os.path.getsize(message["path"])
    except OSError:
        out["size"] = None
    return out


def register_store_commands(registry: Registry, *, store: Store, config_service: ConfigService,
                            publish: Publish | None = None) -> None:
    """Register ``config.*``, ``calllog.query`` and ``voicemail.*`` for this store and configuration."""
    cs = config_service
    registry.register("config.get", cs.get)
    registry.register("config.schema", cs.schema)
    registry.register("config.validate", cs.validate, schema=CONFIG_VALIDATE_SCHEMA)
    registry.register("config.put", cs.put, schema=CONFIG_PUT_SCHEMA)
    registry.register("config.reload", cs.reload)

    async def calllog_query(limit: int = 50, offset: int = 0, **filters: Any) -> dict[str, Any]:
        """Call-log rows (newest first) matching the filters, one page at a time."""
        for key in ("start", "end"):
            if key in filters:
                try:
                    to_epoch(filters[key])
                except StorageError as exc:
                    raise control_error("invalid_args", f"calllog.query: args.{key}: {exc}") from None
        # a call that just ended may still be queued for the writer thread: let it land first (off the loop)
        await asyncio.get_running_loop().run_in_executor(None, store.later.flush, 2.0)
        rows, total = store.query_calls(limit=limit, offset=offset, **filters)
        return {"calls": rows, "total": total, "limit": limit, "offset": offset}

    registry.register("calllog.query", calllog_query, schema=CALLLOG_SCHEMA)
    _register_voicemail(registry, store, publish)

    def store_restore(path: str) -> dict[str, Any]:
        """Replace the call log, voicemail index, presence and settings with a backup copy of the database
        (placed in the data directory; removed once it is in)."""
        version = store.restore_from(path)
        Path(path).unlink(missing_ok=True)
        if publish is not None:
            publish("store", restored=True, schema_version=version)
            for box, counts in store.mwi_counts().items():
                publish("voicemail", mailbox=box, new=counts["new"], saved=counts["saved"])
        return {"restored": True, "schema_version": version}

    registry.register("store.restore", store_restore, schema=STORE_RESTORE_SCHEMA)


def _register_voicemail(registry: Registry, store: Store, publish: Publish | None) -> None:
    def changed(mailbox: str) -> None:
        if publish is not None:
            counts = store.mwi_counts().get(mailbox, {"new": 0, "saved": 0, "total": 0})
            publish("voicemail", mailbox=mailbox, new=counts["new"], saved=counts["saved"])

    def found(message_id: int) -> dict[str, Any]:
        msg = store.message(message_id)
        if msg is None:
            raise control_error("not_found", f"no voicemail message {message_id}")
        return msg

    def vm_list(mailbox: str | None = None, folder: str | None = None, heard: bool | None = None,
                limit: int = 100, offset: int = 0) -> dict[str, Any]:
        """Messages (newest first) and the per-mailbox counts."""
        rows = store.messages(mailbox, folder=folder, heard=heard, limit=limit, offset=offset)
        return {"messages": [_public(m) for m in rows], "counts": store.mwi_counts()}

    def vm_get(id: int) -> dict[str, Any]:  # noqa: A002 - the protocol's argument name
        """One message's details."""
        return _public(found(id))

    def vm_audio(id: int, offset: int = 0, length: int = AUDIO_CHUNK) -> dict[str, Any]:  # noqa: A002
        """A chunk of the message's WAV file, base64: loop with ``next_offset`` until it is null."""
        msg = found(id)
        try:
            with open(msg["path"], "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                fh.seek(offset)
                data = fh.read(length)
        except OSError as exc:
            raise StorageError(f"message {id}: cannot read its audio: {exc.strerror}") from exc
        end = offset + len(data)
        return {"id": id, "format": "wav", "size": size, "offset": offset,
                "data": base64.b64encode(data).decode("ascii"), "next_offset": end if end < size else None}

    def vm_mark(id: int, heard: bool | None = None, folder: str | None = None) -> dict[str, Any]:  # noqa: A002
        """Mark a message heard/unheard and/or move it to the new or saved folder."""
        msg = found(id)
        store.mark_message(id, heard=heard, folder=folder)
        changed(msg["mailbox"])
        return _public(found(id))

    def vm_delete(id: int) -> dict[str, Any]:  # noqa: A002
        """Delete a message and its audio."""
        msg = found(id)
        store.delete_message(id)
        changed(msg["mailbox"])
        return {"id": id, "deleted": True}

    registry.register("voicemail.list", vm_list, schema=VM_LIST_SCHEMA)
    registry.register("voicemail.get", vm_get, schema=VM_ID_SCHEMA)
    registry.register("voicemail.audio", vm_audio, schema=VM_AUDIO_SCHEMA)
    registry.register("voicemail.mark", vm_mark, schema=VM_MARK_SCHEMA)
    registry.register("voicemail.delete", vm_delete, schema=VM_ID_SCHEMA)
