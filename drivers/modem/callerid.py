"""Caller ID as a voice modem reports it (``AT+VCID=1``, formatted): ``DATE=``, ``TIME=``, ``NMBR=``, ``NAME=``.

What it is: :class:`CallerIdAssembler` — collects the lines of one call's caller ID, validates each field and
produces the ``caller_id`` event data of the port contract (``number``, ``name``, ``datetime`` "MMDDhhmm",
``number_absent``/``name_absent`` "P" private or "O" out of area, ``standard`` "modem"). It tolerates what real
lines and modems send: fields missing (many telcos omit NAME or DATE), fields in any order, spaces around
``=``, a ``MESG=`` hex dump (ignored), impossible dates (dropped, the rest kept), control characters and
truncated values. A field that cannot be trusted becomes ``None``; a message is never fatal.

What it is not: an FSK decoder (that is ``drivers/dsp``); the modem has already decoded the FSK.
"""
from __future__ import annotations

import re
from typing import Any

ABSENT = {"P": "P", "PRIVATE": "P", "O": "O", "OUT OF AREA": "O", "OUT-OF-AREA": "O", "UNAVAILABLE": "O"}
_FIELD = re.compile(r"^\s*(DATE|TIME|NMBR|NAME|MESG|DDN_NMBR)\s*[=:]\s*(.*?)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\+?[0-9*#\-() .]{1,32}$")
FIELDS = ("DATE", "TIME", "NMBR", "NAME")


def parse_line(line: str) -> tuple[str, str] | None:
    """``(FIELD, value)`` for a caller-ID line, or None when the line is not one."""
    m = _FIELD.match(line)
    if not m:
        return None
    key = m.group(1).upper()
    return ("NMBR" if key == "DDN_NMBR" else key), m.group(2)


def _valid_date(v: str) -> str | None:
    if len(v) == 4 and v.isdigit() and 1 <= int(v[:2]) <= 12 and 1 <= int(v[2:]) <= 31:
        return v
    return None


def _valid_time(v: str) -> str | None:
    if len(v) == 4 and v.isdigit() and int(v[:2]) <= 23 and int(v[2:]) <= 59:
        return v
    return None


class CallerIdAssembler:
    """Collects one call's caller-ID lines; :meth:`complete` says when all four fields are in."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, key: str, value: str) -> None:
        if key in FIELDS:
            self.fields[key] = value

    @property
    def empty(self) -> bool:
        return not self.fields

    @property
    def complete(self) -> bool:
        return all(k in self.fields for k in FIELDS)

    def reset(self) -> None:
        self.fields.clear()

    def event_data(self) -> dict[str, Any]:
        """The ``caller_id`` event data from what was collected (garbled fields become None)."""
        number, number_absent = self._number(self.fields.get("NMBR"))
        name, name_absent = self._name(self.fields.get("NAME"))
        date = _valid_date(self.fields.get("DATE", ""))
        time = _valid_time(self.fields.get("TIME", ""))
        return {"number": number, "name": name, "datetime": date + time if date and time else None,
                "number_absent": number_absent, "name_absent": name_absent, "standard": "modem"}

    @staticmethod
    def _number(raw: str | None) -> tuple[str | None, str | None]:
        if raw is None:
            return None, None
        if raw.upper() in ABSENT:
            return None, ABSENT[raw.upper()]
        if _NUMBER.match(raw):
            digits = re.sub(r"[\-() .]", "", raw)
            return (digits or None), None
        return None, None

    @staticmethod
    def _name(raw: str | None) -> tuple[str | None, str | None]:
        if raw is None:
            return None, None
        if raw.upper() in ABSENT:
            return None, ABSENT[raw.upper()]
        clean = "".join(ch for ch in raw if ch.isprintable()).strip()[:32]
        return (clean or None), None
