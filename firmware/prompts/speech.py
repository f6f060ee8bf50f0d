"""Numbers, digits, dates and times as sequences of prompt names, for speaking by concatenation.

What it is: pure functions that turn a value into the names of word prompts from the catalogue
(``num-3``, ``vm-new``, ``day-tue``, ``time-pm`` …), so "you have three new messages" and "received Tuesday
at 2:15 PM" are played as a list of short recordings. What it is not: audio; the :class:`PromptLibrary`
turns names into sound.

Ranges: :func:`number` speaks 0 to 999 999; :func:`digits` speaks any string of 0-9, * and #.
"""
from __future__ import annotations

from datetime import datetime

_DAYS = ("day-mon", "day-tue", "day-wed", "day-thu", "day-fri", "day-sat", "day-sun")
_DIGIT_NAMES = {"*": "digit-star", "#": "digit-pound", **{str(d): f"num-{d}" for d in range(10)}}


def number(n: int) -> list[str]:
    """Prompt names that speak ``n`` (0 ≤ n < 1 000 000), e.g. 215 → two hundred fifteen."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"cannot speak {n}: only 0 to 999999")
    if n == 0:
        return ["num-0"]
    words: list[str] = []
    thousands, rest = divmod(n, 1000)
    if thousands:
        words += _below_thousand(thousands) + ["num-thousand"]
    if rest:
        words += _below_thousand(rest)
    return words


def _below_thousand(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [f"num-{hundreds}", "num-hundred"] if hundreds else []
    if rest < 20 and rest:
        words.append(f"num-{rest}")
    elif rest:
        tens, ones = divmod(rest, 10)
        words.append(f"num-{tens * 10}")
        if ones:
            words.append(f"num-{ones}")
    return words


def digits(text: str) -> list[str]:
    """Prompt names that speak each key of ``text`` one by one (an extension, a mailbox)."""
    try:
        return [_DIGIT_NAMES[ch] for ch in text]
    except KeyError as exc:
        raise ValueError(f"cannot speak {text!r}: only digits, * and #") from exc


def ordinal(n: int) -> list[str]:
    """Prompt names for an ordinal day of the month (1 to 31): first … thirty-first."""
    if not 1 <= n <= 31:
        raise ValueError(f"no day of the month {n}")
    if n <= 20 or n == 30:
        return [f"ordinal-{n}"]
    tens, ones = divmod(n, 10)
    return [f"num-{tens * 10}", f"ordinal-{ones}"]


def clock_time(when: datetime) -> list[str]:
    """A 12-hour time: 14:15 → two fifteen P M; 9:05 → nine oh five A M; 15:00 → three o'clock P M."""
    hour12 = when.hour % 12 or 12
    words = [f"num-{hour12}"]
    if when.minute == 0:
        words.append("time-oclock")
    elif when.minute < 10:
        words += ["num-oh", f"num-{when.minute}"]
    else:
        words += number(when.minute)
    words.append("time-am" if when.hour < 12 else "time-pm")
    return words


def day_and_time(when: datetime, now: datetime) -> list[str]:
    """When a message came, relative to ``now`` (both in the office's time zone).

    Today → "today at …"; yesterday → "yesterday at …"; within the last week → the weekday; older → the
    month and ordinal day ("March fourth at …").
    """
    age_days = (now.date() - when.date()).days
    if age_days == 0:
        day = ["day-today"]
    elif age_days == 1:
        day = ["day-yesterday"]
    elif 1 < age_days < 7:
        day = [_DAYS[when.weekday()]]
    else:
        day = [f"month-{when.month}"] + ordinal(when.day)
    return day + ["time-at"] + clock_time(when)


def message_counts(new: int, saved: int) -> list[str]:
    """ "You have three new messages and one saved message" / "You have no messages"."""
    if new == 0 and saved == 0:
        return ["vm-you-have", "vm-no-messages"]
    words = ["vm-you-have"]
    parts = []
    if new:
        parts.append(number(new) + ["vm-new", "vm-message" if new == 1 else "vm-messages"])
    if saved:
        parts.append(number(saved) + ["vm-saved", "vm-message" if saved == 1 else "vm-messages"])
    for i, part in enumerate(parts):
        if i:
            words.append("vm-and")
        words += part
    return words
