"""The modem port's command thread: runs blocking AT dialogues one at a time, off the event loop.

What it is: :class:`CommandThread`, a single worker thread with a job queue. Jobs are plain callables; a job
that raises is logged and its error handed to ``on_error`` (the port turns it into a fault). The owner starts
it, and ``stop(timeout)`` ends it after the current job and joins it (``ZombieThread`` if it does not end).

What it is not: a scheduler. When a job runs is decided by the port on the loop thread (with the clock).
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from drivers.errors import ZombieThread

log = logging.getLogger(__name__)

Job = Callable[[], None]


class CommandThread:
    def __init__(self, name: str, on_error: Callable[[str, BaseException], None]) -> None:
        self._jobs: queue.Queue[tuple[str, Job] | None] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.busy = False

    def start(self) -> None:
        self._thread.start()

    def submit(self, name: str, job: Job) -> None:
        self._jobs.put((name, job))

    @property
    def backlog(self) -> int:
        return self._jobs.qsize() + (1 if self.busy else 0)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            name, job = item
            self.busy = True
            try:
                job()
            except Exception as exc:  # a failed dialogue is a fault report, never a dead thread
                log.debug("modem job %s failed: %s", name, exc)
                self._on_error(name, exc)
            finally:
                self.busy = False

    def stop(self, timeout: float = 3.0) -> None:
        self._jobs.put(None)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise ZombieThread(f"{self._thread.name} did not stop within {timeout:g} s")
