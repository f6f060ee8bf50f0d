"""Where an attendant caller may go, and getting them there: the toll-fraud boundary of the box.

What it is: :class:`Router`. It turns a menu option or a destination string (``operator``, ``hangup``,
``directory``, ``menu:NAME``, ``extension:N``, ``ring_group:NAME``, ``queue:NAME``, ``mailbox:N``) into a
:class:`Target` it has **validated against the configuration** — an extension that exists, a mailbox that
exists, a menu that exists — and runs it on a leg: ring the extension (busy → its busy greeting, no answer or
unavailable → its mailbox), the operator (and the operator's mailbox when nobody answers), a mailbox, a ring
group or queue through the application registered under that name.

The toll-fraud rule: a caller from outside reaches only destinations the configuration names. Digits a
caller dials are checked with :func:`valid_digits` and looked up among configured extensions **before** any
dial string is built; nothing here seizes a line or dials an outside number. The single exception is a menu
option ``action: external`` whose target the admin also listed under ``security.allow_external_targets``;
it runs the ``external`` application when one is registered, and is refused (and logged as a security
event) otherwise.

What it is not: the menu dialogue (``firmware.attendant.menu``) or ringing phones (the engine).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from firmware.engine.leg import Leg

if TYPE_CHECKING:
    from firmware.voicemail.mailbox import Voicemail

log = logging.getLogger(__name__)
security_log = logging.getLogger("switchboard.security")

KINDS = ("operator", "hangup", "directory", "menu", "extension", "ring_group", "queue", "mailbox", "external")
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_OUTSIDE = re.compile(r"^\+?[0-9]{3,20}$")


def valid_digits(text: str, max_len: int = 6) -> bool:
    """True when ``text`` is only 0-9 and at most ``max_len`` long (checked before any lookup)."""
    return bool(_DIGITS.match(text)) and len(text) <= max_len


@dataclass(frozen=True)
class Target:
    """A validated destination: ``kind`` (one of :data:`KINDS`) and ``arg``."""

    kind: str
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


class RouteError(LookupError):
    """A destination the configuration does not name (or that the toll-fraud rule refuses)."""


class Router:
    """Validates and runs attendant destinations; see the module docstring."""

    def __init__(self, config: Mapping[str, Any], voicemail: "Voicemail | None" = None) -> None:
        self.config = config
        self.voicemail = voicemail
        self.extensions = {str(e["number"]): dict(e) for e in config.get("extensions") or []}
        self.groups = {str(g["name"]): dict(g) for g in config.get("ring_groups") or []}
        self.group_numbers = {str(g["number"]): str(g["name"]) for g in self.groups.values() if g.get("number")}
        self.queues = {str(q.get("name")): dict(q) for q in config.get("queues") or []}
        self.menus = dict(config.get("menus") or {})
        self.operator = str(config["operator"]) if config.get("operator") is not None else None
        security = config.get("security") or {}
        self.allowed_external = {str(n) for n in security.get("allow_external_targets") or []}
        timeouts = config.get("timeouts") or {}
        self.ring_timeout = float(timeouts.get("extension_ring", 20))
        self.max_ext_len = max([len(n) for n in self.extensions] + [len(n) for n in self.group_numbers] + [1])

    # ----- validation -----
    def parse(self, destination: str) -> Target:
        """A destination string → a validated :class:`Target` (:class:`RouteError` otherwise)."""
        kind, _, arg = str(destination).partition(":")
        return self.check(Target(kind, arg))

    def option_target(self, option: Mapping[str, Any]) -> Target | None:
        """A menu option's destination (None for menu-internal actions: info, submenu, repeat, previous)."""
        action = str(option.get("action"))
        target = str(option.get("target", "") or "")
        if action in ("info", "repeat", "previous"):
            return None
        if action == "submenu":
            return self.check(Target("menu", target))
        return self.check(Target(action, target))

    def check(self, target: Target) -> Target:
        kind, arg = target.kind, target.arg
        if kind not in KINDS:
            raise RouteError(f"unknown destination kind {kind!r}")
        if kind == "operator":
            if self.operator is None or self.operator not in self.extensions:
                raise RouteError("no operator extension is configured")
        elif kind == "extension":
            if not valid_digits(arg, 6) or (arg not in self.extensions and arg not in self.group_numbers):
                raise RouteError(f"extension {arg!r} does not exist")
            if arg in self.group_numbers:
                return Target("ring_group", self.group_numbers[arg])
        elif kind == "mailbox":
            if self.voicemail is not None and self.voicemail.mailbox(arg) is None:
                raise RouteError(f"mailbox {arg!r} does not exist")
            if not valid_digits(arg, 6):
                raise RouteError(f"mailbox {arg!r} is not a mailbox number")
        elif kind == "menu":
            if arg not in self.menus:
                raise RouteError(f"menu {arg!r} does not exist")
        elif kind == "ring_group":
            if arg not in self.groups:
                raise RouteError(f"ring group {arg!r} does not exist")
        elif kind == "queue":
            if arg not in self.queues:
                raise RouteError(f"queue {arg!r} does not exist")
        elif kind == "external":
            if not _OUTSIDE.match(arg) or arg not in self.allowed_external:
                raise RouteError(f"outside number {arg!r} is not in security.allow_external_targets")
        return target

    def dialled(self, digits: str) -> Target | None:
        """Digits a caller dialled during a greeting → an extension or ring group, or None."""
        if not valid_digits(digits, self.max_ext_len):
            return None
        if digits in self.extensions:
            return Target("extension", digits)
        if digits in self.group_numbers:
            return Target("ring_group", self.group_numbers[digits])
        return None

    def could_be_extension(self, digits: str) -> bool:
        """Some extension (or group number) starts with ``digits`` and is longer."""
        return any(n.startswith(digits) and len(n) > len(digits)
                   for n in (*self.extensions, *self.group_numbers))

    # ----- running -----
    async def run(self, leg: Leg, target: Target) -> None:
        """Send the caller to ``target`` (returns when that part of the call is over)."""
        engine = leg.engine
        kind, arg = target.kind, target.arg
        if kind == "extension":
            await self.connect_extension(leg, arg)
        elif kind == "operator":
            await self.connect_extension(leg, self.operator or "", announce="operator-hold")
        elif kind == "mailbox":
            await engine.goto(leg, f"voicemail:{arg}")
        elif kind == "hangup":
            await leg.play("menu-goodbye")
            await leg.hangup()
        elif kind == "external":
            self.check(target)                       # refused here unless the admin listed it
            if "external" not in engine.apps:
                raise RouteError("no application can place outside calls for the attendant")
            await engine.goto(leg, f"external:{arg}")
        else:
            name = {"ring_group": "ring_group", "queue": "queue", "directory": "directory", "menu": "menu"}[kind]
            if name not in engine.apps:
                raise RouteError(f"no {name} application is installed")
            await engine.goto(leg, f"{name}:{arg}" if arg else name)

    async def connect_extension(self, leg: Leg, number: str, announce: str | None = "transfer-hold") -> str:
        """Ring ``number``; busy → its mailbox with the busy greeting, no answer/unavailable → unavailable."""
        ext = self.extensions.get(number)
        if ext is None:
            raise RouteError(f"extension {number!r} does not exist")
        if announce:
            await leg.play(announce, interruptible=False)
        if ext.get("dnd"):
            result = "unavailable"
        else:
            timeout = float(ext.get("ring_timeout") or self.ring_timeout)
            result = await leg.dial_extension(number, timeout)
        if result == "answered" or not leg.up:
            return result
        mailbox = ext.get("mailbox")
        if mailbox and self.voicemail is not None and self.voicemail.mailbox(str(mailbox)) is not None:
            leg.vars["vm_reason"] = "busy" if result == "busy" else "unavailable"
            await leg.engine.goto(leg, f"voicemail:{mailbox}")
        else:
            await leg.play({"busy": "ext-busy", "no_answer": "ext-no-answer"}.get(result, "ext-unavailable"))
        return result

    def refuse(self, leg: Leg, what: str, reason: str) -> None:
        """Log and publish a refused destination (a security event when it aimed outside)."""
        security_log.warning("attendant refused %s for %s: %s", what, leg.id, reason)
        leg.engine.bus.publish("security", reason=f"refused {what}: {reason}", leg=leg.id)
