"""Formats that describe functions with a JSON Schema: OpenAI tools, MCP, BFCL.

- OpenAI tools: a list (or ``{"tools": [...]}``) of
  ``{"type": "function", "function": {"name", "description", "parameters"}}``;
  bare ``{"name", "description", "parameters"}`` entries (legacy ``functions``) too.
- MCP: a ``tools/list`` result ``{"tools": [{"name", "description", "inputSchema"}]}``,
  optionally inside a JSON-RPC reply (``{"result": {"tools": [...]}}``).
- BFCL: JSON Lines of ``{"id", "question", "function": [...]}`` where parameter types
  are Python-ish (``dict``, ``float``, ``tuple``, ``any``) and ``optional`` is non-standard.

The function name is kept as ``ApiSpec.native_name`` (and the API name). The tool is
the file name (OpenAI, MCP: one server per file) or, for BFCL, the part of a dotted
name before its last dot (``math.factorial`` → tool ``math``).
"""

from __future__ import annotations

from typing import Any

from toolbench.loaders.schema import normalize_schema
from toolbench.loaders.source import Document, Where, expect_object, get_field
from toolbench.types import ApiSpec

OPENAI = "openai"
MCP = "mcp"
BFCL = "bfcl"


def function_spec(
    fn: Any, where: Where, *, category: str, tool: str | None, source: str, schema_key: str = "parameters"
) -> ApiSpec:
    """An :class:`ApiSpec` for one ``{name, description, <schema_key>}`` object.

    >>> spec = function_spec({"name": "math.factorial", "parameters": {"type": "dict",
    ...     "properties": {"n": {"type": "integer"}}, "required": ["n"]}}, Where("f"),
    ...     category="BFCL", tool=None, source="bfcl")
    >>> spec.id, spec.native_name, spec.parameters["type"]
    ('BFCL::math::math.factorial', 'math.factorial', 'object')
    """
    fn = expect_object(fn, where, "function")
    name = get_field(fn, "name", str, where).strip()
    if not name:
        raise where.error("the function name is empty", where.field("name"))
    schema = get_field(fn, schema_key, dict, where, default={})
    return ApiSpec(
        category=category,
        tool=tool or (name.rsplit(".", 1)[0] if "." in name else name),
        name=name,
        description=(get_field(fn, "description", str, where, default="") or "").strip(),
        parameters=normalize_schema(schema),
        native_name=name,
        template_response=fn.get("outputSchema"),
        source=source,
    )


def _tool_list(document: Document, key: str = "tools") -> tuple[list[Any], str]:
    data = document.data
    if isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    if isinstance(data, dict):
        data = get_field(data, key, list, Where(str(document.path)))
    if not isinstance(data, list):
        raise Where(str(document.path)).error(f"expected a list of tools, got {type(data).__name__}")
    return data, ""


def load_openai(document: Document) -> list[ApiSpec]:
    """The functions of an OpenAI tools file (category ``OpenAI``, tool = file name)."""
    items, _ = _tool_list(document)
    path, tool = str(document.path), document.path.stem
    specs = []
    for i, item in enumerate(items):
        where = Where(path, document.record_label(i))
        item = expect_object(item, where, "tool")
        if "function" in item:
            if item.get("type", "function") != "function":
                raise where.error(f"unsupported tool type {item.get('type')!r}", "type")
            where, item = where.nested("function."), get_field(item, "function", dict, where)
        specs.append(function_spec(item, where, category="OpenAI", tool=tool, source=OPENAI))
    return specs


def load_mcp(document: Document) -> list[ApiSpec]:
    """The tools of an MCP ``tools/list`` result (category ``MCP``, tool = file name)."""
    items, _ = _tool_list(document)
    path, tool = str(document.path), document.path.stem
    return [
        function_spec(item, Where(path, document.record_label(i)), category="MCP", tool=tool,
                      source=MCP, schema_key="inputSchema")
        for i, item in enumerate(items)
    ]


def bfcl_functions(record: Any, where: Where) -> list[ApiSpec]:
    """The functions one BFCL question offers (its ``function`` list)."""
    record = expect_object(record, where, "question")
    functions = get_field(record, "function", (list, dict), where)
    if isinstance(functions, dict):
        functions = [functions]
    return [
        function_spec(fn, where.nested(f"function[{i}]."), category="BFCL", tool=None, source=BFCL)
        for i, fn in enumerate(functions)
    ]


def load_bfcl(document: Document) -> list[ApiSpec]:
    """All functions of a BFCL question file (duplicates merge in the catalog)."""
    records = document.data if isinstance(document.data, list) else [document.data]
    path = str(document.path)
    specs: list[ApiSpec] = []
    for i, record in enumerate(records):
        specs.extend(bfcl_functions(record, Where(path, document.record_label(i))))
    return specs


def _items(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    if isinstance(data, dict):
        data = data.get("tools")
    return data if isinstance(data, list) else []


def is_openai(data: Any) -> bool:
    """A list of ``{"type": "function", "function": {...}}`` (or ``{"tools": [...]}``)."""
    items = _items(data)
    first = items[0] if items else None
    return isinstance(first, dict) and (
        isinstance(first.get("function"), dict) or ("name" in first and "parameters" in first))


def is_mcp(data: Any) -> bool:
    """A ``tools/list`` result: tools with ``inputSchema``."""
    items = _items(data)
    return bool(items) and isinstance(items[0], dict) and "inputSchema" in items[0]


def is_bfcl(data: Any) -> bool:
    """BFCL question records: ``question`` and ``function``."""
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "function" in first and "question" in first
