"""Putting the box together: engine, data store, prompt library, applications and the front panel.

What it is: :func:`build_box` ``(clock, config, data_dir, ports, panel=None)`` → :class:`Box`, used the same
way by the daemon (real time) and the scenario runner (virtual time), so both run the very same office.
Applications are installed by :func:`install_apps`: each package in :data:`APP_PACKAGES` that exists and
exposes ``install(engine, *, data_dir, store, config)`` registers its applications (``menu``,
``voicemail``, feature codes …) on the engine.

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

APP_PACKAGES = ("firmware.voicemail", "firmware.attendant")
"""Packages asked, in order, to install their applications on the engine."""


class Box:
    """The assembled office: ``engine``, ``store``, ``panel`` binding, and where its data lives."""

    def __init__(self, engine: Engine, store: Any, panel: PanelBinding, data_dir: Path,
                 installed: list[str]) -> None:
        self.engine = engine
        self.store = store
        self.panel = panel
        self.data_dir = data_dir
        self.installed = installed

    def start(self) -> None:
        """Start the engine and the panel binding (loop thread)."""
        self.engine.start()
        opener = getattr(self.panel.panel, "open", None)
        if callable(opener):
            opener()
        self.panel.start()

    async def stop(self) -> None:
        """End calls, stop the engine and close the store."""
        self.panel.stop()
        await self.engine.stop()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()


def open_store(clock: Clock, data_dir: Path) -> Any:
    """The SQLite store under ``data_dir`` (``switchboard.db``)."""
    from firmware.store import Store
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.for_clock(data_dir / "switchboard.db", clock)
    try:
        store.end_interrupted_calls()
    except Exception:
        log.exception("could not close call-log rows left open by an unclean stop")
    return store


def prompt_library(data_dir: Path) -> Any:
    """The shipped prompts, with the office's own recordings (``<data>/prompts``) first."""
    from firmware.prompts.library import PromptLibrary
    return PromptLibrary(data_dir / "prompts")


def install_apps(engine: Engine, *, data_dir: Path, store: Any, config: Any) -> list[str]:
    """Ask each application package to register itself; returns the packages that did."""
    installed = []
    for name in APP_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                log.warning("application package %s is not present", name)
                continue
            raise
        install = getattr(module, "install", None)
        if install is None:
            log.warning("application package %s has no install(engine, ...)", name)
            continue
        install(engine, data_dir=data_dir, store=store, config=config)
        installed.append(name)
    return installed


def build_box(clock: Clock, config: Mapping[str, Any], data_dir: Path, ports: Mapping[str, Port],
              panel: Any = None, store: Any = None) -> Box:
    """Engine + store + prompts + applications + panel binding over ``ports``."""
    data_dir = Path(data_dir)
    store = store if store is not None else open_store(clock, data_dir)
    engine = Engine(clock, config, store, ports, prompts=prompt_library(data_dir))
    installed = install_apps(engine, data_dir=data_dir, store=store, config=config)
    return Box(engine, store, PanelBinding(engine, panel), data_dir, installed)
