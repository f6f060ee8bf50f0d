"""Applications on legs: registration, destinations, one task per leg, redirect; and the :class:`Call`.

What it is: :class:`AppRunner`, the part of :class:`~firmware.engine.core.Engine` that runs applications
(``register_app``, ``register_feature``, ``start_app``, ``goto``, ``redirect``, the built-in destinations
``extension:N``, ``mailbox:N``, ``operator``, ``hangup``), and :class:`Call`, the legs that belong together.
Destination syntax and calling convention: see :mod:`firmware.engine.core`.

What it is not: the applications themselves (``firmware/attendant``, ``firmware/voicemail``, the desk-phone
dial plan in :mod:`firmware.engine.phones`).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Awaitable, Callable

from firmware.engine.leg import Leg, LegHungUp
from firmware.journal import bind as bind_log_fields

log = logging.getLogger(__name__)

App = Callable[..., Awaitable[None]]

APP_GRACE = 10.0
"""Seconds an application may keep running after its leg hung up before it is cancelled."""


class Call:
    """Legs that belong together, from the first leg until the last one hangs up."""

    def __init__(self, call_id: str, started: float) -> None:
        self.id = call_id
        self.started = started
        self.legs: list[Leg] = []
        self.disposition: str | None = None
        """Set by an application that knows better (``voicemail``); else answered/abandoned by leg count."""
        self.dialled: str | None = None
        """The digits an extension dialled on a line (outgoing calls)."""
        self.answered: float | None = None
        """Wall time (UNIX s) a person or a mailbox answered (see :meth:`Engine.call_answered`)."""

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "since": round(self.started, 3), "legs": [leg.id for leg in self.legs]}


class AppRunner:
    """Application bookkeeping mixed into the engine (it provides ``apps``, ``_tasks``, ``loop``, ``bus``,
    ``office``, ``desk``, ``hangup_leg``, ``_leave_bridge``, ``is_trunk``)."""

    def register_app(self, name: str, fn: App) -> None:
        """Make ``fn(leg, ...)`` reachable as the destination ``name`` / ``name:arg``."""
        self.apps[name] = fn

    def register_feature(self, code: str, destination: str | App) -> None:
        """A desk-phone feature code (``"*97"``) → a destination or an application ``fn(leg)``."""
        self.desk.features[code] = destination

    def start_app(self, leg: Leg, destination: str) -> asyncio.Task:
        """Run ``destination`` on ``leg`` as its own task; the leg is hung up when it returns."""
        task = self.loop.create_task(self._run_leg(leg, destination), name=f"{leg.id}:{destination}")
        self._tasks[leg.id] = task
        return task

    def redirect(self, leg: Leg, destination: str) -> None:
        """Send ``leg`` somewhere else now (transfer, send to voicemail): whatever it is bridged to is
        released, its current application is cancelled and ``destination`` runs on it instead."""
        leg._check()
        if leg.bridge is not None:
            others = [other for other in leg.bridge.legs if other is not leg]
            self._leave_bridge(leg)
            for other in others:
                if other.direction == "internal" or other.call is leg.call and not self.is_trunk(other):
                    self.hangup_leg(other, "transferred")
        leg.vars["redirect"] = destination
        task = self._tasks.get(leg.id)
        if task is None or task.done():
            leg.vars.pop("redirect", None)
            self.start_app(leg, destination)
        else:
            task.cancel()
        self.bus.publish("redirect", leg=leg.id, destination=destination)

    async def _run_leg(self, leg: Leg, destination: str) -> None:
        # this task's log records carry the leg's port, call and id (journal fields PORT, CALL, LEG)
        bind_log_fields(port=leg.port.name, call=leg.call.id if leg.call else None, leg=leg.id)
        try:
            await self.goto(leg, destination)
        except LegHungUp:
            pass
        except asyncio.CancelledError:
            redirect = leg.vars.pop("redirect", None)
            if redirect is not None and leg.up:
                leg.source = None
                self._tasks.pop(leg.id, None)
                self.start_app(leg, redirect)
                return
            raise
        except Exception as exc:
            log.exception("application %s failed on %s", destination, leg.id)
            self.bus.publish("app_error", leg=leg.id, app=destination, error=str(exc) or type(exc).__name__)
        finally:
            if self._tasks.get(leg.id) is asyncio.current_task():
                self._tasks.pop(leg.id, None)
            if leg.up and "redirect" not in leg.vars and leg.id not in self._tasks:
                self.hangup_leg(leg, "app_done")

    async def goto(self, leg: Leg, destination: str) -> None:
        """Run ``destination`` on ``leg`` inline (await it); see the module docstring for the syntax."""
        name, _, arg = destination.partition(":")
        fn = self.apps.get(name)
        if fn is not None:
            if name == "voicemail":   # a mailbox answers: its greeting starts now
                self.call_answered(leg.call)
            await _call_app(fn, leg, arg or None)
            return
        builtin = {"extension": self._builtin_extension, "operator": self._builtin_operator,
                   "hangup": self._builtin_hangup, "mailbox": self._builtin_mailbox}.get(name)
        if builtin is None:
            raise LookupError(f"no application {name!r} (destination {destination!r})")
        await builtin(leg, arg)

    async def _builtin_extension(self, leg: Leg, number: str) -> None:
        result = await leg.dial_extension(number)
        if result in ("busy", "no_answer") and "voicemail" in self.apps and self.office.mailbox_of(number):
            await self.goto(leg, f"voicemail:{self.office.mailbox_of(number)}")

    async def _builtin_operator(self, leg: Leg, _arg: str) -> None:
        if self.office.operator is None:
            raise LookupError("no operator extension is configured")
        await self._builtin_extension(leg, self.office.operator)

    async def _builtin_mailbox(self, leg: Leg, mailbox: str) -> None:
        if "voicemail" not in self.apps:
            raise LookupError("no voicemail application is installed")
        await self.goto(leg, f"voicemail:{mailbox}")

    async def _builtin_hangup(self, leg: Leg, _arg: str) -> None:
        await leg.hangup()


def reap(task: asyncio.Task) -> None:
    if not task.done():
        log.warning("application %s still running after its leg hung up; cancelling", task.get_name())
        task.cancel()


async def _call_app(fn: App, leg: Leg, arg: str | None) -> None:
    if arg is None:
        await fn(leg)
        return
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p for p in params[1:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if positional or any(p.kind == p.VAR_POSITIONAL for p in params[1:]):
        await fn(leg, arg)
    else:
        await fn(leg, target=arg)
