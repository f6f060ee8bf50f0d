"""A leg: one party's connection to the box (an answered line, a desk phone off hook), and the API
applications are written against.

What it is: :class:`Leg` — ``id``, ``port``, ``caller_id``, ``direction`` (``"in"`` a caller on a line,
``"out"`` a line the box dialled, ``"internal"`` a desk phone), ``engine``, ``call`` — and its awaitables:

``await leg.play(source_or_prompt_name, interruptible=True) -> str | None``
    plays a prompt (by name, through the engine's prompt library) or any audio source; a digit pressed while
    it plays stops it and is returned (a digit typed before it started returns at once). ``None`` when it
    played to the end.
``await leg.play_tone(name, seconds=None, interruptible=False) -> str | None``
    a call-progress tone of the office's country (``dial``, ``ringback``, ``busy``, ``reorder``, ``stutter``,
    ``beep``…); ``seconds=None`` plays until a digit (when interruptible) or the far end hangs up.
``await leg.collect(max_digits, first_timeout, inter_digit_timeout, terminators="#", first="", done=None)``
    digits until ``max_digits``, a terminator (not included), a timeout, or ``done(digits)`` is true.
``await leg.record(sink, max_seconds, stop_digits="#", silence_seconds=None) -> RecordResult``
    what the far end says, frame by frame, into ``sink.write(frame)``. A far-end hang-up *ends* a recording
    (``reason="hangup"``) instead of raising, so the message is kept.
``await leg.dial_extension(number, ring_timeout=None) -> "answered"|"busy"|"no_answer"|"unavailable"``
    rings the extension's phone (country cadence, caller ID); the caller hears ringback; answered → the two
    are bridged until either hangs up.
``await leg.dial_extensions(numbers, ring_timeout=None) -> (result, answered_number)``
    rings the free phones of all ``numbers`` at once (a ring group's ``ringall``); the first lifted is bridged
    with the caller until either hangs up, the others stop ringing. Result ``"answered"`` (with the number),
    ``"no_answer"``, ``"busy"`` or ``"unavailable"`` (number None); see :mod:`firmware.engine.ringall`.
``await leg.sleep(seconds)``, ``await leg.wait_hangup()``, ``await leg.hangup()``, ``leg.flush_digits()``.

Every await raises :class:`LegHungUp` when the far end hangs up (or has already), except ``record``.

What it is not: the audio path. The engine's media tick reads the leg's ``source`` and feeds its ``sink``.
"""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from drivers.errors import SwitchboardError
from drivers.port import FRAME_SECONDS, Port
from firmware.engine.audio import AudioSource, RecordingSink

if TYPE_CHECKING:
    from firmware.engine.core import Call, Engine
    from firmware.engine.bridge import Bridge


class LegHungUp(SwitchboardError):
    """The far end of a leg hung up while an application was waiting on it."""

    def __init__(self, leg: "Leg") -> None:
        super().__init__(f"{leg.id} on {leg.port.name} hung up ({leg.hangup_reason})")
        self.leg = leg


@dataclass
class RecordResult:
    """How a recording ended: ``reason`` is ``digit``, ``hangup``, ``max`` or ``silence``.

    ``trim_seconds`` is how much of the end is not the caller's message (the stop digit's tone, the trailing
    silence) — the sink's owner cuts it before saving.
    """

    reason: str
    seconds: float
    digit: str | None = None
    trim_seconds: float = 0.0


class _Recording:
    def __init__(self, sink: RecordingSink, max_frames: int, silence_frames: int | None,
                 done: asyncio.Future) -> None:
        self.sink = sink
        self.max_frames = max_frames
        self.silence_frames = silence_frames
        self.frames = 0
        self.quiet = 0
        self.done = done


SILENCE_RMS = 200.0
"""Below this RMS (int16 units, about -44 dBFS) a frame counts as silence for ``silence_seconds``."""


