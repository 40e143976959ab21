"""Prompt snapshots: the ToolBench variant is character-for-character ToolBench's."""

from __future__ import annotations

import json

import pytest

from planner.finish import finish_tool
from planner.prompting import build_task, render
from toolbench.catalog import Catalog
from toolbench.errors import ConfigError
from toolbench.types import ApiSpec


def _catalog() -> Catalog:
    return Catalog([
        ApiSpec("Logistics", "transitaires", "transitaire", description="Récupère un transitaire donnée",
                tool_description="Transitaires de dédouanement en Nouvelle-Calédonie",
                parameters={"type": "object", "properties": {"id": {"type": "string", "examples": ["X"]}},
                            "required": ["id"]}),
        ApiSpec("Logistics", "transitaires", "transitaires", description="Renvoie tous les transiatires",
                tool_description="Transitaires de dédouanement en Nouvelle-Calédonie"),
    ])


def test_toolbench_system_and_user_prompts_match_recorded_ones(shared_data):
    recorded = json.loads((shared_data / "toolbench" / "data_example" / "answer" / "G1_answer" /
                           "10_ChatGPT_DFS_woFilter_w2.json").read_text())["answer_generation"]
    system, user = recorded["train_messages"][0][0]["content"], recorded["train_messages"][0][1]["content"]
    query = user.removeprefix("\n").removesuffix("\nBegin!\n")
    catalog = _catalog()
    task = build_task(catalog, catalog.ids, query, "toolbench")
    assert task.messages[0].content == system
    assert task.messages[1].content == user
    assert task.tools[-1]["function"] == recorded["function"][-1]  # Finish, older wording


def test_stabletoolbench_functions_match_recorded_ones(shared_data):
    from toolbench.catalog.queries import load_queries
    from toolbench.loaders import load_catalog

    base = shared_data / "stabletoolbench"
    catalog = load_catalog(base / "catalog.json")
    queries = {q.query_id: q for q in load_queries(base / "queries" / "G1_instruction.json", catalog)}
    for qid in ("588", "608", "1073"):
        folder = base / "data_example" / "answer" / "virtual_chatgpt_dfs" / "G1_instruction"
        path = folder / f"{qid}_DFS_woFilter_w2.json"
        recorded = json.loads(path.read_text())["answer_generation"]
        task = build_task(catalog, queries[qid].api_ids, queries[qid].query, "stabletoolbench")
        assert [t["function"] for t in task.tools] == recorded["function"]


DEFAULT_SYSTEM = """You are a careful assistant that solves the user's task by calling functions.
Work step by step: in each turn, think briefly (at most a few sentences) about the current state, then call exactly one function.
Function results come back as tool messages. When you have enough information, call "Finish" with return_type "give_answer" and a complete final_answer: it is the only part the user sees.
If the task cannot be solved from the current state (functions keep failing or return nothing useful), call "Finish" with return_type "give_up_and_restart" and a different attempt will be started.
Use only the function names listed; never invent functions or arguments.
Tools available:
- transitaires: Transitaires de dédouanement en Nouvelle-Calédonie
"""  # noqa: E501


def test_default_variant_snapshot():
    catalog = _catalog()
    task = build_task(catalog, catalog.ids, "Find Gondrand", "default")
    assert task.messages[0].content == DEFAULT_SYSTEM
    assert task.messages[1].content == "Find Gondrand\n"
    assert task.tools[0]["function"]["name"] == "transitaire_for_transitaires"
    assert task.tools[-1] == finish_tool("default")


def test_diversity_prompt_snapshot():
    catalog = _catalog()
    task = build_task(catalog, catalog.ids, "q", "toolbench")
    message = task.diversity_message([{"name": "f", "arguments": "{}", "function_output": "out",
                                       "mento-carlo-action-value": 0.0}], "previous obs")
    assert message.role == "user"
    assert message.content == (
        "This is not the first time you try this task, all previous trails failed.\n"
        "Before you generate my thought for this state, I will first show you your previous actions for this state, "
        "and then you must generate actions that is different from all of them. Here are some previous actions "
        "candidates:\n"
        '[\n  {\n    "name": "f",\n    "arguments": "{}",\n    "function_output": "out",\n'
        '    "mento-carlo-action-value": 0.0\n  }\n]\nagain, your former observation: previous obs\n\n'
        "Remember you are now in the intermediate state of a trail, you will first analyze the now state and "
        "previous action candidates, then make actions that is different from all the previous.")


def test_unknown_variant():
    with pytest.raises(ConfigError, match="prompt variant"):
        render("llama", "system", tools=[])
