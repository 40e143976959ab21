"""SFT examples → TRL's conversational tool-calling format (``trl.jsonl``).

TRL's ``SFTTrainer`` and Hugging Face chat templates read a record::

    {"messages": [
        {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "add", "arguments": {"a": 2, "b": 3}}}]},
        {"role": "tool", "name": "add", "content": "5"},
        {"role": "assistant", "content": "It is 5."}],
     "tools": [{"type": "function", "function": {"name": "add", "parameters": {...}}}]}

Unlike our ``sft.jsonl`` (see :mod:`data.sft`), tool-call ``arguments`` are objects and
``tools`` is a list of JSON schemas, as the templates expect. Messages keep only the keys
their role uses. Loading such a file with ``datasets`` merges every example's argument
objects into one struct type (absent keys become ``null``); read it with
:func:`read_trl` (plain JSON) when the schemas must stay exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from data.sft import call_from_wire, example_tools

TRL_FILE = "trl.jsonl"


def to_trl(example: dict[str, Any]) -> dict[str, Any]:
    """One SFT example in TRL's conversational tool format.

    >>> ex = {"id": "r:1", "tools": "[]", "messages": [
    ...     {"role": "user", "content": "2+3?", "tool_calls": [], "tool_call_id": None, "name": None},
    ...     {"role": "assistant", "content": None, "tool_call_id": None, "name": None, "tool_calls": [
    ...         {"id": "call_1_0", "type": "function", "function": {"name": "add", "arguments": '{"a":2}'}}]},
    ...     {"role": "tool", "content": "5", "tool_calls": [], "tool_call_id": "call_1_0", "name": "add"}]}
    >>> [m for m in to_trl(ex)["messages"]][1:]
    [{'role': 'assistant', 'content': '', 'tool_calls': [{'id': 'call_1_0', 'type': 'function', \
'function': {'name': 'add', 'arguments': {'a': 2}}}]}, {'role': 'tool', 'content': '5', 'name': 'add', \
'tool_call_id': 'call_1_0'}]
    """
    messages = []
    for message in example["messages"]:
        out: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
        if message.get("tool_calls"):
            out["tool_calls"] = [_call_object(call) for call in message["tool_calls"]]
        if message["role"] == "tool":
            out["name"] = message.get("name") or ""
            if message.get("tool_call_id"):
                out["tool_call_id"] = message["tool_call_id"]
        messages.append(out)
    return {"id": example.get("id"), "messages": messages, "tools": example_tools(example)}


def _call_object(wire: dict[str, Any]) -> dict[str, Any]:
    call = call_from_wire(wire)
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def write_trl(out_dir: str | Path, examples: Iterable[dict[str, Any]]) -> Path:
    """Write ``trl.jsonl`` (plain JSON lines, no version header: TRL and ``datasets`` read it),
    atomically and one example at a time."""
    from toolbench.store.files import atomic_write_lines

    return atomic_write_lines(Path(out_dir) / TRL_FILE, (json.dumps(to_trl(e), ensure_ascii=False) + "\n"
                                                         for e in examples))


def read_trl(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``trl.jsonl`` file, exactly as written (bad lines raise ``InputError``)."""
    from toolbench.store import read_jsonl

    return read_jsonl(path, versioned=False)
