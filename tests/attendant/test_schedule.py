"""The office schedule: open hours, lunch, holidays, time zone, manual override and its events."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from drivers.errors import ConfigError
from firmware.schedule import Schedule, parse_rules

NY = {
    "timezone": "America/New_York",
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": ["10:00-12:00"]},
    "lunch": {"start": "12:00", "end": "13:00"},
    "holidays": [{"date": "2026-12-25", "name": "Christmas Day", "annual": True},
                 {"date": "2026-12-24", "hours": ["09:00-12:00"]}],
    "override_pin": "4711",
}


def at(local: str, tz: str = "America/New_York") -> datetime:
    from zoneinfo import ZoneInfo
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))


@pytest.fixture
def schedule_at(make_clock):
    def build(local: str, section=NY, **kw):
        return _schedule_at(make_clock, local, section, **kw)
    return build


def _schedule_at(make_clock, local: str, section=NY, **kw):
    clock = make_clock(at(local).astimezone(timezone.utc))
    events = []
    sched = Schedule(clock, parse_rules(section), lambda kind, **d: events.append((kind, d)), **kw)
    return clock, sched, events


@pytest.mark.parametrize("local, state", [
    ("2026-01-05 08:59", "night"),      # Monday before opening
    ("2026-01-05 09:00", "day"),
    ("2026-01-05 12:30", "lunch"),
    ("2026-01-05 13:00", "day"),
    ("2026-01-05 17:00", "night"),
    ("2026-01-10 11:00", "day"),        # Saturday morning hours
    ("2026-01-10 12:00", "night"),      # Saturday: lunch only applies inside open hours
    ("2026-01-11 11:00", "night"),      # Sunday closed
    ("2026-12-25 10:00", "holiday"),
    ("2027-12-25 10:00", "holiday"),    # annual
    ("2026-12-24 10:00", "day"),        # half-day holiday
    ("2026-12-24 14:00", "holiday"),
])
def test_states_through_the_week(schedule_at, local, state):
    _, sched, _ = schedule_at(local)
    assert sched.state() == state


def test_time_zone_is_the_offices_not_utc(make_clock):
    clock = make_clock(datetime(2026, 1, 5, 13, 30, tzinfo=timezone.utc))   # 08:30 New York
    assert Schedule(clock, parse_rules(NY)).state() == "night"
    assert Schedule(clock, parse_rules(NY | {"timezone": "UTC"})).state() == "day"


def test_default_hours_are_weekdays_nine_to_five(make_clock):
    clock = make_clock(datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc))
    assert Schedule(clock, parse_rules({})).state() == "day"


def test_state_change_publishes_an_event_when_the_clock_crosses_opening_time(schedule_at):
    clock, sched, events = schedule_at("2026-01-05 08:58")

    async def run():
        sched.start()
        await asyncio.sleep(3 * 60)
        sched.stop()

    clock.loop.run_until_complete(run())
    assert [(k, d["state"], d["night"]) for k, d in events] == [("schedule", "night", True),
                                                                ("schedule", "day", False)]
    clock.loop.close()


def test_manual_override_and_toggle(schedule_at, tmp_path):
    clock, sched, events = schedule_at("2026-01-05 10:00", state_path=tmp_path / "mode.json")
    assert sched.toggle()["mode"] == "night"
    assert sched.state() == "override" and sched.forced == "night"
    assert events[-1][1]["night"] is True
    # a restart keeps the override
    again = Schedule(clock, parse_rules(NY), state_path=tmp_path / "mode.json")
    assert again.forced == "night"
    # pressing again returns to the schedule, which says day
    assert sched.toggle()["state"] == "day" and sched.forced is None
    sched.set_mode("day")
    assert sched.state() == "override" and sched.mode() == "day"
    sched.set_mode("auto")
    assert sched.state() == "day"
    with pytest.raises(ValueError):
        sched.set_mode("lunch")


def test_config_mode_starts_with_an_override(schedule_at):
    _, sched, _ = schedule_at("2026-01-05 10:00", section=NY | {"mode": "night"})
    assert sched.state() == "override" and sched.mode() == "night"


def test_bad_sections_name_the_field():
    with pytest.raises(ConfigError) as err:
        parse_rules({"timezone": "Mars/Olympus", "hours": {"mon": ["17:00-09:00"], "funday": []},
                     "holidays": [{"date": "2026-13-45"}], "override_pin": "12a"})
    paths = {p for p, _ in err.value.errors}
    assert paths == {"schedule.timezone", "schedule.hours.mon", "schedule.hours.funday",
                     "schedule.holidays[0].date", "schedule.override_pin"}
