"""Counts that describe a catalog: categories, tools, APIs, parameters, per source format."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from toolbench.catalog.catalog import Catalog, preferred_function_name
from toolbench.catalog.names import MAX_FUNCTION_NAME, toolbench_function_name
from toolbench.types import ApiSpec


def source_format(api: ApiSpec) -> str:
    """The format an API was read from (``python:mod`` → ``python``).

    >>> source_format(ApiSpec("C", "T", "A", source="python:mytools"))
    'python'
    """
    return (api.source or "unknown").split(":", 1)[0]


def count_apis(apis: Iterable[ApiSpec]) -> dict[str, int]:
    """Categories, tools, APIs and parameters of some APIs.

    >>> count_apis([ApiSpec("C", "T", "A", parameters={"type": "object",
    ...     "properties": {"q": {}, "n": {}}, "required": ["q"]})])
    {'categories': 1, 'tools': 1, 'apis': 1, 'parameters': 2, 'required_parameters': 1, 'optional_parameters': 1}
    """
    apis = list(apis)
    required = sum(len(a.required) for a in apis)
    parameters = sum(len(a.parameters.get("properties", {})) for a in apis)
    return {
        "categories": len({a.category for a in apis}),
        "tools": len({(a.category, a.tool) for a in apis}),
        "apis": len(apis),
        "parameters": parameters,
        "required_parameters": required,
        "optional_parameters": parameters - required,
    }


def catalog_stats(catalog: Catalog) -> dict[str, Any]:
    """Totals, per-source-format counts, and how function names were made unique.

    ``function_names_shortened``: names over 64 characters that got a hash suffix;
    ``function_name_collisions``: APIs whose preferred name was taken by another API.
    """
    by_format: dict[str, list[ApiSpec]] = {}
    for api in catalog:
        by_format.setdefault(source_format(api), []).append(api)
    raw = {api.id: api.native_name or toolbench_function_name(api.name, api.tool) for api in catalog}
    preferred = {api.id: preferred_function_name(api) for api in catalog}
    assigned = {api_id: name for name, api_id in catalog.name_map.items()}
    return {
        **count_apis(catalog),
        "by_format": {name: count_apis(apis) for name, apis in sorted(by_format.items())},
        "function_names": len(assigned),
        "function_names_shortened": sum(1 for n in raw.values() if len(n) > MAX_FUNCTION_NAME),
        "function_name_collisions": sum(1 for i, n in assigned.items() if n != preferred[i]),
    }
