"""Snapshot tests of the judge prompts (package data). Refresh with UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from evaluator.prompting import render, template_names
from evaluator.structured import BETTER_ANSWER, CHECK_ANSWER, FAC, PARSE_ANSWER, TASK_SOLVABLE

SNAPSHOTS = Path(__file__).parent / "snapshots" / "eval_prompts"
QUERY = "What is the capital of France, and its population?"
VARIABLES = {
    CHECK_ANSWER: {"query": QUERY, "answer": "Paris; about 2.1 million people."},
    PARSE_ANSWER: {"query": QUERY, "answer": "Paris.", "answer_details":
                   'Step 1: capital_for_geo({"country":"France"}) -> Paris'},
    TASK_SOLVABLE: {"query": QUERY, "tools": [{"name": "capital_for_geo", "description": "Capital of a country."},
                                               {"name": "Finish", "description": "Finish the task."}]},
    BETTER_ANSWER: {"query": QUERY, "answer_0": "Final answer: Paris\nTotal steps: 1",
                    "answer_1": "Final answer: Lyon\nTotal steps: 3"},
    FAC: {"query": QUERY, "answer": "Paris."},
}


def test_every_template_has_a_judge_function():
    assert sorted(fn.template for fn in VARIABLES) == template_names()


@pytest.mark.parametrize("fn", list(VARIABLES), ids=lambda fn: fn.template)
def test_prompt_snapshot(fn):
    text = render(fn.template, function_name=fn.name, **VARIABLES[fn])
    path = SNAPSHOTS / f"{fn.template}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert fn.name in text and fn.field in text


def test_missing_variable_raises():
    with pytest.raises(jinja2.UndefinedError):
        render("check_answer_status", query="q", function_name="f")


def test_tool_schema_of_a_judge_function():
    schema = BETTER_ANSWER.tool_schema()["function"]
    assert schema["name"] == "select_better_answer"
    assert schema["parameters"]["properties"]["index"] == {"type": "integer", "enum": [0, 1]}
    assert schema["parameters"]["required"] == ["reason", "index"]
