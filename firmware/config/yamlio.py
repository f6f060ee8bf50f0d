"""Reading and writing configuration documents on disk.

What it is: a strict YAML reader (safe loader, duplicate keys refused, syntax errors named by line and column)
and an atomic writer (temporary file in the same directory, fsync, rename, fsync of the directory), so a power
cut during a save leaves either the old document or the new one, never half of one.

What it is not: validation (see :mod:`firmware.config.validate`). Saving rewrites the file from the data, so
comments in a hand-edited file are not preserved by a save from the web page.

Formats: YAML 1.1 as read by PyYAML's safe loader (``.yaml``/``.yml``); JSON documents are YAML too.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from drivers.errors import ConfigError, StorageError

MAX_DOCUMENT_BYTES = 1_000_000


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: ~10x faster
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _StrictLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate mapping keys (a silent overwrite hides a typo)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise ConfigError(
                "duplicate key",
                [(f"line {mark.line + 1}", f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})")],
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse(text: str, source: str = "<document>") -> Any:
    """Parse YAML text; a syntax error raises :class:`ConfigError` naming the line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "document"
        reason = f"YAML syntax error: {exc.problem or exc.context}"
        ctx = exc.context_mark
        if exc.problem and exc.context and ctx is not None and (mark is None or ctx.line != mark.line):
            reason += f" ({exc.context} at line {ctx.line + 1}, column {ctx.column + 1})"
        raise ConfigError(f"{source}: {where}: {reason}", [(where, reason)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: YAML error: {exc}", [("document", f"YAML error: {exc}")]) from None


def read(path: str | os.PathLike[str]) -> tuple[Any, bytes]:
    """Read and parse a document; returns (data, raw bytes). Missing/unreadable files raise ConfigError."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file", [("document", f"no such file: {p}")]) from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}", [("document", f"cannot read: {exc.strerror}")]) from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ConfigError(f"{p}: too large", [("document", f"larger than {MAX_DOCUMENT_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8", [("document", f"not UTF-8 text (byte {exc.start})")]) from None
    return parse(text, str(p)), raw


def dump(doc: Any) -> str:
    """The document as YAML text, keys in document order, digits strings kept quoted."""
    return yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_owner(path: str, owner: tuple[int, int] | None) -> None:
    """Give the new file the old one's owner (possible when running as root; otherwise it already matches)."""
    if owner is None or not hasattr(os, "chown"):
        return
    st = os.stat(path)
    if (st.st_uid, st.st_gid) != owner:
        try:
            os.chown(path, *owner)
        except PermissionError:
            pass


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same directory, fsync, rename, fsync dir.

    On any failure the temporary file is removed, the old file is untouched and :class:`StorageError` is raised.
    ``mode`` defaults to the existing file's mode, or 0o640 for a new file; the owner and group of an existing
    file are kept (so a save by root does not lock the daemon's user out of its own configuration).
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    owner: tuple[int, int] | None = None
    try:
        st = target.stat()
        owner = (st.st_uid, st.st_gid)
        mode = st.st_mode & 0o777 if mode is None else mode
    except OSError:
        mode = 0o640 if mode is None else mode
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        _keep_owner(tmp_name, owner)
        os.replace(tmp_name, target)
        tmp_name = None
        fsync_dir(directory)
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
