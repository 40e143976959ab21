"""Training instructions from the phrasebook never reproduce the evaluation instructions."""

from __future__ import annotations

import json
import re

import pytest

from data.builtin_templates import generate_builtin_instructions
from data.phrasebook import TEMPLATES
from toolbench.builtin_world import builtin_catalog, builtin_everyday, builtin_executor, builtin_instructions


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def content_values(arguments: dict) -> set[tuple[str, str]]:
    """(argument, value) of numbers, dates and free texts — what a slot would fill."""
    out = set()
    for name, value in arguments.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                continue
            if isinstance(item, (int, float)):
                out.add((name, f"{float(item):g}"))
            elif isinstance(item, str) and (re.search(r"\d", item) or " " in item or name in ("text", "formula")):
                out.add((name, item.strip().lower()))
    return out


@pytest.fixture(scope="module")
def world():
    catalog = builtin_catalog()
    return catalog, builtin_executor(catalog, isolation="none")


@pytest.mark.slow
def test_training_instructions_are_disjoint_from_the_evaluation_sets(world):
    catalog, executor = world
    evaluation = builtin_instructions() + builtin_everyday()
    train = generate_builtin_instructions({"G1": 300, "G2": 150, "G3": 150}, seed=0, heldout_fraction=0.0,
                                          catalog=catalog, executor=executor)["train"]
    assert len(train) == 600
    eval_texts = {words(q.query) for q in evaluation}
    eval_calls = {(c["name"], json.dumps(c["arguments"], sort_keys=True)) for q in evaluation
                  for c in q.extra["gold_calls"]}
    eval_values = {(c["name"], *v) for q in evaluation for c in q.extra["gold_calls"]
                   for v in content_values(c["arguments"])}
    for query in train:
        assert words(query.query) not in eval_texts, query.query
        for call in query.extra["gold_calls"]:
            assert (call["name"], json.dumps(call["arguments"], sort_keys=True)) not in eval_calls, query.query
            shared = {(call["name"], *v) for v in content_values(call["arguments"])} & eval_values
            assert not shared, (query.query, shared)


def test_every_builtin_function_has_a_template(world):
    catalog, _ = world
    assert {catalog.function_name(api.id) for api in catalog} == {t.function for t in TEMPLATES}


def test_multi_call_instructions_chain_results(world):
    catalog, executor = world
    queries = generate_builtin_instructions({"G1": 0, "G2": 30, "G3": 30}, seed=2, heldout_fraction=0.0,
                                            catalog=catalog, executor=executor)["train"]
    chained = 0
    for query in queries:
        answers = query.extra["gold_answers"]
        calls = query.extra["gold_calls"]
        assert len(answers) == len(calls) == len(query.extra["answer_keys"]) >= 2
        for earlier, later in zip(answers, calls[1:], strict=False):
            values = [v for arg in later["arguments"].values() for v in (arg if isinstance(arg, list) else [arg])]
            chained += earlier in values or any(isinstance(v, str) and str(earlier) in v for v in values)
    assert chained >= len(queries) // 3  # a good share uses an earlier result as an argument


@pytest.mark.parametrize("counts", [{"G1": -1}, {"G2": -5, "G1": 2}])
def test_negative_counts_are_refused(counts):
    from toolbench.errors import ConfigError

    with pytest.raises(ConfigError, match="instruction counts must be >= 0"):
        generate_builtin_instructions(counts)
