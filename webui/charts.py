"""Server-side charts as inline SVG (no script, no CDN): calls per hour over the last seven days.

:func:`hourly_counts` buckets call-log records (``start`` as ISO 8601 text or epoch seconds) into the 168
hours that end with the current hour, in the office's time zone; :func:`calls_per_hour_svg` draws them as
bars with day labels and a title per bar for the exact count. It is not a charting library.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterable
from xml.sax.saxutils import escape

HOURS = 7 * 24


@dataclass(frozen=True)
class HourBucket:
    start: datetime
    count: int


def parse_time(value: object, tz: tzinfo) -> datetime | None:
    """A record's time as an aware datetime in ``tz`` (None if it cannot be read)."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc).astimezone(tz)
    if isinstance(value, str) and value:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(tz)
    return None


def hourly_counts(records: Iterable[dict], now: datetime, tz: tzinfo) -> list[HourBucket]:
    """168 buckets, oldest first, the last one the hour containing ``now``."""
    end = now.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    first = end - timedelta(hours=HOURS - 1)
    counts = [0] * HOURS
    for rec in records:
        t = parse_time(rec.get("started_at", rec.get("start")), tz)
        if t is None:
            continue
        idx = int((t - first).total_seconds() // 3600)
        if 0 <= idx < HOURS:
            counts[idx] += 1
    return [HourBucket(first + timedelta(hours=i), c) for i, c in enumerate(counts)]


def calls_per_hour_svg(buckets: list[HourBucket], width: int = 840, height: int = 160) -> str:
    """An accessible bar chart as an ``<svg>`` string (presentation attributes only: CSP-safe)."""
    top, bottom, left = 10, 24, 28
    plot_h = height - top - bottom
    bar_w = (width - left) / max(1, len(buckets))
    peak = max([b.count for b in buckets] + [1])
    parts = [f'<svg class="chart" role="img" aria-label="Calls per hour, last 7 days" viewBox="0 0 {width} '
             f'{height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="0" y="{top + 8}" font-size="10" fill="#555">{peak}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="#999"/>']
    for i, b in enumerate(buckets):
        x = left + i * bar_w
        if b.start.hour == 0 or i == 0:
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#ddd"/>')
        if (b.start.hour == 0 or i == 0) and x + 48 < width:
            parts.append(f'<text x="{x + 2:.1f}" y="{height - 8}" font-size="10" fill="#555">'
                         f'{escape(b.start.strftime("%a %d"))}</text>')
        if b.count:
            h = plot_h * b.count / peak
            label = escape(f'{b.start.strftime("%a %d %b %H:00")}: {b.count} call{"s" if b.count != 1 else ""}')
            parts.append(f'<rect x="{x + 0.5:.1f}" y="{top + plot_h - h:.1f}" width="{max(1.0, bar_w - 1):.1f}" '
                         f'height="{h:.1f}" fill="#2a6ebb"><title>{label}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)
