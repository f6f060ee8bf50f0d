"""Putting the attendant, voicemail, directory and schedule into a running engine.

What it is: :func:`install` ``(engine, data_dir, store=None)`` → :class:`Services`. It builds the prompt
library (office recordings in ``<data>/prompts`` over the rendered catalogue) when the engine has none, the
schedule (its events go on the bus and drive ``engine.set_night``; the override survives restarts in
``<data>/schedule-mode.json``), the voicemail service (index in the engine's store, or ``<data>/switchboard.db``;
message waiting through ``engine.set_message_waiting``; e-mail when ``voicemail.smtp`` is set), and
registers the applications:

=============== ======================================================================================
``menu``        the auto attendant (``menu:NAME``)
``directory``   dial by name
``voicemail``   leave a message (``voicemail:MAILBOX``)
``vm_login``    listen to messages (``vm_login`` or ``vm_login:MAILBOX``)
``schedule_mode`` the day/night feature code (desk phones)
``extension``   ring an extension; busy → its busy greeting, no answer → its mailbox
``operator``    the same for the operator extension
``ring_group``  ring a group's members in turn (``ring_group:NAME``), then its ``on_no_answer``
=============== ======================================================================================

and the desk-phone feature codes ``voicemail.access_code`` (default ``*98``) → ``vm_login`` and
``schedule.feature_code`` (default ``*28``) → ``schedule_mode``. Night mode switched elsewhere (the panel's
day/night button, the engine's control command) becomes a schedule override; a message changed through the
control API (``voicemail`` event) updates its mailbox's lamp. :meth:`Services.stop` stops
the schedule timer and the mailer thread. :func:`register_control` adds ``schedule.set_mode`` (day, night,
auto) and ``schedule.status`` to the control API.

What it is not: the engine or the daemon; the daemon (or a test) calls :func:`install` once after creating
the engine and before starting it.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from firmware.attendant.directory import Directory
from firmware.attendant.groups import RingGroups
from firmware.attendant.menu import Attendant
from firmware.attendant.routing import RouteError, Router
from firmware.attendant.schedule_code import ScheduleCode
from firmware.engine.office import as_mapping
from firmware.prompts import PromptLibrary
from firmware.schedule import Schedule
from firmware.store import Store
from firmware.voicemail.deposit import Deposit
from firmware.voicemail.index import MessageIndex
from firmware.voicemail.mail import Mailer
from firmware.voicemail.mailbox import Voicemail
from firmware.voicemail.pins import PinGuard
from firmware.voicemail.retrieve import Retrieve

log = logging.getLogger(__name__)


class Services:
    """What :func:`install` built, rebuilt from the configuration whenever a new one is applied.

    Calls already running keep the objects they started with; the next call uses the new configuration.
    """

    def __init__(self, engine: Any, data: Path, index: MessageIndex, speak_names: bool = True) -> None:
        self.engine, self.data, self.index, self.speak_names = engine, data, index, speak_names
        self.clock = engine.clock
        self.mailer: Mailer | None = None
        self.storage_full = False      # follows the "data" fault (the appliance watches the free space)
        self._codes: list[str] = []    # desk-phone codes registered for the current configuration
        self._smtp: Any = None
        self._office_name: str | None = None
        self.unsubscribe: Any = None
        self._purge: Any = None
        self._started = False

    def build(self, config: Any, render_names: bool = True) -> None:
        """Create the schedule, voicemail, routing, menus and directory for ``config``; register the apps."""
        engine, data = self.engine, self.data

        def on_schedule(kind: str, **status: Any) -> None:
            engine.bus.publish(kind, **status)
            engine.set_night(bool(status.get("night")))

        self.schedule = Schedule.from_config(engine.clock, config, on_schedule, data / "schedule-mode.json")
        smtp = (config.get("voicemail") or {}).get("smtp")
        office_name = str((config.get("office") or {}).get("name") or "Switchboard")
        if smtp != self._smtp or office_name != self._office_name:   # keep a mailer whose settings stand
            self.mailer = Mailer(smtp, office_name) if smtp else None
            self._smtp, self._office_name = smtp, office_name
        self.voicemail = Voicemail(config, self.index, data, engine.clock, engine.bus.publish, self.mailer,
                                   engine.set_message_waiting)
        self.voicemail.storage_full = self.storage_full
        self.router = router = Router(config, self.voicemail)
        self.attendant = Attendant(config, router, self.schedule)
        self.directory = Directory(config, router, self.voicemail, data / "prompts" / "names")
        if render_names and self.speak_names and _directory_used(config):
            self.directory.render_names()
        guard = PinGuard.from_config(self.index, engine.clock, config.get("security"))

        async def extension_app(leg: Any, target: str) -> None:
            dest = router.parse(f"extension:{target}")
            if dest.kind == "extension":
                await router.connect_extension(leg, dest.arg, announce=None)
            else:
                await router.run(leg, dest)

        async def operator_app(leg: Any, target: str | None = None) -> None:
            try:
                router.parse("operator")
            except RouteError as exc:             # no operator configured: say so rather than fail
                log.error("%s: %s", leg.id, exc)
                await leg.play("nobody-available", interruptible=False)
                await leg.hangup()
                return
            await router.connect_extension(leg, router.operator or "", announce=None)

        for name, app in (("menu", self.attendant.menu), ("directory", self.directory),
                          ("voicemail", Deposit(self.voicemail)), ("vm_login", Retrieve(self.voicemail)),
                          ("schedule_mode", ScheduleCode(self.schedule, guard)),
                          ("extension", extension_app), ("operator", operator_app),
                          ("ring_group", RingGroups(config, router))):
            engine.register_app(name, app)
        for code in self._codes:   # codes of the previous configuration (a group may have been removed)
            engine.desk.features.pop(code, None)
        codes = {str((config.get("voicemail") or {}).get("access_code") or "*98"): "vm_login",
                 str(self.schedule.rules.feature_code or "*28"): "schedule_mode"}
        for group in config.get("ring_groups") or []:   # a group's number is dialable like an extension
            if group.get("number"):
                codes[str(group["number"])] = f"ring_group:{group['name']}"
        for code, destination in codes.items():
            engine.register_feature(code, destination)
        self._codes = list(codes)
        log.info("attendant installed: %d menus, %d mailboxes, schedule %s", len(self.attendant.menus),
                 len(self.voicemail.boxes), self.schedule.state())

    def reconfigure(self, config: Any) -> None:
        """Apply a new configuration: build anew, then stop the old schedule timer (and a replaced mailer)."""
        old_schedule, old_mailer = self.schedule, self.mailer
        self.build(config, render_names=False)
        if self.speak_names and _directory_used(config):   # new names are spoken off the loop (espeak-ng)
            self.engine.loop.run_in_executor(None, self.directory.render_names)
        old_schedule.stop()
        if old_mailer is not None and old_mailer is not self.mailer:
            old_mailer.stop(timeout=1.0)   # it sends what it already queued first
        if self._started:
            self.schedule.start()
            self.voicemail.publish_all_mwi()

    def on_event(self, event: Any) -> None:
        if event.kind == "night":
            self.schedule.follow_night(bool(event.data.get("active")))
        elif event.kind == "voicemail":           # a message changed through the control API (web inbox)
            box = self.voicemail.mailbox(event.data.get("mailbox"))
            if box is not None:
                self.voicemail.update_mwi(box)
        elif event.kind in ("fault", "fault_cleared") and event.data.get("port") == "data":
            full = event.kind == "fault" and event.data.get("recording") is False   # no room for messages
            if full != self.storage_full:
                self.storage_full = self.voicemail.storage_full = full
                log.warning("voicemail recording %s: the data partition %s", "stopped" if full else "resumed",
                            "is full" if full else "has room again")
        elif event.kind == "config_applied":      # a new configuration (web page, config.put, reload)
            try:
                self.reconfigure(as_mapping(self.engine.config))
            except Exception:  # the running attendant stays as it was; the error is in the log
                log.exception("the attendant could not apply the new configuration")

    def snapshot_extra(self) -> dict[str, Any]:
        """What the control API's ``snapshot`` adds from here: the schedule and every mailbox's counts."""
        counts = self.index.store.mwi_counts()   # one query for every mailbox (the dashboard polls this)
        mwi = {number: {key: counts.get(number, {}).get(key, 0) for key in ("new", "saved")}
               for number in self.voicemail.boxes}
        return {"schedule": self.schedule.status(), "mwi": mwi}

    def start(self) -> None:
        """Publish the schedule state and every message lamp; purge old saved messages now and daily."""
        self._started = True
        self.schedule.start()
        self.voicemail.publish_all_mwi()
        self._daily()

    def _daily(self) -> None:
        try:
            self.voicemail.purge_saved()
        except Exception:  # a bad file must not stop the box
            log.exception("purging old saved messages failed")
        if self.clock is not None:
            self._purge = self.clock.call_later(86400.0, self._daily)

    def stop(self) -> None:
        if self.unsubscribe is not None:
            self.unsubscribe()
        if self._purge is not None:
            self._purge.cancel()
        self.schedule.stop()
        if self.mailer is not None:
            self.mailer.stop()


def install(engine: Any, data_dir: Path | str, store: Store | None = None, *, speak_names: bool = True) -> Services:
    """Build the services and register the applications and feature codes; see the module docstring."""
    data = Path(data_dir)
    if engine.prompts is None:
        engine.prompts = PromptLibrary(data / "prompts")
    store = store or engine.store or Store.for_clock(data / "switchboard.db", engine.clock)
    services = Services(engine, data, MessageIndex(store), speak_names)
    services.build(as_mapping(engine.config))
    kinds = ["night", "voicemail", "config_applied", "fault", "fault_cleared"]
    services.unsubscribe = engine.bus.subscribe(services.on_event, kinds=kinds)
    return services


def _directory_used(config: Any) -> bool:
    """Is the directory reachable from any menu or destination (only then are names rendered)?"""
    for menu in (config.get("menus") or {}).values():
        if any(str(o.get("action")) == "directory" for o in (menu.get("options") or {}).values()):
            return True
        if str(menu.get("on_fail", "")) == "directory":
            return True
    dests = list(((config.get("schedule") or {}).get("destinations") or {}).values())
    dests.append(((config.get("trunks") or {}).get("incoming") or {}).get("answer_destination"))
    return "directory" in [str(d) for d in dests]


def register_control(registry: Any, services: Services) -> None:
    """``schedule.set_mode {mode: day|night|auto}`` and ``schedule.status`` on the control API (replacing
    the engine's day/night-only command)."""
    def set_mode(mode: str) -> dict[str, Any]:
        """Force day or night, or follow the schedule again (auto)."""
        return services.schedule.set_mode(mode, "control API")

    def status() -> dict[str, Any]:
        """The schedule state: day, lunch, night, holiday or override, and the effective mode."""
        return services.schedule.status()

    registry.register("schedule.set_mode", set_mode, replace=True, schema={
        "type": "object", "required": ["mode"], "additionalProperties": False,
        "properties": {"mode": {"enum": ["day", "night", "auto"]}}})
    registry.register("schedule.status", status, replace=True,
                      schema={"type": "object", "additionalProperties": False})
