"""Choices offered in forms: countries the box has tone and caller-ID tables for, time zones, actions.

The daemon validates every value again (the configuration schema is the authority); these lists only
make the forms pleasant.
"""
from __future__ import annotations

import zoneinfo
from functools import lru_cache

COUNTRIES = [
    ("AR", "Argentina"), ("AU", "Australia"), ("AT", "Austria"), ("BE", "Belgium"), ("BR", "Brazil"),
    ("CA", "Canada"), ("CN", "China"), ("CZ", "Czechia"), ("DK", "Denmark"), ("FI", "Finland"),
    ("FR", "France"), ("DE", "Germany"), ("GR", "Greece"), ("HK", "Hong Kong"), ("IN", "India"),
    ("IE", "Ireland"), ("IL", "Israel"), ("IT", "Italy"), ("JP", "Japan"), ("LU", "Luxembourg"),
    ("MX", "Mexico"), ("NL", "Netherlands"), ("NZ", "New Zealand"), ("NO", "Norway"), ("PL", "Poland"),
    ("PT", "Portugal"), ("SG", "Singapore"), ("ZA", "South Africa"), ("ES", "Spain"), ("SE", "Sweden"),
    ("CH", "Switzerland"), ("TR", "Turkey"), ("GB", "United Kingdom"), ("US", "United States"),
]
COUNTRY_CODES = {code for code, _ in COUNTRIES}

BOARD_PROFILES = [("reference", "Reference board (docs/hardware.md)"), ("sim", "Simulated office")]

MENU_ACTIONS = [
    ("extension", "Ring an extension"), ("mailbox", "Leave a message in a mailbox"),
    ("operator", "Ring the operator"), ("submenu", "Go to another menu"), ("ring_group", "Ring a group"),
    ("queue", "Join a queue"), ("directory", "Dial-by-name directory"), ("info", "Play a message"),
    ("repeat", "Repeat this menu"), ("previous", "Back to the previous menu"), ("hangup", "Say goodbye"),
    ("external", "Call an outside number"),
]
NEEDS_TARGET = {"extension", "mailbox", "submenu", "ring_group", "queue", "external"}
MENU_ACTION_CODES = {code for code, _ in MENU_ACTIONS}


@lru_cache(maxsize=1)
def timezones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
