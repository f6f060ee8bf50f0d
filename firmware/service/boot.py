"""Boot: the configuration to start on (the last good one when the document is refused), the GPIO backend check,
and :func:`attach`, which hooks the daemon's start and stop (readiness, watchdog, lifeline, problems reported).

What it is not: the daemon (:mod:`firmware.daemon`) or the configuration loader (:mod:`firmware.config`).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Mapping

from drivers.errors import ConfigError, HardwareError, SwitchboardError
from firmware.lifeline import Lifeline
from firmware.notify import Notifier
from firmware.service.data import DataSpace, store_in_ram, volatile_data
from firmware.service.recovery import recover_recordings
from firmware.service.supervisor import Supervisor

log = logging.getLogger("firmware.service")


def check_gpio_backend(configured: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse to start when the unit's ``SWITCHBOARD_GPIO_BACKEND`` and the board profile disagree."""
    env = os.environ if environ is None else environ
    named = env.get("SWITCHBOARD_GPIO_BACKEND")
    if named and named != configured:
        raise ConfigError(
            f"the service runs the {named!r} GPIO backend but board.gpio_backend is {configured!r}",
            [("board.gpio_backend", f"must be {named!r} on this box (set by SWITCHBOARD_GPIO_BACKEND)")],
        )


LAST_GOOD_NAME = "config.last-good.yaml"
"""The last configuration the box ran on, kept in the data directory."""


def last_good_path(data_dir: Path) -> Path:
    return Path(data_dir) / LAST_GOOD_NAME


def boot_config(args: Any, data_dir: Path, load: Callable[[Any, Path], tuple[Any, Path | None]]
                ) -> tuple[Any, Path | None, list[tuple[str, str]]]:
    """``load(args, data_dir)``; if the document is refused, the last good configuration and the problems.

    Returns ``(config, path, problems)``. ``path`` stays the office's own document, so the next save (from the
    web page) replaces the bad one. Raises the original :class:`ConfigError` when there is no last good one,
    and a :class:`ConfigError` naming ``board.gpio_backend`` when it is not the backend the unit names.
    """
    try:
        config, path = load(args, data_dir)
        problems: list[tuple[str, str]] = []
    except ConfigError as exc:
        fallback = last_good_path(data_dir)
        if getattr(args, "sim", False) and not getattr(args, "config", None) or not fallback.exists():
            raise
        from firmware import config as configuration
        problems = exc.errors or [("document", str(exc))]
        log.error("the configuration was refused (%s); starting on the last good one, %s",
                  "; ".join(f"{p}: {r}" for p, r in problems), fallback)
        config = configuration.load(fallback)
        path = Path(args.config) if getattr(args, "config", None) else Path(data_dir) / "config.yaml"
    if not getattr(args, "sim", False):
        check_gpio_backend(str((config.get("board") or {}).get("gpio_backend")))
    return config, path, problems


def attach(daemon: Any, problems: list[tuple[str, str]] | None = None,
           environ: Mapping[str, str] | None = None) -> Callable[[], "Supervisor | None"]:
    """Make ``daemon`` (:class:`firmware.daemon.Daemon`) a service: hooks on its start and stop.

    On start (ports open, box built, control API served): recordings a crash cut short are kept; the lifeline relay is opened and armed; ``READY=1`` is sent with a
    status line; the health tick (every 0.5 s on the loop) feeds the watchdog and the relay while the media tick
    advances; configuration ``problems`` (from :func:`boot_config`) are reported and light the fault lamp;
    otherwise the configuration is remembered as the last good one. On stop: ``STOPPING=1`` and the relay
    drops. Returns a function giving the :class:`Supervisor` (None before the start).
    """
    env = os.environ if environ is None else environ
    notifier = Notifier(env)
    holder: dict[str, Supervisor] = {}

    def started(d: Any) -> None:
        holder["sup"] = _start_service(d, notifier, problems or [], env)

    def stopping(d: Any) -> None:
        sup = holder.get("sup")
        if sup is not None:
            sup.stopping("stopping: ending calls")
        else:
            notifier.stopping("stopping")
            notifier.close()

    daemon.on_start.append(started)
    daemon.on_stop.append(stopping)
    return lambda: holder.get("sup")


