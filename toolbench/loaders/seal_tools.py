"""Seal-Tools ``tool.jsonl``: one tool per line, Python-ish parameter types.

``{"api_name", "api_description", "field": "Area/Subarea", "parameters": {name: {"type":
"str", "description", ...}}, "required": [...], "responses": {...}}``. Each line is one
tool with one API: category = the area of ``field`` (its part before ``/``; the whole
``field`` is the tool description), tool = API = ``api_name`` (kept as the native
function name, so ``calling[].api`` in ``dev.jsonl`` is the function name).
"""

from __future__ import annotations

from typing import Any

from toolbench.loaders.schema import TYPE_ALIASES, coerce_value
from toolbench.loaders.source import Document, Where, expect_object, get_field
from toolbench.types import ApiSpec

SEAL = "seal-tools"


def seal_parameter(param: Any, where: Where) -> dict[str, Any]:
    """JSON Schema of one Seal-Tools parameter.

    >>> seal_parameter({"type": "int", "description": "Size", "default": 8, "unit": "px"}, Where("f"))
    {'type': 'integer', 'description': 'Size (unit: px)', 'default': 8}
    """
    param = expect_object(param, where, "parameter")
    schema: dict[str, Any] = {}
    json_type = TYPE_ALIASES.get(str(get_field(param, "type", str, where, default="")).strip().lower())
    if json_type:
        schema["type"] = json_type
    description = (get_field(param, "description", str, where, default="") or "").strip()
    if param.get("unit") not in (None, ""):
        description = f"{description} (unit: {param['unit']})".strip()
    if description:
        schema["description"] = description
    if isinstance(param.get("choices"), list) and param["choices"]:
        schema["enum"] = list(dict.fromkeys(param["choices"]))
    if "default" in param and param["default"] is not None:
        ok, value = coerce_value(param["default"], json_type)
        schema["default" if ok else "examples"] = value if ok else [value]
    examples = [param[k] for k in ("example", "examples", "example_values") if param.get(k) is not None]
    if examples:
        flat = [e for x in examples for e in (x if isinstance(x, list) else [x])]
        schema["examples"] = schema.get("examples", []) + flat
    return schema


def _response_template(responses: Any) -> Any:
    """``{"x": {"type": "str", ...}}`` → ``{"x": "str"}`` (ToolBench template style)."""
    if not isinstance(responses, dict):
        return responses or None
    return {k: v.get("type", "str") if isinstance(v, dict) else v for k, v in responses.items()} or None


def seal_api(record: Any, where: Where) -> ApiSpec:
    """An :class:`ApiSpec` from one ``tool.jsonl`` record."""
    record = expect_object(record, where, "tool")
    name = get_field(record, "api_name", str, where).strip()
    params = get_field(record, "parameters", dict, where, default={})
    properties = {key: seal_parameter(value, where.nested(f"parameters.{key}.")) for key, value in params.items()}
    required = get_field(record, "required", list, where, default=[])
    for i, item in enumerate(required):
        if not isinstance(item, str) or item not in properties:
            raise where.error(f"{item!r} is not one of the parameters", f"required[{i}]")
    field = (get_field(record, "field", str, where, default="") or "").strip()
    return ApiSpec(
        category=field.split("/", 1)[0].strip() or "Seal-Tools",
        tool=name,
        name=name,
        description=(get_field(record, "api_description", str, where, default="") or "").strip(),
        parameters={"type": "object", "properties": properties, "required": list(dict.fromkeys(required))},
        tool_description=field,
        template_response=_response_template(record.get("responses")),
        native_name=name,
        source=SEAL,
    )


def load_seal(document: Document) -> list[ApiSpec]:
    """All tools of a Seal-Tools ``tool.jsonl``."""
    records = document.data if isinstance(document.data, list) else [document.data]
    path = str(document.path)
    return [seal_api(r, Where(path, document.record_label(i))) for i, r in enumerate(records)]


def is_seal(data: Any) -> bool:
    """Records with ``api_name``, ``parameters`` and ``field`` (Seal-Tools)."""
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "api_name" in first and "field" in first and "parameters" in first
