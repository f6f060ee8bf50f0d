"""Validation of a configuration document: the JSON Schema, then the cross-reference checks.

What it is: :func:`validate` returns every problem as ``(path, reason)``, where ``path`` names the field the
way a person reads the document (``extensions[2].number``, ``menus.main.options["*"].target``) and ``reason``
says what is wrong in words. Schema checks use jsonschema (Draft 2020-12) with ``firmware/config/schema.yaml``;
checks a schema cannot express are in :mod:`firmware.config.crossref`. :func:`apply_defaults` fills the schema's
``default`` values into a copy of a document.

What it is not: a loader; it never touches files other than the schema.
"""
from __future__ import annotations

import copy
import difflib
import functools
import re
from importlib import resources
from typing import Any, Iterable

import jsonschema

from firmware.config import crossref, yamlio

Error = tuple[str, str]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The configuration schema (parsed once)."""
    text = resources.files("firmware.config").joinpath("schema.yaml").read_text(encoding="utf-8")
    return yamlio.parse(text, "schema.yaml")   # strict: a key written twice by two editors is an error


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())   # the schema itself is checked by the test suite


def format_path(parts: Iterable[Any]) -> str:
    """``["extensions", 2, "number"]`` -> ``extensions[2].number``; odd keys are quoted: ``options["*"]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(str(part)) or str(part).isdigit():
            out += f".{part}" if out else str(part)
        else:
            out += f'["{part}"]'
    return out or "document"


def validate(doc: Any) -> list[Error]:
    """Every problem in ``doc`` as ``(path, reason)``; an empty list means the document is valid."""
    if not isinstance(doc, dict):
        return [("document", "must be a mapping of sections (office:, board:, lines:, ...)")]
    errors = schema_errors(doc)
    if not errors:
        errors = crossref.check(apply_defaults(doc))  # the defaults are what will run, so check them too
    return errors


def warnings(doc: dict[str, Any]) -> list[Error]:
    """Things a *valid* document does that are probably not meant (unreachable menus, …); empty when none."""
    return crossref.warnings(apply_defaults(doc))


def schema_errors(doc: Any) -> list[Error]:
    """Problems found by the JSON Schema alone, sorted by path."""
    found: dict[tuple[str, str], None] = {}
    for err in _validator().iter_errors(doc):
        for item in _describe(err):
            found.setdefault(item, None)
    return sorted(found, key=lambda e: _sort_key(e[0]))


def _sort_key(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"[.\[\]\"]+", path) if p]


def _describe(err: jsonschema.ValidationError) -> list[Error]:
    path = list(err.absolute_path)
    kind = err.validator
    if "propertyNames" in err.schema_path and isinstance(err.instance, str):
        return [(format_path(path + [err.instance]), f"is not an allowed key here: {_reason(err)}")]
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        return [(format_path(path + [m]), "required field is missing") for m in missing] or [
            (format_path(path), err.message)]
    if kind == "additionalProperties" and err.validator_value is False:
        return [_unknown_field(path, key, err.schema) for key in _extra_keys(err)]
    if kind in ("oneOf", "anyOf"):
        return [_best_of(err)]
    if kind == "propertyNames":
        return [(format_path(path), _reason(err))]
    return [(format_path(path), _reason(err))]


def _extra_keys(err: jsonschema.ValidationError) -> list[str]:
    allowed = set(err.schema.get("properties", {}))
    return [k for k in err.instance if k not in allowed] if isinstance(err.instance, dict) else []


def _unknown_field(path: list[Any], key: str, sch: dict[str, Any]) -> Error:
    removed = (sch.get("x-removed") or {}).get(str(key))
    if removed:                       # a field Switchboard does not have, with the reason (schema ``x-removed``)
        return format_path(path + [key]), f"not available: {removed}"
    known = list(sch.get("properties", {}))
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known fields: {', '.join(known)})"
    return format_path(path + [key]), f"unknown field{hint}"


def _best_of(err: jsonschema.ValidationError) -> Error:
    path = format_path(err.absolute_path)
    reasons = [_reason(sub) for sub in err.context if sub.validator != "type"]
    if not reasons:
        reasons = [_reason(sub) for sub in err.context]
    if isinstance(err.instance, (bool, int, float)) and any("quotes" in r or "text" in r for r in reasons):
        return path, _type_hint("string", err.instance)
    return path, " or ".join(dict.fromkeys(reasons)) or "is not an allowed value"


def _reason(err: jsonschema.ValidationError) -> str:
    kind, val, inst, sch = err.validator, err.validator_value, err.instance, err.schema
    if kind in ("pattern", "format"):
        return f"must be {sch.get('x-reason', 'in the form ' + str(val))} (got {inst!r})"
    if kind == "type":
        return _type_hint(val, inst)
    if kind == "enum":
        if isinstance(inst, bool) and any(isinstance(v, str) for v in val):
            return (f"must be one of: {', '.join(str(v) for v in val)}; write it in quotes (YAML reads "
                    f"NO, YES, ON and OFF as {str(inst).lower()})")
        return f"must be one of: {', '.join(str(v) for v in val)} (got {inst!r})"
    if kind == "const":
        return f"must be {val!r}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be {'at least' if kind == 'minimum' else 'more than'} {val} (got {inst!r})"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be {'at most' if kind == 'maximum' else 'less than'} {val} (got {inst!r})"
    if kind == "minItems":
        return f"needs at least {val} item{'s' if val != 1 else ''}"
    if kind == "maxItems":
        return f"allows at most {val} items"
    if kind == "minLength":
        return "must not be empty" if val == 1 else f"must be at least {val} characters"
    if kind == "maxLength":
        return f"must be at most {val} characters"
    if kind == "uniqueItems":
        return "lists the same item twice"
    if kind in ("oneOf", "anyOf"):
        return _best_of(err)[1]
    return err.message


def _type_hint(expected: Any, inst: Any) -> str:
    names = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
             "object": "a mapping (key: value lines)", "array": "a list", "null": "empty (null)"}
    wanted = [expected] if isinstance(expected, str) else list(expected)
    words = " or ".join(names.get(w, w) for w in wanted)
    if "string" in wanted and isinstance(inst, (bool, int, float)):
        read = str(inst).lower() if isinstance(inst, bool) else f"the number {inst!r}"
        return f"must be {words}; write it in quotes (YAML read it as {read})"
    return f"must be {words} (got {type(inst).__name__} {inst!r})"


def apply_defaults(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``doc`` with the schema's ``default`` values filled in where a field is absent."""
    out = copy.deepcopy(doc)
    _fill(out, schema(), schema())
    return out


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        node = root["$defs"][ref.rsplit("/", 1)[-1]]
    return node


def _fill(value: Any, node: dict[str, Any], root: dict[str, Any]) -> None:
    node = _resolve(node, root)
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key, sub in props.items():
            sub_r = _resolve(sub, root)
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            elif key not in value and "default" in sub_r:
                value[key] = copy.deepcopy(sub_r["default"])
            elif key not in value and sub_r.get("x-fill"):
                value[key] = {}
            if key in value:
                _fill(value[key], sub_r, root)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in props:
                    _fill(item, extra, root)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            _fill(item, node["items"], root)
