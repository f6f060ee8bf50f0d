"""Injected time: the one clock every timer, timeout and cadence asks.

What it is: a small :class:`Clock` interface over an asyncio event loop, and :func:`new_virtual_loop`, an
event loop whose time is virtual. In a virtual loop, whenever nothing is ready to run, time jumps straight to
the next scheduled timer instead of waiting, so a three-minute call runs in a fraction of a second and runs
the same way every time. ``asyncio.sleep``, ``asyncio.wait_for`` and ``loop.call_later`` all follow it.

What it is not: a scheduler of its own. Real time is the loop's own ``time()``; nothing here sleeps.

Wall-clock time (for schedules, call-log stamps, caller-ID dates) comes from :meth:`Clock.wall`. A virtual
loop's wall clock starts at the ``epoch`` it was given and advances with virtual time.
"""
from __future__ import annotations

import asyncio
import selectors
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol


class Timer(Protocol):
    """A scheduled callback that can be cancelled (``asyncio.TimerHandle`` satisfies it)."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """What drivers and firmware may ask of time."""

    def now(self) -> float:
        """Monotonic seconds (the loop's time)."""

    def wall(self) -> datetime:
        """Timezone-aware wall-clock time (UTC)."""

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run ``fn(*args)`` on the loop after ``delay`` seconds. Loop thread only."""

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run ``fn(*args)`` on the loop at monotonic time ``when``. Loop thread only."""

    def call_soon_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """Hand ``fn(*args)`` to the loop from any thread."""

    def in_loop_thread(self) -> bool:
        """True when called from the thread that runs the loop."""


class LoopClock:
    """A :class:`Clock` backed by an asyncio loop, real or virtual."""

    def __init__(self, loop: asyncio.AbstractEventLoop, epoch: datetime | None = None) -> None:
        self.loop = loop
        self._t0 = loop.time()
        self._epoch = epoch
        self._thread_id: int | None = None

    @property
    def virtual(self) -> bool:
        return isinstance(self.loop, VirtualTimeLoop)

    def now(self) -> float:
        return self.loop.time()

    def wall(self) -> datetime:
        if self._epoch is None:
            return datetime.now(timezone.utc)
        return self._epoch + timedelta(seconds=self.loop.time() - self._t0)

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.loop.call_later(max(0.0, delay), fn, *args)

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.loop.call_at(when, fn, *args)

    def call_soon_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def bind_thread(self) -> None:
        """Record the current thread as the loop thread (call from inside the running loop)."""
        self._thread_id = threading.get_ident()

    def in_loop_thread(self) -> bool:
        if self._thread_id is None:
            return True
        return threading.get_ident() == self._thread_id


class _VirtualSelector(selectors.BaseSelector):
    """Delegates to a real selector, but turns an idle wait into a jump of virtual time."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()
        self.loop: VirtualTimeLoop | None = None

    def register(self, fileobj, events, data=None):  # type: ignore[no-untyped-def]
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj):  # type: ignore[no-untyped-def]
        return self._real.unregister(fileobj)

    def modify(self, fileobj, events, data=None):  # type: ignore[no-untyped-def]
        return self._real.modify(fileobj, events, data)

    def get_map(self):  # type: ignore[no-untyped-def]
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None):  # type: ignore[no-untyped-def]
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing scheduled at all: only another thread can wake us, so wait for real.
            return self._real.select(None)
        assert self.loop is not None
        self.loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is virtual and jumps ahead whenever the loop would wait."""

    def __init__(self, start: float = 0.0) -> None:
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._virtual_now = start

    def time(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (never backward)."""
        if seconds > 0:
            self._virtual_now += seconds


def new_virtual_loop(start: float = 0.0) -> VirtualTimeLoop:
    """Create a loop that runs in virtual time."""
    return VirtualTimeLoop(start)


def virtual_clock(epoch: datetime | None = None) -> LoopClock:
    """A virtual loop and its clock; the wall clock starts at ``epoch`` (default 2026-01-05 09:00 UTC, a Monday)."""
    loop = new_virtual_loop()
    start = epoch or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    return LoopClock(loop, epoch=start)
