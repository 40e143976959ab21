"""The Catalog: merging, the reversible name map, subsets, OpenAI schemas."""

from __future__ import annotations

import random

import pytest

from toolbench.catalog.catalog import Catalog, build_name_map, merge_specs
from toolbench.catalog.names import FUNCTION_NAME_RE
from toolbench.types import ApiSpec


def test_duplicates_merge_by_category_tool_api() -> None:
    first = ApiSpec("C", "T", "A", parameters={"type": "object", "properties": {"q": {"type": "string"}},
                                               "required": ["q"]}, source="toolbench")
    second = ApiSpec("C", "T", "A", description="desc", parameters={
        "type": "object", "properties": {"q": {"type": "number"}, "n": {"type": "number"}}, "required": []},
        source="openai")
    catalog = Catalog([first, second, ApiSpec("C2", "T", "A")])
    assert len(catalog) == 2
    merged = catalog.get("C::T::A")
    assert merged.description == "desc" and merged.required == ["q"]
    assert merged.parameters["properties"]["q"] == {"type": "string"}  # the first wins
    assert "n" in merged.parameters["properties"]
    assert catalog.sources == {"toolbench": 1, "unknown": 1}
    assert merge_specs(first, second).source == "toolbench"


def test_name_map_is_unique_valid_reversible_and_order_free() -> None:
    apis = [
        ApiSpec("C", "T", "Get User"), ApiSpec("C", "T", "get_user"), ApiSpec("C", "T", "get-user"),
        ApiSpec("D", "T", "Get User"),
        ApiSpec("C", "A very long tool name " * 4, "An even longer API name " * 3),
        ApiSpec("C", "A very long tool name " * 4, "An even longer API name " * 3 + "!"),
        ApiSpec("BFCL", "math", "math.factorial", native_name="math.factorial"),
        ApiSpec("OpenAI", "x", "math_factorial", native_name="math_factorial"),
    ]
    names = build_name_map(apis)
    assert len(names) == len(apis) and set(names.values()) == {a.id for a in apis}
    assert all(FUNCTION_NAME_RE.match(n) for n in names)
    shuffled = apis[:]
    random.Random(0).shuffle(shuffled)
    assert build_name_map(shuffled) == names
    catalog = Catalog(shuffled)
    for api in apis:
        assert catalog.by_function_name(catalog.function_name(api.id)).id == api.id
    assert catalog.by_function_name("nope") is None


def test_get_unknown_and_subset_keeps_names() -> None:
    catalog = Catalog([ApiSpec("C", "T", "Get User"), ApiSpec("C", "T", "get_user"), ApiSpec("C", "U", "x")])
    with pytest.raises(KeyError, match="not in the catalog"):
        catalog.get("C::T::nope")
    with pytest.raises(KeyError):
        catalog.function_name("C::T::nope")
    sub = catalog.subset(["C::T::get_user"])
    assert sub.function_name("C::T::get_user") == catalog.function_name("C::T::get_user")
    assert len(sub) == 1 and "C::T::get_user" in sub
    assert sorted(catalog.tools()) == [("C", "T"), ("C", "U")] and catalog.categories() == ["C"]


def test_openai_tool_schema() -> None:
    api = ApiSpec("Data", "YT", "Search", "", tool_description="Video search.")
    tool = Catalog([api]).openai_tool(api.id)
    assert tool["function"]["name"] == "search_for_yt"
    assert tool["function"]["description"] == "Search of the tool YT. (tool YT: Video search.)"
    assert tool["function"]["parameters"] == {"type": "object", "properties": {}, "required": []}
    long = ApiSpec("D", "T", "A", "x" * 5000)
    assert len(Catalog([long]).openai_tool(long.id)["function"]["description"]) == 1024


def test_random_names_stay_unique_valid_and_reversible() -> None:
    rng = random.Random(1234)
    alphabet = "abcXYZ019 _-./:!天气é"
    apis = []
    for _ in range(600):
        tool = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 70)))
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 50)))
        native = name if rng.random() < 0.3 else None
        apis.append(ApiSpec(rng.choice(["A", "B"]), tool, name, native_name=native))
    catalog = Catalog(apis)
    names = catalog.name_map
    assert len(names) == len(catalog)
    for name, api_id in names.items():
        assert FUNCTION_NAME_RE.match(name), name
        assert catalog.function_name(api_id) == name
