"""Backup and restore: one archive with the configuration, the data (call log, voicemail index) and audio.

Archive format (``switchboard-backup-<time>.tar.gz``)::

    manifest.json      {"format": "switchboard-backup", "version": 1, "created": ISO time,
                        "schema_version": N, "files": {"<member>": "<sha256>", ...}}
    config.yaml        the configuration document as the daemon runs it
    data/<relative>    the data folder: prompts/, voicemail/ (greetings, messages), SQLite databases
                       (copied with SQLite's online backup, so a live database is consistent), web/admin.json

Left out: the session secret and the TLS key of this box (a restored box keeps its own), temporary and
hidden files, SQLite ``-wal``/``-shm`` side files.

A restore is checked completely before anything is replaced: readable gzip/tar, only plain files with
relative names inside ``data/`` (no links, no ``..``), size limits, a manifest of a format version this box
knows, every checksum right, the configuration accepted by the daemon's validator. Only then are files
unpacked into a staging folder under the data folder, renamed into place one by one (each rename is atomic)
and the configuration put at the revision the restore started from. A refused archive leaves the box
exactly as it was.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from webui.files import BadInput, atomic_write, fsync_dir

FORMAT = "switchboard-backup"
VERSION = 1
MAX_MEMBERS = 100_000
MAX_TOTAL = 8 * 1024 ** 3
SKIP_TOP = {"web/secret_key", "web/tls"}
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def create(data_dir: Path, doc: dict, out: BinaryIO) -> None:
    """Write a backup archive of ``doc`` and ``data_dir`` to the binary stream ``out``."""
    data_dir = Path(data_dir)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=data_dir) as tmp:
        members = {"config.yaml": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()}
        files: dict[str, Path] = {}
        for path in _data_files(data_dir):
            rel = path.relative_to(data_dir).as_posix()
            if path.suffix in SQLITE_SUFFIXES:
                copy = Path(tmp) / rel.replace("/", "_")
                _sqlite_copy(path, copy)
                files[f"data/{rel}"] = copy
            else:
                files[f"data/{rel}"] = path
        digests = {name: _sha256_bytes(data) for name, data in members.items()}
        digests.update({name: _sha256_file(p) for name, p in files.items()})
        manifest = {"format": FORMAT, "version": VERSION, "schema_version": doc.get("schema_version"),
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": digests}
        with tarfile.open(fileobj=out, mode="w:gz") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
            for name, data in members.items():
                _add_bytes(tar, name, data)
            for name, path in sorted(files.items()):
                tar.add(path, arcname=name, recursive=False)


def _data_files(data_dir: Path):
    for root, dirs, names in os.walk(data_dir):
        rel_root = Path(root).relative_to(data_dir).as_posix()
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (f"{rel_root}/{d}" if rel_root != "." else d) not in SKIP_TOP)
        for name in sorted(names):
            rel = f"{rel_root}/{name}" if rel_root != "." else name
            if name.startswith(".") or name.endswith((".tmp", "-wal", "-shm", "-journal")) or rel in SKIP_TOP:
                continue
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _sqlite_copy(src: Path, dst: Path) -> None:
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Archive:
    """A backup archive that passed every check; ``doc`` is its configuration."""

    def __init__(self, path: Path, manifest: dict, doc: dict) -> None:
        self.path, self.manifest, self.doc = path, manifest, doc

    @property
    def data_members(self) -> list[str]:
        return sorted(n for n in self.manifest["files"] if n.startswith("data/"))


def open_checked(path: Path) -> Archive:
    """Check an uploaded archive completely; raises :class:`BadInput` saying why it is refused."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            members = _check_members(tar)
            manifest = _read_manifest(tar, members)
            _check_files(tar, members, manifest)
            doc = yaml.safe_load(tar.extractfile(members["config.yaml"]).read())
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
        raise BadInput("The archive is damaged or is not a Switchboard backup (it cannot be read).") from exc
    except yaml.YAMLError as exc:
        raise BadInput("The configuration in the archive cannot be read.") from exc
    if not isinstance(doc, dict):
        raise BadInput("The configuration in the archive is empty or not a document.")
    return Archive(path, manifest, doc)


def zlib_error() -> type[Exception]:
    import zlib
    return zlib.error


def _check_members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    members: dict[str, tarfile.TarInfo] = {}
    total = 0
    for info in tar:
        if len(members) >= MAX_MEMBERS:
            raise BadInput("The archive has too many files.")
        name = info.name
        parts = name.split("/")
        if (not info.isfile() or name.startswith("/") or ".." in parts or "" in parts or "\\" in name
                or not (name in ("manifest.json", "config.yaml") or name.startswith("data/"))):
            raise BadInput(f"The archive holds an entry the box does not accept: {name[:80]!r}.")
        if name in members:
            raise BadInput(f"The archive holds {name[:80]!r} twice.")
        total += info.size
        if total > MAX_TOTAL:
            raise BadInput("The archive unpacks to more than the box accepts.")
        members[name] = info
    if "manifest.json" not in members or "config.yaml" not in members:
        raise BadInput("The archive is not a Switchboard backup (no manifest or configuration in it).")
    return members


def _read_manifest(tar: tarfile.TarFile, members: dict) -> dict:
    try:
        manifest = json.loads(tar.extractfile(members["manifest.json"]).read())
    except ValueError as exc:
        raise BadInput("The archive's manifest is damaged.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadInput("The archive is not a Switchboard backup.")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise BadInput("The archive's manifest has no valid format version.")
    if version > VERSION:
        raise BadInput(f"The archive was made by a newer Switchboard (backup format {version}; this box reads "
                       f"up to {VERSION}). Update this box first.")
    if not isinstance(manifest.get("files"), dict):
        raise BadInput("The archive's manifest lists no files.")
    return manifest


def _check_files(tar: tarfile.TarFile, members: dict, manifest: dict) -> None:
    listed = set(manifest["files"])
    present = set(members) - {"manifest.json"}
    if listed != present:
        raise BadInput("The archive's files do not match its manifest (files missing or added).")
    for name in sorted(present):
        h = hashlib.sha256()
        fh = tar.extractfile(members[name])
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
        if h.hexdigest() != manifest["files"][name]:
            raise BadInput(f"The archive is damaged: {name[:80]} does not match its checksum.")


def stage(archive: Archive, data_dir: Path) -> Path:
    """Unpack the data files into a staging folder under ``data_dir`` (nothing live is touched)."""
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    with tarfile.open(archive.path, mode="r:gz") as tar:
        for info in tar:
            if info.name.startswith("data/"):
                target = staging / info.name[len("data/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                    dst.flush()
                    os.fsync(dst.fileno())
    return staging


def install_staged(staging: Path, data_dir: Path) -> list[str]:
    """Rename staged files into place (each atomically); returns the databases left to the daemon."""
    databases = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        rel = path.relative_to(staging)
        if path.suffix in SQLITE_SUFFIXES:
            databases.append(rel.as_posix())
            continue
        target = data_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        fsync_dir(target.parent)
    return databases


def write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, data)


def describe(archive: Archive) -> dict[str, Any]:
    m = archive.manifest
    return {"created": m.get("created"), "files": len(archive.data_members),
            "office": (archive.doc.get("office") or {}).get("name")}
