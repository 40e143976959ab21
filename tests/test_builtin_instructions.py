"""The built-in instruction set: every gold chain re-executed, answers still match, groups well-formed."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from toolbench.builtin_tools.instruction_set import answer_from, build_records, run_chain
from toolbench.builtin_world import builtin_catalog, builtin_executor, builtin_instructions
from toolbench.types import SCHEMA_VERSION, Query

QUERIES = builtin_instructions()


@pytest.fixture(scope="module")
def executor():  # type: ignore[no-untyped-def]
    return builtin_executor(isolation="none")


def test_size_groups_and_ids() -> None:
    groups = [q.group for q in QUERIES]
    assert len(QUERIES) >= 60
    assert groups.count("G1") >= 30 and groups.count("G2") >= 10 and groups.count("G3") >= 10
    assert len({q.query_id for q in QUERIES}) == len(QUERIES)
    assert len({q.query.lower() for q in QUERIES}) == len(QUERIES)
    assert [q.query_id for q in builtin_instructions(["G3"])] == [q.query_id for q in QUERIES if q.group == "G3"]


@pytest.mark.parametrize("query", QUERIES, ids=[q.query_id for q in QUERIES])
def test_gold_chain_reproduces_the_expected_answer(executor, query: Query) -> None:  # type: ignore[no-untyped-def]
    calls = query.extra["gold_calls"]
    responses = run_chain(executor, calls)
    assert answer_from(responses, query.extra["answer_paths"]) == query.expected_answer
    catalog = executor.catalog
    gold_apis = [catalog.by_function_name(c["name"]).id for c in calls]
    assert query.relevant_api_ids == list(dict.fromkeys(gold_apis))


@pytest.mark.parametrize("query", QUERIES, ids=[q.query_id for q in QUERIES])
def test_group_definitions(query: Query) -> None:
    catalog = builtin_catalog()
    apis = [catalog.get(i) for i in query.relevant_api_ids]
    tools = {a.tool for a in apis}
    categories = {a.category for a in apis}
    if query.group == "G1":
        assert len(tools) == 1
    elif query.group == "G2":
        assert len(tools) >= 2 and len(categories) == 1
    else:
        assert query.group == "G3" and len(categories) >= 2
    assert query.expected_answer is not None and query.expected_answer != ""


def test_packaged_file_is_up_to_date() -> None:
    text = resources.files("toolbench.resources").joinpath("builtin_instructions.jsonl").read_text(encoding="utf-8")
    stored = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(r["schema_version"] == SCHEMA_VERSION for r in stored)
    rebuilt = build_records()
    assert [{k: v for k, v in r.items() if k != "schema_version"} for r in stored] == rebuilt
    assert [Query.from_dict(r).to_dict() for r in stored] == rebuilt
