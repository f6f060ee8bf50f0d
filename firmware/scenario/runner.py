"""Running a scenario: the simulated office and the real engine in virtual time, a JSON-lines transcript.

What it is: :class:`ScenarioRunner` ``(scenario, config, out)``. It builds :class:`drivers.sim.SimOffice` and
the box (:func:`firmware.engine.assembly.build_box`) on a virtual-time loop, performs each step as the
outside world (a caller rings a line, presses keys, speaks, hangs up; a desk phone lifts, dials, flashes),
checks each expectation by polling what is observable (bus events after the last matched one, what a caller
or phone hears, lamps, line and phone states) every 20 ms of virtual time until its ``within`` runs out, and
writes every bus event as one JSON line ``{"t": seconds, "event": kind, ...}`` plus a ``step`` line per step
and a final ``passed`` or ``failed`` line. :meth:`run` returns 0 (all held) or 1 (a check failed; the
failure names the step, its line and what was expected).

What it is not: the file format (:mod:`firmware.scenario.loader`, docs/scenarios.md).
"""
from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

import numpy as np

from drivers.clock import LoopClock, virtual_clock
from firmware.engine.assembly import Box, build_box
from firmware.engine.bus import BusEvent
from firmware.scenario.loader import Scenario, Step

log = logging.getLogger(__name__)

POLL = 0.02
LISTEN_POLL = 0.5
"""Checks that listen to audio (tones, silence) look every 500 ms: recognising a cadence costs more."""
DEFAULT_WITHIN = 30.0
DEFAULT_WITHIN_NOT = 5.0
SILENCE_RMS = 150.0


class CheckFailed(Exception):
    def __init__(self, step: Step, reason: str) -> None:
        super().__init__(reason)
        self.step = step
        self.reason = reason


