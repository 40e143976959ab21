"""Exporters: OpenAI tools JSON and the flat ToolBench list, checked on the whole shared catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from toolbench.catalog import Catalog
from toolbench.catalog.exporters import export_catalog, to_openai, to_toolbench
from toolbench.catalog.names import FUNCTION_NAME_RE
from toolbench.errors import ConfigError
from toolbench.loaders import load_catalog
from toolbench.types import ApiSpec


def _without_source(catalog: Catalog) -> list[dict]:
    return [{k: v for k, v in api.to_dict().items() if k != "source"} for api in catalog]


def assert_valid_openai_export(catalog: Catalog, path: Path) -> None:
    export_catalog(catalog, "openai", path)
    tools = json.loads(path.read_text(encoding="utf-8"))
    assert len(tools) == len(catalog)
    names = [t["function"]["name"] for t in tools]
    assert len(set(names)) == len(names), "function names must be unique"
    for tool in tools:
        assert tool["type"] == "function"
        fn = tool["function"]
        assert FUNCTION_NAME_RE.match(fn["name"]), fn["name"]
        Draft202012Validator.check_schema(fn["parameters"])
        assert fn["parameters"]["type"] == "object"
        api = catalog.by_function_name(fn["name"])  # reversible: name → exactly one API
        assert api is not None and catalog.function_name(api.id) == fn["name"]
    assert {catalog.by_function_name(n).id for n in names} == set(catalog.ids)


def test_toolbench_round_trip(tmp_path: Path) -> None:
    api = ApiSpec(
        "Data", "YT", "Search", "Find videos",
        parameters={"type": "object", "properties": {
            "q": {"type": "string", "examples": ["cats"]},
            "is_from": {"type": "string", "format": "date", "description": "Start"},
            "limit": {"type": "number", "default": 10},
        }, "required": ["q"]},
        method="GET", url="https://example.org/search", tool_description="YouTube",
        template_response={"items": "list"}, parameter_aliases={"is_from": "from"},
    )
    out = export_catalog(Catalog([api]), "toolbench", tmp_path / "flat.json")
    (doc,) = json.loads(out.read_text())
    assert doc["required_parameters"] == [{"name": "q", "type": "STRING", "description": "", "default": "cats"}]
    assert doc["optional_parameters"][0] == {"name": "from", "type": "DATE (YYYY-MM-DD)", "description": "Start",
                                             "default": ""}
    again = load_catalog(out)
    assert _without_source(again) == _without_source(Catalog([api]))


def test_native_names_survive_the_toolbench_format(tmp_path: Path) -> None:
    api = ApiSpec("BFCL", "math", "math.factorial", native_name="math.factorial")
    out = export_catalog(Catalog([api]), "toolbench", tmp_path / "flat.json")
    again = load_catalog(out)
    assert again.function_name(api.id) == "math_factorial"


def test_unknown_export_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown export format"):
        export_catalog(Catalog(), "yaml", tmp_path / "x")


def test_openai_export_of_example_catalog(tmp_path: Path) -> None:
    from toolbench.app.commands.catalog import example_catalog_path

    catalog = load_catalog(example_catalog_path())
    assert len(catalog) == 10 and len(catalog.tools()) == 3
    assert_valid_openai_export(catalog, tmp_path / "tools.json")
    assert to_openai(catalog)[0]["function"]["name"] == "convert_for_unit_converter"


@pytest.mark.slow
def test_whole_shared_catalog_exports_valid_unique_reversible(shared_data: Path, tmp_path: Path) -> None:
    catalog = load_catalog(shared_data / "stabletoolbench" / "catalog.json")
    assert len(catalog) == 2490
    assert_valid_openai_export(catalog, tmp_path / "openai.json")
    flat = export_catalog(catalog, "toolbench", tmp_path / "flat.json")
    again = load_catalog(flat)
    assert _without_source(again) == _without_source(catalog)
    assert to_toolbench(again) == to_toolbench(catalog)


@pytest.mark.slow
def test_other_shared_catalogs_export_valid(shared_data: Path, tmp_path: Path) -> None:
    paths = [shared_data / "seal-tools" / "tool.jsonl", *sorted((shared_data / "bfcl").glob("BFCL_*.json")),
             shared_data / "stabletoolbench" / "queries"]
    catalog = load_catalog(paths)
    assert len(catalog) > 4076
    assert_valid_openai_export(catalog, tmp_path / "all.json")
