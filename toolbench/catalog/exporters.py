"""Write a :class:`~toolbench.catalog.Catalog` as OpenAI tools JSON or a flat ToolBench list.

- ``openai``: the chat-completions ``tools`` list, one entry per API, named by the
  catalog's reversible function-name map (``{api}_for_{tool}`` or the native name).
- ``toolbench``: the flat list StableToolBench's ``catalog.json`` uses
  (``category_name``, ``tool_name``, ``api_name``, ``api_description``,
  ``required_parameters``/``optional_parameters`` with RapidAPI types and the original
  parameter names, ``method``, ``template_response``), plus ``url``,
  ``tool_description`` and ``native_name`` when the API has them. Nested schemas
  (array items, object properties) do not fit this format and are dropped; ``integer``
  is written as ``NUMBER`` like every ToolBench file.

Exported files are written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.registry import Registry
from toolbench.store import atomic_write_text
from toolbench.types import ApiSpec

EXPORTERS: Registry[Callable[[Catalog], Any]] = Registry("export format")


def toolbench_type(schema: dict[str, Any]) -> str:
    """The RapidAPI type name of a parameter schema.

    >>> toolbench_type({"type": "integer"}), toolbench_type({"type": "string", "format": "date"})
    ('NUMBER', 'DATE (YYYY-MM-DD)')
    >>> toolbench_type({"type": ["string", "null"]}), toolbench_type({})
    ('STRING', 'STRING')
    """
    json_type = schema.get("type")
    if isinstance(json_type, list):
        json_type = next((t for t in json_type if t != "null"), None)
    if json_type == "string" and schema.get("format") == "date":
        return "DATE (YYYY-MM-DD)"
    names = {"number": "NUMBER", "integer": "NUMBER", "boolean": "BOOLEAN", "array": "ARRAY", "object": "OBJECT"}
    return names.get(json_type, "STRING") if isinstance(json_type, str) else "STRING"


def toolbench_parameter(name: str, schema: dict[str, Any], api: ApiSpec) -> dict[str, Any]:
    """One RapidAPI parameter entry (original name, type, description, default).

    >>> api = ApiSpec("C", "T", "A", parameter_aliases={"is_id": "id"})
    >>> toolbench_parameter("is_id", {"type": "number", "examples": [3]}, api)
    {'name': 'id', 'type': 'NUMBER', 'description': '', 'default': 3}
    """
    schema = schema if isinstance(schema, dict) else {}
    examples = schema.get("examples")
    default = schema.get("default", examples[0] if isinstance(examples, list) and examples else "")
    return {
        "name": api.parameter_aliases.get(name, name),
        "type": toolbench_type(schema),
        "description": str(schema.get("description", "")),
        "default": default,
    }


def toolbench_doc(api: ApiSpec) -> dict[str, Any]:
    """The flat-list ToolBench doc of one API (see the module docstring)."""
    properties = api.parameters.get("properties", {})
    required = [p for p in api.required if p in properties]
    doc: dict[str, Any] = {
        "category_name": api.category,
        "tool_name": api.tool,
        "api_name": api.name,
        "api_description": api.description,
        "required_parameters": [toolbench_parameter(p, properties[p], api) for p in required],
        "optional_parameters": [toolbench_parameter(p, properties[p], api) for p in api.optional],
    }
    extras = {"method": api.method, "template_response": api.template_response, "url": api.url,
              "tool_description": api.tool_description, "native_name": api.native_name}
    doc.update({k: v for k, v in extras.items() if v not in (None, "")})
    return doc


@EXPORTERS.register("toolbench")
def to_toolbench(catalog: Catalog) -> list[dict[str, Any]]:
    """The catalog as a flat ToolBench API list."""
    return [toolbench_doc(api) for api in catalog]


@EXPORTERS.register("openai")
def to_openai(catalog: Catalog) -> list[dict[str, Any]]:
    """The catalog as an OpenAI chat-completions ``tools`` list."""
    return catalog.openai_tools()


def export_catalog(catalog: Catalog, fmt: str, out: str | Path) -> Path:
    """Write ``catalog`` in format ``fmt`` (``openai`` or ``toolbench``) to ``out`` atomically."""
    exporter = EXPORTERS.get(fmt)
    return atomic_write_text(out, json.dumps(exporter(catalog), ensure_ascii=False, indent=2) + "\n")
