"""Reading a scenario file: YAML with line numbers kept, every step checked before anything runs.

What it is: :func:`load_scenario` → :class:`Scenario` (name, config path/override, start time, time cap,
steps). Each :class:`Step` keeps its ``line`` in the file, so a failure (or a mistake in the file) names it.
A bad file raises :class:`ScenarioError` with ``line`` and the reason. The format is documented in
docs/scenarios.md; :data:`ACTIONS` and :data:`CHECKS` are the vocabulary.

What it is not: the runner (:mod:`firmware.scenario.runner`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from drivers.errors import SwitchboardError

ACTIONS = {
    "call": {"caller", "line", "number", "name", "absent"},
    "press": {"caller", "phone", "digits"},
    "dial": {"phone", "digits", "mode"},
    "speak": {"caller", "phone", "seconds"},
    "hang_up": {"caller", "phone", "how"},
    "lift": {"phone"},
    "flash": {"phone"},
    "button": {"name", "hold"},
    "remote": {"number", "answer_after", "busy", "no_answer"},
    "wait": {"seconds"},
}
"""Action → the keys it accepts (a bare value is the first, main key: ``lift: "201"``, ``wait: 3``)."""
MAIN_KEY = {"call": "caller", "press": "digits", "dial": "digits", "speak": "seconds", "hang_up": "caller",
            "lift": "phone", "flash": "phone", "button": "name", "remote": "number", "wait": "seconds"}

CHECKS = ("event", "prompt", "ringing", "tone", "silence", "led", "line", "caller_state", "phone_state")
"""What an ``expect`` / ``wait_for`` / ``expect_not`` step looks for (exactly one of these keys)."""
CHECK_OPTIONS = {"within", "caller", "phone", "pattern", "state", "seconds", "name"}
EXPECTS = ("expect", "wait_for", "expect_not")
TOP_KEYS = {"name", "description", "config", "override", "start", "timeout", "steps"}


class ScenarioError(SwitchboardError, ValueError):
    """A scenario file is wrong; ``line`` is where (1-based, 0 when unknown)."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass
class Step:
    """One step: ``kind`` (an action, or expect/wait_for/expect_not) and its arguments."""

    kind: str
    args: dict[str, Any]
    line: int

    def describe(self) -> str:
        inner = ", ".join(f"{k}: {v}" for k, v in self.args.items())
        return f"{self.kind} {{{inner}}}"


@dataclass
class Scenario:
    path: str
    name: str
    steps: list[Step]
    config: str | None = None
    override: dict[str, Any] = field(default_factory=dict)
    start: datetime | None = None
    timeout: float = 900.0


