"""RFC 4733 telephone-event codes and the DTMF digits they stand for, in one place.

What it is: the mapping between the event codes of RFC 4733 section 3.2 (DTMF events 0-15 and the flash
event 16) and Switchboard's digit characters ``0-9 * # A-D``, so SIP (RTP telephone-event) and the
analogue side agree. What it is not: an RTP packetiser (the SIP driver owns packets, durations, end bits).
"""
from __future__ import annotations

DIGITS = "0123456789*#ABCD"
"""Digit characters in event-code order: '0'..'9' = 0..9, '*' = 10, '#' = 11, 'A'..'D' = 12..15."""
FLASH_EVENT = 16
"""RFC 4733 event code of a hook flash."""

_CODE_OF = {d: i for i, d in enumerate(DIGITS)}


def event_of_digit(digit: str) -> int:
    """RFC 4733 event code of a DTMF digit (case-insensitive for A-D); ValueError for anything else."""
    code = _CODE_OF.get(digit.upper()) if isinstance(digit, str) and len(digit) == 1 else None
    if code is None:
        raise ValueError(f"not a DTMF digit: {digit!r} (expected one of {DIGITS})")
    return code


def digit_of_event(code: int) -> str:
    """DTMF digit of an RFC 4733 event code 0-15; ValueError for anything else (16 is flash, not a digit)."""
    if not isinstance(code, int) or not 0 <= code < len(DIGITS):
        raise ValueError(f"not a DTMF telephone-event code: {code!r} (expected 0-15)")
    return DIGITS[code]


def is_flash(code: int) -> bool:
    """True for the RFC 4733 hook-flash event."""
    return code == FLASH_EVENT
