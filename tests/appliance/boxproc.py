"""`switchboard run --sim` the way systemd runs it, for the fault tests and the appliance benchmark.

What it is: :class:`NotifyListener` (a bound datagram socket standing in for systemd's ``$NOTIFY_SOCKET``),
:class:`DaemonThread` (the real daemon in the test's process, its loop on a thread) and
:class:`BoxProcess` — the daemon in its own process with ``NOTIFY_SOCKET`` and ``RUNTIME_DIRECTORY`` set (so
the control socket and the simulated lifeline relay's mirror are in the runtime directory), a data directory
kept across restarts, and verbs: wait for ``READY=1``, kill, stop, ring a simulated line and wait for the box to
answer, look at the lifeline relay from outside.

What it is not: systemd. A restart is the test calling :meth:`BoxProcess.start` again, as ``Restart=`` would.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from firmware.lifeline import relay_energised

REPO = Path(__file__).resolve().parents[2]


class NotifyListener:
    """Receives sd_notify datagrams like systemd does: a thread drains the socket as they come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, dict[str, str]]] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="notify-listener", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stopping.is_set():
            try:
                data = self.sock.recv(65536).decode()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            msg = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
            with self._cond:
                self.messages.append((time.monotonic(), msg))
                self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def wait_for(self, key: str, value: str | None = None, timeout: float = 30.0,
                 after: float = 0.0) -> dict[str, str] | None:
        """The first message (received after monotonic time ``after``) that sets ``key`` (to ``value``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, msg in self.messages:
                    if t >= after and key in msg and (value is None or msg[key] == value):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def received_at(self, msg: dict[str, str]) -> float:
        with self._cond:
            return next(t for t, m in self.messages if m is msg)

    def sent(self, key: str) -> list[str]:
        with self._cond:
            return [m[key] for _, m in self.messages if key in m]

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        self.sock.close()


class DaemonThread:
    """The real daemon in this process, its loop on a thread of its own (``loop`` once it runs).

    ``wait_ready(supervisor)`` waits for ``READY`` as :func:`firmware.service.attach` reports it; ``stop()`` asks
    the daemon to stop and joins the thread (the caller then checks ``thread.is_alive()``).
    """

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="daemon-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        loop.run_until_complete(self.daemon.run())
        loop.close()

    def wait_ready(self, supervisor: Any, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while supervisor() is None or not supervisor().ready:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the daemon did not become ready"
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.daemon.request_stop, "test")
        self.thread.join(timeout)


class BoxProcess:
    """The daemon in its own process, as systemd would run it (see the module docstring)."""

    def __init__(self, workdir: Path, config: Path | None = None, data: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.run_dir = self.workdir / "run"
        self.data = Path(data) if data is not None else self.workdir / "data"
        self.config = config
        self.extra_env = env or {}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.notify = NotifyListener(self.workdir / "notify.sock")
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.starts = 0

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "control.sock"

    @property
    def mirror(self) -> Path:
        return self.run_dir / "lifeline.state"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"daemon-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        cmd = [sys.executable, "-m", "firmware.cli", "run", "--sim", "--no-web", "--data", str(self.data)]
        if self.config is not None:
            cmd += ["--config", str(self.config)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "WATCHDOG_", "JOURNAL_"))}
        env.update(NOTIFY_SOCKET=str(self.notify.path), RUNTIME_DIRECTORY=str(self.run_dir),
                   WATCHDOG_USEC="10000000", PYTHONUNBUFFERED="1", **self.extra_env)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.started_at = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.run_dir)
        self.notify.clear()

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds from process start to READY=1; AssertionError (with the daemon's log) if it never comes."""
        msg = self.notify.wait_for("READY", "1", timeout, after=self.started_at)
        if msg is None:
            raise AssertionError(f"no READY=1 within {timeout} s; exit {self.poll()}; log:\n{self.log()}")
        return self.notify.received_at(msg) - self.started_at

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """kill -9, and reap it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 15.0) -> tuple[int, float]:
        """SIGTERM as ``systemctl stop`` does; (exit code, seconds it took)."""
        assert self.proc is not None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"the daemon did not stop within {timeout} s after SIGTERM") from None
        return code, time.monotonic() - t0

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.notify.close()

    # -- the outside world ----------------------------------------------------------------------------
    def client(self) -> Any:
        from firmware.control.client import ControlClient
        return ControlClient(str(self.socket_path), timeout=10.0)

    def call_in(self, caller_id: str = "5551234567") -> str:
        with self.client() as c:
            return c.call("sim.call_in", caller_id=caller_id)["caller"]

    def caller_state(self, caller: str) -> str:
        with self.client() as c:
            snap = c.call("snapshot")
        for entry in snap.get("sim", {}).get("callers", []):
            if entry["id"] == caller:
                return entry["state"]
        return "unknown"

    def wait_caller(self, caller: str, state: str, timeout: float = 30.0) -> float:
        """Seconds until the simulated caller reaches ``state`` (e.g. ``connected``: the box answered)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.caller_state(caller) == state:
                return time.monotonic() - t0
            time.sleep(0.05)
        raise AssertionError(f"caller {caller} never reached {state!r}; log:\n{self.log()}")

    def relay_energised(self) -> bool:
        return relay_energised(self.mirror)

    def rss_kib(self) -> int:
        assert self.proc is not None
        return rss_kib(self.proc.pid)


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS, KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def office_config(path: Path, **sections: Any) -> Path:
    """The example office with ``sections`` merged in (one level deep), written to ``path``."""
    import yaml

    from firmware import config as configuration
    doc = yaml.safe_load(configuration.example_text())
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def wait_event(stream: Any, kind: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
    """The next event of ``kind`` (whose fields include ``match``) from a control-API event stream."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = stream.next(max(0.01, deadline - time.monotonic()))
        if event is None:
            break
        data = event.get("data") if isinstance(event.get("data"), dict) else event
        if event.get("event") == kind and all(data.get(k) == v for k, v in match.items()):
            return event
    raise AssertionError(f"no {kind} event {match or ''} within {timeout} s")
