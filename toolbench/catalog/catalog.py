"""The :class:`Catalog`: ApiSpecs by id, and a reversible map to function names.

Function names follow ToolBench (``{api}_for_{tool}``) unless a source fixed a native
name (OpenAI tools, MCP, BFCL). Every name matches ``^[a-zA-Z0-9_-]{1,64}$``; long names
are shortened with a hash (never cut silently) and collisions get a hash suffix, decided
in sorted-id order so the map does not depend on load order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from toolbench.catalog.names import (
    FUNCTION_NAME_RE,
    MAX_FUNCTION_NAME,
    fit_function_name,
    stable_hash,
    toolbench_function_name,
)
from toolbench.errors import InputError
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)


def preferred_function_name(api: ApiSpec) -> str:
    """The name an API asks for before collision handling.

    >>> preferred_function_name(ApiSpec("Data", "Simple YouTube Search", "Search"))
    'search_for_simple_youtube_search'
    >>> preferred_function_name(ApiSpec("bfcl", "math", "math.factorial", native_name="math.factorial"))
    'math_factorial'
    """
    raw = api.native_name or toolbench_function_name(api.name, api.tool)
    return fit_function_name(raw, api.id)


def build_name_map(apis: Iterable[ApiSpec]) -> dict[str, str]:
    """Map function name → API id, unique and valid (see module docstring).

    >>> a = ApiSpec("C", "T", "Get User")
    >>> b = ApiSpec("C", "T", "get_user")
    >>> sorted(build_name_map([a, b]))
    ['get_user_for_t', 'get_user_for_t_515d8287']
    """
    names: dict[str, str] = {}
    for api in sorted(apis, key=lambda a: a.id):
        name = preferred_function_name(api)
        if name in names:
            suffix = "_" + stable_hash(api.id)
            name = name[: MAX_FUNCTION_NAME - len(suffix)] + suffix
            logger.debug("function name collision for %s: using %s", api.id, name)
        if name in names or not FUNCTION_NAME_RE.match(name):  # pragma: no cover - hash clash
            raise InputError(f"cannot give {api.id!r} a unique function name ({name!r})")
        names[name] = api.id
    return names


def merge_specs(first: ApiSpec, second: ApiSpec) -> ApiSpec:
    """Merge two specs of the same (category, tool, api): fill what the first lacks.

    >>> a = ApiSpec("C", "T", "A", description="")
    >>> b = ApiSpec("C", "T", "A", description="Finds things", template_response={"x": "str"})
    >>> m = merge_specs(a, b)
    >>> m.description, m.template_response
    ('Finds things', {'x': 'str'})
    """
    merged = first.to_dict()
    for key, value in second.to_dict().items():
        if not merged.get(key) and value:
            merged[key] = value
    props = dict(second.parameters.get("properties", {}))
    props.update(first.parameters.get("properties", {}))
    merged["parameters"] = {**merged["parameters"], "properties": props}
    return ApiSpec.from_dict(merged)


class Catalog:
    """An ordered collection of :class:`ApiSpec` with a function-name map.

    >>> cat = Catalog([ApiSpec("Data", "YT", "Search"), ApiSpec("Data", "YT", "Search")])
    >>> len(cat), cat.function_name("Data::YT::Search")
    (1, 'search_for_yt')
    >>> cat.by_function_name("search_for_yt").name
    'Search'
    """

    def __init__(self, apis: Iterable[ApiSpec] = (), *, names: dict[str, str] | None = None) -> None:
        self._apis: dict[str, ApiSpec] = {}
        self._names: dict[str, str] | None = names
        self._ids_to_names: dict[str, str] | None = None
        self.sources: dict[str, int] = {}
        for api in apis:
            self.add(api)

    def add(self, api: ApiSpec) -> None:
        """Add ``api``; a duplicate (same category, tool, API) is merged into the first."""
        existing = self._apis.get(api.id)
        self._apis[api.id] = merge_specs(existing, api) if existing else api
        if existing is None:
            self.sources[api.source or "unknown"] = self.sources.get(api.source or "unknown", 0) + 1
        self._names = self._ids_to_names = None

    def extend(self, apis: Iterable[ApiSpec]) -> Catalog:
        for api in apis:
            self.add(api)
        return self

    def __len__(self) -> int:
        return len(self._apis)

    def __iter__(self) -> Iterator[ApiSpec]:
        return iter(self._apis.values())

    def __contains__(self, api_id: object) -> bool:
        return api_id in self._apis

    @property
    def ids(self) -> list[str]:
        return list(self._apis)

    def get(self, api_id: str) -> ApiSpec:
        try:
            return self._apis[api_id]
        except KeyError:
            raise KeyError(f"API {api_id!r} is not in the catalog") from None

    @property
    def name_map(self) -> dict[str, str]:
        """Function name → API id (built on first use)."""
        if self._names is None:
            self._names = build_name_map(self._apis.values())
        return self._names

    def function_name(self, api_id: str) -> str:
        if self._ids_to_names is None:
            self._ids_to_names = {v: k for k, v in self.name_map.items()}
        try:
            return self._ids_to_names[api_id]
        except KeyError:
            raise KeyError(f"API {api_id!r} is not in the catalog") from None

    def by_function_name(self, name: str) -> ApiSpec | None:
        """The API a function name stands for, or ``None`` (exact match only)."""
        api_id = self.name_map.get(name)
        return self._apis.get(api_id) if api_id is not None else None

    def subset(self, api_ids: Iterable[str]) -> Catalog:
        """A catalog of some APIs that keeps this catalog's function names."""
        wanted = [self.get(i) for i in api_ids]
        sub = Catalog(wanted)
        keep = {i for i in sub.ids}
        sub._names = {n: i for n, i in self.name_map.items() if i in keep}
        return sub

    def tools(self) -> dict[tuple[str, str], list[ApiSpec]]:
        """APIs grouped by (category, tool)."""
        grouped: dict[tuple[str, str], list[ApiSpec]] = {}
        for api in self:
            grouped.setdefault((api.category, api.tool), []).append(api)
        return grouped

    def categories(self) -> list[str]:
        return sorted({api.category for api in self})

    def openai_tool(self, api_id: str, *, description_limit: int = 1024) -> dict[str, Any]:
        """The chat-completions tool schema of one API (its catalog function name)."""
        api = self.get(api_id)
        description = api.description.strip() or f"{api.name} of the tool {api.tool}."
        if api.tool_description and not api.native_name:
            description = f"{description} (tool {api.tool}: {api.tool_description.strip()})"
        return {
            "type": "function",
            "function": {
                "name": self.function_name(api_id),
                "description": description[:description_limit],
                "parameters": api.parameters,
            },
        }

    def openai_tools(self, api_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        ids = self.ids if api_ids is None else list(api_ids)
        return [self.openai_tool(i) for i in ids]
