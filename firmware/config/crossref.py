"""Cross-reference checks of a configuration document: what JSON Schema cannot express.

What it is: :func:`check` takes a document that already passed the schema and returns ``(path, reason)`` for
every reference that points nowhere (an extension's phone, the operator, a menu option's target, a ring-group
member), every number that two things claim (extensions, ring groups, parking slots, the outside-line access
code), time zones unknown to zoneinfo, impossible dates and time ranges, toll-fraud holes (a menu option that
dials an outside number the security section does not allow; a forward to an outside number), and what
Switchboard does not have (a ``queue:NAME`` destination or a menu option with ``action: queue``: call queues
are not built).

What it is not: a schema check (types and shapes are :mod:`firmware.config.validate`'s) nor a runtime check of
the hardware (whether ``fxs3`` is wired is the drivers' business).
"""
from __future__ import annotations

import datetime as _dt
import zoneinfo
from typing import Any, Callable

Error = tuple[str, str]

_DEST_KINDS_WITH_TARGET = ("menu", "extension", "ring_group", "queue", "mailbox")

NO_QUEUES = "call queues (ACD) are not available in Switchboard; send the call to a ring_group instead"
NO_OUTSIDE_FORWARD = ("forwarding to an outside number is not available (two phone-company lines are never "
                      "joined together); forward to an extension")


def check(doc: dict[str, Any]) -> list[Error]:
    """All cross-reference problems of a schema-valid document."""
    errors: list[Error] = []
    for fn in _CHECKS:
        errors.extend(fn(doc))
    return errors


# ------------------------------------------------------------------ indexes


def _extensions(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["number"]: e for e in doc.get("extensions", [])}


def _mailboxes(doc: dict[str, Any]) -> set[str]:
    boxes = {e["mailbox"] for e in doc.get("extensions", []) if e.get("mailbox")}
    boxes |= {m["number"] for m in doc.get("voicemail", {}).get("shared", [])}
    return boxes


def _names(doc: dict[str, Any], section: str) -> set[str]:
    return {g["name"] for g in doc.get(section, [])}


def _parking_slots(doc: dict[str, Any]) -> list[str]:
    park = doc.get("parking")
    if park is None:
        return []
    first = park.get("first_slot", "701")
    count = park.get("slots", 8)
    return [str(int(first) + i) for i in range(count)]


# ------------------------------------------------------------------ checks


def _check_office(doc: dict[str, Any]) -> list[Error]:
    errors = _check_zone(doc["office"]["timezone"], "office.timezone")
    zone = doc.get("schedule", {}).get("timezone")
    if zone is not None:
        errors += _check_zone(zone, "schedule.timezone")
    return errors


def _check_zone(name: str, path: str) -> list[Error]:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [(path, f"unknown time zone {name!r} (use an IANA name such as Europe/London)")]
    return []


def _duplicates(items: list[Any], key: Callable[[Any], Any], path: str, what: str) -> list[Error]:
    seen: dict[Any, int] = {}
    errors = []
    for i, item in enumerate(items):
        k = key(item)
        if k is None:
            continue
        if k in seen:
            errors.append((f"{path}[{i}]", f"{what} {k!r} is already used by {path}[{seen[k]}]"))
        else:
            seen[k] = i
    return errors


def _check_lines_phones(doc: dict[str, Any]) -> list[Error]:
    lines, phones = doc.get("lines", []), doc.get("phones", [])
    errors = _duplicates(lines, lambda x: x["id"], "lines", "line id")
    errors += _duplicates(lines, lambda x: x["port"], "lines", "port")
    errors += _duplicates(phones, lambda x: x["port"], "phones", "port")
    # A port missing from board.ports takes the reference board's pins for its number (drivers/gpio/board.py).
    board_ports = doc["board"].get("ports")
    if board_ports:
        for name, spec in board_ports.items():
            kind = spec.get("kind")
            if kind and not name.startswith(kind):
                errors.append((f"board.ports.{name}.kind", f"kind {kind!r} does not match the port name {name!r}"))
    return errors


