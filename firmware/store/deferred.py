"""Store writes that must not hold up the engine's loop: run them, in order, on the store's writer thread.

What it is: :class:`DeferredWrites`, reached as ``store.later``. ``store.later.log_call(record)`` returns at once;
the call runs on one writer thread owned by the store, in the order submitted. With ``synchronous=FULL`` each
commit waits for the disk (a few milliseconds here, tens on a slow SD card) — longer than the engine's 20 ms
media tick can spare, so the loop hands call-log and security-event writes over. ``flush(timeout)`` waits
until everything submitted so far is written; :meth:`Store.close` flushes and joins the thread.

What it is not: for writes whose result is needed (``add_message`` returns the message id): call those directly.
A failed deferred write is logged with its method name and dropped; the others continue.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from drivers.errors import ZombieThread

log = logging.getLogger("firmware.store")

_STOP = object()


class DeferredWrites:
    """``later.<method>(*args, **kwargs)`` queues ``store.<method>`` for the writer thread."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.failures = 0

    def __getattr__(self, name: str) -> Callable[..., None]:
        method = getattr(self._store, name)
        if not callable(method) or name.startswith("_"):
            raise AttributeError(name)

        def submit(*args: Any, **kwargs: Any) -> None:
            self._start()
            self._queue.put((name, method, args, kwargs))

        return submit

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                name, method, args, kwargs = item
                try:
                    method(*args, **kwargs)
                except Exception:
                    self.failures += 1
                    log.exception("deferred store write %s failed", name)
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every write submitted so far is done; False if that took longer than ``timeout``."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued, then end the thread (joined with ``timeout``; ZombieThread if it hangs)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        if thread.is_alive():
            raise ZombieThread(f"the store's writer thread did not stop within {timeout} s")
