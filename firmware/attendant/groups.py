"""Ring groups: the ``ring_group`` application (``ring_group:NAME``), a group of extensions one number reaches.

What it is: :class:`RingGroups`. The caller hears "please hold" once; the members are rung one after
another in the configured order (a member who is busy, on do-not-disturb or has no phone is skipped at
once), each for the group's ``ring_timeout``; the first to answer is bridged with the caller. With
``memoryhunt`` the list restarts from the member who answered last time, so calls spread over the team.
Nobody answers → ``on_no_answer`` (default the operator; ``mailbox:N`` leaves a message in a shared mailbox).

What it is not: simultaneous ringing. The engine rings one desk phone per caller at a time, so ``ringall``
is carried out as a hunt in member order (documented in docs/attendant.md) until the engine can ring several.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from firmware.attendant.routing import RouteError, Router
from firmware.engine.leg import Leg

log = logging.getLogger(__name__)


class RingGroups:
    """The ``ring_group`` application; see the module docstring."""

    def __init__(self, config: Mapping[str, Any], router: Router) -> None:
        self.router = router
        self.groups = {str(g["name"]): dict(g) for g in config.get("ring_groups") or []}
        self.last_answered: dict[str, str] = {}

    def order(self, name: str) -> list[str]:
        group = self.groups[name]
        members = [str(m) for m in group.get("members") or [] if str(m) in self.router.extensions]
        last = self.last_answered.get(name)
        if group.get("strategy") == "memoryhunt" and last in members:
            i = members.index(last)
            members = members[i:] + members[:i]
        return members

    async def __call__(self, leg: Leg, target: str | None = None) -> None:
        if target not in self.groups:
            raise RouteError(f"ring group {target!r} does not exist")
        group = self.groups[target]
        timeout = float(group.get("ring_timeout", 20))
        await leg.play("transfer-hold", interruptible=False)
        for number in self.order(target):
            if self.router.extensions[number].get("dnd"):
                continue
            result = await leg.dial_extension(number, timeout)
            if result == "answered":
                self.last_answered[target] = number
                return
            if not leg.up:
                return
        log.info("%s: nobody in ring group %s answered", leg.id, target)
        destination = str(group.get("on_no_answer", "operator"))
        try:
            dest = self.router.parse(destination)
        except RouteError as exc:
            log.error("ring group %s: on_no_answer %s: %s", target, destination, exc)
            dest = self.router.parse("operator")
        await self.router.run(leg, dest)
