"""The health tick: readiness, ``WATCHDOG=1`` and the lifeline heartbeat from the engine's loop, data-space watch.

What it is: :class:`Supervisor`. What it is not: the decision whether the engine is healthy (a callback says)
or the relay itself (:mod:`firmware.lifeline`).
"""
from __future__ import annotations

import logging
from typing import Callable

from drivers.clock import Clock, Timer
from firmware.lifeline import Lifeline
from firmware.notify import Notifier
from firmware.service.data import DataSpace

log = logging.getLogger("firmware.service")


class Supervisor:
    """Readiness, the loop's health tick (watchdog and lifeline heartbeat) and stopping, in one place.

    The daemon creates it, calls :meth:`start` on the loop, :meth:`ports_up` once every port is open, and
    :meth:`stopping` on shutdown. ``healthy`` (optional) is asked on every tick; while it says False the
    watchdog is not fed, so systemd restarts a daemon whose engine is stuck even though its loop still runs.
    """

    SPACE_CHECK_SECONDS = 60.0

    def __init__(self, clock: Clock, notifier: Notifier | None = None, lifeline: Lifeline | None = None,
                 tick_seconds: float | None = None, healthy: Callable[[], bool] | None = None,
                 space: DataSpace | None = None, on_space: Callable[[bool], None] | None = None) -> None:
        self.clock = clock
        self.notifier = notifier or Notifier()
        self.lifeline = lifeline
        self.healthy = healthy
        self.space = space
        self.on_space = on_space
        self.tick_seconds = tick_seconds or self._default_tick()
        self.ready = False
        self.ticks = 0
        self.problems: list[str] = []
        self.space_low = False
        self._next_space_check = 0.0
        self._timer: Timer | None = None

    def _default_tick(self) -> float:
        candidates = [1.0]
        if self.notifier.watchdog_interval():
            candidates.append(self.notifier.watchdog_interval() or 1.0)
        if self.lifeline is not None:
            candidates.append(self.lifeline.stall_seconds / 4)
        return min(candidates)

    def start(self) -> None:
        """Drop the lifeline to rest, start its watcher, and begin ticking on the loop (loop thread)."""
        if self.lifeline is not None:
            self.lifeline.start()
        self.notifier.status("starting: opening ports")
        self._schedule()

    def _schedule(self) -> None:
        self._timer = self.clock.call_later(self.tick_seconds, self._on_timer)

    def _on_timer(self) -> None:
        self.tick()
        self._schedule()

    def tick(self) -> bool:
        """One health tick: feed the watchdog and the lifeline if the engine says it is healthy."""
        ok = True
        if self.healthy is not None:
            try:
                ok = bool(self.healthy())
            except Exception:
                log.exception("health check failed")
                ok = False
        if ok:
            self.ticks += 1
            self.notifier.watchdog()
            if self.lifeline is not None:
                self.lifeline.heartbeat()
        self._check_space()
        return ok

    def _check_space(self) -> None:
        """Every minute: is there room to record? Reported on the change, both ways."""
        if self.space is None or self.clock.now() < self._next_space_check:
            return
        self._next_space_check = self.clock.now() + self.SPACE_CHECK_SECONDS
        low = not self.space.can_record()
        if low == self.space_low:
            return
        self.space_low = low
        if low:
            self.report(f"the data partition is full ({self.space.free_bytes() // 1024} KiB free): "
                        "calls are answered, messages cannot be recorded")
        else:
            log.info("the data partition has room again")
            self.problems = [p for p in self.problems if not p.startswith("the data partition is full")]
            self.notifier.status(self.status_line())
        if self.on_space is not None:
            self.on_space(low)

    def report(self, problem: str) -> None:
        """A problem a person should see (``systemctl status``, the log); the box keeps running."""
        self.problems.append(problem)
        log.error("%s", problem)
        self.notifier.status(self.status_line())

    def status_line(self) -> str:
        state = "ready" if self.ready else "starting"
        if self.ready and self.lifeline is not None and not self.lifeline.energised:
            state += " (lifeline relay at rest)"
        if self.problems:
            return f"{state}; problem: {self.problems[-1]}"
        return state

    def ports_up(self, summary: str = "") -> None:
        """Every configured port is open: energise the lifeline relay, then tell systemd we are ready."""
        self.ready = True
        text = self.status_line() if self.problems else ("ready: " + summary if summary else "ready")
        if self.lifeline is not None:
            self.lifeline.arm()
        self.notifier.ready(text)

    def stopping(self, reason: str = "stopping") -> None:
        """Stop ticking, tell systemd, and drop the lifeline relay (FXS 1 joins FXO 1)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.notifier.stopping(reason)
        self.notifier.close()
        if self.lifeline is not None:
            self.lifeline.stop()
