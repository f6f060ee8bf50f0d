"""The office schedule: is the office open now, at lunch, closed for the night or for a holiday?

What it is: business hours per weekday, a lunch break, holidays by date, the office time zone (zoneinfo) and
a manual day/night override (front-panel button, feature code with PIN, control API ``schedule.set_mode``).
:meth:`Schedule.state` is one of ``day``, ``lunch``, ``night``, ``holiday`` or ``override``; when a manual
override is in force, :attr:`Schedule.forced` says which mode (``day`` or ``night``) it forces. Whenever
the state changes a ``schedule`` event is published on the bus: ``state``, ``mode`` (the effective
``day``/``lunch``/``night``/``holiday``), ``night`` (bool, the night LED) and ``forced``. Time comes only
from the injected clock's ``wall()``; a timer re-checks the state every ``CHECK_SECONDS``.

What it is not: routing. The attendant picks a greeting from the state; other parts decide what else
changes by day and night.

Configuration (section ``schedule`` of the office document; every key optional)::

    schedule:
      timezone: America/New_York      # default: office.timezone, else UTC
      mode: auto                      # auto | day | night: the override the box starts with
      hours:                          # open ranges per weekday; an empty list or a missing day is closed
        mon: ["09:00-17:00"]          # (no hours section at all: Monday to Friday 09:00-17:00)
        sat: []
      lunch: {start: "12:00", end: "13:00", days: [mon, tue, wed, thu, fri]}   # days: default every open day
      holidays:
        - {date: "2026-12-25", name: Christmas Day, annual: true}
        - {date: "2026-12-24", hours: ["09:00-12:00"]}    # open part of the day; otherwise closed all day
      override_pin: "4711"            # the PIN the day/night feature code asks for
      feature_code: "*28"             # desk-phone code that toggles day/night
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drivers.clock import Clock, Timer
from drivers.errors import ConfigError

STATES = ("day", "lunch", "night", "holiday", "override")
MODES = ("day", "night")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHECK_SECONDS = 30.0
log = logging.getLogger(__name__)

Publish = Callable[..., Any]


@dataclass(frozen=True)
class Span:
    """A range of wall-clock time within one day, start inclusive, end exclusive."""

    start: time
    end: time

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Holiday:
    name: str
    hours: tuple[Span, ...] = ()
    annual: bool = False


@dataclass(frozen=True)
class Rules:
    """The parsed ``schedule`` section."""

    tz: ZoneInfo
    hours: Mapping[int, tuple[Span, ...]]
    lunch: Span | None
    lunch_days: frozenset[int]
    holidays: Mapping[date, Holiday]
    override_pin: str | None = None
    feature_code: str | None = None
    start_mode: str = "auto"

    def holiday(self, day: date) -> Holiday | None:
        found = self.holidays.get(day)
        if found is not None:
            return found
        for when, hol in self.holidays.items():
            if hol.annual and (when.month, when.day) == (day.month, day.day):
                return hol
        return None


DEFAULT_HOURS = {day: ["09:00-17:00"] for day in WEEKDAYS[:5]}


def parse_rules(section: Mapping[str, Any] | None, default_tz: str | None = None) -> Rules:
    """Parse and check a ``schedule`` section; :class:`ConfigError` names each bad field."""
    section = dict(section or {})
    errors: list[tuple[str, str]] = []
    tz_name = section.get("timezone") or default_tz or "UTC"
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(("schedule.timezone", f"unknown time zone {tz_name!r}"))
        tz = ZoneInfo("UTC")
    raw_hours = section.get("hours")
    raw_hours = DEFAULT_HOURS if raw_hours is None else raw_hours
    for key in raw_hours:
        if key not in WEEKDAYS:
            errors.append((f"schedule.hours.{key}", f"not a weekday (use {', '.join(WEEKDAYS)})"))
    hours = {i: _spans(raw_hours.get(day) or [], f"schedule.hours.{day}", errors) for i, day in enumerate(WEEKDAYS)}
    lunch, lunch_days = _lunch(section.get("lunch"), hours, errors)
    holidays = _holidays(section.get("holidays") or [], errors)
    pin = section.get("override_pin")
    if pin is not None and not str(pin).isdigit():
        errors.append(("schedule.override_pin", "must be digits only"))
    code = section.get("feature_code")
    if code is not None and not all(c in "0123456789*#" for c in str(code)):
        errors.append(("schedule.feature_code", "must be keypad keys (0-9, *, #)"))
    mode = section.get("mode", "auto")
    if mode not in (*MODES, "auto"):
        errors.append(("schedule.mode", "must be auto, day or night"))
    if errors:
        raise ConfigError("schedule section is invalid", errors)
    return Rules(tz, hours, lunch, lunch_days, holidays, str(pin) if pin is not None else None,
                 str(code) if code is not None else None, mode)


def _lunch(raw: Any, hours: Mapping[int, tuple[Span, ...]],
           errors: list[tuple[str, str]]) -> tuple[Span | None, frozenset[int]]:
    if not raw:
        return None, frozenset()
    spans = _spans([f"{raw.get('start')}-{raw.get('end')}"], "schedule.lunch", errors)
    days = raw.get("days")
    if days is None:
        day_idx = frozenset(i for i, spans_ in hours.items() if spans_)
    else:
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            errors.append(("schedule.lunch.days", f"not weekdays: {', '.join(map(str, bad))}"))
        day_idx = frozenset(WEEKDAYS.index(d) for d in days if d in WEEKDAYS)
    return (spans[0] if spans else None), day_idx


def _spans(value: Any, path: str, errors: list[tuple[str, str]]) -> tuple[Span, ...]:
    if isinstance(value, str):
        value = [] if value in ("", "closed") else value.split(",")
    spans = []
    for part in value:
        part = str(part).strip()
        try:
            start_s, end_s = part.split("-")
            start = time.fromisoformat(start_s.strip())
            end = time.max if end_s.strip() == "24:00" else time.fromisoformat(end_s.strip())
        except ValueError:
            errors.append((path, f"{part!r} is not HH:MM-HH:MM"))
            continue
        if end <= start:
            errors.append((path, f"{part!r} ends before it starts"))
            continue
        spans.append(Span(start, end))
    return tuple(spans)


def _holidays(items: Any, errors: list[tuple[str, str]]) -> dict[date, Holiday]:
    out: dict[date, Holiday] = {}
    if not isinstance(items, list):
        errors.append(("schedule.holidays", "must be a list of dates"))
        return out
    for i, item in enumerate(items):
        item = item if isinstance(item, dict) else {"date": item}
        raw = item.get("date")
        try:
            day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            errors.append((f"schedule.holidays[{i}].date", f"{raw!r} is not a date (YYYY-MM-DD)"))
            continue
        spans = _spans(item.get("hours") or [], f"schedule.holidays[{i}].hours", errors)
        out[day] = Holiday(str(item.get("name", "holiday")), spans, bool(item.get("annual", False)))
    return out


def automatic_state(rules: Rules, when: datetime) -> str:
    """The state the rules give at ``when`` (aware datetime), ignoring any manual override."""
    local = when.astimezone(rules.tz)
    now = local.time().replace(tzinfo=None)
    holiday = rules.holiday(local.date())
    if holiday is not None:
        return "day" if any(span.contains(now) for span in holiday.hours) else "holiday"
    if not any(span.contains(now) for span in rules.hours[local.weekday()]):
        return "night"
    if rules.lunch is not None and local.weekday() in rules.lunch_days and rules.lunch.contains(now):
        return "lunch"
    return "day"


class Schedule:
    """The live schedule of the office: state, override and change events."""

    def __init__(self, clock: Clock, rules: Rules, publish: Publish | None = None,
                 state_path: Path | str | None = None) -> None:
        self.clock = clock
        self.rules = rules
        self.publish = publish
        self.state_path = Path(state_path) if state_path else None
        self.forced: str | None = self._load_override()
        if self.forced is None and rules.start_mode in MODES:
            self.forced = rules.start_mode
        self._last: str | None = None
        self._timer: Timer | None = None

    @classmethod
    def from_config(cls, clock: Clock, config: Mapping[str, Any], publish: Publish | None = None,
                    state_path: Path | str | None = None) -> "Schedule":
        office = config.get("office") or {}
        return cls(clock, parse_rules(config.get("schedule"), office.get("timezone")), publish, state_path)

    # ----- state -----
    def automatic(self) -> str:
        return automatic_state(self.rules, self.clock.wall())

    def state(self) -> str:
        """day | lunch | night | holiday | override."""
        return "override" if self.forced else self.automatic()

    def mode(self) -> str:
        """The effective mode: the forced one under override, else the automatic state."""
        return self.forced or self.automatic()

    def is_open(self) -> bool:
        return self.mode() == "day"

    def local_now(self) -> datetime:
        return self.clock.wall().astimezone(self.rules.tz)

    def status(self) -> dict[str, Any]:
        mode = self.mode()
        holiday = self.rules.holiday(self.local_now().date())
        return {"state": self.state(), "mode": mode, "night": mode in ("night", "holiday"),
                "forced": self.forced, "automatic": self.automatic(),
                "holiday": holiday.name if holiday else None}

    # ----- override -----
    def set_mode(self, mode: str, source: str = "api") -> dict[str, Any]:
        """Force ``day`` or ``night``, or ``auto`` to follow the schedule again."""
        if mode not in (*MODES, "auto"):
            raise ValueError(f"mode must be day, night or auto, not {mode!r}")
        self.forced = None if mode == "auto" else mode
        self._save_override()
        log.info("schedule override %s (from %s)", mode, source)
        self.check()
        return self.status()

    def toggle(self, source: str = "button") -> dict[str, Any]:
        """The day/night button: flip the effective mode; back to automatic when that is what it gives."""
        target = "night" if self.mode() in ("day", "lunch") else "day"
        auto = self.automatic()
        auto_mode = "day" if auto in ("day", "lunch") else "night"
        return self.set_mode("auto" if self.forced and target == auto_mode else target, source)

    def follow_night(self, active: bool, source: str = "panel") -> None:
        """Night mode was switched elsewhere (the panel button, the engine's control command): adopt it as
        an override, or return to the schedule when that is what the schedule says anyway."""
        if active == (self.mode() in ("night", "holiday")):
            return
        auto_night = self.automatic() in ("night", "holiday")
        self.set_mode("auto" if active == auto_night else ("night" if active else "day"), source)

    # ----- timer -----
    def start(self) -> None:
        """Publish the current state and re-check it every CHECK_SECONDS of clock time."""
        self._last = None
        self.check()
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        self._timer = self.clock.call_later(CHECK_SECONDS, self._tick)

    def _tick(self) -> None:
        self.check()
        self._arm()

    def check(self) -> str:
        """Recompute the state; publish a ``schedule`` event when it changed."""
        status = self.status()
        key = f"{status['state']}/{status['mode']}"
        if key != self._last:
            self._last = key
            if self.publish is not None:
                self.publish("schedule", **status)
        return status["state"]

    # ----- persistence of the override across restarts -----
    def _load_override(self) -> str | None:
        if self.state_path is None or not self.state_path.exists():
            return None
        try:
            forced = json.loads(self.state_path.read_text()).get("forced")
        except (OSError, ValueError, AttributeError):
            log.warning("ignoring unreadable schedule override file %s", self.state_path)
            return None
        return forced if forced in MODES else None

    def _save_override(self) -> None:
        if self.state_path is None:
            return
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"forced": self.forced, "at": self.clock.wall().astimezone(timezone.utc).isoformat()}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.state_path)
