"""Query loaders: ToolBench query JSON, JSONL, Seal-Tools dev.jsonl, BFCL questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolbench.catalog.queries import load_queries, write_queries
from toolbench.errors import InputError, SchemaVersionError
from toolbench.loaders import load_catalog

API_LIST = [
    {"category_name": "Data", "tool_name": "TheClique", "api_name": "Transfermarkt search",
     "api_description": "", "required_parameters": [], "optional_parameters": [], "method": "GET"},
    {"category_name": "Sports", "tool_name": "TheClique", "api_name": "Songkick artist",
     "api_description": "", "required_parameters": [], "optional_parameters": [], "method": "GET"},
]


def write(path: Path, value: object) -> Path:
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def jsonl(path: Path, records: list[object]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in records))


def test_toolbench_query_file(tmp_path: Path) -> None:
    records = [{"query_id": 588, "query": "Tell me about Messi", "api_list": API_LIST,
                "relevant APIs": [["TheClique", "Songkick artist"]]}]
    queries = load_queries(write(tmp_path / "G1_instruction.json", records))
    (query,) = queries
    assert query.query_id == "588" and query.group == "G1_instruction"
    assert query.api_ids == ["Data::TheClique::Transfermarkt search", "Sports::TheClique::Songkick artist"]
    assert query.relevant_api_ids == ["Sports::TheClique::Songkick artist"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"relevant APIs": [["TheClique", "Nope"]]}, "relevant APIs[0]"),
        ({"relevant APIs": ["TheClique"]}, "relevant APIs[0]"),
        ({"query": ""}, "query"),
        ({"query_id": None}, "query_id"),
        ({"api_list": [{"tool_name": "T"}]}, "api_list[0].api_name"),
    ],
)
def test_toolbench_query_bad_input(tmp_path: Path, change: dict, field: str) -> None:
    good = {"query_id": 1, "query": "q", "api_list": API_LIST, "relevant APIs": []}
    path = write(tmp_path / "G1_tool.json", [good, {**good, **change}])
    with pytest.raises(InputError) as info:
        load_queries(path)
    assert (info.value.record, info.value.field) == (2, field)


def test_catalog_check_and_resolution(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path / "catalog.json", API_LIST))
    records = [{"query_id": 1, "query": "q", "api_list": [{"tool_name": "TheClique", "api_name": "Songkick artist"}],
                "relevant APIs": [["TheClique", "Songkick artist"]]}]
    (query,) = load_queries(write(tmp_path / "demo.json", records), catalog)
    assert query.api_ids == query.relevant_api_ids == ["Sports::TheClique::Songkick artist"]
    lines = jsonl(tmp_path / "q.jsonl", [{"query_id": "a", "query": "q", "api_ids": ["X::Y::Z"]}])
    with pytest.raises(InputError, match="'X::Y::Z' is not in the catalog") as info:
        load_queries(lines, catalog)
    assert info.value.field == "api_ids"


def test_jsonl_queries(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "mine.jsonl", [
        {"query_id": 7, "query": "What is 2+2?", "expected_answer": "4"},
        {"schema_version": 1, "query_id": "b", "query": "Hi", "api_ids": ["A::B::C"], "group": "demo",
         "extra": {"gold_calls": []}},
    ])
    first, second = load_queries(path)
    assert (first.query_id, first.expected_answer, first.api_ids) == ("7", "4", [])
    assert (second.group, second.api_ids, second.extra) == ("demo", ["A::B::C"], {"gold_calls": []})
    with pytest.raises(SchemaVersionError):
        load_queries(jsonl(tmp_path / "new.jsonl", [{"schema_version": 99, "query_id": "x", "query": "q"}]))
    with pytest.raises(InputError) as info:
        load_queries(jsonl(tmp_path / "bad.jsonl", [{"query_id": "x", "query": "q", "api_ids": [1]}]))
    assert info.value.field == "api_ids[0]"
    with pytest.raises(InputError, match="unknown query file format"):
        load_queries(jsonl(tmp_path / "other.jsonl", [{"text": "q"}]))


def test_seal_tools_dev_resolves_through_tool_jsonl(tmp_path: Path) -> None:
    jsonl(tmp_path / "tool.jsonl", [{"api_name": "getWaterQuality", "api_description": "d", "field": "Env/Water",
                                     "parameters": {"location": {"type": "str"}}, "required": [], "responses": {}}])
    dev = jsonl(tmp_path / "dev.jsonl", [{"id": "dev-easy-0", "query": "Water of the lake?", "calling": [
        {"api": "getWaterQuality", "parameters": {"location": "lake"}, "responses": ["API_call_0"]}]}])
    (query,) = load_queries(dev)
    assert query.relevant_api_ids == ["Env::getWaterQuality::getWaterQuality"] and query.group == "easy"
    assert query.extra["gold_calls"][0]["arguments"] == {"location": "lake"}
    bad = jsonl(tmp_path / "dev2.jsonl", [{"id": "dev-easy-1", "query": "q", "calling": [{"api": "nope"}]}])
    with pytest.raises(InputError) as info:
        load_queries(bad)
    assert (info.value.record, info.value.field) == (1, "calling[0].api")
    alone = tmp_path / "alone"
    alone.mkdir()
    with pytest.raises(InputError, match="need their catalog"):
        load_queries(jsonl(alone / "dev.jsonl", [{"id": "d-x-1", "query": "q", "calling": []}]))


def test_bfcl_questions(tmp_path: Path) -> None:
    line = {"id": "simple_0", "question": [[{"role": "user", "content": "Area of 3,4,5?"}]],
            "function": [{"name": "geo.area", "description": "", "parameters": {"type": "dict", "properties": {}}}]}
    (query,) = load_queries(jsonl(tmp_path / "BFCL_v4_simple_python.json", [line]))
    assert query.api_ids == ["BFCL::geo::geo.area"] and query.group == "simple_python"
    assert query.query == "Area of 3,4,5?" and query.extra["functions"][0]["name"] == "geo.area"


def test_every_shared_query_file_loads(shared_data: Path) -> None:
    catalog = load_catalog(shared_data / "stabletoolbench" / "catalog.json")
    files = sorted((shared_data / "stabletoolbench" / "queries").glob("*.json"))
    total = 0
    for path in files:
        queries = load_queries(path, catalog)
        assert all(q.relevant_api_ids and set(q.relevant_api_ids) <= set(q.api_ids) for q in queries)
        assert {q.group for q in queries} == {path.stem}
        total += len(queries)
    assert total == 474
    for path in sorted((shared_data / "toolbench" / "data_example" / "instruction").glob("*.json")):
        assert load_queries(path)
    seal = load_queries(shared_data / "seal-tools" / "dev.jsonl")
    assert len(seal) == 700 and all(q.relevant_api_ids for q in seal)
    for path in sorted((shared_data / "bfcl").glob("BFCL_*.json")):
        assert load_queries(path)


def test_write_queries_round_trip(tmp_path: Path) -> None:
    pair = [["TheClique", "Songkick artist"]]
    records = [{"query_id": 588, "query": "Messi?", "api_list": API_LIST, "relevant APIs": pair},
               {"query_id": "x-1", "query": "Other", "api_list": API_LIST[:1], "relevant APIs": []}]
    source = write(tmp_path / "G1_tool.json", records)
    queries = load_queries(source)
    catalog = load_catalog(source)
    out = tmp_path / "out" / "G1_tool.json"
    write_queries(out, queries, catalog=catalog, fmt="toolbench")
    assert load_queries(out) == queries
    assert json.loads(out.read_text())[0]["query_id"] == 588
    assert load_catalog(out).ids == catalog.ids
    lines = write_queries(tmp_path / "q.jsonl", queries)
    assert load_queries(lines) == [q for q in queries]
    with pytest.raises(InputError, match="needs the catalog"):
        write_queries(tmp_path / "x.json", queries, fmt="toolbench")


def test_shared_query_files_round_trip(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "stabletoolbench" / "queries" / "G1_instruction.json"
    queries = load_queries(source)
    catalog = load_catalog(source)
    out = write_queries(tmp_path / "G1_instruction.json", queries, catalog=catalog, fmt="toolbench")
    assert load_queries(out) == queries
    again = load_catalog(out)
    assert [a.to_dict() for a in again] == [a.to_dict() for a in catalog]
