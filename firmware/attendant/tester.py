"""``switchboard test-menu [--config PATH] [--json]``: call the attendant and try every path.

What it is: :func:`test_menus` and the command's :func:`main`. For every schedule state the office can be in
(day, lunch, night, holiday, manual day and night overrides) it first works out the paths from the
configuration (:mod:`firmware.attendant.paths`: missing recordings, destinations that do not exist, outside
lines, dead ends, loops with no way out), then **places a call for each path on the real engine** in virtual
time (:class:`~firmware.attendant.probe.ProbeOffice`): every option key, 0, no input and a wrong key in every
reachable menu, and records where the caller ended up (an extension ringing, a mailbox recording, a hang-up)
— and any prompt that was missing, any application error, any line the box seized or dialled, any call still
holding a port after the walk. States whose menus and greetings are identical are called once.

Output: a readable report, or with ``--json`` one JSON object ``{"ok", "config", "states", "problems":
[{severity, kind, state, path, detail}], "paths": [{state, path, outcome}]}`` (the web page shows it).
Exit status: 0 no errors (warnings allowed), 1 an error was found, 2 the configuration could not be read.

What it is not: ``check-config`` (which validates the document); a document it refuses is still walked,
with its errors listed first.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from drivers.clock import virtual_clock
from drivers.errors import ConfigError, SwitchboardError
from firmware.attendant.menu import greeting_for
from firmware.attendant.paths import Problem, Step, analyse, schedule_states
from firmware.attendant.probe import ProbeOffice
from firmware.prompts import PromptLibrary

WALK_SECONDS = 150.0
"""Virtual seconds a probe call may take after its key (retries, ringing, the mailbox greeting)."""


@dataclass
class Report:
    config: str
    states: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    paths: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def add(self, problem: Problem) -> None:
        if not any((p.kind, p.path, p.detail) == (problem.kind, problem.path, problem.detail) for p in self.problems):
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "config": self.config, "states": self.states,
                "problems": [p.as_dict() for p in self.problems], "paths": self.paths}

    def text(self) -> str:
        lines = [f"Menu test of {self.config}: {len(self.paths)} paths in {len(self.states)} schedule states "
                 f"({', '.join(self.states)})"]
        for p in self.problems:
            lines.append(f"  {p.severity.upper():7} {p.kind:19} [{p.state}] {p.path}: {p.detail}")
        for path in self.paths:
            lines.append(f"  path    [{path['state']}] {path['path']} -> {path['outcome']}")
        lines.append("OK: no problems found" if self.ok else
                     f"FAILED: {sum(p.severity == 'error' for p in self.problems)} problem(s)")
        return "\n".join(lines)


def _invalid_key(menu: Mapping[str, Any], extensions: list[str]) -> str | None:
    options = set((menu.get("options") or {}).keys())
    for key in "987654321#":
        if key not in options and key != "0" and not any(n.startswith(key) for n in extensions):
            return key
    return None


class Walker:
    """Places one probe call per path; see the module docstring."""

    def __init__(self, config: Mapping[str, Any], prompts_dir: Path | None) -> None:
        self.config = config
        self.prompts_dir = prompts_dir
        self.extensions = [str(e["number"]) for e in config.get("extensions") or []]
        timeouts = config.get("timeouts") or {}
        self.inter_digit = float(timeouts.get("inter_digit", 3))

    def call(self, step: Step, moment: Any, forced: str | None, menu: Mapping[str, Any]) -> tuple[str, list[Problem]]:
        clock = virtual_clock(moment)
        try:
            with tempfile.TemporaryDirectory(prefix="switchboard-menu-test-") as data:
                if self.prompts_dir is not None:
                    (Path(data) / "prompts").symlink_to(self.prompts_dir)
                office = ProbeOffice(clock, self.config, data).start()
                try:
                    if forced:
                        office.services.schedule.set_mode(forced, "menu test")
                    return self._walk(office, step, menu)
                finally:
                    office.stop()
        finally:
            clock.loop.close()

    def _walk(self, office: ProbeOffice, step: Step, menu: Mapping[str, Any]) -> tuple[str, list[Problem]]:
        port = office.call_in(number="5550100", name="MENU TEST")
        office.run(1.0)
        for key in step.keys:
            office.press(key, port)
            office.run(self.inter_digit + 1.0)
        mark = len(office.events)
        if step.key == "invalid":
            bad = _invalid_key(menu, self.extensions)
            if bad is None:
                return "no wrong key left to try", []
            office.press(bad, port)
        elif step.key != "timeout":
            office.press(step.key, port)
        office.run(WALK_SECONDS)
        outcome, problems = self._classify(office, step, mark)
        if office.legs_up():
            office.hang_up(port)
            office.run(2.0)
        return outcome, problems

    def _classify(self, office: ProbeOffice, step: Step, mark: int) -> tuple[str, list[Problem]]:
        events = [e.as_dict() for e in office.events[mark:]]
        where = " > ".join(["answer", *step.keys, step.key])
        problems = []
        for e in events:
            if e["event"] == "prompt_missing":
                problems.append(Problem("error", "missing_recording", step.state, where,
                                        f"prompt {e['name']!r} is missing"))
            if e["event"] == "app_error":
                problems.append(Problem("error", "runtime_error", step.state, where, f"{e['app']}: {e['error']}"))
        for line, command in office.outside_activity():
            problems.append(Problem("error", "outside_line", step.state, where, f"{line}: {command}"))
        rang = [e["extension"] for e in events if e["event"] == "ringing"]
        recorded = [e for e in events if e["event"] == "record_start"]
        greetings = [e["name"] for e in events if e["event"] == "prompt" and str(e["name"]).startswith("greeting")]
        problems += self._unexpected(office, step, where, rang, bool(recorded))
        if office.legs_up() and not rang and not recorded:
            problems.append(Problem("error", "dead_end", step.state, where,
                                    f"the caller is still held after {WALK_SECONDS:.0f} s with nowhere to go"))
        parts = []
        if greetings:
            parts.append(f"hears {greetings[0]}")
        if rang:
            parts.append("rings " + ", ".join(dict.fromkeys(rang)))
        if recorded:
            parts.append("leaves a message")
        if not parts:
            parts.append("hung up" if not office.legs_up() else "held")
        return "; ".join(parts), problems


    def _unexpected(self, office: ProbeOffice, step: Step, where: str, rang: list[str],
                    recorded: bool) -> list[Problem]:
        """An option that should ring an extension (or the operator) but did not."""
        kind, _, target = step.expect.partition(":")
        if kind == "operator":
            target = str(self.config.get("operator") or "")
        elif kind != "extension":
            return []
        ext = next((e for e in self.config.get("extensions") or [] if str(e.get("number")) == target), {})
        if not target or target in rang or ext.get("dnd"):
            return []
        went = ("rang " + ", ".join(rang)) if rang else ("took a message" if recorded else "rang nobody")
        return [Problem("error", "unexpected", step.state, where, f"should ring {target} but {went}")]


def _signature(config: Mapping[str, Any], label: str) -> tuple:
    state, _, forced = label.partition("-")
    state = "override" if state == "override" else label
    menus = config.get("menus") or {}
    dests = (config.get("schedule") or {}).get("destinations") or {}
    return (dests.get(state), tuple(greeting_for(m, state, forced or None) for m in menus.values()))


def test_menus(config: Mapping[str, Any], name: str = "configuration", prompts_dir: Path | None = None,
               simulate: bool = True, states: set[str] | None = None) -> Report:
    """Walk every path of ``config`` (in every schedule state, or only ``states``); see the module docstring."""
    report = Report(name)
    prompts = PromptLibrary(prompts_dir)
    walker = Walker(config, prompts_dir)
    done: set[tuple] = set()
    for label, (moment, forced) in schedule_states(config).items():
        if states is not None and label not in states:
            continue
        report.states.append(label)
        analysis = analyse(config, label, prompts)
        for problem in analysis.problems:
            report.add(problem)
        signature = _signature(config, label)
        if not simulate or signature in done:
            continue
        done.add(signature)
        menus = config.get("menus") or {}
        for step in analysis.steps:
            if any(k.startswith("(") for k in step.keys):
                continue
            outcome, problems = walker.call(step, moment, forced, menus.get(step.menu, {}))
            report.paths.append({"state": label, "path": " > ".join(["answer", *step.keys, step.key]),
                                 "outcome": outcome})
            for problem in problems:
                report.add(problem)
    return report


def _load(path: str | None) -> tuple[dict[str, Any], list[Problem]]:
    from firmware.config import load_document, yamlio  # noqa: PLC0415 - the CLI path only
    try:
        doc, _ = load_document(path)
        return doc, []
    except ConfigError as exc:
        if path is None:
            raise
        raw, _ = yamlio.read(path)
        return raw, [Problem("error", "invalid_config", "-", p, reason) for p, reason in exc.errors or
                     [("-", str(exc))]]


def main(args: argparse.Namespace) -> int:
    path = getattr(args, "config", None)
    try:
        doc, config_problems = _load(path)
        data_prompts = Path("/var/lib/switchboard/prompts")
        report = test_menus(doc, path or "the example office", data_prompts if data_prompts.is_dir() else None)
    except (OSError, SwitchboardError) as exc:
        print(f"switchboard test-menu: {exc}", file=sys.stderr)
        return 2
    report.problems[:0] = config_problems
    if getattr(args, "json", False):
        print(json.dumps(report.as_dict(), indent=1))
    else:
        print(report.text())
    return 0 if report.ok else 1
