"""Putting the box together: engine, data store, prompt library, applications and the front panel.

What it is: :func:`build_box` ``(clock, config, data_dir, ports, panel=None)`` → :class:`Box`, used the same
way by the daemon (real time) and the scenario runner (virtual time), so both run the very same office.
Applications are installed by :func:`install_apps`: each module in :data:`APP_INSTALLERS` that exists
exposes ``install(engine, data_dir, store)``, which registers its applications (``menu``, ``voicemail``,
feature codes …) on the engine and may return services with ``start()`` (called after the engine starts)
and ``stop()`` (called before it stops).

What it is not: the choice of ports (the daemon builds SimOffice or the real drivers) or the control API.
"""
from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any, Mapping

from drivers.clock import Clock
from drivers.port import Port
from firmware.engine.core import Engine
from firmware.panel import PanelBinding

log = logging.getLogger(__name__)

APP_INSTALLERS = ("firmware.attendant.install",)
"""Modules asked, in order, to install their applications on the engine."""


class Box:
    """The assembled office: ``engine``, ``store``, ``panel`` binding, and where its data lives."""

    def __init__(self, engine: Engine, store: Any, panel: PanelBinding, data_dir: Path,
                 services: list[Any]) -> None:
        self.engine = engine
        self.store = store
        self.panel = panel
        self.data_dir = data_dir
        self.services = services

    def start(self) -> None:
        """Start the engine and the panel binding (loop thread)."""
        self.engine.start()
        opener = getattr(self.panel.panel, "open", None)
        if callable(opener):
            opener()
        self.panel.start()
        for service in self.services:
            start = getattr(service, "start", None)
            if callable(start):
                start()

    async def stop(self) -> None:
        """End calls, stop the services and the engine, close the store."""
        self.panel.stop()
        for service in reversed(self.services):
            stop = getattr(service, "stop", None)
            if callable(stop):
                try:
                    stop()
                except Exception:
                    log.exception("stopping %r failed", service)
        await self.engine.stop()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()


def open_store(clock: Clock, data_dir: Path) -> Any:
    """The SQLite store under ``data_dir`` (``switchboard.db``)."""
    from firmware.service import open_data_store  # a full data partition falls back to a store in RAM
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_data_store(clock, data_dir)
    try:
        store.end_interrupted_calls()
    except Exception:
        log.exception("could not close call-log rows left open by an unclean stop")
    return store


def prompt_library(data_dir: Path) -> Any:
    """The shipped prompts, with the office's own recordings (``<data>/prompts``) first."""
    from firmware.prompts.library import PromptLibrary
    return PromptLibrary(data_dir / "prompts")


def install_apps(engine: Engine, *, data_dir: Path, store: Any) -> list[Any]:
    """Ask each installer module to register its applications; returns the services they built."""
    services = []
    for name in APP_INSTALLERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                log.warning("applications %s are not present", name)
                continue
            raise
        services.append(module.install(engine, data_dir, store))
    return services


def build_box(clock: Clock, config: Mapping[str, Any], data_dir: Path, ports: Mapping[str, Port],
              panel: Any = None, store: Any = None) -> Box:
    """Engine + store + prompts + applications + panel binding over ``ports``."""
    data_dir = Path(data_dir)
    store = store if store is not None else open_store(clock, data_dir)
    engine = Engine(clock, config, store, ports, prompts=prompt_library(data_dir))
    services = install_apps(engine, data_dir=data_dir, store=store)
    return Box(engine, store, PanelBinding(engine, panel), data_dir, services)
