"""``switchboard run [--sim] [--config PATH] [--data DIR] [--no-web] [--web-port N]``: the daemon.

What it is: ``main(args)`` and :class:`Daemon`. Start-up: load the configuration (``--config``; with ``--sim``
and no ``--config`` the embedded example office; else ``<data>/config.yaml``) — a bad one exits 2 naming each
field's path and the reason; open the data store under ``--data`` (default ``/var/lib/switchboard``; under
``--sim`` a temporary folder removed at exit); build the ports (``--sim``: :class:`drivers.sim.SimOffice`;
otherwise the real FXO/FXS drivers and front panel from the board profile); bring every relay to rest; build
the box (engine, store, prompts, applications, panel binding); serve the control API on a Unix socket
(``$RUNTIME_DIRECTORY/control.sock`` under systemd, else ``<data>/control.sock``); under ``--sim`` start the web UI
as a child process (``switchboard web --socket … --data …``) unless ``--no-web``; print a live log of calls;
run in real time until SIGTERM/SIGINT, then end calls cleanly and stop everything, each with a time bound.

Hooks for the appliance: ``Daemon.on_start`` (called with the daemon once the box is ready), ``on_tick``
(every ``HEALTH_TICK`` seconds; a callback returning False marks the engine unhealthy) and ``on_stop`` (before
the engine stops). :meth:`Daemon.healthy` says whether the media tick is still running on time.

Audio frame deadline misses are counted by the media tick; the live log reports new misses each minute and
the total at exit.

What it is not: the engine or the drivers. Nothing here sleeps; the one child process (the web UI) is owned
here, stopped with SIGTERM and waited for with a timeout (then killed).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, TextIO
from zoneinfo import ZoneInfo

from drivers.clock import LoopClock
from drivers.errors import ConfigError, HardwareError, SwitchboardError
from firmware.engine.assembly import Box, build_box
from firmware.engine.bus import BusEvent

log = logging.getLogger(__name__)

DEFAULT_DATA = Path("/var/lib/switchboard")
HEALTH_TICK = 1.0
MISS_REPORT_EVERY = 60.0
STOP_SECONDS = 5.0
SOCKET_NAME = "control.sock"


class Daemon:
    """The running box; see the module docstring."""

    def __init__(self, config: Any, config_path: Path | None, data_dir: Path, sim: bool, web: bool,
                 web_port: int | None = None, out: TextIO | None = None,
                 load_errors: list[tuple[str, str]] | None = None) -> None:
        self.config = config
        self.load_errors = list(load_errors or [])
        """Why the office's own document was refused at boot (the box runs on the last good one);
        ``config.get`` reports them until a good document is saved."""
        self.config_path = config_path
        self.data_dir = data_dir
        self.sim = sim
        self.web = web
        self.web_port = web_port
        self.out = out or sys.stdout
        self.on_start: list[Callable[["Daemon"], Any]] = []
        self.on_tick: list[Callable[["Daemon"], Any]] = []
        self.on_stop: list[Callable[["Daemon"], Any]] = []
        self.clock: LoopClock | None = None
        self.box: Box | None = None
        self.office: Any = None
        self.server: Any = None
        self.web_process: subprocess.Popen | None = None
        self.ready = False
        self._stop = asyncio.Event()
        self._last_tick_count = 0
        self._misses_reported = 0
        self._timers: list[Any] = []

    # -- lifecycle ----------------------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self.clock = LoopClock(loop)
        self.clock.bind_thread()
        uninstall = _install_signals(loop, self.request_stop)
        try:
            await self.start()
            await self._stop.wait()
        finally:
            await self.stop()
            uninstall()
        return 0

    def request_stop(self, why: str = "stop") -> None:
        log.info("stopping (%s)", why)
        self._stop.set()

    async def start(self) -> None:
        assert self.clock is not None
        ports, panel = self._ports()
        _recover(ports)
        self.box = build_box(self.clock, self.config, self.data_dir, ports, panel)
        self.box.engine.bus.subscribe(self._log_event)
        self.box.start()
        await self._serve_control()
        self._schedule_tick()
        self.ready = True
        for hook in self.on_start:
            hook(self)
        if self.sim and self.web:
            self._start_web()
        self.box.engine.media.reset_stats()   # misses are counted from here on: start-up work is not a call
        self._say(f"ready: {len(ports)} ports ({', '.join(sorted(ports))}); control socket {self.socket_path}"
                  + (f"; applications: {', '.join(sorted(self.box.engine.apps))}"))

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for hook in self.on_stop:
            try:
                hook(self)
            except Exception:
                log.exception("stop hook failed")
        self._stop_web()
        if self.box is not None:
            try:
                await asyncio.wait_for(self.box.stop(), STOP_SECONDS)
            except asyncio.TimeoutError:
                log.error("the engine did not stop within %.0f s", STOP_SECONDS)
            stats = self.box.engine.media.stats()
            self._say(f"stopped; audio frame deadline misses: {stats['misses']} of {stats['ticks']} ticks "
                      f"(worst {stats['worst_late_ms']} ms late)")
            self.box = None
        if self.server is not None:
            await self.server.stop()
            self.server = None
        close = getattr(self.office, "close", None)
        if callable(close):
            close()

    # -- ports --------------------------------------------------------------------------------------
    def _ports(self) -> tuple[dict[str, Any], Any]:
        assert self.clock is not None
        if self.sim:
            from drivers.sim import SimOffice
            self.office = SimOffice(self.clock, self.config)
            start = getattr(self.office, "start", None)
            if callable(start):
                start()
            return dict(self.office.ports), getattr(self.office, "panel", None)
        return real_ports(self.clock, self.config)

    # -- control API --------------------------------------------------------------------------------
    @property
    def socket_path(self) -> Path:
        runtime = os.environ.get("RUNTIME_DIRECTORY")
        base = Path(runtime.split(":")[0]) if runtime else self.data_dir
        return base / SOCKET_NAME

    async def _serve_control(self) -> None:
        from firmware.control.server import ControlServer
        from firmware.engine.control import register_engine_commands
        assert self.box is not None
        self.server = ControlServer(self.socket_path, clock=self.clock)
        self.box.engine.bus.subscribe(self.server.hub.publish_bus_event)
        register_engine_commands(self.server.registry, self.box, self.office if self.sim else None)
        self._register_service_commands()
        self._register_store_commands()
        await self.server.start()

    def _register_service_commands(self) -> None:
        """Commands of the installed services (the schedule's ``schedule.set_mode``/``schedule.status``)."""
        try:
            from firmware.attendant.install import Services, register_control
        except ImportError:
            return
        assert self.box is not None
        for service in self.box.services:
            if isinstance(service, Services):
                register_control(self.server.registry, service)

    def _config_service(self) -> Any:
        """The control API's view of the running configuration, with the problems found at boot."""
        from firmware.config import Config
        from firmware.control.handlers import ConfigService
        assert self.box is not None and self.server is not None
        config = self.config if isinstance(self.config, Config) else Config(self.config)
        return ConfigService(config, self.config_path, publish=self.server.publish,
                             on_change=self.box.engine.reconfigure, load_errors=self.load_errors)

    def _register_store_commands(self) -> None:
        from firmware.control.handlers import register_store_commands
        assert self.box is not None
        service = self._config_service()
        register_store_commands(self.server.registry, store=self.box.store, config_service=service,
                                publish=self.server.publish)

    # -- health -------------------------------------------------------------------------------------
    def _schedule_tick(self) -> None:
        assert self.clock is not None
        self._timers = [self.clock.call_later(HEALTH_TICK, self._tick)]

    def _tick(self) -> None:
        ok = self.healthy()
        for hook in self.on_tick:
            try:
                if hook(self) is False:
                    ok = False
            except Exception:
                log.exception("health hook failed")
        self._report_misses()
        if not ok:
            log.error("the engine is not healthy (media tick stalled)")
        self._schedule_tick()

    def healthy(self) -> bool:
        """True while the media tick keeps running (at least one frame since the last health tick)."""
        if self.box is None:
            return False
        ticks = self.box.engine.media.ticks
        alive = ticks > self._last_tick_count
        self._last_tick_count = ticks
        return alive

    def _report_misses(self) -> None:
        assert self.box is not None and self.clock is not None
        misses = self.box.engine.media.misses
        if misses > self._misses_reported and self.clock.now() % MISS_REPORT_EVERY < HEALTH_TICK:
            self._say(f"audio frame deadline misses: {misses - self._misses_reported} new, {misses} in all")
            self._misses_reported = misses

    # -- web UI child -----------------------------------------------------------------------------
    def _start_web(self) -> None:
        if importlib.util.find_spec("webui") is None:   # looked up, not imported: firmware never imports webui
            self._say("web UI not installed; run with --no-web to silence this")
            return
        cmd = [sys.executable, "-m", "firmware.cli", "web", "--socket", str(self.socket_path),
               "--data", str(self.data_dir)]
        if self.config_path is not None:
            cmd += ["--config", str(self.config_path)]
        if self.web_port is not None:
            cmd += ["--port", str(self.web_port)]
        self.web_process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)  # noqa: S603 - our own CLI
        port = self.web_port or 8443   # `switchboard web`'s default HTTPS port
        self._say(f"web UI started (pid {self.web_process.pid}): open https://localhost:{port}/")

    def _stop_web(self) -> None:
        proc, self.web_process = self.web_process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_SECONDS)

    # -- live log ---------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.out.write(f"switchboard: {text}\n")
        self.out.flush()

    def _log_event(self, event: BusEvent) -> None:
        line = describe(event)
        if line:
            stamp = self.clock.wall().astimezone().strftime("%H:%M:%S") if self.clock else ""
            self.out.write(f"{stamp} {line}\n")
            self.out.flush()