class ScenarioRunner:
    """See the module docstring."""

    def __init__(self, scenario: Scenario, config: Mapping[str, Any], out: TextIO,
                 data_dir: Path | None = None) -> None:
        self.scenario = scenario
        self.config = config
        self.out = out
        self.data_dir = data_dir
        self.events: list[BusEvent] = []
        self.failure: dict[str, Any] | None = None
        self.cursor = 0
        self.callers: dict[str, Any] = {}
        self.office: Any = None
        self.box: Box | None = None
        self.clock: LoopClock | None = None

    # -- running ------------------------------------------------------------------------------------
    def run(self) -> int:
        clock = virtual_clock(self.scenario.start) if self.scenario.start else virtual_clock()
        self.clock = clock
        asyncio.set_event_loop(clock.loop)
        try:
            if self.data_dir is not None:
                return clock.loop.run_until_complete(self._main(clock, Path(self.data_dir)))
            with tempfile.TemporaryDirectory(prefix="switchboard-sim-") as tmp:
                return clock.loop.run_until_complete(self._main(clock, Path(tmp)))
        finally:
            clock.loop.close()
            asyncio.set_event_loop(None)

    async def _main(self, clock: LoopClock, data_dir: Path) -> int:
        from drivers.sim import SimOffice
        self.office = SimOffice(clock, self.config)
        lifeline = getattr(self.office, "lifeline", None)
        if lifeline is not None:  # the box is healthy: the lifeline relay is energised (phone 1 off line 1)
            lifeline.write(True)
        self.box = build_box(clock, self.config, data_dir, self.office.ports, getattr(self.office, "panel", None))
        self.box.engine.bus.subscribe(self._on_event)
        self.box.start()
        failure: tuple[Step | None, str] | None = None
        try:
            await asyncio.wait_for(self._steps(), self.scenario.timeout)
        except CheckFailed as failed:
            failure = (failed.step, failed.reason)
        except asyncio.TimeoutError:
            failure = (None, f"the scenario ran past its timeout of {self.scenario.timeout:g} s")
        except Exception as exc:  # the office itself failed: report it as the failure of this run
            log.exception("scenario run failed")
            failure = (None, f"the simulation failed: {type(exc).__name__}: {exc}")
        finally:
            await self.box.stop()
            self.office.close()
        if failure is not None:
            return self._fail(*failure)
        self._write({"t": self._now(), "event": "passed", "scenario": self.scenario.name})
        return 0

    async def _steps(self) -> None:
        for index, step in enumerate(self.scenario.steps, 1):
            self._write({"t": self._now(), "event": "step", "step": index, "line": step.line,
                         "do": step.kind, "args": _jsonable(step.args)})
            if step.kind in ("expect", "wait_for", "expect_not"):
                await self._check(step)
            else:
                await getattr(self, f"_do_{step.kind}")(step, step.args)

    def _fail(self, step: Step | None, reason: str) -> int:
        record: dict[str, Any] = {"t": self._now(), "event": "failed", "scenario": self.scenario.name,
                                  "reason": reason}
        if step is not None:
            record.update(step=self.scenario.steps.index(step) + 1, line=step.line, expected=step.describe())
        self.failure = record
        self._write(record)
        return 1

    def failure_line(self, record: Mapping[str, Any]) -> str:
        where = f"{self.scenario.path}:{record['line']}: " if "line" in record else f"{self.scenario.path}: "
        return where + (f"{record['expected']}: " if "expected" in record else "") + str(record["reason"])

    # -- transcript -------------------------------------------------------------------------------
    def _now(self) -> float:
        return round(self.clock.now(), 3) if self.clock else 0.0

    def _on_event(self, event: BusEvent) -> None:
        self.events.append(event)
        self._write(event.as_dict())

    def _write(self, record: Mapping[str, Any]) -> None:
        self.out.write(json.dumps(record, default=str, separators=(", ", ": ")) + "\n")

    # -- who is who -------------------------------------------------------------------------------
    def _caller(self, step: Step, name: str) -> Any:
        if name not in self.callers:
            raise CheckFailed(step, f"no caller named {name!r} has called yet")
        return self.callers[name]

    def _phone(self, step: Step, who: str) -> Any:
        phones = self.office.phones
        if who in phones:
            return phones[who]
        ext = self.box.engine.office.extensions.get(who)
        if ext and ext.get("phone") in phones:
            return phones[ext["phone"]]
        for entry in self.box.engine.office.phones:
            if entry.get("label") == who and entry["port"] in phones:
                return phones[entry["port"]]
        raise CheckFailed(step, f"no desk phone {who!r} (give an extension number, a port or a label)")

    def _party(self, step: Step, args: Mapping[str, Any]) -> Any:
        if args.get("phone"):
            return self._phone(step, str(args["phone"]))
        return self._caller(step, str(args["caller"]))

    def _line_port(self, step: Step, line: Any) -> str | None:
        if line is None or line == "any":
            return None
        lines = self.box.engine.lines.lines
        for entry in lines:
            if str(line) in (entry.id, entry.port.name, str(entry.index)):
                return entry.port.name
        raise CheckFailed(step, f"no line {line!r} in this office")

    # -- actions ----------------------------------------------------------------------------------
    async def _do_call(self, step: Step, args: Mapping[str, Any]) -> None:
        name = str(args.get("caller") or "caller")
        cid = None
        if args.get("number") or args.get("name") or args.get("absent"):
            cid = {"number": args.get("number"), "name": args.get("name")}
            if args.get("absent"):
                cid["number_absent"] = str(args["absent"])
        port = self._line_port(step, args.get("line"))
        self.callers[name] = self.office.exchange.call_in(port=port, caller_id=cid)

    async def _do_press(self, step: Step, args: Mapping[str, Any]) -> None:
        party = self._party(step, args)
        if args.get("phone"):
            took = party.dial(args["digits"])
        else:
            took = party.press(args["digits"])
        await _pause(took, 0.2 * len(args["digits"]))

    async def _do_dial(self, step: Step, args: Mapping[str, Any]) -> None:
        phone = self._phone(step, args["phone"])
        mode = args.get("mode", "tone")
        took = phone.dial(args["digits"], mode=mode)
        estimate = (0.2 * len(args["digits"]) if mode == "tone"
                    else sum(0.1 * (int(d) or 10) + 0.7 for d in args["digits"] if d.isdigit()))
        await _pause(took, estimate)

    async def _do_speak(self, step: Step, args: Mapping[str, Any]) -> None:
        took = self._party(step, args).speak(float(args["seconds"]))
        await _pause(took, float(args["seconds"]))

    async def _do_hang_up(self, step: Step, args: Mapping[str, Any]) -> None:
        party = self._party(step, args)
        if args.get("how") and not args.get("phone"):
            party.hang_up(how=args["how"])
        else:
            party.hang_up()
        await asyncio.sleep(POLL)

    async def _do_lift(self, step: Step, args: Mapping[str, Any]) -> None:
        self._phone(step, args["phone"]).lift()
        await asyncio.sleep(POLL)

    async def _do_flash(self, step: Step, args: Mapping[str, Any]) -> None:
        took = self._phone(step, args["phone"]).flash()
        await _pause(took, 0.6)

    async def _do_button(self, step: Step, args: Mapping[str, Any]) -> None:
        hold = float(args.get("hold", 0.1))
        took = self.office.panel.press(args["name"], hold=hold)
        await _pause(took, hold + 0.1)

    async def _do_remote(self, step: Step, args: Mapping[str, Any]) -> None:
        settings = {k: v for k, v in args.items() if k != "number"}
        self.office.exchange.remote(args["number"], **settings)

    async def _do_wait(self, step: Step, args: Mapping[str, Any]) -> None:
        await asyncio.sleep(float(args["seconds"]))

    # -- checks -----------------------------------------------------------------------------------
    async def _check(self, step: Step) -> None:
        args = step.args
        negative = step.kind == "expect_not"
        within = float(args.get("within", DEFAULT_WITHIN_NOT if negative else DEFAULT_WITHIN))
        probe, what = self._probe(step, args)
        poll = LISTEN_POLL if ("tone" in args or "silence" in args) else POLL
        deadline = self.clock.now() + within
        while True:
            if probe():
                if negative:
                    raise CheckFailed(step, f"{what} happened, and it must not")
                return
            if self.clock.now() >= deadline:
                break
            await asyncio.sleep(min(poll, max(POLL, deadline - self.clock.now())))
        if not negative:
            raise CheckFailed(step, f"waited {within:g} s for {what}; it did not happen")

    def _probe(self, step: Step, args: Mapping[str, Any]) -> tuple[Callable[[], bool], str]:
        if "event" in args:
            want = {k: v for k, v in args.items() if k not in ("event", "within")}
            return self._event_probe(str(args["event"]), want), f"event {args['event']} {want or ''}".strip()
        if "prompt" in args:
            want = {"name": args["prompt"]}
            return self._event_probe("prompt", want), f"prompt {args['prompt']}"
        if "ringing" in args:
            phone = self._phone(step, str(args["ringing"]))
            return (lambda: bool(phone.ringing)), f"phone {args['ringing']} ringing"
        if "tone" in args:
            party = self._party(step, args)
            return (lambda: bool(party.hears(args["tone"]))), f"{_who(args)} hearing {args['tone']} tone"
        if "silence" in args:
            return self._silence_probe(step, args), f"{args['silence']} s of silence for {_who(args)}"
        if "led" in args:
            return self._led_probe(args), f"LED {args['led']} {args['pattern']}"
        if "line" in args:
            return self._line_probe(step, args), f"line {args['line']} {args['state']}"
        if "caller_state" in args:
            caller = self._caller(step, str(args["caller_state"]))
            return (lambda: caller.state == args["state"]), f"caller {args['caller_state']} {args['state']}"
        phone = self.box.engine.desk.phone(self._phone_port(step, str(args["phone_state"])))
        return (lambda: phone is not None and phone.state == args["state"]), \
            f"phone {args['phone_state']} {args['state']}"

    def _phone_port(self, step: Step, who: str) -> str:
        phone = self._phone(step, who)
        for port, candidate in self.office.phones.items():
            if candidate is phone:
                return port
        raise CheckFailed(step, f"no desk phone {who!r}")

    def _event_probe(self, kind: str, want: Mapping[str, Any]) -> Callable[[], bool]:
        def probe() -> bool:
            for i in range(self.cursor, len(self.events)):
                event = self.events[i]
                if event.kind == kind and all(_matches(event.data, k, v) for k, v in want.items()):
                    self.cursor = i + 1
                    return True
            return False
        return probe

    def _silence_probe(self, step: Step, args: Mapping[str, Any]) -> Callable[[], bool]:
        party = self._party(step, args)
        need = float(args["silence"])
        quiet_since: list[float | None] = [None]

        def probe() -> bool:
            audio = np.asarray(party.heard(LISTEN_POLL), dtype=np.float64)
            loud = audio.size > 0 and float(np.sqrt(np.mean(audio ** 2))) >= SILENCE_RMS
            now = self.clock.now()
            if loud:
                quiet_since[0] = None
                return False
            if quiet_since[0] is None:
                quiet_since[0] = now
            return now - quiet_since[0] >= need
        return probe

    def _led_probe(self, args: Mapping[str, Any]) -> Callable[[], bool]:
        led, pattern = str(args["led"]), str(args["pattern"])

        def probe() -> bool:
            panel = getattr(self.office, "panel", None)
            shown = getattr(panel, "patterns", None)
            if isinstance(shown, Mapping) and led in shown:
                return str(shown[led]) == pattern
            return self.box.panel.leds.get(led) == pattern
        return probe

    def _line_probe(self, step: Step, args: Mapping[str, Any]) -> Callable[[], bool]:
        port = self._line_port(step, args["line"])
        line = self.box.engine.lines.line_of_port(port) if port else None
        if line is None:
            raise CheckFailed(step, f"no line {args['line']!r}")
        return lambda: line.state == args["state"]


def _who(args: Mapping[str, Any]) -> str:
    return f"phone {args['phone']}" if args.get("phone") else f"caller {args.get('caller')}"


def _matches(data: Mapping[str, Any], key: str, want: Any) -> bool:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    if isinstance(want, list):
        return isinstance(value, list) and [str(v) for v in value] == [str(w) for w in want]
    if isinstance(want, bool) or want is None:
        return value == want
    return str(value) == str(want)


async def _pause(took: Any, estimate: float) -> None:
    seconds = float(took) if isinstance(took, (int, float)) and not isinstance(took, bool) else estimate
    await asyncio.sleep(max(POLL, seconds))


def _jsonable(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items()}
