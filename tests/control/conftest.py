"""Fixtures for the control API: a real ControlServer on a temporary socket, its loop running in a thread."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from drivers.clock import LoopClock, new_virtual_loop
from firmware.control import ControlClient, ControlServer


class LoopThread:
    """An asyncio loop (real or virtual time) run by a thread this fixture owns, stopped and joined after."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.clock = LoopClock(loop)
        self.thread = threading.Thread(target=self._run, name="control-test-loop", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.clock.bind_thread()
        self.loop.run_forever()

    def start(self) -> "LoopThread":
        self.thread.start()
        return self

    def run(self, coro: Any, timeout: float = 5.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the loop thread and wait for it."""
        async def wrapper() -> Any:
            return fn(*args, **kwargs)
        return self.run(wrapper())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "the test loop thread did not stop"
        self.loop.close()


@pytest.fixture
def sockdir() -> Iterator[Path]:
    """A short directory for sockets (a Unix socket path must stay under 108 bytes)."""
    d = Path(tempfile.mkdtemp(prefix="sbctl-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(params=["real", "virtual"])
def loop_thread(request) -> Iterator[LoopThread]:
    loop = asyncio.new_event_loop() if request.param == "real" else new_virtual_loop()
    lt = LoopThread(loop).start()
    yield lt
    lt.stop()


@pytest.fixture
def server(loop_thread: LoopThread, sockdir: Path) -> Iterator[ControlServer]:
    srv = ControlServer(sockdir / "control.sock", clock=loop_thread.clock)
    loop_thread.run(srv.start())
    yield srv
    loop_thread.run(srv.stop())


@pytest.fixture
def client(server: ControlServer) -> Iterator[ControlClient]:
    c = ControlClient(server.path, timeout=5.0)
    yield c
    c.close()
