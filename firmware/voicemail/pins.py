"""Mailbox PINs: what a good PIN is, and lockout across calls after repeated wrong PINs.

What it is: :func:`pin_problem` (the rules a new PIN must pass: at least ``min_length`` digits, not the
mailbox number, not one repeated digit, not an ascending or descending run, not a short pattern repeated,
not a well-known PIN) and :class:`PinGuard`, which checks a PIN against the mailbox's and keeps the failure
count **per mailbox in SQLite**, so hanging up and calling again does not reset it. After ``max_attempts``
consecutive failures the mailbox is locked (and an outside caller's number after twice as many, across
mailboxes, so trying mailbox after mailbox does not help) for ``lockout_seconds``; every further lockout doubles the time,
up to ``backoff_max_seconds``. A correct PIN clears the count. Every failure and every lockout is a security
event in SQLite and a warning in the log (fail2ban-style tools can watch either).

:func:`hash_pin` / :func:`verify_pin` keep a PIN changed by phone as a salted PBKDF2 hash; a PIN from the
configuration is compared with :func:`hmac.compare_digest`.

What it is not: the phone dialogue that asks for the PIN (``firmware.voicemail.retrieve``). Times are wall-clock (``clock.wall()``) because lockouts outlive restarts.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Mapping

from drivers.clock import Clock
from firmware.voicemail.index import MessageIndex

log = logging.getLogger("switchboard.security")

COMMON_PINS = frozenset({"123123", "112233", "121212", "123321", "654321", "696969", "111222", "159753",
                         "147258", "258456", "789456", "000000", "999999", "102030", "202020", "131313"})


def pin_problem(pin: str, mailbox: str, min_length: int = 6) -> str | None:
    """Why ``pin`` is not acceptable as a new PIN for ``mailbox``, or None when it is."""
    if not pin.isdigit():
        return "a PIN is digits only"
    if len(pin) < min_length:
        return f"a PIN needs at least {min_length} digits"
    if len(pin) > 10:
        return "a PIN has at most 10 digits"
    if mailbox and mailbox in pin:
        return "a PIN must not contain the mailbox number"
    if len(set(pin)) == 1:
        return "a PIN must not be one digit repeated"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    if steps in ({1}, {9}):
        return "a PIN must not be a run of digits such as 123456"
    for size in (2, 3):
        if len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size):
            return "a PIN must not be a short pattern repeated"
    if pin in COMMON_PINS:
        return "that PIN is one of the most common ones"
    return None


PBKDF2_ROUNDS = 60_000


def _caller_key(caller: str | None) -> str | None:
    """The lockout subject for an outside caller's number (None when withheld or not a number)."""
    if caller and caller.isdigit() and len(caller) >= 3:
        return f"caller:{caller[-15:]}"
    return None


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``pbkdf2$rounds$salt$hash`` (hex) for storing a PIN."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PBKDF2_ROUNDS)
    return f"pbkdf2${PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored`` (a :func:`hash_pin` string, or a plain PIN from the config)."""
    if stored.startswith("pbkdf2$"):
        try:
            _, rounds, salt, digest = stored.split("$")
            got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(rounds)).hex()
        except ValueError:
            return False
        return hmac.compare_digest(got, digest)
    return hmac.compare_digest(pin.encode(), stored.encode())


@dataclass(frozen=True)
class PinCheck:
    """The outcome of one PIN entry: ``ok``, ``locked`` (now locked out), ``retry_after`` seconds."""

    ok: bool
    locked: bool = False
    retry_after: float = 0.0
    failures: int = 0


class PinGuard:
    """PIN checks with lockout across calls; see the module docstring."""

    def __init__(self, index: MessageIndex, clock: Clock, max_attempts: int = 3, lockout_seconds: float = 900,
                 backoff_max_seconds: float = 86400) -> None:
        self.index = index
        self.clock = clock
        self.max_attempts = max_attempts
        self.lockout_seconds = lockout_seconds
        self.backoff_max_seconds = backoff_max_seconds

    @classmethod
    def from_config(cls, index: MessageIndex, clock: Clock, security: Mapping[str, Any] | None) -> "PinGuard":
        sec = security or {}
        return cls(index, clock, int(sec.get("pin_max_attempts", 3)), float(sec.get("pin_lockout_seconds", 900)),
                   float(sec.get("pin_backoff_max_seconds", 86400)))

    def locked_for(self, mailbox: str) -> float:
        """Seconds until the mailbox may be tried again (0: not locked)."""
        _, _, until = self.index.pin_state(mailbox)
        if until is None:
            return 0.0
        return max(0.0, (until - self.clock.wall()).total_seconds())

    def check(self, mailbox: str, entered: str, verify: Callable[[str], bool],
              source: str | None = None, caller: str | None = None) -> PinCheck:
        """Check ``entered`` with ``verify``; records failures, lockouts and security events.

        ``caller`` (an outside caller's number) is counted too, across mailboxes: a caller who tries
        mailbox after mailbox is locked out after ``2 * max_attempts`` wrong PINs in a row."""
        who = _caller_key(caller)
        wait = max(self.locked_for(mailbox), self.locked_for(who) if who else 0.0)
        if wait > 0:
            self._event("pin_locked_attempt", mailbox, source, f"attempt while locked ({wait:.0f} s left)")
            return PinCheck(False, locked=True, retry_after=wait)
        if entered and verify(entered):
            for subject in (mailbox, who):
                if subject and self.index.pin_state(subject)[:2] != (0, 0):
                    self.index.set_pin_state(subject, 0, 0, None)
            return PinCheck(True)
        result = self._fail(mailbox, source, self.max_attempts)
        if who:
            by_caller = self._fail(who, source, 2 * self.max_attempts)
            if by_caller.locked and not result.locked:
                return by_caller
        return result

    def _fail(self, subject: str, source: str | None, limit: int) -> PinCheck:
        failures, lockouts, _ = self.index.pin_state(subject)
        failures += 1
        self._event("pin_failure", subject, source, f"wrong PIN ({failures} in a row)")
        if failures < limit:
            self.index.set_pin_state(subject, failures, lockouts, None)
            return PinCheck(False, failures=failures)
        lockouts += 1
        seconds = min(self.backoff_max_seconds, self.lockout_seconds * 2 ** (lockouts - 1))
        self.index.set_pin_state(subject, 0, lockouts, self.clock.wall() + timedelta(seconds=seconds))
        self._event("pin_lockout", subject, source, f"locked for {seconds:.0f} s after {failures} wrong PINs"
                                                    f" (lockout {lockouts})")
        return PinCheck(False, locked=True, retry_after=seconds, failures=failures)

    def unknown_mailbox(self, number: str, source: str | None = None, caller: str | None = None) -> PinCheck:
        """A login to a mailbox that does not exist: a security event; only the caller's count is kept."""
        self._event("pin_failure", f"unknown:{number[:10]}", source, "login to a mailbox that does not exist")
        who = _caller_key(caller)
        if who is None:
            return PinCheck(False)
        if self.locked_for(who) > 0:
            return PinCheck(False, locked=True, retry_after=self.locked_for(who))
        return self._fail(who, source, 2 * self.max_attempts)

    def _event(self, kind: str, mailbox: str, source: str | None, detail: str) -> None:
        log.warning("security %s mailbox=%s source=%s: %s", kind, mailbox, source or "-", detail)
        self.index.security_event(self.clock.wall(), kind, mailbox, source, detail)
