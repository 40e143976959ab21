"""ToolBench / StableToolBench formats: the flat API list, query files, tool files.

All three describe an API the same way (RapidAPI style)::

    {"category_name": "Data", "tool_name": "TheClique", "api_name": "Songkick concert",
     "api_description": "Concert info", "method": "GET",
     "required_parameters": [{"name": "id_conc", "type": "STRING", "description": "",
                              "default": "40698227-lumineers"}],
     "optional_parameters": [], "template_response": {"date": "str"}}

A tool file (``toolenv/tools/<Category>/<tool>.json``) holds ``tool_name``,
``tool_description`` and an ``api_list`` whose entries use ``name``/``description``/
``url``; the category is the folder name. Query files are lists of
``{query_id, query, api_list, "relevant APIs"}``.

Parameters become JSON Schema: names normalised with
:func:`toolbench.catalog.names.parameter_name` (originals kept in ``parameter_aliases``),
optional parameters kept even when there are no required ones, ``NUMBER`` →
``number``, RapidAPI defaults as ``examples`` (required parameters) or ``default``
(optional parameters whose default fits the type).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolbench.catalog.names import parameter_name
from toolbench.loaders.schema import coerce_value, toolbench_type_schema
from toolbench.loaders.source import Document, Where, expect_object, get_field
from toolbench.types import ApiSpec

FLAT = "toolbench"
QUERIES = "toolbench-queries"
TOOL = "toolbench-tool"


def parameter_schema(param: dict[str, Any], where: Where, *, required: bool) -> dict[str, Any]:
    """The JSON Schema of one RapidAPI parameter entry.

    >>> parameter_schema({"name": "n", "type": "NUMBER", "description": "How many", "default": "5"},
    ...                  Where("f"), required=False)
    {'type': 'number', 'description': 'How many', 'default': 5}
    >>> parameter_schema({"name": "q", "type": "STRING", "default": "messi"}, Where("f"), required=True)
    {'type': 'string', 'examples': ['messi']}
    """
    schema = toolbench_type_schema(get_field(param, "type", str, where, default="STRING"))
    description = get_field(param, "description", str, where, default="").strip()
    if description:
        schema["description"] = description
    default = param.get("default")
    if default is None or default == "":
        return schema
    ok, value = coerce_value(default, schema.get("type"))
    if ok and not required:
        schema["default"] = value
    else:
        schema["examples"] = [value]
    return schema


def _unique_name(raw: str, taken: dict[str, Any]) -> str:
    base = parameter_name(raw)
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def toolbench_parameters(doc: dict[str, Any], where: Where) -> tuple[dict[str, Any], dict[str, str]]:
    """JSON Schema ``parameters`` and the alias map (function name → original name).

    >>> params, aliases = toolbench_parameters({
    ...     "required_parameters": [{"name": "id", "type": "STRING"}],
    ...     "optional_parameters": [{"name": "Page-Size", "type": "NUMBER", "default": 10}]}, Where("f"))
    >>> params["required"], sorted(params["properties"]), aliases
    (['is_id'], ['is_id', 'page_size'], {'is_id': 'id', 'page_size': 'Page-Size'})
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    aliases: dict[str, str] = {}
    seen_raw: set[str] = set()
    for key, is_required in (("required_parameters", True), ("optional_parameters", False)):
        entries = get_field(doc, key, list, where, default=[])
        for index, entry in enumerate(entries):
            here = where.nested(f"{key}[{index}].")
            entry = expect_object(entry, here, "parameter")
            raw = get_field(entry, "name", str, here)
            if raw in seen_raw:  # listed twice (e.g. required and optional): the first wins
                continue
            seen_raw.add(raw)
            name = _unique_name(raw, properties)
            properties[name] = parameter_schema(entry, here, required=is_required)
            if is_required:
                required.append(name)
            if name != raw:
                aliases[name] = raw
    return {"type": "object", "properties": properties, "required": required}, aliases


