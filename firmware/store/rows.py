"""Times and rows of the data store: UNIX seconds in the database, ISO 8601 UTC outside it.

What it is: :func:`iso` and :func:`to_epoch` (the formats every store method accepts), the row converters, the
query filters (:func:`filters`, :func:`where_clause`) and the small checks shared by the store's parts.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any

from drivers.errors import StorageError

Stamp = datetime | float | int | str | None


def iso(t: float | None) -> str | None:
    """UNIX seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` (fractions kept to the millisecond when present)."""
    if t is None:
        return None
    dt = datetime.fromtimestamp(t, timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond // 1000:03d}"
    return text + "Z"


def to_epoch(t: Stamp) -> float | None:
    """Accepts a timezone-aware datetime, UNIX seconds, or an ISO 8601 string (``Z`` or an offset; a bare
    date means its midnight UTC)."""
    if t is None:
        return None
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return float(t)
    if isinstance(t, str):
        try:
            t = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise StorageError(f"not a date or time: {t!r} (use ISO 8601, e.g. 2026-01-05T09:00:00Z)") from None
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return t.timestamp()
    raise StorageError(f"not a date or time: {t!r}")


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise StorageError(f"{what} must be one of {', '.join(allowed)} (got {value!r})")


def bounded(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(value)))


def filters(*conditions: tuple[str, Any, str]) -> tuple[list[str], list[Any]]:
    """The ``column op ?`` terms, and their parameters, of each ``(column, value, op)`` whose value is not None."""
    where: list[str] = []
    params: list[Any] = []
    for column, value, op in conditions:
        if value is not None:
            where.append(f"{column} {op} ?")
            params.append(value)
    return where, params


def where_clause(where: list[str]) -> str:
    """`` WHERE a AND b`` for the terms, or nothing when there are none."""
    return (" WHERE " + " AND ".join(where)) if where else ""


def call_row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    for key in ("started_at", "answered_at", "ended_at"):
        d[key] = iso(d[key])
    d["detail"] = json.loads(d["detail"]) if d["detail"] else None
    start, end = r["started_at"], r["ended_at"]
    d["duration_s"] = round(end - start, 2) if end is not None else None
    d["talk_s"] = round(end - r["answered_at"], 2) if end is not None and r["answered_at"] is not None else None
    return d


def message_row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["received_at"] = iso(d["received_at"])
    d["heard"] = bool(d["heard"])
    return d