def _check_extensions(doc: dict[str, Any]) -> list[Error]:
    exts = doc.get("extensions", [])
    phones = {p["port"] for p in doc.get("phones", [])}
    errors = _duplicates(exts, lambda x: x["number"], "extensions", "extension number")
    errors += _duplicates(exts, lambda x: x.get("mailbox"), "extensions", "mailbox")
    ext_numbers = set(_extensions(doc))
    for i, ext in enumerate(exts):
        phone = ext.get("phone")
        if phone is not None and phone not in phones:
            errors.append((f"extensions[{i}].phone", f"no phone on port {phone!r} (phones lists {_list(phones)})"))
        for when, target in (ext.get("forward") or {}).items():
            if target is None:
                continue
            path = f"extensions[{i}].forward.{when}"
            if target == ext["number"]:
                errors.append((path, "an extension cannot forward to itself"))
            elif target in ext_numbers:
                continue
            else:
                errors.append((path, f"{target!r} is not an extension: {NO_OUTSIDE_FORWARD}"))
    return errors


def _check_numbering(doc: dict[str, Any]) -> list[Error]:
    """Every dialable number belongs to one thing, and none starts with the outside-line access code."""
    owners: dict[str, str] = {e["number"]: f"extensions[{i}]" for i, e in enumerate(doc.get("extensions", []))}
    errors: list[Error] = []
    claims: list[tuple[str, str]] = []
    for i, g in enumerate(doc.get("ring_groups", [])):
        if g.get("number"):
            claims.append((g["number"], f"ring_groups[{i}].number"))
    for i, m in enumerate(doc.get("voicemail", {}).get("shared", [])):
        claims.append((m["number"], f"voicemail.shared[{i}].number"))
    for slot in _parking_slots(doc):
        claims.append((slot, "parking"))
    for number, path in claims:
        if number in owners:
            errors.append((path, f"number {number!r} is already used by {owners[number]}"))
        else:
            owners[number] = path
    code = doc.get("trunks", {}).get("outgoing", {}).get("access_code")
    if code is not None and doc.get("lines"):
        for number, path in owners.items():
            if number.startswith(code):
                errors.append((path if path != "parking" else "parking.first_slot",
                               f"number {number!r} starts with the outside-line access code {code!r}"))
    return errors


def _check_operator(doc: dict[str, Any]) -> list[Error]:
    op = doc.get("operator")
    if op is None:
        return []
    ext = _extensions(doc).get(op)
    if ext is None:
        return [("operator", f"no extension {op!r}")]
    return []


def _check_destination(doc: dict[str, Any], dest: str, path: str) -> list[Error]:
    kind, _, target = dest.partition(":")
    if kind == "operator" and doc.get("operator") is None:
        return [(path, "sends calls to the operator, but no operator extension is set")]
    if kind not in _DEST_KINDS_WITH_TARGET:
        return []
    return _check_target(doc, kind, target, path)


def _check_target(doc: dict[str, Any], kind: str, target: str, path: str) -> list[Error]:
    known: set[str]
    if kind == "queue":
        return [(path, NO_QUEUES)]
    if kind == "extension":
        known = set(_extensions(doc))
    elif kind == "mailbox":
        known = _mailboxes(doc)
    elif kind in ("menu", "submenu"):
        known = set(doc.get("menus", {}))
    else:
        known = _names(doc, kind + "s")
    if target not in known:
        word = {"submenu": "menu"}.get(kind, kind).replace("_", " ")
        return [(path, f"no {word} {target!r} (known: {_list(known)})")]
    return []


def _check_menus(doc: dict[str, Any]) -> list[Error]:
    errors: list[Error] = []
    menus = doc.get("menus", {})
    entry = doc.get("attendant", {}).get("menu")
    if entry is not None and entry not in menus:
        errors.append(("attendant.menu", f"no menu {entry!r} (known: {_list(menus)})"))
    for name, menu in menus.items():
        base = f"menus.{name}"
        if "on_fail" in menu:
            errors += _check_destination(doc, menu["on_fail"], f"{base}.on_fail")
        for key, opt in menu.get("options", {}).items():
            errors += _check_option(doc, opt, f'{base}.options["{key}"]' if not key.isdigit() else
                                    f"{base}.options.{key}")
    return errors


