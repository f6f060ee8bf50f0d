"""The call engine: ports, legs, calls, bridges, applications, and the 20 ms media tick that moves audio.

What it is: :class:`Engine` ``(clock, config, store=None, ports=None, prompts=None, tones=None)``. It
subscribes to every port, hands line events to line hunting (:mod:`firmware.lines`) and desk-phone events to
:mod:`firmware.engine.phones`, runs applications on legs (registered by name, one asyncio task per leg),
joins legs with a :class:`~firmware.engine.bridge.Bridge` or :class:`~firmware.engine.bridge.Mixer`, and
publishes everything on :attr:`Engine.bus`.

Destinations (``trunks.incoming.answer_destination``, menu actions) are ``"app"`` or ``"app:arg"``: the
application registered as ``app`` is called as ``app(leg, arg)`` when it takes a second positional parameter,
else ``app(leg, target=arg)``. Built in (an application registered under the same name replaces them):
``extension:N`` (ring it; busy or no answer → ``voicemail:N`` when a voicemail application is registered),
``mailbox:N`` (→ ``voicemail:N``), ``operator``, ``hangup``.

What it is not: the attendant menu or voicemail (applications registered by ``firmware/attendant`` and
``firmware/voicemail``), the drivers, or the control API (the daemon serves the bus and the snapshot).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Awaitable, Callable, Mapping

import numpy as np

from drivers.clock import Clock
from drivers.errors import PortError
from drivers.port import SILENCE, Port, PortEvent
from firmware.engine.audio import ArraySource, AudioSource, ToneSource, next_frame
from firmware.engine.apps import APP_GRACE, App, AppRunner, Call, reap
from firmware.engine.calllog import CallLogging
from firmware.engine.bridge import Bridge, Mixer
from firmware.engine.bus import EventBus
from firmware.engine.leg import Leg
from firmware.engine.media import MediaTick
from firmware.engine.office import OfficeView
from firmware.engine.prompts import PromptLibrary, PromptMissing

log = logging.getLogger(__name__)

ToneFactory = Callable[[str, str], Any]

AUDIO_FAILURE_RETRY = 60.0
"""A port whose audio raised is reported again at most this often while it keeps failing."""


class Engine(AppRunner, CallLogging):
    """See the module docstring."""

    def __init__(self, clock: Clock, config: Any, store: Any = None,
                 ports: Mapping[str, Port] | None = None, prompts: PromptLibrary | None = None,
                 tones: ToneFactory | None = None) -> None:
        from firmware.engine.limits import CallLimits
        from firmware.engine.parking import Parking
        from firmware.engine.phones import DeskPhones
        from firmware.lines import LineHunter

        self.clock = clock
        self.loop: asyncio.AbstractEventLoop = getattr(clock, "loop", None) or asyncio.get_event_loop()
        self.office = OfficeView(config)
        self.config = config
        self.store = store
        self.ports: dict[str, Port] = dict(ports or {})
        self.prompts = prompts
        self.tone_factory = tones
        self.bus = EventBus(clock)
        self.apps: dict[str, App] = {}
        self.legs: dict[str, Leg] = {}
        self.calls: dict[str, Call] = {}
        self.bridges: list[Bridge] = []
        self.port_sources: dict[str, AudioSource] = {}
        self.night = False
        self.mailboxes_waiting: set[str] = set()
        self.media = MediaTick(clock, self._tick)
        self._leg_at: dict[str, Leg] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._ids = itertools.count(1)
        self._unsubscribe: list[Callable[[], None]] = []
        self.started = False
        self._vmwi_sent: dict[str, bool] = {}
        self._audio_failures: set[str] = set()
        self.lines = LineHunter(self)
        self.desk = DeskPhones(self)
        self.parking = Parking(self)
        self.limits = CallLimits(self)
        self.bus.subscribe(self._on_mwi, kinds=["mwi"])

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the ports, listen to them and start the media tick (loop thread)."""
        if self.started:
            return
        if hasattr(self.clock, "bind_thread"):
            self.clock.bind_thread()
        for port in self.ports.values():
            port.open()
            self._unsubscribe.append(port.subscribe(self._on_port_event))
        self.started = True
        self.media.start()
        self.lines.start()
        self.desk.start()
        self.bus.publish("engine", state="started", ports=sorted(self.ports))

    async def stop(self) -> None:
        """End every call cleanly (lines released, phones stop ringing), stop the tick, close the ports."""
        if not self.started:
            return
        for leg in list(self.legs.values()):
            self.hangup_leg(leg, "shutdown")
        self.desk.stop()
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        self.media.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for port in self.ports.values():
            try:
                port.close()
            except Exception:
                log.exception("closing port %s failed", port.name)
        self.started = False
        self.bus.publish("engine", state="stopped")

    def reconfigure(self, config: Any) -> list[str]:
        """Apply a new configuration to the running office; returns what needs a restart to take effect.

        Extensions, operator, timeouts, trunk settings and menus apply to the next call at once. Adding or
        removing lines or phones (ports) needs a restart.
        """
        new = OfficeView(config)
        later = []
        if [x.get("port") for x in new.lines] != [x.get("port") for x in self.office.lines]:
            later.append("lines")
        if [x.get("port") for x in new.phones] != [x.get("port") for x in self.office.phones]:
            later.append("phones")
        self.office, self.config = new, config
        for phone in self.desk.phones.values():
            phone.extension = new.by_phone.get(phone.port.name)
        self.bus.publish("config_applied", restart_needed=later)
        return later

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    # -- legs and calls -----------------------------------------------------------------------------
    def new_leg(self, port: Port, direction: str, caller_id: dict[str, Any] | None = None,
                call: Call | None = None, extension: str | None = None) -> Leg:
        """A leg on ``port`` (one per port), in ``call`` or a new call."""
        if port.name in self._leg_at:
            raise PortError(f"port {port.name} already has {self._leg_at[port.name].id}")
        leg = Leg(self, port, direction, caller_id)
        leg.extension = extension
        if call is None:
            call = Call(self.new_id("call"), self.clock.now())
            self.calls[call.id] = call
            self._store_call_started(call, port, direction, caller_id, extension)
            self.limits.started(call)
        call.legs.append(leg)
        leg.call = call
        self.legs[leg.id] = leg
        self._leg_at[port.name] = leg
        self.port_sources.pop(port.name, None)
        self.bus.publish("leg", leg=leg.id, port=port.name, direction=direction, call=call.id,
                         caller_id=caller_id, extension=extension)
        return leg

    def leg_at(self, port_name: str) -> Leg | None:
        return self._leg_at.get(port_name)

    def hangup_leg(self, leg: Leg, reason: str) -> None:
        """End ``leg`` (far end gone or hung up by us): unbridge, release its port, log the call."""
        if not leg._ended(reason):
            return
        if leg.bridge is not None:
            self._leave_bridge(leg)
        self.legs.pop(leg.id, None)
        if self._leg_at.get(leg.port.name) is leg:
            del self._leg_at[leg.port.name]
        self.bus.publish("hangup", leg=leg.id, port=leg.port.name, by=reason)
        self.lines.leg_ended(leg)
        self.desk.leg_ended(leg)
        task = self._tasks.get(leg.id)
        if task is not None and not task.done() and asyncio.current_task(self.loop) is not task:
            self.clock.call_later(APP_GRACE, reap, task)
        self._maybe_end_call(leg.call)

    def _maybe_end_call(self, call: Call | None) -> None:
        if call is None or any(leg.up for leg in call.legs) or call.id not in self.calls:
            return
        del self.calls[call.id]
        self.limits.ended(call)
        seconds = round(self.clock.now() - call.started, 2)
        self.bus.publish("call_end", call=call.id, seconds=seconds)
        self._log_call(call, seconds)

    # -- bridging -----------------------------------------------------------------------------------
    def is_trunk(self, leg: Leg) -> bool:
        return self.lines.line_of_port(leg.port.name) is not None

    def bridge(self, *legs: Leg) -> Bridge:
        """Join legs (two: a Bridge; more: a Mixer). Two lines are never joined (toll fraud)."""
        if len(legs) < 2:
            raise ValueError("a bridge needs two legs")
        for leg in legs:
            leg._check()
            if leg.bridge is not None:
                self._leave_bridge(leg)
        if sum(1 for leg in legs if self.is_trunk(leg)) > 1:
            self.bus.publish("security", reason="line_to_line_refused", legs=[leg.id for leg in legs])
            raise PortError("two phone-company lines are never joined together")
        call = legs[0].call
        for leg in legs[1:]:
            if leg.call is not call and call is not None:
                self._move_to_call(leg, call)
        kind = Bridge if len(legs) == 2 else Mixer
        bridge = kind(legs, self.new_id("bridge"))
        for leg in legs:
            leg.bridge = bridge
        self.bridges.append(bridge)
        self.bus.publish("bridge", call=call.id if call else None, bridge=bridge.id,
                         legs=[leg.id for leg in legs], ports=[leg.port.name for leg in legs])
        return bridge

    def _move_to_call(self, leg: Leg, call: Call) -> None:
        old = leg.call
        if old is not None and leg in old.legs:
            old.legs.remove(leg)
            if not old.legs:
                self.calls.pop(old.id, None)
                self.limits.ended(old)
        call.legs.append(leg)
        leg.call = call

    def unbridge(self, bridge: Bridge) -> None:
        if bridge not in self.bridges:
            return
        self.bridges.remove(bridge)
        for leg in bridge.legs:
            if leg.bridge is bridge:
                leg.bridge = None
        self.bus.publish("unbridge", bridge=bridge.id, legs=[leg.id for leg in bridge.legs])

    def _leave_bridge(self, leg: Leg) -> None:
        bridge = leg.bridge
        leg.bridge = None
        if bridge is None:
            return
        if len(bridge.legs) <= 2:
            self.unbridge(bridge)
        else:
            bridge.remove(leg)
            if len(bridge.legs) < 2:
                self.unbridge(bridge)

    # -- audio -----------------------------------------------------------------------------------
    def prompt_source(self, leg: Leg, name: str) -> AudioSource | None:
        """The audio of prompt ``name``; a missing prompt is published and skipped (None)."""
        self.bus.publish("prompt", leg=leg.id, name=name)
        if self.prompts is None:
            self.bus.publish("prompt_missing", leg=leg.id, name=name, reason="no prompt library")
            return None
        try:
            return self.prompts.source(name)
        except PromptMissing as exc:
            log.warning("%s", exc)
            self.bus.publish("prompt_missing", leg=leg.id, name=name, reason=str(exc))
            return None

    def tone_source(self, name: str, seconds: float | None = None) -> AudioSource:
        """A call-progress tone of the office's country."""
        return ToneSource(self.office.country, name, seconds, self.tone_factory)

    def hold_source(self) -> AudioSource:
        """What a held or parked party hears: the prompt ``hold-music`` looped when the office has one, else
        the country's ``beep`` (a short tone every 15 s) so the line is never silent long enough to be taken
        for a dead one."""
        if self.prompts is not None:
            try:
                music = self.prompts.source("hold-music")
            except PromptMissing:
                music = None
            if isinstance(music, ArraySource) and len(music.samples):
                return ArraySource(music.samples, loop=True)
        return self.tone_source("beep")

    def _tick(self) -> None:
        heard: dict[str, Any] = {}
        leg_at = self._leg_at
        for name, port in self.ports.items():
            try:
                frame = port.read_frame()
            except Exception as exc:  # one broken driver must not silence every other call
                self._port_failed(port, "read", exc)
                frame = SILENCE
            leg = leg_at.get(name)
            if leg is not None:
                heard[leg.id] = frame
                if leg.recording is not None:
                    leg._frame_in(frame)
        mixed: dict[str, Any] = {}
        for bridge in self.bridges:
            mixed.update(bridge.mix(heard))
        for name, port in self.ports.items():
            try:
                port.write_frame(self._frame_for(name, leg_at.get(name), mixed))
            except Exception as exc:
                self._port_failed(port, "write", exc)

    def _port_failed(self, port: Port, what: str, exc: Exception) -> None:
        """A port's audio raised: log it once (until it works again) and report it as a fault."""
        if port.name in self._audio_failures:
            return
        self._audio_failures.add(port.name)
        log.error("audio %s on %s failed: %s", what, port.name, exc, exc_info=exc)
        self.bus.publish("fault", port=port.name, reason=f"audio {what} failed: {exc}")
        self.clock.call_later(AUDIO_FAILURE_RETRY, self._audio_failures.discard, port.name)

    def _frame_for(self, name: str, leg: Leg | None, mixed: dict[str, Any]) -> Any:
        if leg is not None:
            source = leg.source
            if source is not None:  # a prompt or tone; while bridged it is heard over the other party
                frame, finished = next_frame(source)
                if finished:
                    leg._source_finished()
                if leg.id in mixed:
                    total = mixed[leg.id].astype(np.int32) + frame
                    return np.clip(total, -32768, 32767).astype(np.int16)
                return frame
            return mixed.get(leg.id, SILENCE)
        source = self.port_sources.get(name)
        if source is None:
            return SILENCE
        frame, finished = next_frame(source)
        if finished:
            self.port_sources.pop(name, None)
        return frame

    # -- port events --------------------------------------------------------------------------------
    def _on_port_event(self, event: PortEvent) -> None:
        if event.kind == "digit":
            self._on_digit(event)
        elif event.kind in ("fault", "fault_cleared"):
            self.bus.publish(event.kind, port=event.port, reason=event.data.get("reason"))
        if self.lines.line_of_port(event.port) is not None:
            self.lines.on_event(event)
        elif self.desk.phone(event.port) is not None:
            self.desk.on_event(event)

    def _on_digit(self, event: PortEvent) -> None:
        leg = self._leg_at.get(event.port)
        digit = str(event.data.get("digit", ""))
        if not self.desk.accepts_digit(event):
            self.bus.publish("digit_ignored", port=event.port, digit=digit, source=event.data.get("source"))
            return
        self.bus.publish("digit", leg=leg.id if leg else None, port=event.port, digit=digit,
                         source=event.data.get("source"))
        if leg is not None and leg.up:
            leg._digit(digit, float(event.data.get("start", event.t)))

    # -- office state ---------------------------------------------------------------------------------
    def set_night(self, active: bool) -> None:
        """Day/night mode (the panel button, the control API, the schedule)."""
        if self.night != bool(active):
            self.night = bool(active)
            self.bus.publish("night", active=self.night)

    def set_message_waiting(self, mailbox: str, active: bool) -> None:
        """A mailbox has (or no longer has) new messages: stutter dial tone, phone lamp, panel.

        Publishes ``mwi``; the engine (and the panel) act on every ``mwi`` event, whoever publishes it
        (the voicemail service publishes its own after each deposit or listen).
        """
        self.bus.publish("mwi", mailbox=str(mailbox), active=bool(active))

    def _on_mwi(self, event: Any) -> None:
        mailbox, active = str(event.data.get("mailbox")), bool(event.data.get("active"))
        if active:
            self.mailboxes_waiting.add(mailbox)
        else:
            self.mailboxes_waiting.discard(mailbox)
        if self._vmwi_sent.get(mailbox) != active:
            self._vmwi_sent[mailbox] = active
            self.desk.update_vmwi(mailbox, active)

    def message_waiting(self, mailbox: str | None) -> bool:
        return mailbox is not None and str(mailbox) in self.mailboxes_waiting

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready view of lines, phones, calls and legs for the control API."""
        return {"t": round(self.clock.now(), 3), "night": self.night,
                "lines": self.lines.snapshot(), "phones": self.desk.snapshot(),
                "calls": [c.snapshot() for c in self.calls.values()],
                "legs": [leg.snapshot() for leg in self.legs.values()],
                "message_waiting": sorted(self.mailboxes_waiting), "media": self.media.stats(),
                "parking": self.parking.snapshot(),
                "ports": [p.snapshot() for p in self.ports.values()]}

    async def dial_extension(self, leg: Leg, number: str, ring_timeout: float | None = None) -> str:
        return await self.desk.dial_extension(leg, number, ring_timeout)

    def wait_any_gone(self, *legs: Leg) -> Awaitable[Any]:
        """Completes when the first of ``legs`` hangs up."""
        return asyncio.wait([leg._gone for leg in legs], return_when=asyncio.FIRST_COMPLETED)