def _start_service(daemon: Any, notifier: Notifier, problems: list[tuple[str, str]],
                   env: Mapping[str, str]) -> Supervisor:
    board = daemon.config.get("board") or {}
    box = daemon.box
    _keep_recordings(daemon)
    lifeline_error = None
    try:
        lifeline = _open_lifeline(daemon, board, env)
    except (HardwareError, OSError, ValueError) as exc:  # the box still runs; the relay stays at rest (safe)
        lifeline, lifeline_error = None, str(exc)
    sup = Supervisor(daemon.clock, notifier, lifeline, tick_seconds=0.5, healthy=_advancing(box.engine.media),
                     space=DataSpace(Path(daemon.data_dir)), on_space=_space_fault(box))
    sup.start()
    if lifeline_error is not None:
        sup.report(f"the lifeline relay cannot be driven ({lifeline_error}): FXS 1 stays joined to FXO 1")
        box.engine.bus.publish("fault", port="lifeline", reason="the lifeline relay cannot be driven")
    volatile = None if daemon.sim else volatile_data(Path(daemon.data_dir))
    if volatile is not None:
        sup.report(f"the data partition is not mounted ({daemon.data_dir} is on {volatile}): settings, the call "
                   "log and messages will be lost at the next restart")
        box.engine.bus.publish("fault", port="data", reason="the data partition is not mounted")
    if store_in_ram(box.store, Path(daemon.data_dir)):
        sup.report("the data partition cannot be written (full or damaged): calls are answered, "
                   "the call log is kept in RAM until it is fixed, messages cannot be recorded")
        box.engine.bus.publish("fault", port="data", reason="the data partition cannot be written",
                               recording=False)
    for path, reason in problems:
        sup.report(f"configuration refused, running on the last good one: {path}: {reason}")
        box.engine.bus.publish("fault", port="config", reason=f"configuration refused: {path}: {reason}")
    ports = sorted(box.engine.ports)
    sup.ports_up(f"{len(ports)} ports ({', '.join(ports)})")
    if not problems and daemon.config_path is not None:
        _remember(daemon)
    return sup


def _advancing(media: Any) -> Callable[[], bool]:
    """Healthy while the engine's media tick has run since the last health tick."""
    seen = [media.ticks]

    def check() -> bool:
        ticks = media.ticks
        moved = ticks != seen[0]
        seen[0] = ticks
        return moved

    return check


def _space_fault(box: Any) -> Callable[[bool], None]:
    """Light (or clear) the fault lamp when the data partition fills (or has room again)."""
    def publish(low: bool) -> None:
        if low:
            box.engine.bus.publish("fault", port="data", reason="the data partition is full",
                                   recording=False)
        else:
            box.engine.bus.publish("fault_cleared", port="data")
    return publish


def _open_lifeline(daemon: Any, board: Mapping[str, Any], env: Mapping[str, str]) -> Lifeline:
    """The lifeline on the simulated office's relay pin, else on a pin of the board's GPIO backend."""
    from firmware.lifeline import open_lifeline
    relay = getattr(getattr(daemon, "office", None), "lifeline", None)
    if relay is not None and hasattr(relay, "pin"):
        return open_lifeline(board, pin=relay.pin, environ=env)
    from drivers.gpio import open_factory
    return open_lifeline(board, open_factory(board, daemon.clock), environ=env)


def _keep_recordings(daemon: Any) -> None:
    kept = recover_recordings(Path(daemon.data_dir), daemon.box.store)
    for mailbox in sorted({p.parent.name for p in kept}):
        daemon.box.engine.bus.publish("mwi", mailbox=mailbox, active=True)


def _remember(daemon: Any) -> None:
    """Keep the configuration the box is now running on as the last good one (a full disk only logs)."""
    from firmware import config as configuration
    try:
        configuration.remember_good(daemon.config, last_good_path(Path(daemon.data_dir)))
    except (SwitchboardError, OSError) as exc:
        log.error("could not keep the last good configuration: %s", exc)