def describe(event: BusEvent) -> str | None:
    """One human line for the live log of calls (None for events not worth a line)."""
    d = event.data
    cid = d.get("caller_id") or {}
    who = " ".join(x for x in (cid.get("number"), cid.get("name")) if x) if isinstance(cid, dict) else ""
    text = {
        "ring": lambda: f"{d['line']} rings ({d['count']})",
        "answer": lambda: f"{d['line']} answered {who or 'no caller ID'} → {d.get('destination')}",
        "missed": lambda: f"{d['line']} missed call {who}".rstrip(),
        "prompt": lambda: f"{d['leg']} hears prompt {d['name']}",
        "digit": lambda: f"{d['port']} pressed {d['digit']}",
        "ringing": lambda: f"extension {d['extension']} ringing for {d['leg']}",
        "dial_result": lambda: f"extension {d['extension']}: {d['result']}",
        "bridge": lambda: f"connected {' ↔ '.join(d.get('ports', []))}",
        "outgoing": lambda: f"extension {d.get('extension')} seized {d['line']}",
        "reorder": lambda: f"{d.get('port')} reorder ({d.get('reason')})",
        "recording_saved": lambda: f"message saved in mailbox {d.get('mailbox')} ({d.get('seconds', '?')} s)",
        "hangup": lambda: f"{d['port']} hung up ({d['by']})",
        "call_end": lambda: f"{d['call']} ended after {d['seconds']} s",
        "fault": lambda: f"FAULT on {d.get('port')}: {d.get('reason')}",
        "fault_cleared": lambda: f"{d.get('port')} fault cleared",
        "night": lambda: f"night mode {'on' if d.get('active') else 'off'}",
        "app_error": lambda: f"application {d.get('app')} failed on {d.get('leg')}: {d.get('error')}",
        "security": lambda: f"SECURITY {d.get('reason')}",
    }.get(event.kind)
    return text() if text else None


