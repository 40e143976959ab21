"""SFT examples ↔ ToolLLaMA's conversation format (ToolBench ``preprocess_toolllama_data.py``).

ToolLLaMA trains on records ``{"id": "Step N: query", "conversations": [{"from", "value"}]}``
with roles ``system``, ``user``, ``assistant``, ``function``. The system prompt ends with
``Specifically, you have access to the following APIs: [...]`` and every assistant turn is
ReACT text::

    \\nThought: <thought>\\nAction: <function name>\\nAction Input: <JSON arguments>

We write the API list as JSON (ToolBench writes a Python ``repr``; both are read back, the
latter with :func:`ast.literal_eval`, which only parses literals). Unlike ToolBench's
``train_messages`` we write ONE record per solution path (the full conversation); the
ToolLLaMA trainer computes loss on every assistant turn of it. ``query_id`` is kept as
an extra key. An assistant turn with several calls becomes several turns (ToolLLaMA has
one call per turn); paths with one call per turn round-trip exactly.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from data.sft import example_tools, wire_message
from toolbench.errors import InputError
from toolbench.jsonutil import dumps_compact

API_MARKER = "\nSpecifically, you have access to the following APIs: "
FORMAT_ANCHOR = "with a function call to actually excute your step."
FORMAT_HINT = " Your output should follow this format:\nThought:\nAction\nAction Input:\n"
_REACT = re.compile(r"^\nThought: (?P<thought>.*?)\nAction: (?P<name>[^\n]*)\nAction Input: (?P<args>.*)$", re.DOTALL)
_ROLE_OUT = {"system": "system", "user": "user", "assistant": "assistant", "tool": "function"}


def react_text(thought: str | None, name: str | None = None, arguments: str = "{}") -> str:
    """One assistant turn as ToolLLaMA ReACT text.

    >>> react_text("look up", "f", '{"a":1}')
    '\\nThought: look up\\nAction: f\\nAction Input: {"a":1}'
    >>> react_text("The answer is 4.")
    '\\nThought: The answer is 4.'
    """
    text = f"\nThought: {thought or ''}"
    return text if name is None else f"{text}\nAction: {name}\nAction Input: {arguments}"


def parse_react_text(value: str) -> tuple[str | None, str | None, str]:
    """Inverse of :func:`react_text`: ``(thought, name, arguments)``.

    >>> parse_react_text('\\nThought: go\\nAction: f\\nAction Input: {"a":1}')
    ('go', 'f', '{"a":1}')
    >>> parse_react_text("\\nThought: done")
    ('done', None, '')
    """
    match = _REACT.match(value)
    if match:
        return match.group("thought") or None, match.group("name"), match.group("args")
    thought = value.removeprefix("\n").removeprefix("Thought: ").removeprefix("Thought:")
    return thought or None, None, ""


def system_value(content: str | None, functions: list[dict[str, Any]]) -> str:
    """The ToolLLaMA system prompt: ours with the ReACT hint and the API list appended.

    >>> system_value("Be brief.", [{"name": "f"}])
    'Be brief.\\nSpecifically, you have access to the following APIs: [{"name": "f"}]'
    """
    text = (content or "").replace(FORMAT_ANCHOR, FORMAT_ANCHOR + FORMAT_HINT, 1)
    return text + API_MARKER + json.dumps(functions, ensure_ascii=False)


def parse_system_value(value: str) -> tuple[str | None, list[dict[str, Any]]]:
    """Inverse of :func:`system_value`: ``(original system content, functions)``."""
    head, sep, tail = value.rpartition(API_MARKER)
    if not sep:
        return value, []
    try:
        functions = json.loads(tail)
    except json.JSONDecodeError:
        try:
            functions = ast.literal_eval(tail.strip())  # ToolBench writes str(list); literals only
        except (ValueError, SyntaxError) as exc:
            raise InputError(f"cannot read the API list of a ToolLLaMA system prompt ({exc})") from exc
    head = head.replace(FORMAT_ANCHOR + FORMAT_HINT, FORMAT_ANCHOR, 1)
    return (head or None), list(functions)


def _assistant_turns(msg: dict[str, Any], results: dict[str, str], inline: set[str]) -> list[dict[str, str]]:
    """ReACT turns of one assistant message; several calls are split, results inlined."""
    calls = msg.get("tool_calls") or []
    if not calls:
        return [{"from": "assistant", "value": react_text(msg.get("content"))}]
    out: list[dict[str, str]] = []
    for i, call in enumerate(calls):
        function = call["function"]
        thought = msg.get("content") if i == 0 else None
        out.append({"from": "assistant", "value": react_text(thought, function["name"], function["arguments"])})
        if len(calls) > 1 and call["id"] in results:
            out.append({"from": "function", "value": results[call["id"]]})
            inline.add(call["id"])
    return out


def to_toolllama(example: dict[str, Any]) -> dict[str, Any]:
    """One SFT example → one ToolLLaMA record (see the module docstring)."""
    functions = [t.get("function", t) for t in example_tools(example)]
    messages = example["messages"]
    results = {m["tool_call_id"]: m.get("content") or "" for m in messages if m["role"] == "tool"}
    inline: set[str] = set()
    conversations: list[dict[str, str]] = []
    if not messages or messages[0]["role"] != "system":
        conversations.append({"from": "system", "value": system_value(None, functions)})
    query = ""
    for msg in messages:
        role = msg["role"]
        if role == "system":
            conversations.append({"from": "system", "value": system_value(msg.get("content"), functions)})
        elif role == "assistant":
            conversations.extend(_assistant_turns(msg, results, inline))
        elif not (role == "tool" and msg.get("tool_call_id") in inline):
            if role == "user" and not query:
                query = msg.get("content") or ""
            conversations.append({"from": _ROLE_OUT[role], "value": msg.get("content") or ""})
    steps = sum(1 for c in conversations if c["from"] == "assistant")
    return {"id": f"Step {steps}: {query.strip()}", "query_id": example.get("query_id", ""),
            "conversations": conversations}


def _assistant_from(value: str, turn: int) -> dict[str, Any]:
    thought, name, arguments = parse_react_text(value)
    calls = []
    if name is not None:
        calls = [{"id": f"call_{turn}_0", "type": "function", "function": {"name": name, "arguments": arguments}}]
    return wire_message("assistant", thought, calls)


def from_toolllama(record: dict[str, Any], source: str = "toolllama") -> dict[str, Any]:
    """One ToolLLaMA record → one SFT example (inverse of :func:`to_toolllama`)."""
    conversations = record.get("conversations")
    if not isinstance(conversations, list):
        raise InputError("a ToolLLaMA record needs a 'conversations' list", field="conversations")
    messages: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    last_call: dict[str, Any] | None = None
    for turn in conversations:
        role, value = turn.get("from"), turn.get("value") or ""
        if role == "system":
            content, functions = parse_system_value(value)
            if content is not None:
                messages.append(wire_message("system", content))
        elif role == "assistant":
            messages.append(_assistant_from(value, len(messages)))
            last_call = (messages[-1]["tool_calls"] or [None])[0]
        elif role == "function":
            call_id, name = (last_call["id"], last_call["function"]["name"]) if last_call else (None, None)
            messages.append(wire_message("tool", value, tool_call_id=call_id, name=name))
        elif role == "user":
            messages.append(wire_message("user", value))
        else:
            raise InputError(f"unknown ToolLLaMA role {role!r}", field="conversations")
    query_id = str(record.get("query_id") or record.get("id", ""))
    return {"id": f"{source}:{query_id}", "query_id": query_id, "source": source, "model": "",
            "tools": dumps_compact([{"type": "function", "function": f} for f in functions]), "messages": messages}
