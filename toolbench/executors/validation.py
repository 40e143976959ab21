"""Argument checking before any call: JSON Schema validation plus obvious type-slip repair.

Models often write ``"3"`` for an integer or ``3`` for a string. :func:`check_arguments`
repairs such slips (recording each one), then validates with ``jsonschema``; what is still
invalid becomes an ``INVALID_INPUT`` observation, never a call.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import jsonschema

from toolbench.jsonutil import canonical_json

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class ArgumentError(ValueError):
    """The arguments do not fit the schema; the message is written for the model."""


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return [kind] if isinstance(kind, str) else []


def coerce_value(value: Any, schema: dict[str, Any]) -> tuple[bool, Any]:
    """``(changed, value)``: ``value`` repaired toward ``schema``'s type when the slip is obvious.

    >>> coerce_value("3", {"type": "integer"})
    (True, 3)
    >>> coerce_value(3.0, {"type": "integer"})
    (True, 3)
    >>> coerce_value("2.5", {"type": "number"})
    (True, 2.5)
    >>> coerce_value(7, {"type": "string"})
    (True, '7')
    >>> coerce_value("True", {"type": "boolean"})
    (True, True)
    >>> coerce_value('["a", "b"]', {"type": "array"})
    (True, ['a', 'b'])
    >>> coerce_value("x", {"type": "array", "items": {"type": "string"}})
    (True, ['x'])
    >>> coerce_value("abc", {"type": "integer"})
    (False, 'abc')
    """
    kinds = _types(schema)
    if not kinds or _matches(value, kinds):
        return _coerce_items(value, schema)
    for kind in kinds:
        ok, new = _coerce_to(value, kind, schema)
        if ok:
            return True, new
    return False, value


def _matches(value: Any, kinds: list[str]) -> bool:
    checks = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "null": lambda v: v is None,
    }
    return any(checks.get(k, lambda v: True)(value) for k in kinds)


def _coerce_to(value: Any, kind: str, schema: dict[str, Any]) -> tuple[bool, Any]:
    if kind == "integer":
        return _to_integer(value)
    if kind == "number":
        return _to_number(value)
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return True, str(value)
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return True, value.strip().lower() in _TRUE
    if kind in ("array", "object") and isinstance(value, str):
        ok, parsed = _from_json_text(value, list if kind == "array" else dict)
        if ok or kind == "object":
            return ok, parsed
    if kind == "array" and value is not None and not isinstance(value, (list, dict)):
        items = schema.get("items")
        ok = not isinstance(items, dict) or _matches(value, _types(items) or ["any"])
        return (True, [value]) if ok else (False, value)
    return False, value


def _to_integer(value: Any) -> tuple[bool, Any]:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return True, int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            return True, int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return False, value
            return (True, int(number)) if math.isfinite(number) and number.is_integer() else (False, value)
    return False, value


def _to_number(value: Any) -> tuple[bool, Any]:
    if not isinstance(value, str):
        return False, value
    try:
        number = float(value.strip().replace(",", ""))
    except ValueError:
        return False, value
    if not math.isfinite(number):
        return False, value
    return True, int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


def _from_json_text(text: str, kind: type) -> tuple[bool, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return False, text
    return (True, value) if isinstance(value, kind) else (False, text)


def _coerce_items(value: Any, schema: dict[str, Any]) -> tuple[bool, Any]:
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        changed = False
        out = []
        for item in value:
            item_changed, item = coerce_value(item, items)
            changed |= item_changed
            out.append(item)
        return changed, out
    return False, value


@functools.lru_cache(maxsize=4096)
def _validator(schema_text: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def validator_for(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """A cached validator for ``schema`` (schemas are keyed by their canonical JSON)."""
    return _validator(canonical_json(schema))


def check_arguments(
    arguments: Any, schema: dict[str, Any], *, coerce: bool = True, allow_extra: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """Repair and validate ``arguments``; return ``(arguments, coercions)``.

    Raises :class:`ArgumentError` with a message for the model when they stay invalid.

    >>> schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    >>> check_arguments({"n": "3"}, schema)
    ({'n': 3}, ["n: '3' -> 3 (integer)"])
    >>> check_arguments({}, schema)
    Traceback (most recent call last):
    ...
    toolbench.executors.validation.ArgumentError: 'n' is a required property
    """
    if not isinstance(arguments, dict):
        raise ArgumentError(f"arguments must be a JSON object, not {type(arguments).__name__}")
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    args = dict(arguments)
    notes: list[str] = []
    if not allow_extra:
        extra = sorted(set(args) - set(props))
        if extra:
            known = ", ".join(props) or "none"
            raise ArgumentError(f"unexpected argument(s) {', '.join(extra)} (parameters: {known})")
    if coerce:
        notes = _repair(args, props, required)
    errors = sorted(validator_for(schema).iter_errors(args), key=lambda e: list(e.path))
    if errors:
        raise ArgumentError("; ".join(_describe(e) for e in errors[:3]))
    return args, notes


def _repair(args: dict[str, Any], props: dict[str, Any], required: set[str]) -> list[str]:
    notes = []
    for key in list(args):
        schema = props.get(key)
        if not isinstance(schema, dict):
            continue
        value = args[key]
        if value is None and key not in required and "null" not in _types(schema):
            del args[key]
            notes.append(f"{key}: null dropped (optional)")
            continue
        changed, new = coerce_value(value, schema)
        if changed:
            args[key] = new
            kinds = "|".join(_types(schema)) or "items"
            notes.append(f"{key}: {value!r} -> {new!r} ({kinds})")
    return notes


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.path)
    return f"{where}: {error.message}" if where else error.message
