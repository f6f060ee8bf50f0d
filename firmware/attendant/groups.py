"""Ring groups: the ``ring_group`` application (``ring_group:NAME``), a group of extensions one number reaches.

What it is: :class:`RingGroups`. The caller hears "please hold" once, then, by the group's ``strategy``:

* ``ringall`` (the default): every free member's phone rings at once, with the caller's ID, for the group's
  ``ring_timeout``; the first to lift gets the caller and the other phones stop ringing
  (:meth:`firmware.engine.leg.Leg.dial_extensions`). Members who are busy, on do-not-disturb or have no
  working phone are skipped; ``forward.always``/``forward.busy`` of a member are followed.
* ``hunt``: the members are rung one after another in the configured order, each for ``ring_timeout``
  (a member who is busy, on do-not-disturb or has no phone is skipped at once); the first to answer is bridged.
* ``memoryhunt``: as ``hunt``, but the list starts from the member who answered last time, so calls spread over
  the team.

Nobody answers (or nobody can be rung) → ``on_no_answer`` (default the operator; ``mailbox:N`` leaves a
message in a shared mailbox).

What it is not: a call queue (no position announcements, no hold music between attempts).
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
        if group.get("strategy", "ringall") == "ringall":
            if await self._ring_all(leg, target, timeout):
                return
        elif await self._hunt(leg, target, timeout):
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

    async def _ring_all(self, leg: Leg, name: str, timeout: float) -> bool:
        """Every member at once; True when someone answered (the call is over by then)."""
        result, number = await leg.dial_extensions(self.order(name), timeout)
        if result == "answered" and number is not None:
            self.last_answered[name] = number
            return True
        return False

    async def _hunt(self, leg: Leg, name: str, timeout: float) -> bool:
        """One member after another; True when someone answered or the caller is gone."""
        for number in self.order(name):
            if self.router.extensions[number].get("dnd"):
                continue
            result = await leg.dial_extension(number, timeout)
            if result == "answered":
                self.last_answered[name] = number
                return True
            if not leg.up:
                return True
        return False