def _check_option(doc: dict[str, Any], opt: dict[str, Any], path: str) -> list[Error]:
    action, target = opt["action"], opt.get("target")
    if action == "queue":
        return [(f"{path}.action", NO_QUEUES)]
    needs_target = action in ("extension", "ring_group", "queue", "mailbox", "submenu", "external")
    if needs_target and target is None:
        return [(f"{path}.target", f"action {action!r} needs a target")]
    if action == "info" and "prompt" not in opt:
        return [(f"{path}.prompt", "action 'info' needs the prompt to play")]
    if not needs_target:
        if action == "operator" and doc.get("operator") is None:
            return [(f"{path}.action", "no operator extension is set")]
        return []
    if action == "external":
        allowed = doc.get("security", {}).get("allow_external_targets", [])
        if target not in allowed:
            return [(f"{path}.target", f"outside number {target!r} is not listed in "
                                       "security.allow_external_targets (toll-fraud protection)")]
        return []
    if action in ("extension", "mailbox") and not target.isdigit():
        return [(f"{path}.target", f"must be digits (an {action} number), got {target!r}")]
    return _check_target(doc, action, target, f"{path}.target")


def _check_routing(doc: dict[str, Any]) -> list[Error]:
    errors: list[Error] = []
    incoming = doc.get("trunks", {}).get("incoming", {})
    if "answer_destination" in incoming:
        errors += _check_destination(doc, incoming["answer_destination"], "trunks.incoming.answer_destination")
    for i, line in enumerate(doc.get("lines", [])):
        if "answer_destination" in line:
            errors += _check_destination(doc, line["answer_destination"], f"lines[{i}].answer_destination")
    for state, dest in doc.get("schedule", {}).get("destinations", {}).items():
        errors += _check_destination(doc, dest, f"schedule.destinations.{state}")
    exts = set(_extensions(doc))
    for i, n in enumerate(doc.get("trunks", {}).get("outgoing", {}).get("emergency_numbers", [])):
        if n in exts:
            errors.append((f"trunks.outgoing.emergency_numbers[{i}]",
                           f"{n!r} is also an extension's number: an emergency call must never ring a desk"))
    for i, n in enumerate(doc.get("trunks", {}).get("outgoing", {}).get("allowed_extensions", [])):
        if n not in exts:
            errors.append((f"trunks.outgoing.allowed_extensions[{i}]", f"no extension {n!r}"))
    return errors


def _check_groups(doc: dict[str, Any]) -> list[Error]:
    exts = set(_extensions(doc))
    errors: list[Error] = []
    for section in ("ring_groups",):
        groups = doc.get(section, [])
        errors += _duplicates(groups, lambda g: g["name"], section, "name")
        for i, g in enumerate(groups):
            for j, m in enumerate(g["members"]):
                if m not in exts:
                    errors.append((f"{section}[{i}].members[{j}]", f"no extension {m!r}"))
            for key in ("on_no_answer", "on_timeout"):
                if key in g:
                    errors += _check_destination(doc, g[key], f"{section}[{i}].{key}")
    for i, m in enumerate(doc.get("voicemail", {}).get("shared", [])):
        for j, member in enumerate(m.get("members", [])):
            if member not in exts:
                errors.append((f"voicemail.shared[{i}].members[{j}]", f"no extension {member!r}"))
    return errors


def _check_schedule(doc: dict[str, Any]) -> list[Error]:
    sched = doc.get("schedule", {})
    errors: list[Error] = []
    for day, ranges in sched.get("hours", {}).items():
        errors += _check_ranges(ranges, f"schedule.hours.{day}")
    lunch = sched.get("lunch")
    if lunch and lunch["start"] >= lunch["end"]:
        errors.append(("schedule.lunch.end", f"must be later than start {lunch['start']}"))
    seen: dict[str, int] = {}
    for i, hol in enumerate(sched.get("holidays", [])):
        try:
            _dt.date.fromisoformat(hol["date"])
        except ValueError:
            errors.append((f"schedule.holidays[{i}].date", f"{hol['date']!r} is not a real date"))
        if hol["date"] in seen:
            errors.append((f"schedule.holidays[{i}].date", f"same date as schedule.holidays[{seen[hol['date']]}]"))
        seen.setdefault(hol["date"], i)
        errors += _check_ranges(hol.get("hours", []), f"schedule.holidays[{i}].hours")
    return errors


