"""The data partition: is it there, can it take a recording, can the store open on it.

What it is: :class:`DataSpace` (free space before a recording), :func:`open_data_store` (the store, or one in
RAM when the partition cannot be written), :func:`store_in_ram`, :func:`volatile_data` (the data folder is on
a RAM file system: the partition did not mount). What it is not: the store (:mod:`firmware.store`).
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from drivers.clock import Clock
from drivers.errors import StorageError

log = logging.getLogger("firmware.service")


STORE_NAME = "switchboard.db"


def open_data_store(clock: Clock, data_dir: Path, environ: Mapping[str, str] | None = None) -> Any:
    """The SQLite store on the data partition; one in RAM when that cannot be opened, so the box still answers.

    A data partition that is full (SQLite cannot even create its journal) or damaged must not keep the box from
    starting: the store is then opened under the runtime directory (RAM) and :func:`attach` reports it — the call
    log and new messages' index live there until the partition is fixed and the daemon restarted.
    """
    from firmware.store import Store
    try:
        return Store.for_clock(Path(data_dir) / STORE_NAME, clock)
    except (StorageError, OSError) as exc:
        env = os.environ if environ is None else environ
        runtime = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
        ram = Path(tempfile.mkdtemp(prefix="switchboard-store-", dir=runtime or None)) / STORE_NAME
        log.error("cannot open the store on the data partition (%s); keeping the call log in RAM at %s", exc, ram)
        return Store.for_clock(ram, clock)


def store_in_ram(store: Any, data_dir: Path) -> bool:
    """True when ``store`` is not the one on the data partition (see :func:`open_data_store`)."""
    path = getattr(store, "path", None)
    return path is not None and Path(path) != Path(data_dir) / STORE_NAME


def volatile_data(data_dir: Path, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The file-system type when ``data_dir`` lives in RAM (``tmpfs``, ``overlay``: the data partition did not
    mount), else None."""
    try:
        lines = Path(mountinfo).read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(data_dir)
    best, fstype = "", None
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, fstype = mount_point, line.split(" - ", 1)[1].split()[0]
    return fstype if fstype in ("tmpfs", "overlay", "ramfs") else None


@dataclass
class DataSpace:
    """Free space on the data partition, asked before a recording starts.

    ``reserve_bytes`` stays free for the call log and configuration saves; a recording needs that plus
    ``bytes_per_second`` (16-bit 8 kHz: 16000) times its length limit, or at least ``min_record_seconds``.
    """

    path: Path
    reserve_bytes: int = 2 * 1024 * 1024
    bytes_per_second: int = 16000
    min_record_seconds: int = 10
    statvfs: Callable[[str], os.statvfs_result] = os.statvfs

    def free_bytes(self) -> int:
        try:
            st = self.statvfs(str(self.path))
        except OSError as exc:
            log.error("cannot read free space of %s: %s", self.path, exc)
            return 0
        return st.f_bavail * st.f_frsize

    def can_record(self, seconds: float | None = None) -> bool:
        """True when a recording of ``seconds`` (default ``min_record_seconds``) fits above the reserve."""
        need = self.reserve_bytes + int(self.bytes_per_second * (seconds or self.min_record_seconds))
        return self.free_bytes() >= need

    def recordable_seconds(self) -> float:
        """How many seconds of audio fit above the reserve (0 when full)."""
        return max(0.0, (self.free_bytes() - self.reserve_bytes) / self.bytes_per_second)
