"""The web UI's own state under the data folder: admin password hash, session secret, TLS files.

Layout (``<data>/web/``, mode 0700)::

    admin.json     {"hash": "<argon2id>", "set_at": "<ISO time>"}   absent until the first-run wizard ran
    secret_key     32 random bytes signing the session cookie and CSRF tokens (made on first start)
    tls/cert.pem   the box's self-signed certificate (made by webui.tls on first start)
    tls/key.pem

There is no default password: until ``admin.json`` exists, every page leads to the first-run wizard, and
the wizard creates the file exclusively, so two browsers racing through it cannot both win.
This module does not talk to the daemon; the office configuration lives there.
"""
from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from webui.files import atomic_write, create_exclusive

MIN_PASSWORD = 10


class WebState:
    """Files the web UI keeps for itself under ``<data>/web``."""

    def __init__(self, data_dir: str | os.PathLike, hasher: PasswordHasher | None = None) -> None:
        self.dir = Path(data_dir) / "web"
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile

    @property
    def admin_file(self) -> Path:
        return self.dir / "admin.json"

    @property
    def tls_dir(self) -> Path:
        return self.dir / "tls"

    def secret_key(self) -> bytes:
        """The session secret; made once, then read from disk so sessions survive a restart."""
        path = self.dir / "secret_key"
        if not path.exists():
            create_exclusive(path, secrets.token_bytes(32))
        data = path.read_bytes()
        if len(data) < 32:
            raise RuntimeError(f"{path} is damaged (too short); delete it to make a new one")
        return data

    def is_set_up(self) -> bool:
        return self.admin_file.exists()

    def create_admin(self, password: str) -> bool:
        """Set the first admin password; False if one is already set (the wizard already ran)."""
        check_password_strength(password)
        return create_exclusive(self.admin_file, self._record(password))

    def change_password(self, old: str, new: str) -> bool:
        """Replace the admin password after checking the old one; False if the old one is wrong."""
        if not self.verify(old):
            return False
        check_password_strength(new)
        atomic_write(self.admin_file, self._record(new), mode=0o600)
        return True

    def verify(self, password: str) -> bool:
        """True if ``password`` is the admin password (constant-time inside argon2)."""
        try:
            stored = json.loads(self.admin_file.read_text())["hash"]
        except (FileNotFoundError, ValueError, KeyError):
            return False
        try:
            ok = self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if ok and self._hasher.check_needs_rehash(stored):
            atomic_write(self.admin_file, self._record(password), mode=0o600)
        return ok

    def _record(self, password: str) -> bytes:
        record = {"hash": self._hasher.hash(password),
                  "set_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        return json.dumps(record).encode()


def check_password_strength(password: str) -> None:
    """Refuse passwords a neighbour could guess; raises ValueError with the reason."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"The password needs at least {MIN_PASSWORD} characters.")
    if password.lower() in {"password123", "switchboard", "1234567890", "0123456789", "adminadmin"}:
        raise ValueError("That password is too easy to guess; choose another.")