def _check_ranges(ranges: list[str], path: str) -> list[Error]:
    errors: list[Error] = []
    spans = []
    for i, text in enumerate(ranges):
        start, end = text.split("-")
        if start >= end:
            errors.append((f"{path}[{i}]", f"{text!r}: the end must be later than the start"))
        spans.append((start, end, i))
    spans.sort()
    for (s1, e1, i1), (s2, _e2, i2) in zip(spans, spans[1:]):
        if s2 < e1:
            errors.append((f"{path}[{i2}]", f"overlaps {path}[{i1}]"))
    return errors


def _check_voicemail(doc: dict[str, Any]) -> list[Error]:
    vm = doc.get("voicemail", {})
    lo, hi = vm.get("min_message_seconds"), vm.get("max_message_seconds")
    if lo is not None and hi is not None and lo >= hi:
        return [("voicemail.min_message_seconds", f"must be less than max_message_seconds ({hi})")]
    min_pin = doc.get("security", {}).get("pin_min_length", 4)
    errors = []
    for i, ext in enumerate(doc.get("extensions", [])):
        if "pin" in ext and len(ext["pin"]) < min_pin:
            errors.append((f"extensions[{i}].pin", f"must be at least {min_pin} digits (security.pin_min_length)"))
    return errors


def _list(items: Any) -> str:
    items = sorted(items)
    return ", ".join(repr(i) for i in items) if items else "none"


_CHECKS: list[Callable[[dict[str, Any]], list[Error]]] = [
    _check_office, _check_lines_phones, _check_extensions, _check_numbering, _check_operator,
    _check_menus, _check_routing, _check_groups, _check_schedule, _check_voicemail,
]


# ------------------------------------------------------------------ warnings (valid, but probably not meant)


def warnings(doc: dict[str, Any]) -> list[Error]:
    """Things a valid document does that are probably not meant: unreachable menus and extensions, an operator
    without a phone."""
    out: list[Error] = []
    for fn in (_warn_menus, _warn_extensions):
        out.extend(fn(doc))
    return out


def _destinations(doc: dict[str, Any]) -> list[str]:
    dests = [doc.get("trunks", {}).get("incoming", {}).get("answer_destination", "")]
    dests += [ln.get("answer_destination", "") for ln in doc.get("lines", [])]
    dests += list(doc.get("schedule", {}).get("destinations", {}).values())
    for menu in doc.get("menus", {}).values():
        dests.append(menu.get("on_fail", ""))
        dests += [f"menu:{o['target']}" for o in menu.get("options", {}).values()
                  if o["action"] == "submenu" and o.get("target")]
    dests += [g.get("on_no_answer", "") for g in doc.get("ring_groups", [])]
    return dests


def _warn_menus(doc: dict[str, Any]) -> list[Error]:
    used = {d.partition(":")[2] for d in _destinations(doc) if d.startswith("menu:")}
    used.add(doc.get("attendant", {}).get("menu", "main"))
    return [(f"menus.{name}", "no call ever reaches this menu (not the attendant's menu, a submenu or a "
                              "destination)") for name in doc.get("menus", {}) if name not in used]


def _warn_extensions(doc: dict[str, Any]) -> list[Error]:
    out: list[Error] = []
    for i, ext in enumerate(doc.get("extensions", [])):
        if not ext.get("phone") and not ext.get("mailbox") and not (ext.get("forward") or {}).get("always"):
            out.append((f"extensions[{i}]", f"extension {ext['number']} has no phone, mailbox or forward: "
                                            "a call to it cannot be answered"))
    op = _extensions(doc).get(doc.get("operator") or "")
    if op is not None and not op.get("phone"):
        out.append(("operator", f"the operator extension {op['number']} has no phone: callers who press 0 "
                                "reach its mailbox"))
    return out

