"""Turning the parameter descriptions of other formats into standard JSON Schema.

ToolBench writes parameters as lists of ``{name, type, description, default}`` with
RapidAPI type names (``STRING``, ``NUMBER``, ``ENUM``, ``DATE (YYYY-MM-DD)``...);
BFCL and Seal-Tools use Python-ish types (``dict``, ``float``, ``tuple``, ``str``) and a
non-standard ``optional`` key. Everything here returns plain JSON Schema
(draft 2020-12 vocabulary only).
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

# RapidAPI / ToolBench parameter types (upper-cased) → JSON Schema.
TOOLBENCH_TYPES: dict[str, dict[str, Any]] = {
    "STRING": {"type": "string"},
    "NUMBER": {"type": "number"},
    "INTEGER": {"type": "integer"},
    "BOOLEAN": {"type": "boolean"},
    "ENUM": {"type": "string"},
    "DATE (YYYY-MM-DD)": {"type": "string", "format": "date"},
    "TIME (24-HOUR HH:MM)": {"type": "string"},
    "GEOPOINT (LATITUDE, LONGITUDE)": {"type": "string"},
    "ARRAY": {"type": "array"},
    "LIST": {"type": "array"},
    "OBJECT": {"type": "object"},
    "BINARY": {"type": "string"},
    "FILE": {"type": "string"},
}

# Python-ish type names (BFCL, Seal-Tools, hand-written files) → JSON Schema type.
TYPE_ALIASES: dict[str, str] = {
    "str": "string", "string": "string", "text": "string", "char": "string",
    "int": "integer", "integer": "integer", "long": "integer",
    "float": "number", "double": "number", "number": "number", "decimal": "number",
    "bool": "boolean", "boolean": "boolean",
    "dict": "object", "object": "object", "map": "object", "hashmap": "object",
    "list": "array", "array": "array", "tuple": "array", "set": "array", "arraylist": "array",
    "null": "null", "none": "null",
}

JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})

# JSON Schema keywords whose value is a schema / a map of schemas / a list of schemas.
_SUB_SCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_NON_STANDARD = ("optional",)


def toolbench_type_schema(raw_type: Any) -> dict[str, Any]:
    """The JSON Schema for a ToolBench parameter type (unknown types become strings).

    >>> toolbench_type_schema("NUMBER"), toolbench_type_schema("string")
    ({'type': 'number'}, {'type': 'string'})
    >>> toolbench_type_schema("DATE (YYYY-MM-DD)")
    {'type': 'string', 'format': 'date'}
    """
    key = str(raw_type or "STRING").strip().upper()
    if key in TOOLBENCH_TYPES:
        return dict(TOOLBENCH_TYPES[key])
    alias = TYPE_ALIASES.get(key.lower())
    if alias:
        return {"type": alias}
    logger.debug("unknown ToolBench parameter type %r: using string", raw_type)
    return {"type": "string"}


def coerce_value(value: Any, json_type: str | None) -> tuple[bool, Any]:
    """Convert a RapidAPI default (often a string) to ``json_type``; ``(ok, value)``.

    >>> coerce_value("10", "number"), coerce_value("2.5", "number"), coerce_value("x", "integer")
    ((True, 10), (True, 2.5), (False, 'x'))
    >>> coerce_value("true", "boolean"), coerce_value('["a"]', "array"), coerce_value(3, "string")
    ((True, True), (True, ['a']), (True, '3'))
    """
    if json_type in (None, "string"):
        if isinstance(value, str):
            return True, value
        return True, json.dumps(value) if isinstance(value, (bool, dict, list)) else str(value)
    if json_type in ("number", "integer"):
        return _coerce_number(value, json_type)
    if json_type == "boolean":
        if isinstance(value, bool):
            return True, value
        text = str(value).strip().lower()
        return (True, text == "true") if text in ("true", "false") else (False, value)
    wanted = {"array": list, "object": dict}.get(json_type)
    if wanted is None:
        return False, value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return False, value
        return (True, parsed) if isinstance(parsed, wanted) else (False, value)
    return (True, value) if isinstance(value, wanted) else (False, value)


def _coerce_number(value: Any, json_type: str) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return False, value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return False, value
        if number != number or number in (float("inf"), float("-inf")):
            return False, value
        value = int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    if isinstance(value, int) or (json_type == "number" and isinstance(value, float)):
        return True, value
    if isinstance(value, float) and value.is_integer():
        return True, int(value)
    return False, value


def normalize_schema(schema: Any) -> dict[str, Any]:
    """A copy of a function's parameter schema in standard JSON Schema.

    Maps Python-ish types (``dict`` → ``object``, ``float`` → ``number``, ``tuple`` →
    ``array``; ``any`` → no type), drops the non-standard ``optional`` key and makes the
    top level an object with ``properties`` and ``required``.

    >>> normalize_schema({"type": "dict", "properties": {"x": {"type": "float", "optional": True}},
    ...                   "required": []})
    {'type': 'object', 'properties': {'x': {'type': 'number'}}, 'required': []}
    >>> normalize_schema({})
    {'type': 'object', 'properties': {}, 'required': []}
    """
    out = _normalize_node(copy.deepcopy(schema)) if isinstance(schema, dict) else {}
    out["type"] = "object"
    if not isinstance(out.get("properties"), dict):
        out["properties"] = {}
    required = out.get("required")
    out["required"] = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
    return out


def _normalize_type(value: Any) -> Any:
    if isinstance(value, list):
        mapped = [_normalize_type(v) for v in value]
        mapped = [m for m in mapped if m is not None]
        return list(dict.fromkeys(mapped)) or None
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    if lowered in JSON_TYPES:
        return lowered
    return TYPE_ALIASES.get(lowered)


def _normalize_node(node: dict[str, Any]) -> dict[str, Any]:
    for key in _NON_STANDARD:
        node.pop(key, None)
    if "type" in node:
        mapped = _normalize_type(node["type"])
        if mapped is None:
            node.pop("type")
        else:
            node["type"] = mapped
    for key in _SUB_SCHEMA:
        if isinstance(node.get(key), dict):
            node[key] = _normalize_node(node[key])
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            node[key] = {k: _normalize_node(v) if isinstance(v, dict) else {} for k, v in node[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_normalize_node(v) if isinstance(v, dict) else {} for v in node[key]]
    if "required" in node and not (isinstance(node["required"], list)
                                   and all(isinstance(r, str) for r in node["required"])):
        node.pop("required")  # e.g. BFCL's per-property ``required: true``
    if isinstance(node.get("required"), list):
        node["required"] = list(dict.fromkeys(node["required"]))
    if isinstance(node.get("enum"), list) and not node["enum"]:
        node.pop("enum")
    return node