class Leg:
    """One party of a call; see the module docstring for the application API."""

    def __init__(self, engine: "Engine", port: Port, direction: str,
                 caller_id: dict[str, Any] | None = None, leg_id: str | None = None) -> None:
        self.engine = engine
        self.port = port
        self.direction = direction
        self.caller_id = caller_id
        self.id = leg_id or engine.new_id("leg")
        self.call: "Call | None" = None
        self.bridge: "Bridge | None" = None
        self.extension: str | None = None
        self.vars: dict[str, Any] = {}
        self.started = engine.clock.now()
        self.hangup_reason: str | None = None
        self.source: AudioSource | None = None
        self.source_done: asyncio.Future | None = None
        self.recording: _Recording | None = None
        self.flash_listeners: list[Callable[["Leg"], None]] = []
        self._loop = engine.loop
        self._gone: asyncio.Future = self._loop.create_future()
        self._digits: deque[tuple[str, float]] = deque()
        self._digit_waiter: asyncio.Future | None = None

    # -- state ------------------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        return not self._gone.done()

    @property
    def hung_up(self) -> bool:
        return self._gone.done()

    def __repr__(self) -> str:
        return f"<Leg {self.id} {self.direction} {self.port.name}{'' if self.up else ' gone'}>"

    def _check(self) -> None:
        if self._gone.done():
            raise LegHungUp(self)

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "port": self.port.name, "direction": self.direction,
                "caller_id": self.caller_id, "extension": self.extension,
                "call": self.call.id if self.call else None, "up": self.up,
                "since": round(self.started, 3)}

    # -- called by the engine -----------------------------------------------------------------------
    def _ended(self, reason: str) -> bool:
        """Mark the leg gone (far end hung up, or hung up by us). False when it already was."""
        if self._gone.done():
            return False
        self.hangup_reason = reason
        self._gone.set_result(reason)
        self.source = None
        if self.recording is not None and not self.recording.done.done():
            self.recording.done.set_result(("hangup", None, 0.0))
        return True

    def _digit(self, digit: str, start: float) -> None:
        self._digits.append((digit, start))
        waiter = self._digit_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _flash(self) -> None:
        for fn in list(self.flash_listeners):
            fn(self)

    def _frame_in(self, frame: np.ndarray) -> None:
        """The far end's audio for this tick (only used while recording)."""
        rec = self.recording
        if rec is None or rec.done.done():
            return
        rec.sink.write(frame)
        rec.frames += 1
        if rec.silence_frames is not None:
            rms = float(np.sqrt(np.mean(frame.astype(np.float64) ** 2)))
            rec.quiet = rec.quiet + 1 if rms < SILENCE_RMS else 0
            if rec.quiet >= rec.silence_frames:
                rec.done.set_result(("silence", None, rec.quiet * FRAME_SECONDS))
                return
        if rec.frames >= rec.max_frames:
            rec.done.set_result(("max", None, 0.0))

    def _source_finished(self) -> None:
        done = self.source_done
        self.source = None
        if done is not None and not done.done():
            done.set_result(None)

    # -- waiting ------------------------------------------------------------------------------------
    async def _wait(self, *futures: asyncio.Future, timeout: float | None = None) -> set:
        self._check()
        done, _ = await asyncio.wait({*futures, self._gone}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        return done

    def _digit_future(self) -> asyncio.Future:
        fut = self._loop.create_future()
        if self._digits:
            fut.set_result(None)
        self._digit_waiter = fut
        return fut

    async def _next_digit(self, timeout: float | None) -> str | None:
        if not self._digits:
            fut = self._digit_future()
            try:
                await self._wait(fut, timeout=timeout)
            finally:
                if not fut.done():
                    fut.cancel()
            self._check()
        return self._digits.popleft()[0] if self._digits else None

    async def _next_digit_or(self, other: "Leg", timeout: float | None) -> str | None:
        """The next digit, or None on timeout or when ``other`` hangs up first."""
        if not self._digits:
            fut = self._digit_future()
            try:
                await self._wait(fut, other._gone, timeout=timeout)
            finally:
                if not fut.done():
                    fut.cancel()
            self._check()
        return self._digits.popleft()[0] if self._digits else None

    def flush_digits(self) -> str:
        """Discard typed-ahead digits; returns them."""
        out = "".join(d for d, _ in self._digits)
        self._digits.clear()
        return out

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (raises :class:`LegHungUp` if the far end hangs up meanwhile)."""
        self._check()
        await self._wait(timeout=seconds)
        self._check()

    async def wait_hangup(self) -> str:
        """Wait until the leg is gone; returns the reason."""
        return await asyncio.shield(self._gone)

    # -- audio out ---------------------------------------------------------------------------------
    def _start(self, source: AudioSource) -> asyncio.Future:
        if self.source_done is not None and not self.source_done.done():
            self.source_done.cancel()
        self.source = source
        self.source_done = self._loop.create_future()
        return self.source_done

    def _stop(self, done: asyncio.Future) -> None:
        if self.source_done is done:
            self.source = None
        if not done.done():
            done.cancel()

    async def _play(self, source: AudioSource, interruptible: bool) -> str | None:
        done = self._start(source)
        try:
            waits = [done]
            if interruptible:
                waits.append(self._digit_future())
            finished = await self._wait(*waits)
            self._check()
            if done in finished or not interruptible:
                return None
            return self._digits.popleft()[0] if self._digits else None
        finally:
            self._stop(done)
            for fut in waits[1:]:
                if not fut.done():
                    fut.cancel()

    async def play(self, what: "AudioSource | str", interruptible: bool = True) -> str | None:
        """Play a prompt by name or an audio source; see the module docstring."""
        self._check()
        if interruptible and self._digits:
            return self._digits.popleft()[0]
        source = self.engine.prompt_source(self, what) if isinstance(what, str) else what
        if source is None:  # a missing prompt is reported and skipped, never drops the caller
            return None
        return await self._play(source, interruptible)

    async def play_tone(self, name: str, seconds: float | None = None,
                        interruptible: bool = False) -> str | None:
        """Play a call-progress tone of the office's country; see the module docstring."""
        self._check()
        if interruptible and self._digits:
            return self._digits.popleft()[0]
        source = self.engine.tone_source(name, seconds)
        self.engine.bus.publish("tone", leg=self.id, tone=name)
        return await self._play(source, interruptible)

    # -- digits ----------------------------------------------------------------------------------
    async def collect(self, max_digits: int, first_timeout: float, inter_digit_timeout: float,
                      terminators: str = "#", first: str = "",
                      done: Callable[[str], bool] | None = None) -> str:
        """Collect digits; see the module docstring."""
        self._check()
        digits = ""
        pending = list(first)
        while len(digits) < max_digits:
            if pending:
                d: str | None = pending.pop(0)
            else:
                d = await self._next_digit(first_timeout if not digits else inter_digit_timeout)
            if d is None:
                break
            if d in terminators:
                break
            digits += d
            if done is not None and done(digits):
                break
        return digits

    # -- recording -------------------------------------------------------------------------------
    async def record(self, sink: RecordingSink, max_seconds: float, stop_digits: str = "#",
                     silence_seconds: float | None = None) -> RecordResult:
        """Record the far end into ``sink``; see the module docstring."""
        self._check()
        self.flush_digits()
        done = self._loop.create_future()
        max_frames = max(1, int(round(max_seconds / FRAME_SECONDS)))
        silence = None if silence_seconds is None else max(1, int(round(silence_seconds / FRAME_SECONDS)))
        rec = _Recording(sink, max_frames, silence, done)
        self.recording = rec
        if self.call is not None and self.call.disposition is None and self.bridge is None:
            self.call.disposition = "voicemail"
            self.engine.call_answered(self.call)   # a mailbox took the call (kept if already answered)
        self.engine.bus.publish("record_start", leg=self.id)
        try:
            while not done.done():
                fut = self._digit_future()
                await asyncio.wait({done, fut}, return_when=asyncio.FIRST_COMPLETED)
                if not fut.done():
                    fut.cancel()
                while self._digits and not done.done():
                    digit, start = self._digits.popleft()
                    if digit in stop_digits:
                        trim = max(0.0, self.engine.clock.now() - start)
                        done.set_result(("digit", digit, trim))
            reason, digit, trim = done.result()
        finally:
            self.recording = None
            if not done.done():
                done.cancel()
        seconds = rec.frames * FRAME_SECONDS
        self.engine.bus.publish("record_stop", leg=self.id, reason=reason, seconds=round(seconds, 2))
        return RecordResult(reason, seconds, digit, min(trim, seconds))

    # -- calls -------------------------------------------------------------------------------------
    async def dial_extension(self, number: str, ring_timeout: float | None = None) -> str:
        """Ring an extension and bridge on answer; see the module docstring."""
        self._check()
        return await self.engine.dial_extension(self, number, ring_timeout)

    async def dial_extensions(self, numbers: Iterable[str],
                              ring_timeout: float | None = None) -> tuple[str, str | None]:
        """Ring several extensions at once, bridge the first to answer; see the module docstring."""
        self._check()
        return await self.engine.desk.dial_extensions(self, numbers, ring_timeout)

    async def hangup(self) -> None:
        """End this leg (releases the line; a desk phone hears reorder until it hangs up)."""
        self.engine.hangup_leg(self, "local")