class _LineDict(dict):
    line = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise ScenarioError("", key_node.start_mark.line + 1, f"duplicate key {key!r}")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (raises :class:`ScenarioError`)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(name, 0, f"cannot read: {exc}") from exc
    return parse_scenario(text, name)


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except ScenarioError as exc:
        raise ScenarioError(path, exc.line, exc.reason) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioError(path, mark.line + 1 if mark else 0, f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, 0, f"not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(path, 1, "a scenario is a mapping with name: and steps:")
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise ScenarioError(path, doc.line, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(path, doc.line, "steps: must be a non-empty list")
    parsed = [_step(path, raw, doc.line) for raw in steps]
    return Scenario(path=path, name=str(doc.get("name") or Path(path).stem), steps=parsed,
                    config=_opt_str(path, doc, "config"), override=_override(path, doc),
                    start=_start(path, doc), timeout=_number(path, doc, "timeout", 900.0, doc.line))


def _opt_str(path: str, doc: _LineDict, key: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise ScenarioError(path, doc.line, f"{key}: must be a string")
    return value


def _override(path: str, doc: _LineDict) -> dict[str, Any]:
    value = doc.get("override") or {}
    if not isinstance(value, dict):
        raise ScenarioError(path, doc.line, "override: must be a mapping merged into the office configuration")
    return value


def _start(path: str, doc: _LineDict) -> datetime | None:
    value = doc.get("start")
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(path, doc.line, f"start: {value!r} is not an ISO 8601 date and time") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _number(path: str, where: dict, key: str, default: float | None, line: int) -> float | None:
    value = where.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ScenarioError(path, line, f"{key}: must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _step(path: str, raw: Any, parent_line: int) -> Step:
    line = getattr(raw, "line", parent_line)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ScenarioError(path, line, "each step is a mapping with exactly one action, e.g. `- press: {caller: "
                                        "alice, digits: \"2\"}`")
    (kind, value), = raw.items()
    line = getattr(value, "line", line)
    if kind in ACTIONS:
        return Step(kind, _action_args(path, kind, value, line), line)
    if kind in EXPECTS:
        return Step(kind, _check_args(path, kind, value, line), line)
    raise ScenarioError(path, line, f"unknown step {kind!r}; actions: {', '.join(ACTIONS)}; checks: "
                                    f"{', '.join(EXPECTS)}")


def _action_args(path: str, kind: str, value: Any, line: int) -> dict[str, Any]:
    if value is None and kind == "call":
        value = {}
    if not isinstance(value, dict):
        value = {MAIN_KEY[kind]: value}
    unknown = set(value) - ACTIONS[kind]
    if unknown:
        raise ScenarioError(path, line, f"{kind}: unknown key(s) {sorted(unknown)}; allowed: "
                                        f"{sorted(ACTIONS[kind])}")
    args = {k: v for k, v in value.items()}
    for key in ("digits", "number", "name", "phone", "caller"):
        if key in args and args[key] is not None:
            args[key] = str(args[key])
    if kind in ("press", "dial") and not _digits_ok(args.get("digits")):
        raise ScenarioError(path, line, f"{kind}: digits must be a string of 0-9 * # A-D, got "
                                        f"{args.get('digits')!r}")
    if kind in ("press", "speak", "hang_up") and "caller" not in args and "phone" not in args:
        if kind == "hang_up":
            raise ScenarioError(path, line, "hang_up: say who (a caller name, or phone: an extension)")
        raise ScenarioError(path, line, f"{kind}: say who (caller: NAME or phone: EXTENSION)")
    if kind in ("lift", "flash", "dial") and not args.get("phone"):
        raise ScenarioError(path, line, f"{kind}: phone: (an extension number or port) is required")
    if kind in ("wait", "speak"):
        if _number(path, args, "seconds", None, line) is None:
            raise ScenarioError(path, line, f"{kind}: seconds: is required")
    if kind == "dial" and args.get("mode", "tone") not in ("tone", "pulse"):
        raise ScenarioError(path, line, "dial: mode must be tone or pulse")
    return args


def _digits_ok(digits: Any) -> bool:
    return isinstance(digits, str) and bool(digits) and all(c in "0123456789*#ABCD" for c in digits)


def _check_args(path: str, kind: str, value: Any, line: int) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"event": value}
    if not isinstance(value, dict):
        raise ScenarioError(path, line, f"{kind}: must be a mapping such as {{prompt: greeting-day, within: 10}}")
    found = ["event"] if "event" in value else [k for k in CHECKS if k in value]
    if len(found) != 1:
        raise ScenarioError(path, line, f"{kind}: needs exactly one of {', '.join(CHECKS)}; got "
                                        f"{found or sorted(value)}")
    check = found[0]
    if check in ("tone", "silence") and "caller" not in value and "phone" not in value:
        raise ScenarioError(path, line, f"{kind}: {check} needs caller: or phone: (who listens)")
    if check == "led" and "pattern" not in value:
        raise ScenarioError(path, line, f"{kind}: led needs pattern: (on, off, blink, wink, flash)")
    if check in ("line", "caller_state", "phone_state") and "state" not in value:
        raise ScenarioError(path, line, f"{kind}: {check} needs state:")
    _number(path, value, "within", None, line)
    if check == "silence":
        _number(path, value, "silence", None, line)
    if check != "event":
        unknown = set(value) - CHECK_OPTIONS - {check}
        if unknown:
            raise ScenarioError(path, line, f"{kind}: unknown key(s) {sorted(unknown)} for a {check} check")
    return dict(value)
