"""The built-in world: real offline tools, their catalog, an executor and instructions with answers.

This is the default of ``toolbench demo`` / ``toolbench run`` without a catalog::

    catalog = builtin_catalog()             # 59 APIs over 12 tools in 5 categories
    executor = builtin_executor(timeout=5)  # runs them for real
    queries = builtin_instructions()        # G1/G2/G3 instructions with gold calls and answers
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from typing import Any

from toolbench.catalog import Catalog
from toolbench.types import ApiSpec, Query

INSTRUCTIONS_RESOURCE = "builtin_instructions.jsonl"
EVERYDAY_RESOURCE = "builtin_everyday.jsonl"


@functools.lru_cache(maxsize=1)
def _specs_and_table() -> tuple[tuple[ApiSpec, ...], dict[str, Callable[..., Any]]]:
    from toolbench.builtin_tools import builtin_functions
    from toolbench.catalog.pyfunc import function_table

    specs, table = function_table(builtin_functions())
    for spec in specs:
        spec.source = "builtin"
    return tuple(specs), table


def builtin_specs() -> list[ApiSpec]:
    """Copies of the built-in API specs (callers may change them freely)."""
    return [ApiSpec.from_dict(spec.to_dict()) for spec in _specs_and_table()[0]]


def builtin_function_table() -> dict[str, Callable[..., Any]]:
    """API id → the Python function that implements it."""
    return dict(_specs_and_table()[1])


def builtin_catalog() -> Catalog:
    """A new :class:`Catalog` of every built-in API.

    >>> catalog = builtin_catalog()
    >>> len(catalog) >= 40, catalog.by_function_name("calculator").tool
    (True, 'Calculator')
    """
    return Catalog(builtin_specs())


def builtin_executor(catalog: Catalog | None = None, **options: Any) -> Any:
    """A ``builtin`` executor (options as for :func:`toolbench.executors.build_executor`)."""
    from toolbench.executors import build_executor

    return build_executor("builtin", catalog if catalog is not None else builtin_catalog(), **options)


def builtin_instructions(groups: list[str] | None = None) -> list[Query]:
    """The built-in instruction set (G1, G2, G3) with gold calls and expected answers.

    >>> queries = builtin_instructions(["G1"])
    >>> len(queries) >= 20, queries[0].group
    (True, 'G1')
    """
    return _packaged_queries(INSTRUCTIONS_RESOURCE, groups)


def builtin_everyday(groups: list[str] | None = None) -> list[Query]:
    """The everyday-phrased held-out set (:mod:`toolbench.builtin_tools.everyday_set`).

    >>> queries = builtin_everyday(["G3"])
    >>> len(queries) >= 10, queries[0].query_id
    (True, 'everyday-G3-001')
    """
    return _packaged_queries(EVERYDAY_RESOURCE, groups)


def _packaged_queries(resource: str, groups: list[str] | None) -> list[Query]:
    import json

    from toolbench.store import check_version

    text = resources.files("toolbench.resources").joinpath(resource).read_text(encoding="utf-8")
    queries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            queries.append(Query.from_dict(check_version(json.loads(line), path=resource, line=number)))
    return [q for q in queries if not groups or q.group in groups]