def real_ports(clock: LoopClock, config: Any) -> tuple[dict[str, Any], Any]:
    """The real FXO/FXS ports and front panel the board profile describes."""
    from drivers.gpio import open_factory
    from drivers.panel import build_panel

    board = config.get("board") or {}
    factory = open_factory(board, clock)
    office = config.get("office") or {}
    country = str(office.get("country", "US"))
    tz = ZoneInfo(str(office["timezone"])) if office.get("timezone") else None
    ports: dict[str, Any] = {}
    for entry in config.get("lines") or []:
        name = str(entry["port"])
        if name.startswith("modem"):
            from drivers.modem.board import build_modem
            ports[name] = build_modem(name, clock, board)
        elif name.startswith("fxo"):
            from drivers.fxo import build_fxo
            ports[name] = build_fxo(name, clock, factory, board, _audio(clock, board, name), country)
        else:
            raise HardwareError(f"line port {name}: this board has no driver for it (fxo or modem ports only)")
    for entry in config.get("phones") or []:
        from drivers.fxs import build_fxs
        ports[entry["port"]] = build_fxs(entry["port"], clock, factory, board, _audio(clock, board, entry["port"]),
                                         country, tz=tz)
    panel = build_panel(clock, factory, board)
    panel.open()
    return ports, panel


