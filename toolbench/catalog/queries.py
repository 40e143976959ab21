"""Query files into :class:`~toolbench.types.Query` lists.

Formats (detected from content):

- **ToolBench / StableToolBench** query JSON: a list of ``{query_id, query, api_list,
  "relevant APIs": [[tool, api], ...]}``. ``api_ids`` are the offered APIs
  (``category::tool::api``), ``relevant_api_ids`` the gold pairs resolved through the
  query's own ``api_list`` (or the catalog), ``group`` comes from the file name
  (``G1_instruction.json`` → ``G1_instruction``).
- **JSON Lines** of ``{query_id, query}`` with optional ``api_ids``,
  ``relevant_api_ids``, ``expected_answer``, ``group``, ``extra`` (our own wire form;
  a ``schema_version`` other than ours is refused).
- **Seal-Tools** ``dev.jsonl``: ``{id, query, calling: [{api, parameters}]}``; gold
  APIs resolved by function name through the catalog (default: the ``tool.jsonl`` next
  to the file); gold calls kept in ``extra["gold_calls"]``; group ``easy``/``difficult``.
- **BFCL** question files: the first user turn is the query, the offered functions are
  ``api_ids``; the whole question and the functions are kept in ``extra``.

With a ``catalog``, every API id must be in it (errors name the record and field).

:func:`write_queries` writes queries back, as our JSONL (versioned) or as a ToolBench
query file (``api_list`` docs from the catalog, ``"relevant APIs"`` pairs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import InputError
from toolbench.loaders.function_formats import bfcl_functions, is_bfcl
from toolbench.loaders.source import Document, Where, expect_object, get_field, read_document
from toolbench.store import atomic_write_text, check_version, write_jsonl
from toolbench.types import Query, make_api_id

_GROUP = re.compile(r"^(G\d+)(?:_(instruction|category|tool))?", re.IGNORECASE)


def group_from_filename(path: str | Path) -> str:
    """The ToolBench query group a file name stands for ('' when none).

    >>> group_from_filename("queries/G1_instruction.json"), group_from_filename("G2_query.json")
    ('G1_instruction', 'G2')
    >>> group_from_filename("my_queries.jsonl")
    ''
    """
    match = _GROUP.match(Path(path).stem)
    if not match:
        return ""
    return match.group(1).upper() + (f"_{match.group(2).lower()}" if match.group(2) else "")


def _query_text(record: dict[str, Any], where: Where) -> str:
    text = get_field(record, "query", str, where).strip()
    if not text:
        raise where.error("the query is empty", "query")
    return text


def _query_id(record: dict[str, Any], key: str, where: Where) -> str:
    return str(get_field(record, key, (str, int), where))


def _offered(entry: Any, where: Where, catalog: Catalog | None) -> tuple[str, str, str]:
    entry = expect_object(entry, where, "API")
    tool = get_field(entry, "tool_name", str, where)
    api = get_field(entry, "api_name", str, where)
    category = get_field(entry, "category_name", str, where, default=None)
    if category is None:
        found = _find_by_tool_api(catalog, tool, api) if catalog is not None else None
        if found is None:
            raise where.error("missing required field", where.field("category_name"))
        category = found.split("::", 1)[0]
    return category, tool, api


def _find_by_tool_api(catalog: Catalog, tool: str, api: str) -> str | None:
    matches = [a.id for a in catalog if a.tool == tool and a.name == api]
    return matches[0] if len(matches) == 1 else None


def toolbench_query(record: Any, where: Where, group: str, catalog: Catalog | None) -> Query:
    """One ToolBench query record as a :class:`Query`."""
    record = expect_object(record, where, "query")
    by_pair: dict[tuple[str, str], str] = {}
    api_ids: list[str] = []
    for i, entry in enumerate(get_field(record, "api_list", list, where, default=[])):
        category, tool, api = _offered(entry, where.nested(f"api_list[{i}]."), catalog)
        api_id = make_api_id(category, tool, api)
        by_pair.setdefault((tool, api), api_id)
        if api_id not in api_ids:
            api_ids.append(api_id)
    relevant: list[str] = []
    for i, pair in enumerate(get_field(record, "relevant APIs", list, where, default=[])):
        field = f"relevant APIs[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise where.error("expected a [tool, api] pair of strings", field)
        api_id = by_pair.get((pair[0], pair[1])) or (
            _find_by_tool_api(catalog, pair[0], pair[1]) if catalog is not None else None)
        if api_id is None:
            raise where.error(f"{pair[0]!r} / {pair[1]!r} is not in the query's api_list", field)
        if api_id not in relevant:
            relevant.append(api_id)
    known = {"query_id", "query", "api_list", "relevant APIs"}
    return Query(
        query_id=_query_id(record, "query_id", where),
        query=_query_text(record, where),
        api_ids=api_ids,
        relevant_api_ids=relevant,
        group=group,
        extra={k: v for k, v in record.items() if k not in known},
    )


def _string_list(record: dict[str, Any], key: str, where: Where) -> list[str]:
    values = get_field(record, key, list, where, default=[])
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise where.error(f"expected a string, got {type(value).__name__}", f"{key}[{i}]")
    return list(values)


def jsonl_query(record: Any, where: Where, group: str, catalog: Catalog | None) -> Query:
    """One ``{query_id, query, ...}`` record (our Query wire form, version-checked)."""
    record = expect_object(record, where, "query")
    if "schema_version" in record:
        check_version(record, path=where.path, line=where.record or 0)
    return Query(
        query_id=_query_id(record, "query_id", where),
        query=_query_text(record, where),
        api_ids=_string_list(record, "api_ids", where),
        relevant_api_ids=_string_list(record, "relevant_api_ids", where),
        expected_answer=record.get("expected_answer"),
        group=get_field(record, "group", str, where, default="") or group,
        extra=get_field(record, "extra", dict, where, default={}),
    )


def _native_index(catalog: Catalog) -> dict[str, str]:
    return {api.native_name or api.name: api.id for api in catalog}


def seal_query(record: Any, where: Where, index: dict[str, str]) -> Query:
    """One Seal-Tools ``dev.jsonl`` record; ``index`` maps function names to API ids."""
    record = expect_object(record, where, "query")
    query_id = _query_id(record, "id", where)
    relevant: list[str] = []
    gold: list[dict[str, Any]] = []
    for i, call in enumerate(get_field(record, "calling", list, where)):
        here = where.nested(f"calling[{i}].")
        call = expect_object(call, here, "call")
        name = get_field(call, "api", str, here)
        if name not in index:
            raise here.error(f"unknown API {name!r} (not in the Seal-Tools catalog)", here.field("api"))
        arguments = get_field(call, "parameters", dict, here, default={})
        gold.append({"api_id": index[name], "name": name, "arguments": arguments})
        if index[name] not in relevant:
            relevant.append(index[name])
    parts = query_id.split("-")
    return Query(
        query_id=query_id,
        query=_query_text(record, where),
        relevant_api_ids=relevant,
        group=parts[1] if len(parts) == 3 else "",
        extra={"gold_calls": gold},
    )


def _first_user_turn(question: Any, where: Where) -> str:
    turns = question[0] if isinstance(question, list) and question and isinstance(question[0], list) else question
    for turn in turns if isinstance(turns, list) else []:
        if isinstance(turn, dict) and turn.get("role") == "user" and isinstance(turn.get("content"), str):
            return turn["content"]
    raise where.error("no user turn with text content", "question")


def bfcl_query(record: Any, where: Where, group: str) -> Query:
    """One BFCL question: the first user turn, the offered functions as ``api_ids``."""
    record = expect_object(record, where, "question")
    specs = bfcl_functions(record, where)
    return Query(
        query_id=_query_id(record, "id", where),
        query=_first_user_turn(get_field(record, "question", list, where), where),
        api_ids=list(dict.fromkeys(s.id for s in specs)),
        group=group,
        extra={"question": record["question"], "functions": record["function"]},
    )


def _is_seal(first: Any) -> bool:
    return isinstance(first, dict) and "calling" in first and "id" in first


def _seal_catalog(path: Path, catalog: Catalog | None) -> Catalog:
    if catalog is not None:
        return catalog
    sibling = path.parent / "tool.jsonl"
    if not sibling.is_file():
        raise InputError("Seal-Tools queries need their catalog (tool.jsonl); pass it", path=str(path))
    from toolbench.loaders import load_catalog

    return load_catalog(sibling, fmt="seal-tools")


def _records(document: Document) -> list[Any]:
    data = document.data
    if isinstance(data, dict) and document.lines is None:
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"expected a list of queries, got {type(data).__name__}", path=str(document.path))
    return data


def _check_known(queries: list[Query], catalog: Catalog, path: str) -> None:
    for number, query in enumerate(queries, start=1):
        for key in ("api_ids", "relevant_api_ids"):
            for api_id in getattr(query, key):
                if api_id not in catalog:
                    raise InputError(f"API {api_id!r} is not in the catalog", path=path,
                                     record=f"{number} (query {query.query_id})", field=key)


def load_queries(path: str | Path, catalog: Catalog | None = None) -> list[Query]:
    """The queries of a file (see the module docstring for the formats)."""
    document = read_document(path)
    records = _records(document)
    if not records:
        return []
    where = [Where(str(document.path), document.record_label(i)) for i in range(len(records))]
    group = group_from_filename(document.path)
    first = records[0]
    build: Callable[[Any, Where], Query]
    if _is_seal(first):
        index = _native_index(_seal_catalog(document.path, catalog))
        build = lambda r, w: seal_query(r, w, index)  # noqa: E731
    elif is_bfcl(first):
        bfcl_group = re.sub(r"^BFCL_v\d+_", "", Path(path).stem)
        build = lambda r, w: bfcl_query(r, w, bfcl_group)  # noqa: E731
    elif isinstance(first, dict) and "query" in first and document.lines is None:
        build = lambda r, w: toolbench_query(r, w, group, catalog)  # noqa: E731
    elif isinstance(first, dict) and "query" in first:
        build = lambda r, w: jsonl_query(r, w, group, catalog)  # noqa: E731
    else:
        raise InputError("unknown query file format (expected ToolBench, JSONL, Seal-Tools or BFCL queries)",
                         path=str(document.path), record=document.record_label(0))
    queries = [build(r, w) for r, w in zip(records, where, strict=True)]
    if catalog is not None:
        _check_known(queries, catalog, str(document.path))
    return queries


def toolbench_record(query: Query, catalog: Catalog) -> dict[str, Any]:
    """A query as a ToolBench query-file record (numeric ids stay numbers).

    >>> from toolbench.types import ApiSpec
    >>> catalog = Catalog([ApiSpec("Data", "YT", "Search", method="GET")])
    >>> record = toolbench_record(Query("7", "Find cats", ["Data::YT::Search"], ["Data::YT::Search"]), catalog)
    >>> record["query_id"], record["relevant APIs"], record["api_list"][0]["api_name"]
    (7, [['YT', 'Search']], 'Search')
    """
    from toolbench.catalog.exporters import toolbench_doc

    relevant = [catalog.get(i) for i in query.relevant_api_ids]
    record: dict[str, Any] = {
        "query": query.query,
        "query_id": int(query.query_id) if query.query_id.isdigit() else query.query_id,
        "api_list": [toolbench_doc(catalog.get(i)) for i in query.api_ids],
        "relevant APIs": [[api.tool, api.name] for api in relevant],
    }
    return {**record, **{k: v for k, v in query.extra.items() if k not in record}}


def write_queries(path: str | Path, queries: list[Query], *, catalog: Catalog | None = None,
                  fmt: str = "jsonl") -> Path:
    """Write ``queries`` atomically as ``jsonl`` (our wire form) or ``toolbench`` (needs the catalog)."""
    if fmt == "jsonl":
        return write_jsonl(path, [q.to_dict() for q in queries])
    if fmt != "toolbench":
        raise InputError(f"unknown query file format {fmt!r} (known: jsonl, toolbench)")
    if catalog is None:
        raise InputError("writing ToolBench query files needs the catalog (for api_list)", path=str(path))
    records = [toolbench_record(q, catalog) for q in queries]
    return atomic_write_text(path, json.dumps(records, ensure_ascii=False, indent=2) + "\n")
