"""The media tick: one call every 20 ms of clock time, scheduled at ``t0 + n * 0.02`` so it never drifts.

What it is: :class:`MediaTick`, which calls ``fn()`` on the loop at each frame deadline and counts deadline
misses — a tick that ran more than one frame late (it should have been the next frame already). After a long
stall (more than ``resync_frames`` late, e.g. the machine was suspended) it re-anchors on the present rather
than firing a burst of catch-up ticks; the skipped frames count as misses.

What it is not: the mixing itself (the engine's ``_tick``) or a thread. It runs on the loop; in virtual time
the loop jumps from deadline to deadline.
"""
from __future__ import annotations

import logging
from typing import Callable

from drivers.clock import Clock, Timer
from drivers.port import FRAME_SECONDS

log = logging.getLogger(__name__)


class MediaTick:
    """Calls ``fn`` every ``period`` seconds of clock time, drift-free, counting missed deadlines."""

    def __init__(self, clock: Clock, fn: Callable[[], None], period: float = FRAME_SECONDS,
                 resync_frames: int = 50) -> None:
        self.clock = clock
        self.fn = fn
        self.period = period
        self.resync_frames = resync_frames
        self.ticks = 0
        self.misses = 0
        self.worst_late = 0.0
        self._t0 = 0.0
        self._n = 0
        self._timer: Timer | None = None

    @property
    def running(self) -> bool:
        return self._timer is not None

    def start(self) -> None:
        if self._timer is not None:
            return
        self._t0 = self.clock.now()
        self._n = 1
        self._timer = self.clock.call_at(self._t0 + self.period, self._run)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run(self) -> None:
        deadline = self._t0 + self._n * self.period
        late = self.clock.now() - deadline
        if late > self.worst_late:
            self.worst_late = late
        if late > self.period:
            self.misses += 1
            behind = int(late / self.period)
            if behind > self.resync_frames:
                log.warning("media tick %.0f ms late; re-anchoring", late * 1000)
                self.misses += behind - 1
                self._t0 = self.clock.now()
                self._n = 0
        self.ticks += 1
        try:
            self.fn()
        except Exception:  # one bad frame must not stop the audio of every call
            log.exception("media tick failed")
        if self._timer is None:  # stopped from inside fn
            return
        self._n += 1
        self._timer = self.clock.call_at(self._t0 + self._n * self.period, self._run)

    def reset_stats(self) -> None:
        """Start counting misses afresh (the daemon does this once start-up work is over)."""
        self.misses = 0
        self.worst_late = 0.0

    def stats(self) -> dict[str, float]:
        return {"ticks": self.ticks, "misses": self.misses, "worst_late_ms": round(self.worst_late * 1000, 2)}
