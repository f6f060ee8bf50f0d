"""The live feed: one background thread follows the daemon's event stream so pages can wait for change.

:class:`LiveFeed` counts events (``seq``) and wakes every waiting request when one arrives; the dashboard's
script long-polls ``/api/live?seq=N`` and gets the fresh state as soon as something happened (or after
``wait`` seconds with nothing new). It keeps the last ``keep`` events for the simulation panel's transcript.

Threads: the feed owns one thread (``start``/``stop``; ``stop`` joins with a timeout). If the daemon is not
reachable the thread retries with a growing pause, waiting on its stop event, never sleeping blindly.
It is not a cache of the daemon's state: every answer asks the daemon for a fresh snapshot.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Callable, Iterator

log = logging.getLogger(__name__)


class LiveFeed:
    """Follows ``events()`` on a thread; ``wait_for(seq, timeout)`` blocks until an event newer than seq."""

    def __init__(self, events: Callable[[], Iterator[dict]], keep: int = 200,
                 on_event: Callable[[dict], None] | None = None) -> None:
        self._events = events
        self._on_event = on_event
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._iter: Any = None
        self.seq = 0
        self.recent: deque[dict] = deque(maxlen=keep)

    @property
    def following(self) -> bool:
        """True while the thread holds an open event stream (so ``seq`` moves with every change)."""
        return self._thread is not None and self._iter is not None and not self._stop.is_set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webui-live-feed", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("live feed thread did not stop within %.1f s", timeout)
            self._thread = None

    def wait_for(self, seq: int, timeout: float) -> int:
        """Block until ``self.seq > seq`` or ``timeout`` passes; returns the current seq."""
        with self._cond:
            self._cond.wait_for(lambda: self.seq > seq or self._stop.is_set(), timeout)
            return self.seq

    def publish(self, event: dict) -> None:
        """Record one event and wake the waiters (the thread calls this; tests may too)."""
        if self._on_event is not None:
            self._on_event(event)
        with self._cond:
            self.seq += 1
            self.recent.append({"seq": self.seq, **event})
            self._cond.notify_all()

    def _follow(self, stream: Any) -> None:
        """Read events until stopped; a stream with ``next(timeout)`` is polled so stop is prompt."""
        if hasattr(stream, "next"):
            while not self._stop.is_set():
                event = stream.next(0.5)
                if event is not None:
                    self.publish(event)
            return
        for event in stream:
            if self._stop.is_set():
                return
            self.publish(event if isinstance(event, dict) else {"event": event})

    def _run(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                self._iter = self._events()
                self.publish({"event": "feed_started"})  # anything cached before now may be stale
                self._follow(self._iter)
                pause = 0.5
            except Exception as exc:  # the daemon went away: say so once per pause, then retry
                log.info("live feed: event stream ended (%s); retrying in %.1f s", exc, pause)
            finally:
                stream, self._iter = self._iter, None
                closer = getattr(stream, "close", None)
                if closer is not None:
                    try:
                        closer()
                    except Exception:
                        pass
            self._stop.wait(pause)
            pause = min(pause * 2, 10.0)
