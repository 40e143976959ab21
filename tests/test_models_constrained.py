"""The llguidance call grammar on the embedded tokenizer: what it accepts, what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from toolbench.models.constrained import _grammar_tokenizer, call_grammar, call_schema
from toolbench.models.hf_models import load_tokenizer

FINISH = {"name": "Finish", "parameters": {"type": "object", "required": ["return_type"], "properties": {
    "return_type": {"type": "string", "enum": ["give_answer", "give_up_and_restart"]},
    "final_answer": {"type": "string"}}}}
CONVERT = {"name": "convert_units", "parameters": {"type": "object", "required": ["value", "from_unit", "to_unit"],
                                                   "properties": {"value": {"type": "number"},
                                                                  "from_unit": {"type": "string"},
                                                                  "to_unit": {"type": "string"}}}}
COUNT = {"name": "repeat", "parameters": {"type": "object", "required": ["times"], "properties": {
    "times": {"type": "integer"}, "items": {"type": "array", "items": {"type": "integer"}}}}}
FUNCTIONS = [CONVERT, COUNT, FINISH]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return load_tokenizer("smollm2")


def accepts(tokenizer: Any, grammar: str, text: str) -> bool:
    """Whether the grammar takes every token of ``text`` and is then complete."""
    from llguidance import LLMatcher

    matcher = LLMatcher(_grammar_tokenizer(tokenizer), grammar)
    for token in tokenizer(text, add_special_tokens=False)["input_ids"]:
        if not matcher.consume_token(token):
            return False
    return matcher.is_accepting()


def call(name: str, **arguments: Any) -> str:
    return json.dumps({"name": name, "arguments": dict(sorted(arguments.items()))})


def test_a_sorted_keys_call_is_accepted_and_schema_violations_are_not(tokenizer: Any) -> None:
    grammar = call_grammar(FUNCTIONS, optional="choose")
    assert accepts(tokenizer, grammar, call("convert_units", value=3.5, from_unit="km", to_unit="mi"))
    assert accepts(tokenizer, grammar, call("Finish", return_type="give_answer", final_answer="12"))
    assert accepts(tokenizer, grammar, call("Finish", return_type="give_up_and_restart"))
    assert accepts(tokenizer, grammar, call("repeat", times=3, items=[1, 2]))
    # keys out of the canonical (sorted) order, a wrong enum value, a number for an integer,
    # an unknown function, a missing required argument, an unknown argument
    assert not accepts(tokenizer, grammar, json.dumps({"name": "convert_units", "arguments": {
        "value": 3.5, "from_unit": "km", "to_unit": "mi"}}))
    assert not accepts(tokenizer, grammar, call("Finish", return_type="maybe"))
    assert not accepts(tokenizer, grammar, call("repeat", times=1.5))
    assert not accepts(tokenizer, grammar, call("explode", x=1))
    assert not accepts(tokenizer, grammar, call("convert_units", value=3.5, from_unit="km"))
    assert not accepts(tokenizer, grammar, call("repeat", times=1, colour="red"))


def test_optional_policies_and_a_forced_function(tokenizer: Any) -> None:
    every = call_grammar(FUNCTIONS, optional="all")
    assert not accepts(tokenizer, every, call("repeat", times=3))
    assert accepts(tokenizer, every, call("repeat", times=3, items=[]))
    none = call_grammar(FUNCTIONS, optional="none")
    assert not accepts(tokenizer, none, call("repeat", times=3, items=[1]))
    forced = call_grammar(FUNCTIONS, forced="Finish")
    assert not accepts(tokenizer, forced, call("repeat", times=3))
    with pytest.raises(Exception, match="not offered"):
        call_schema(FUNCTIONS, forced="explode")


def test_thought_line_comes_before_the_call_only_when_allowed(tokenizer: Any) -> None:
    text = "Plan: convert_units.\n" + call("convert_units", value=1, from_unit="m", to_unit="ft")
    assert accepts(tokenizer, call_grammar(FUNCTIONS, thought=True), text)
    assert not accepts(tokenizer, call_grammar(FUNCTIONS, thought=False), text)


def test_unbounded_strings_are_capped(tokenizer: Any) -> None:
    grammar = call_grammar(FUNCTIONS, max_string=10)
    assert accepts(tokenizer, grammar, call("Finish", return_type="give_answer", final_answer="short"))
    assert not accepts(tokenizer, grammar, call("Finish", return_type="give_answer", final_answer="x" * 11))


def test_unbounded_arrays_are_capped_at_every_depth(tokenizer: Any) -> None:
    """A base model may count on through a list until the token budget cuts the call: arrays get
    ``max_items``, and strings inside arrays ``max_string``, like top-level strings."""
    nested = {"name": "tag", "parameters": {"type": "object", "required": ["groups"], "properties": {
        "groups": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        "at_least": {"type": "array", "minItems": 5, "items": {"type": "integer"}}}}}
    grammar = call_grammar([COUNT, nested], max_string=10, max_items=4)
    assert accepts(tokenizer, grammar, call("repeat", times=1, items=[1, 2, 3, 4]))
    assert not accepts(tokenizer, grammar, call("repeat", times=1, items=[1, 2, 3, 4, 5]))
    assert accepts(tokenizer, grammar, call("tag", groups=[["a", "b"], ["c"]], at_least=[1, 2, 3, 4, 5]))
    assert not accepts(tokenizer, grammar, call("tag", groups=[["a"] * 5], at_least=[1, 2, 3, 4, 5]))
    assert not accepts(tokenizer, grammar, call("tag", groups=[["x" * 11]], at_least=[1, 2, 3, 4, 5]))
