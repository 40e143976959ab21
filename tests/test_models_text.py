"""Text tool-call formats: parsing each one, rendering prompts (snapshot-tested)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolbench.errors import ConfigError
from toolbench.models.text_chat import to_text_messages
from toolbench.models.tool_call_text import (
    TEXT_FORMATS,
    call_prefill,
    parse_tool_calls,
    render_tool_call,
    render_tools_prompt,
)
from toolbench.types import Message, ToolCall

SNAPSHOTS = Path(__file__).parent / "snapshots" / "models"
TOOLS = [
    {"type": "function", "function": {
        "name": "get_weekday", "description": "Weekday of a date.",
        "parameters": {"type": "object", "properties": {"date": {"type": "string", "description": "YYYY-MM-DD"}},
                       "required": ["date"]}}},
    {"type": "function", "function": {
        "name": "Finish", "description": "Give the final answer.",
        "parameters": {"type": "object", "properties": {"answer": {"type": "string"}}}}},
]


def _calls(text, fmt="auto"):
    reply = parse_tool_calls(text, fmt)
    return [(c.name, c.arguments) for c in reply.tool_calls], reply


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>\n{"name": "get_weekday", "arguments": {"date": "2024-03-01"}}\n</tool_call>',
        '<tool_call>{"name": "get_weekday", "arguments": "{\\"date\\": \\"2024-03-01\\"}"}',  # unclosed, str args
        '{"name": "get_weekday", "parameters": {"date": "2024-03-01"}}',
        '<|python_tag|>{"name": "get_weekday", "parameters": {"date": "2024-03-01"}}',
        'Thought: find the weekday\nAction: get_weekday\nAction Input: {"date": "2024-03-01"}',
        'I will call it.\n```json\n{"name": "get_weekday", "arguments": {"date": "2024-03-01"}}\n```',
        'Calling {"name": "get_weekday", "arguments": {"date": "2024-03-01"}} now',
    ],
)
def test_every_format_parses_to_the_same_call(text):
    calls, reply = _calls(text)
    assert calls == [("get_weekday", {"date": "2024-03-01"})]
    assert reply.parse_error is None


def test_hermes_multiple_calls_and_content():
    text = ('Two calls. <tool_call>{"name": "a", "arguments": {}}</tool_call>\n'
            '<tool_call>{"name": "b", "arguments": {"x": 1}}</tool_call>')
    calls, reply = _calls(text, "hermes")
    assert calls == [("a", {}), ("b", {"x": 1})]
    assert reply.content == "Two calls." and [c.id for c in reply.tool_calls] == ["call_0", "call_1"]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ('<tool_call>{"name": "a", "arguments": {"x": }}</tool_call>', "auto", "invalid JSON"),
        ('<tool_call>{"arguments": {}}</tool_call>', "auto", "no 'name'"),
        ('<tool_call>{"name": "a", "arguments": [1]}</tool_call>', "auto", "JSON object"),
        ('{"name": "a", "parameters": {"x": ', "llama3", "not valid JSON"),
        ("Thought: x\nAction: search\nAction Input: q=1", "auto", "not a JSON object"),
        ("Thought: x\nAction: search", "react", "without an 'Action Input:'"),
    ],
)
def test_broken_calls_become_parse_errors(text, fmt, message):
    reply = parse_tool_calls(text, fmt)
    assert reply.tool_calls == [] and message in reply.parse_error


def test_plain_text_is_content_without_error():
    for fmt in ("auto", *TEXT_FORMATS):
        reply = parse_tool_calls("It is a Friday.", fmt)
        assert reply.tool_calls == [] and reply.parse_error is None and reply.content == "It is a Friday."


def test_react_action_input_may_be_empty():
    calls, reply = _calls("Thought: done\nAction: Finish\nAction Input: {}")
    assert calls == [("Finish", {})] and reply.content == "done"


def test_unknown_format_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown tool-call format"):
        parse_tool_calls("x", "xml")
    with pytest.raises(ConfigError):
        render_tools_prompt(TOOLS, "xml")


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_render_then_parse_round_trip(fmt):
    call = ToolCall("c", "get_weekday", {"date": "2024-03-01"})
    reply = parse_tool_calls(render_tool_call(call, fmt, "think"), fmt)
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [(call.name, call.arguments)]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_prefill_plus_completion_parses(fmt):
    completion = {"hermes": 'Finish", "arguments": {"answer": "4"}}\n</tool_call>',
                  "llama3": 'Finish", "parameters": {"answer": "4"}}',
                  "json": 'Finish", "arguments": {"answer": "4"}}',
                  "react": ' done\nAction: Finish\nAction Input: {"answer": "4"}'}[fmt]
    reply = parse_tool_calls(call_prefill(fmt) + completion, fmt)
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("Finish", {"answer": "4"})]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_tools_prompt_snapshot(fmt):
    text = render_tools_prompt(TOOLS, fmt) + "\n"
    path = SNAPSHOTS / f"tools_prompt_{fmt}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):  # deliberate refresh: UPDATE_SNAPSHOTS=1 pytest ...
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing snapshot {path}; run with UPDATE_SNAPSHOTS=1 once"
    assert text == path.read_text(encoding="utf-8")


def test_text_messages_merge_roles_and_keep_system():
    msgs = [
        Message("system", "Be brief."),
        Message("user", "weekday of 2024-03-01?"),
        Message("assistant", "Let me check.", [ToolCall("c", "get_weekday", {"date": "2024-03-01"})]),
        Message("tool", '{"response": "Friday"}', tool_call_id="c"),
        Message("user", "thanks"),
    ]
    out = to_text_messages(msgs, TOOLS, "hermes")
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
    assert out[0]["content"].startswith("Be brief.\n\n") and "get_weekday" in out[0]["content"]
    assert out[2]["content"].startswith("Let me check.\n<tool_call>")
    assert out[3]["content"].endswith("</tool_response>\n\nthanks")
