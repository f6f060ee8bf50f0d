"""Safe file handling for the web UI: atomic writes and names that cannot escape their folder.

Every file the web UI saves goes to a temporary name in the target folder, is fsynced, then renamed over
the final name, so a power cut leaves either the old file or the new one, never half of one. Names that come
from a browser (a prompt name typed in a form, a mailbox number in a URL) pass through :func:`safe_name`,
which accepts only ``[A-Za-z0-9_-]`` (1–64 characters, not starting with ``-``) and refuses everything else
instead of "cleaning" it, so ``../../etc/passwd`` is an error, never a file.

This module does not know what the files mean; see ``webui.audio`` and ``webui.backup`` for that.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")


class BadInput(ValueError):
    """Something a person sent cannot be used; the message says what and what to do."""


def safe_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a plain file-name stem, else raise :class:`BadInput`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadInput(f"The {what} may use only letters, digits, '-' and '_' (1 to 64 characters).")
    return name


def inside(base: Path, *parts: str) -> Path:
    """Join ``parts`` under ``base`` and refuse any result that leaves ``base``."""
    base = Path(base).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise BadInput("That file is outside the box's data folder.")
    return target


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync and rename."""
    path = Path(path)
    tmp = _write_temp(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    fsync_dir(path.parent)


def create_exclusive(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``path`` only if it does not exist yet (atomically); return False if it already did."""
    path = Path(path)
    tmp = _write_temp(path, data, mode)
    try:
        os.link(tmp, path)  # fails with FileExistsError if someone else won the race
    except FileExistsError:
        return False
    finally:
        _unlink_quietly(tmp)
    fsync_dir(path.parent)
    return True


def _write_temp(path: Path, data: bytes, mode: int) -> str:
    """``data`` in a new, fsynced temporary file beside ``path`` (folder created), with ``mode``; its name.

    On any failure the temporary file is removed and the error raised.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
