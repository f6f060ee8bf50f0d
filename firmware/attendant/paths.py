"""Every path a caller can take through the attendant, worked out from the configuration alone.

What it is: :func:`schedule_states` (a wall-clock moment for each schedule state the office can be in:
day, lunch, night, holiday, and the manual overrides) and :func:`analyse`, which walks the menus reachable
in one state from its entry destination and returns the :class:`Problem` list and the :class:`Step` list
(menu, key, where it leads) — missing recordings (greetings, retry and info prompts), destinations that do
not exist, options that reach an outside line, extensions that ring nowhere, menus with no way forward, and
loops of menus with no way out.

What it is not: the walk in simulation (``firmware.attendant.tester`` runs each step on the real engine).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Mapping

from firmware.attendant.menu import greeting_for
from firmware.attendant.routing import RouteError, Router, Target
from firmware.prompts import PromptLibrary
from firmware.schedule import WEEKDAYS, automatic_state, parse_rules

APPS_BUILT_IN = frozenset({"menu", "directory", "voicemail", "vm_login", "extension", "operator", "ring_group"})


@dataclass(frozen=True)
class Problem:
    """One finding: ``severity`` error|warning, ``kind``, the schedule ``state``, the ``path`` and why."""

    severity: str
    kind: str
    state: str
    path: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Step:
    """A key to try: in ``menu`` (reached by ``keys`` from the entry), press ``key`` (``timeout``:
    nothing, ``invalid``: a wrong key)."""

    state: str
    keys: tuple[str, ...]
    menu: str
    key: str
    expect: str


def schedule_states(config: Mapping[str, Any]) -> dict[str, tuple[datetime, str | None]]:
    """State label → (a UTC moment in that state, forced mode or None)."""
    rules = parse_rules(config.get("schedule"), (config.get("office") or {}).get("timezone"))
    found: dict[str, tuple[datetime, str | None]] = {}
    start = datetime.combine(datetime(2026, 1, 5).date(), time(0, 0), rules.tz)     # a Monday
    moments = [start + timedelta(minutes=15 * i) for i in range(14 * 96)]
    for day in rules.holidays:
        moments += [datetime.combine(day, time(0, 0), rules.tz) + timedelta(minutes=15 * i) for i in range(96)]
    for when in moments:
        state = automatic_state(rules, when)
        found.setdefault(state, (when.astimezone(timezone.utc), None))
    day = found.get("day", (start.astimezone(timezone.utc), None))[0]
    found["override-day"] = (found.get("night", (day, None))[0], "day")
    found["override-night"] = (day, "night")
    return found


def _state_name(label: str) -> tuple[str, str | None]:
    return ("override", label.split("-", 1)[1]) if label.startswith("override-") else (label, None)


class Analysis:
    """The static walk for one schedule state."""

    def __init__(self, config: Mapping[str, Any], label: str, prompts: PromptLibrary,
                 apps: frozenset[str] = APPS_BUILT_IN) -> None:
        self.config = config
        self.label = label
        self.state, self.forced = _state_name(label)
        self.prompts = prompts
        self.apps = apps
        self.router = Router(config)
        self.menus: dict[str, Mapping[str, Any]] = dict(config.get("menus") or {})
        self.problems: list[Problem] = []
        self.steps: list[Step] = []
        self.phones = {str(p.get("port")) for p in config.get("phones") or []}
        self.mailboxes = {str(e["mailbox"]) for e in config.get("extensions") or [] if e.get("mailbox")} | \
            {str(s["number"]) for s in (config.get("voicemail") or {}).get("shared") or []}

    def problem(self, severity: str, kind: str, path: str, detail: str) -> None:
        self.problems.append(Problem(severity, kind, self.label, path, detail))

    def entry(self) -> str:
        dests = (self.config.get("schedule") or {}).get("destinations") or {}
        incoming = ((self.config.get("trunks") or {}).get("incoming") or {})
        return str(dests.get(self.state) or incoming.get("answer_destination") or
                   f"menu:{(self.config.get('attendant') or {}).get('menu', 'main')}")

    def run(self) -> "Analysis":
        entry = self.entry()
        if not entry.startswith("menu:"):
            self.destination(entry, "answer", ())
            return self
        start = entry.split(":", 1)[1]
        if start not in self.menus:
            self.problem("error", "missing_destination", "answer", f"menu {start!r} does not exist")
            return self
        seen: dict[str, tuple[str, ...]] = {}
        queue: list[tuple[str, tuple[str, ...]]] = [(start, ())]
        while queue:
            name, keys = queue.pop(0)
            if name in seen:
                continue
            seen[name] = keys
            queue += self.menu(name, keys)
        self.loops(seen)
        return self

    def path(self, keys: tuple[str, ...], extra: str = "") -> str:
        return " > ".join(["answer", *keys, *([extra] if extra else [])])

    def need_prompt(self, name: str, where: str) -> None:
        if name not in self.prompts:
            self.problem("error", "missing_recording", where, f"no recording for prompt {name!r}")

    def menu(self, name: str, keys: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        menu = self.menus[name]
        here = self.path(keys)
        self.need_prompt(greeting_for(menu, self.state, self.forced), f"{here} (menu {name} greeting)")
        for key in ("invalid_prompt", "timeout_prompt"):
            if menu.get(key):
                self.need_prompt(str(menu[key]), f"{here} (menu {name} {key})")
        nexts: list[tuple[str, tuple[str, ...]]] = []
        options = dict(menu.get("options") or {})
        if not options and not menu.get("dial_by_extension", True):
            self.problem("warning", "dead_end", here, f"menu {name} offers no keys; callers can only wait for "
                                                      f"{menu.get('on_fail', 'operator')}")
        for key, option in sorted(options.items()):
            nexts += self.option(name, keys, key, option)
        if "0" not in options:
            self.destination("operator", self.path(keys, "0"), keys, expect_menu=name, key="0")
        self.steps.append(Step(self.label, keys, name, "timeout", "on_fail"))
        self.steps.append(Step(self.label, keys, name, "invalid", "retry"))
        on_fail = str(menu.get("on_fail", "operator"))
        if on_fail.startswith("menu:"):
            nexts.append((on_fail.split(":", 1)[1], keys + ("(no input)",)))
        self.destination(on_fail, self.path(keys, "(no input)"), keys, record_step=False)
        return nexts

    def option(self, name: str, keys: tuple[str, ...], key: str, option: Mapping[str, Any]) \
            -> list[tuple[str, tuple[str, ...]]]:
        where = self.path(keys, key)
        action = str(option.get("action"))
        if option.get("prompt"):
            self.need_prompt(str(option["prompt"]), where)
        elif action == "info":
            self.need_prompt("info-hours", where)
        target = str(option.get("target") or "")
        self.steps.append(Step(self.label, keys, name, key, f"{action}:{target}" if target else action))
        if action in ("info", "repeat", "previous"):
            return []
        if action == "submenu":
            target = str(option.get("target"))
            if target not in self.menus:
                self.problem("error", "missing_destination", where, f"submenu {target!r} does not exist")
                return []
            return [(target, keys + (key,))]
        self.destination(f"{action}:{option.get('target', '')}".rstrip(":"), where, keys, record_step=False)
        return []

    def destination(self, dest: str, where: str, keys: tuple[str, ...], expect_menu: str | None = None,
                    key: str | None = None, record_step: bool = True) -> None:
        if expect_menu is not None and key is not None and record_step:
            self.steps.append(Step(self.label, keys, expect_menu, key, dest))
        kind = dest.partition(":")[0]
        if kind == "external":
            self.problem("error", "outside_line", where, f"{dest} reaches an outside line"
                         + ("" if self._external_ok(dest) else " not listed in security.allow_external_targets"))
            return
        try:
            target = self.router.parse(dest)
        except RouteError as exc:
            self.problem("error", "missing_destination", where, str(exc))
            return
        self.reachable(target, where)

    def _external_ok(self, dest: str) -> bool:
        allowed = {str(n) for n in (self.config.get("security") or {}).get("allow_external_targets") or []}
        return dest.partition(":")[2] in allowed

    def reachable(self, target: Target, where: str) -> None:
        if target.kind in ("ring_group", "queue", "directory") and target.kind not in self.apps:
            self.problem("error", "missing_destination", where, f"no {target.kind} application is installed")
        if target.kind in ("extension", "operator"):
            number = self.router.operator if target.kind == "operator" else target.arg
            ext = self.router.extensions.get(number or "", {})
            phone = ext.get("phone")
            has_box = ext.get("mailbox") is not None and str(ext.get("mailbox")) in self.mailboxes
            if (not phone or str(phone) not in self.phones) and not has_box:
                self.problem("error", "dead_end", where, f"extension {number} has no phone and no mailbox")
            elif not has_box:
                self.problem("warning", "dead_end", where, f"extension {number} has no mailbox: an unanswered "
                                                           "caller is told so and the call ends")
        if target.kind == "mailbox" and target.arg not in self.mailboxes:
            self.problem("error", "missing_destination", where, f"mailbox {target.arg} does not exist")

    def loops(self, seen: Mapping[str, tuple[str, ...]]) -> None:
        """Menus from which no key, no timeout and no wrong key ever leaves the menus."""
        exits = {name: self._leaves(self.menus[name]) for name in seen}
        edges = {name: self._menu_edges(self.menus[name]) for name in seen}
        free = {n for n, ok in exits.items() if ok}
        changed = True
        while changed:
            changed = False
            for name in seen:
                if name not in free and any(t in free for t in edges[name]):
                    free.add(name)
                    changed = True
        for name in sorted(set(seen) - free):
            self.problem("error", "loop", self.path(seen[name]), f"menu {name} and the menus it leads to never "
                         "reach a person, a mailbox or a hang-up")

    def _leaves(self, menu: Mapping[str, Any]) -> bool:
        options = dict(menu.get("options") or {})
        if menu.get("dial_by_extension", True) and self.router.extensions:
            return True
        if "0" not in options and self.router.operator in self.router.extensions:
            return True
        if not str(menu.get("on_fail", "operator")).startswith("menu:"):
            return True
        return any(str(o.get("action")) not in ("info", "repeat", "previous", "submenu") for o in options.values())

    def _menu_edges(self, menu: Mapping[str, Any]) -> list[str]:
        out = [str(o.get("target")) for o in (menu.get("options") or {}).values() if o.get("action") == "submenu"]
        on_fail = str(menu.get("on_fail", "operator"))
        return out + ([on_fail.split(":", 1)[1]] if on_fail.startswith("menu:") else [])


def analyse(config: Mapping[str, Any], label: str, prompts: PromptLibrary,
            apps: frozenset[str] = APPS_BUILT_IN) -> Analysis:
    return Analysis(config, label, prompts, apps).run()


__all__ = ["Analysis", "Problem", "Step", "analyse", "schedule_states", "WEEKDAYS"]
