"""Catalog loaders: every format, detection, merging, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolbench.errors import ConfigError, InputError
from toolbench.loaders import detect_format, load_catalog, load_specs, read_document

FLAT = [
    {
        "category_name": "Data", "tool_name": "TheClique", "api_name": "Transfermarkt search",
        "api_description": "Search by name", "method": "GET",
        "required_parameters": [{"name": "name", "type": "STRING", "description": "", "default": "messi"}],
        "optional_parameters": [
            {"name": "page-size", "type": "NUMBER", "description": "Page size", "default": "10"},
            {"name": "from", "type": "DATE (YYYY-MM-DD)", "description": "", "default": ""},
            {"name": "safe", "type": "BOOLEAN", "description": "", "default": "maybe"},
        ],
        "template_response": {"Players": [{"name": "str"}]},
    },
    {
        "category_name": "Data", "tool_name": "TheClique", "api_name": "Songkick artist",
        "api_description": "Artist info", "required_parameters": [],
        "optional_parameters": [{"name": "id", "type": "ENUM", "description": "", "default": ""}],
        "method": "GET",
    },
]


def write(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def jsonl(path: Path, records: list[object]) -> Path:
    return write(path, "\n".join(json.dumps(r) for r in records) + "\n")


# --- ToolBench flat list --------------------------------------------------------------


def test_flat_list_parameters_become_standard_json_schema(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path / "catalog.json", FLAT))
    search = catalog.get("Data::TheClique::Transfermarkt search")
    props = search.parameters["properties"]
    assert search.parameters["required"] == ["name"]
    assert props["name"] == {"type": "string", "examples": ["messi"]}
    assert props["page_size"] == {"type": "number", "description": "Page size", "default": 10}
    assert props["is_from"] == {"type": "string", "format": "date"}
    assert props["safe"] == {"type": "boolean", "examples": ["maybe"]}  # default that does not fit the type
    assert search.parameter_aliases == {"page_size": "page-size", "is_from": "from"}
    assert search.template_response == {"Players": [{"name": "str"}]}
    assert search.method == "GET" and search.source == "toolbench"
    artist = catalog.get("Data::TheClique::Songkick artist")
    assert artist.required == [] and artist.optional == ["is_id"]  # optional kept without required ones
    assert "optional" not in json.dumps(artist.parameters)


def test_detects_flat_list(tmp_path: Path) -> None:
    assert detect_format(read_document(write(tmp_path / "x.json", FLAT))) == "toolbench"


def test_duplicate_parameter_names_keep_the_first(tmp_path: Path) -> None:
    doc = dict(FLAT[1], required_parameters=[{"name": "id", "type": "STRING"}],
               optional_parameters=[{"name": "id", "type": "NUMBER"}, {"name": "is_id", "type": "STRING"}])
    api = load_catalog(write(tmp_path / "c.json", [doc])).get("Data::TheClique::Songkick artist")
    assert api.parameters["properties"]["is_id"]["type"] == "string"
    assert api.parameters["properties"]["is_id_2"]["type"] == "string"
    assert api.parameter_aliases == {"is_id": "id", "is_id_2": "is_id"}


def test_duplicates_merge_across_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a.json", [dict(FLAT[1], api_description="")])
    b = write(tmp_path / "b.json", FLAT)
    catalog = load_catalog([a, b])
    assert len(catalog) == 2
    assert catalog.get("Data::TheClique::Songkick artist").description == "Artist info"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("api_name"), "api_name"),
        (lambda d: d.update(tool_name=7), "tool_name"),
        (lambda d: d.update(api_name="  "), "api_name"),
        (lambda d: d.update(api_description=["x"]), "api_description"),
        (lambda d: d.update(required_parameters="q"), "required_parameters"),
        (lambda d: d.update(required_parameters=[{"type": "STRING"}]), "required_parameters[0].name"),
        (lambda d: d.update(optional_parameters=["x"]), "optional_parameters[0]"),
    ],
)
def test_flat_list_bad_records_name_file_record_and_field(tmp_path: Path, mutate, field) -> None:
    records = json.loads(json.dumps(FLAT))
    mutate(records[1])
    path = write(tmp_path / "bad.json", records)
    with pytest.raises(InputError) as info:
        load_catalog(path)
    assert info.value.path == str(path) and info.value.record == 2 and info.value.field == field
    assert str(info.value).startswith(f"{path}: record 2: field {field}: ")


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", '[{"api_name": "x",\n  "tool_name": }]')
    with pytest.raises(InputError, match=r"broken.json: invalid JSON at line 2 column 16"):
        load_catalog(path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown catalog format"):
        load_catalog(write(tmp_path / "x.json", {"hello": "world"}))
    with pytest.raises(InputError, match="no such file"):
        load_catalog(tmp_path / "nope.json")
    with pytest.raises(InputError, match="empty"):
        load_catalog(write(tmp_path / "empty.json", "  \n"))
    assert load_specs(write(tmp_path / "none.json", [])) == []
    with pytest.raises(ConfigError, match="unknown catalog format 'yaml'"):
        load_catalog(write(tmp_path / "y.json", FLAT), fmt="yaml")


def test_explicit_format_override(tmp_path: Path) -> None:
    path = write(tmp_path / "tools.json", FLAT)
    with pytest.raises(InputError, match="expected a list of tools|missing required field"):
        load_catalog(path, fmt="mcp")
    assert len(load_catalog(path, fmt="toolbench")) == 2


# --- ToolBench query files and tool directories ---------------------------------------


def test_query_file_api_lists(tmp_path: Path) -> None:
    queries = [
        {"query_id": 1, "query": "q1", "api_list": FLAT, "relevant APIs": [["TheClique", "Songkick artist"]]},
        {"query_id": 2, "query": "q2", "api_list": FLAT[:1], "relevant APIs": []},
    ]
    path = write(tmp_path / "G1_tool.json", queries)
    assert detect_format(read_document(path)) == "toolbench-queries"
    catalog = load_catalog(path)
    assert sorted(catalog.ids) == ["Data::TheClique::Songkick artist", "Data::TheClique::Transfermarkt search"]
    queries[1]["api_list"] = [{"tool_name": "T", "api_name": "A"}]
    with pytest.raises(InputError) as info:
        load_catalog(write(tmp_path / "bad.json", queries))
    assert (info.value.record, info.value.field) == (2, "api_list[0].category_name")


TOOL_FILE = {
    "tool_name": "Simple YouTube Search",
    "tool_description": "Search YouTube without an API key.",
    "standardized_name": "simple_youtube_search",
    "api_list": [
        {"name": "Search", "url": "https://youtube-search6.p.rapidapi.com/search/", "description": "Find videos",
         "method": "GET", "required_parameters": [{"name": "query", "type": "STRING", "default": "cats"}],
         "optional_parameters": []},
        {"name": "Video", "url": "https://youtube-search6.p.rapidapi.com/video/", "description": "One video",
         "method": "GET", "required_parameters": [], "optional_parameters": []},
    ],
}


def test_tool_directory_category_from_folder(tmp_path: Path) -> None:
    write(tmp_path / "tools" / "Data" / "simple_youtube_search.json", TOOL_FILE)
    write(tmp_path / "tools" / "Media" / "other.json", dict(TOOL_FILE, tool_name="Other"))
    catalog = load_catalog(tmp_path / "tools")
    assert sorted(catalog.ids) == [
        "Data::Simple YouTube Search::Search", "Data::Simple YouTube Search::Video",
        "Media::Other::Search", "Media::Other::Video",
    ]
    api = catalog.get("Data::Simple YouTube Search::Search")
    assert api.url.endswith("/search/") and api.tool_description.startswith("Search YouTube")
    assert catalog.function_name(api.id) == "search_for_simple_youtube_search"
    assert api.source == "toolbench-tool"


def test_tool_file_bad_api_entry(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(TOOL_FILE))
    bad["api_list"][1]["name"] = None
    path = write(tmp_path / "Data" / "t.json", bad)
    with pytest.raises(InputError) as info:
        load_catalog(path)
    assert info.value.field == "api_list[1].name"
    with pytest.raises(InputError, match="no .json or .jsonl files"):
        load_catalog((tmp_path / "empty").mkdir() or tmp_path / "empty")


# --- OpenAI, MCP, BFCL, Seal-Tools ---------------------------------------------------

OPENAI_TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "now", "description": "The time."}},
]


def test_openai_tools(tmp_path: Path) -> None:
    path = write(tmp_path / "weather.json", {"tools": OPENAI_TOOLS})
    assert detect_format(read_document(path)) == "openai"
    catalog = load_catalog(path)
    api = catalog.get("OpenAI::weather::get_weather")
    assert api.native_name == "get_weather" and catalog.function_name(api.id) == "get_weather"
    assert catalog.get("OpenAI::weather::now").parameters == {"type": "object", "properties": {}, "required": []}
    bad = [dict(OPENAI_TOOLS[0], function={"description": "no name"})]
    with pytest.raises(InputError) as info:
        load_catalog(write(tmp_path / "bad.json", bad))
    assert (info.value.record, info.value.field) == (1, "function.name")


def test_mcp_tools_list(tmp_path: Path) -> None:
    result = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [
        {"name": "read_file", "description": "Read a file", "inputSchema": {
            "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
    ]}}
    path = write(tmp_path / "fs.json", result)
    assert detect_format(read_document(path)) == "mcp"
    api = load_catalog(path).get("MCP::fs::read_file")
    assert api.required == ["path"] and api.source == "mcp"
    result["result"]["tools"].append({"name": "write", "inputSchema": "nope"})
    with pytest.raises(InputError) as info:
        load_catalog(write(tmp_path / "bad.json", result))
    assert (info.value.record, info.value.field) == (2, "inputSchema")


BFCL_LINE = {
    "id": "multiple_0",
    "question": [[{"role": "user", "content": "Triangle 3, 4, 5?"}]],
    "function": [{"name": "triangle.area", "description": "Area.", "parameters": {
        "type": "dict",
        "properties": {
            "sides": {"type": "tuple", "items": {"type": "float"}, "description": "Sides."},
            "opts": {"type": "dict", "properties": {"round": {"type": "integer", "optional": True}}},
            "anything": {"type": "any"},
        },
        "required": ["sides"], "optional": ["opts"]}}],
}


def test_bfcl_types_become_standard(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "BFCL_v4_multiple.json", [BFCL_LINE, BFCL_LINE])
    assert detect_format(read_document(path)) == "bfcl"
    catalog = load_catalog(path)
    api = catalog.get("BFCL::triangle::triangle.area")
    assert api.native_name == "triangle.area" and catalog.function_name(api.id) == "triangle_area"
    assert api.parameters == {
        "type": "object",
        "properties": {
            "sides": {"type": "array", "items": {"type": "number"}, "description": "Sides."},
            "opts": {"type": "object", "properties": {"round": {"type": "integer"}}},
            "anything": {},
        },
        "required": ["sides"],
    }
    with pytest.raises(InputError) as info:
        load_catalog(jsonl(tmp_path / "bad.json", [BFCL_LINE, dict(BFCL_LINE, function=[{"name": 3}])]))
    assert (info.value.record, info.value.field) == (2, "function[0].name")


SEAL_LINE = {
    "api_name": "getWaterQuality", "api_description": "Water quality of a place",
    "field": "Environmental Science/Water", "parameters": {
        "location": {"type": "str", "description": "Where"},
        "depth": {"type": "float", "description": "Depth", "unit": "m", "default": "1.5"},
    },
    "required": ["location"], "responses": {"ph": {"type": "float", "description": "pH"}},
}


def test_seal_tools(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "tool.jsonl", [SEAL_LINE])
    assert detect_format(read_document(path)) == "seal-tools"
    catalog = load_catalog(path)
    api = catalog.get("Environmental Science::getWaterQuality::getWaterQuality")
    assert catalog.function_name(api.id) == "getWaterQuality"
    assert api.parameters["properties"]["depth"] == {"type": "number", "description": "Depth (unit: m)", "default": 1.5}
    assert api.template_response == {"ph": "float"} and api.tool_description == "Environmental Science/Water"
    with pytest.raises(InputError) as info:
        load_catalog(jsonl(tmp_path / "bad.jsonl", [SEAL_LINE, dict(SEAL_LINE, required=["nope"])]))
    assert (info.value.record, info.value.field) == (2, "required[0]")
    path = write(tmp_path / "torn.jsonl", json.dumps(SEAL_LINE) + "\n" + json.dumps(SEAL_LINE)[:40] + "\n")
    with pytest.raises(InputError) as info:
        load_catalog(path)
    assert info.value.record == 2


# --- Python functions ---------------------------------------------------------------

PY_TOOLS = '''
def add(a: int, b: int = 1) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def _helper():
    return None
'''


def test_python_file_and_function(tmp_path: Path) -> None:
    path = write(tmp_path / "mathtools.py", PY_TOOLS)
    catalog = load_catalog(path)
    assert len(catalog) == 1
    api = next(iter(catalog))
    assert api.name == "add" and api.required == ["a"] and api.native_name == "add"
    assert catalog.function_name(api.id) == "add"
    assert [s.name for s in load_specs(f"{path}:add")] == ["add"]


def test_python_bad_targets(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="importing failed"):
        load_catalog(write(tmp_path / "broken.py", "def f(:\n"))
    with pytest.raises(InputError, match="not a function"):
        load_specs(f"{write(tmp_path / 'ok.py', PY_TOOLS)}:missing")
    with pytest.raises(InputError, match="cannot import module"):
        load_specs("no_such_module_xyz:f", fmt="python")
    with pytest.raises(InputError, match=r"importing failed \(SystemExit: 3\)"):  # not an exit of the CLI
        load_catalog(write(tmp_path / "exits.py", "import sys\nsys.exit(3)\n"))


def test_a_schema_nested_too_deeply_is_an_input_error(tmp_path: Path) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": "N"}}}}
    text = json.dumps([tool]).replace('"N"', '{"items": ' * 900 + "{}" + "}" * 900)  # parses; the walks recurse
    with pytest.raises(InputError, match="deep.json: a schema is nested too deeply"):
        load_catalog(write(tmp_path / "deep.json", text))


# --- the shared data ----------------------------------------------------------------


def test_shared_catalog_has_2490_apis(shared_data: Path) -> None:
    catalog = load_catalog(shared_data / "stabletoolbench" / "catalog.json")
    assert len(catalog) == 2490
    assert all(api.parameters["type"] == "object" for api in catalog)


def test_seal_tools_has_4076_tools(shared_data: Path) -> None:
    catalog = load_catalog(shared_data / "seal-tools" / "tool.jsonl")
    assert len(catalog) == 4076 and len(catalog.tools()) == 4076


def test_every_bfcl_function_list_loads(shared_data: Path) -> None:
    files = sorted((shared_data / "bfcl").glob("BFCL_*.json"))
    assert len(files) == 5
    total = 0
    for path in files:
        document = read_document(path)
        assert detect_format(document) == "bfcl"
        specs = load_specs(path)
        assert specs, path
        total += len(specs)
    assert total == sum(len(r["function"]) for p in files for r in read_document(p).data)


def test_every_stabletoolbench_query_file_loads(shared_data: Path) -> None:
    files = sorted((shared_data / "stabletoolbench" / "queries").glob("*.json"))
    assert files
    full = load_catalog(shared_data / "stabletoolbench" / "catalog.json")
    for path in files:
        catalog = load_catalog(path)
        assert len(catalog) > 0
        assert set(catalog.ids) <= set(full.ids)


def assert_standard(node: object) -> None:
    """No non-standard ``optional`` keys and only JSON Schema type names, at any depth."""
    if isinstance(node, list):
        for item in node:
            assert_standard(item)
    if not isinstance(node, dict):
        return
    assert "optional" not in node
    types = node.get("type", [])
    for name in types if isinstance(types, list) else [types]:
        assert name in {"string", "integer", "number", "boolean", "object", "array", "null"}, name
    for key in ("properties", "$defs"):
        for sub in (node.get(key) or {}).values():
            assert_standard(sub)
    for key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
        if key in node:
            assert_standard(node[key])


def test_every_bfcl_question_function_is_valid_json_schema(shared_data: Path) -> None:
    from jsonschema import Draft202012Validator

    from toolbench.loaders.function_formats import bfcl_functions
    from toolbench.loaders.source import Where

    seen: set[str] = set()
    for path in sorted((shared_data / "bfcl").glob("BFCL_*.json")):
        document = read_document(path)
        for i, record in enumerate(document.data):
            for spec in bfcl_functions(record, Where(str(path), document.record_label(i))):
                key = json.dumps(spec.parameters, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                Draft202012Validator.check_schema(spec.parameters)
                assert_standard(spec.parameters)
    assert len(seen) > 900