def api_from_doc(
    doc: Any,
    where: Where,
    *,
    source: str,
    category: str | None = None,
    tool: str | None = None,
    tool_description: str = "",
) -> ApiSpec:
    """An :class:`ApiSpec` from a ToolBench API doc (flat-list or tool-file spelling).

    >>> api = api_from_doc({"category_name": "Data", "tool_name": "TheClique", "api_name": "Search",
    ...                     "optional_parameters": [{"name": "q", "type": "STRING", "default": ""}]},
    ...                    Where("f", 1), source="toolbench")
    >>> api.id, api.optional, api.required
    ('Data::TheClique::Search', ['q'], [])
    """
    doc = expect_object(doc, where, "API")
    name_key = "api_name" if "api_name" in doc or "name" not in doc else "name"
    desc_key = "api_description" if "api_description" in doc else "description"
    parameters, aliases = toolbench_parameters(doc, where)
    tool = tool if tool is not None else get_field(doc, "tool_name", str, where)
    name = get_field(doc, name_key, str, where)
    for key, value in (("tool_name", tool), (name_key, name)):
        if not value.strip():
            raise where.error("the name is empty", where.field(key))
    return ApiSpec(
        category=category if category is not None else get_field(doc, "category_name", str, where),
        tool=tool,
        name=name,
        description=(get_field(doc, desc_key, str, where, default="") or "").strip(),
        parameters=parameters,
        tool_description=tool_description or get_field(doc, "tool_description", str, where, default=""),
        method=get_field(doc, "method", str, where, default=None),
        url=get_field(doc, "url", str, where, default=None),
        template_response=doc.get("template_response"),
        native_name=get_field(doc, "native_name", str, where, default=None),
        parameter_aliases=aliases,
        source=source,
    )


def _records(document: Document, what: str) -> list[Any]:
    if not isinstance(document.data, list):
        raise Where(str(document.path)).error(f"expected a JSON list of {what}, got {type(document.data).__name__}")
    return document.data


def load_flat(document: Document) -> list[ApiSpec]:
    """The APIs of a flat list of ToolBench API docs (e.g. StableToolBench ``catalog.json``)."""
    path = str(document.path)
    return [
        api_from_doc(doc, Where(path, document.record_label(i)), source=FLAT)
        for i, doc in enumerate(_records(document, "API docs"))
    ]


def load_query_apis(document: Document) -> list[ApiSpec]:
    """The APIs offered by the queries of a ToolBench / StableToolBench query file."""
    path = str(document.path)
    apis: list[ApiSpec] = []
    for i, query in enumerate(_records(document, "queries")):
        where = Where(path, document.record_label(i))
        query = expect_object(query, where, "query")
        for j, doc in enumerate(get_field(query, "api_list", list, where, default=[])):
            apis.append(api_from_doc(doc, where.nested(f"api_list[{j}]."), source=QUERIES))
    return apis


def load_tool_file(document: Document, category: str | None = None) -> list[ApiSpec]:
    """The APIs of one ToolBench tool file; the category defaults to the folder name."""
    where = Where(str(document.path))
    tool = expect_object(document.data, where, "tool")
    tool_name = get_field(tool, "tool_name", str, where, default=None) or get_field(tool, "name", str, where)
    category = category or get_field(tool, "category_name", str, where, default=None) or Path(
        document.path).resolve().parent.name
    description = (get_field(tool, "tool_description", str, where, default="") or "").strip()
    return [
        api_from_doc(doc, where.nested(f"api_list[{i}]."), source=TOOL, category=category,
                     tool=tool_name, tool_description=description)
        for i, doc in enumerate(get_field(tool, "api_list", list, where))
    ]


def _first(data: Any) -> Any:
    return data[0] if isinstance(data, list) and data else None


def is_flat(data: Any) -> bool:
    """A list whose first item looks like a ToolBench API doc."""
    first = _first(data)
    return isinstance(first, dict) and bool({"api_name", "tool_name", "category_name"} & set(first)) and not (
        {"query", "api_list"} & set(first))


def is_query_file(data: Any) -> bool:
    """A list whose first item has ``query`` and ``query_id`` (ToolBench query files)."""
    first = _first(data)
    return isinstance(first, dict) and "query" in first and "query_id" in first


def is_tool_file(data: Any) -> bool:
    """An object with ``api_list`` and a tool name (ToolBench ``toolenv/tools`` files)."""
    return isinstance(data, dict) and isinstance(data.get("api_list"), list) and (
        "tool_name" in data or "name" in data)
