"""The auto attendant: multi-level menus a caller hears when the box answers.

What it is: :class:`Attendant`, whose :meth:`Attendant.menu` is the ``menu`` application
(``menu:NAME``; no name: ``attendant.menu``). For each menu it plays the greeting of the schedule's state
(``greeting.<state>``; under a manual override the forced mode's greeting; anything missing falls back to
``day``) and lets the caller:

* press an option key → ``extension``, ``ring_group``, ``queue``, ``mailbox``, ``directory``, ``operator``,
  ``info`` (plays its prompt, then the menu again), ``submenu``, ``repeat``, ``previous``, ``hangup``
  (``external`` only under the toll-fraud rule of :mod:`firmware.attendant.routing`);
* dial an extension during any greeting (``dial_by_extension``): a key that could begin an extension number
  waits ``timeouts.inter_digit`` for the next one; a key that is also an option and no further key comes →
  the option;
* press 0 for the operator in every menu (unless the menu gives 0 another option), and * to listen to a
  mailbox (mailbox number and PIN; unless the menu gives * another option);
* interrupt any prompt with a key (barge-in); a key that interrupts the retry prompt or an info message is
  taken as the caller's choice in the menu;
* say nothing (``timeout`` seconds after the greeting) or press a wrong key: the ``timeout_prompt`` /
  ``invalid_prompt`` and the menu again, ``retries`` times, then ``on_fail`` (default: the operator).

A caller who keeps a menu going for ever (info, repeat) is sent to ``on_fail`` after
:data:`MAX_MENU_STEPS` steps, so no port is held indefinitely. On the first menu of a call the schedule's
``destinations.<state>`` (when set and not this menu) is honoured.

What it is not: ringing phones or voicemail (the router, the engine and ``firmware.voicemail``).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Mapping

from firmware.attendant.routing import RouteError, Router, Target
from firmware.engine.leg import Leg

if TYPE_CHECKING:
    from firmware.schedule import Schedule

log = logging.getLogger(__name__)

MAX_MENU_STEPS = 60
STATE_FALLBACK = {"lunch": ("lunch", "day"), "night": ("night", "day"), "holiday": ("holiday", "night", "day"),
                  "day": ("day",)}


def greeting_for(menu: Mapping[str, Any], state: str, forced: str | None = None) -> str:
    """The greeting prompt of ``menu`` in schedule ``state``."""
    greetings = menu.get("greeting") or {}
    if isinstance(greetings, str):
        return greetings
    order: tuple[str, ...]
    if state == "override":
        order = ("override", *STATE_FALLBACK.get(forced or "day", ("day",)))
    else:
        order = STATE_FALLBACK.get(state, (state, "day"))
    for key in order:
        if greetings.get(key):
            return str(greetings[key])
    return "greeting-default"


class Attendant:
    """The ``menu`` application; see the module docstring."""

    def __init__(self, config: Mapping[str, Any], router: Router, schedule: "Schedule | None" = None) -> None:
        self.config = config
        self.router = router
        self.schedule = schedule
        self.menus: dict[str, Mapping[str, Any]] = dict(config.get("menus") or {})
        self.entry = str((config.get("attendant") or {}).get("menu", "main"))
        self.inter_digit = float((config.get("timeouts") or {}).get("inter_digit", 3))
        self.destinations = dict((config.get("schedule") or {}).get("destinations") or {})

    def state(self) -> tuple[str, str | None]:
        if self.schedule is None:
            return "day", None
        return self.schedule.state(), self.schedule.forced

    async def menu(self, leg: Leg, target: str | None = None) -> None:
        """Run the attendant on ``leg`` starting at menu ``target``."""
        name = target or self.entry
        if name not in self.menus:
            log.error("menu %r does not exist; sending the caller to the operator", name)
            await self._final(leg, "operator")
            return
        if await self._scheduled_elsewhere(leg, name):
            return
        await self._walk(leg, [name])

    async def _scheduled_elsewhere(self, leg: Leg, name: str) -> bool:
        if leg.vars.get("attendant_entered"):
            return False
        leg.vars["attendant_entered"] = True
        state, _ = self.state()
        dest = self.destinations.get(state)
        if not dest or dest == f"menu:{name}":
            return False
        log.info("%s: schedule state %s routes to %s", leg.id, state, dest)
        await self._final(leg, dest)
        return True

    async def _walk(self, leg: Leg, stack: list[str]) -> None:
        failures = 0
        for _ in range(MAX_MENU_STEPS):
            menu = self.menus[stack[-1]]
            key = await self._greet_and_listen(leg, menu)
            outcome = await self._handle(leg, menu, stack, key)
            if outcome == "done":
                return
            if outcome in ("invalid", "timeout"):
                failures += 1
                if failures > int(menu.get("retries", 2)):
                    await self._final(leg, str(menu.get("on_fail", "operator")))
                    return
                prompt = menu.get("invalid_prompt" if outcome == "invalid" else "timeout_prompt")
                leg.flush_digits()
                key = await leg.play(str(prompt or ("menu-invalid" if outcome == "invalid" else "menu-no-input")))
                leg.vars["attendant_key"] = key
                continue
            failures = 0 if outcome == "moved" else failures
        log.warning("%s: attendant ran %d steps; ending at on_fail", leg.id, MAX_MENU_STEPS)
        await self._final(leg, str(self.menus[stack[-1]].get("on_fail", "operator")))

    async def _greet_and_listen(self, leg: Leg, menu: Mapping[str, Any]) -> str:
        """Play the greeting; return what the caller keyed ("" = nothing within the timeout)."""
        state, forced = self.state()
        key = leg.vars.pop("attendant_key", None)      # pressed during the prompt before: it answers this menu
        if key is None:
            key = await leg.play(greeting_for(menu, state, forced))
        if key is None:
            key = await leg.collect(1, float(menu.get("timeout", 5)), 0, terminators="")
        if not key:
            return ""
        if menu.get("dial_by_extension", True) and self.router.could_be_extension(key):
            more = await leg.collect(self.router.max_ext_len, self.inter_digit, self.inter_digit,
                                     terminators="#", first=key, done=self._complete_number)
            return more or key
        return key

    def _complete_number(self, digits: str) -> bool:
        return self.router.dialled(digits) is not None and not self.router.could_be_extension(digits)

    async def _handle(self, leg: Leg, menu: Mapping[str, Any], stack: list[str], key: str) -> str:
        """Act on a key; returns ``done``, ``again`` (replay), ``moved``, ``invalid`` or ``timeout``."""
        if key == "":
            return "timeout"
        options = menu.get("options") or {}
        if len(key) == 1 and key in options:
            return await self._option(leg, options[key], stack)
        if key == "0":
            await self._final(leg, "operator")
            return "done"
        if key == "*" and "vm_login" in leg.engine.apps:
            await leg.engine.goto(leg, "vm_login")
            return "done"
        if len(key) > 1 or menu.get("dial_by_extension", True):
            target = self.router.dialled(key) if menu.get("dial_by_extension", True) else None
            if target is not None:
                await self._run(leg, target)
                return "done"
        log.info("%s: invalid entry %r in the attendant", leg.id, key)
        return "invalid"

    async def _option(self, leg: Leg, option: Mapping[str, Any], stack: list[str]) -> str:
        action = str(option.get("action"))
        if action == "repeat":
            return "again"
        if action == "previous":
            if len(stack) > 1:
                stack.pop()
            return "moved"
        if action == "info":
            leg.vars["attendant_key"] = await leg.play(str(option.get("prompt") or "info-hours"))
            return "again"
        if option.get("prompt"):
            await leg.play(str(option["prompt"]))
        if action == "submenu":
            target = str(option.get("target"))
            if target in self.menus:
                stack.append(target)
                return "moved"
            log.error("menu option points at missing menu %r", target)
            return "invalid"
        try:
            target = self.router.option_target(option)
        except RouteError as exc:
            self.router.refuse(leg, f"{action}:{option.get('target', '')}", str(exc))
            return "invalid"
        assert target is not None
        await self._run(leg, target)
        return "done"

    async def _run(self, leg: Leg, target: Target) -> None:
        try:
            await self.router.run(leg, target)
        except RouteError as exc:
            log.error("%s: cannot reach %s: %s; trying the operator", leg.id, target, exc)
            if target.kind != "operator":
                await self._final(leg, "operator")

    def _operator_or_none(self) -> Target | None:
        try:
            return self.router.parse("operator")
        except RouteError:
            return None

    async def _final(self, leg: Leg, destination: str) -> None:
        """Send the caller to a destination string; if it cannot be reached, say so and hang up."""
        try:
            target = self.router.parse(destination)
        except RouteError as exc:
            log.error("%s: destination %r: %s", leg.id, destination, exc)
            target = None
        if target is not None and target.kind == "menu":
            if not leg.vars.get("attendant_final_menu"):
                leg.vars["attendant_final_menu"] = True
                await self._walk(leg, [target.arg])
                return
            log.warning("%s: on_fail menus lead back into each other; sending the caller on", leg.id)
            target = None if destination == "operator" else self._operator_or_none()
        if target is not None:
            try:
                await self.router.run(leg, target)
                return
            except RouteError as exc:
                log.error("%s: cannot reach %s: %s", leg.id, target, exc)
        await leg.play("nobody-available", interruptible=False)
        await leg.hangup()