def _audio(clock: LoopClock, board: Any, port: str) -> Any:
    """The port's sound-device channel from the board profile (names only), or silence when it has none."""
    from drivers.audio.base import MemoryChannel
    from drivers.audio.sounddevice_channel import channel_for_port

    channel = channel_for_port(clock, board, port)
    if channel is None:
        log.warning("%s has no audio device in the board profile; it will be silent", port)
        return MemoryChannel()
    return channel


def _recover(ports: dict[str, Any]) -> None:
    try:
        from firmware.service import recover_ports
    except ImportError:
        return
    recover_ports(ports)


def _install_signals(loop: asyncio.AbstractEventLoop, request_stop: Callable[[str], None]) -> Callable[[], None]:
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, request_stop, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests)
            pass

    def uninstall() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return uninstall


def load_config(args: argparse.Namespace, data_dir: Path) -> tuple[Any, Path | None]:
    """The configuration this run uses, and the file it came from (None: the embedded example)."""
    from firmware import config as configuration
    if args.config:
        path = Path(args.config)
    elif args.sim:
        return configuration.load(None), None
    else:
        path = data_dir / "config.yaml"
        if not path.exists():
            raise ConfigError(f"no configuration at {path}; give --config PATH (or run --sim)",
                              [("--config", f"{path} does not exist")])
    return configuration.load(path), path


def main(args: argparse.Namespace) -> int:
    """Run the daemon until SIGTERM/SIGINT; exit 2 on a bad configuration, 1 on a failure to start."""
    from firmware import service  # the appliance: journald, last good config, sd_notify, lifeline relay
    from firmware.journal import configure_logging
    configure_logging(logging.INFO)
    temp = None
    if args.data:
        data_dir = Path(args.data)
    elif args.sim:
        temp = tempfile.mkdtemp(prefix="switchboard-sim-")
        data_dir = Path(temp)
    else:
        data_dir = DEFAULT_DATA
    try:
        config, path, problems = service.boot_config(args, data_dir, load_config)
    except ConfigError as exc:
        print(f"switchboard run: bad configuration: {exc}", file=sys.stderr)
        for field, reason in exc.errors:
            print(f"  {field}: {reason}", file=sys.stderr)
        return 2
    daemon = Daemon(config, path, data_dir, sim=bool(args.sim), web=not getattr(args, "no_web", False),
                    web_port=getattr(args, "web_port", None), load_errors=problems)
    service.attach(daemon, problems)
    try:
        return asyncio.run(daemon.run())
    except SwitchboardError as exc:
        print(f"switchboard run: {exc}", file=sys.stderr)
        return 1
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
