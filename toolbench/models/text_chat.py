"""Turn a tool-using conversation into plain role/content messages for text-only models.

Chat templates (and servers) without native tool support get the tool list appended to
the system message, earlier tool calls written back in the chosen text format, and tool
results as user turns. Consecutive messages of the same role are merged so templates that
require alternating roles accept the result.
"""

from __future__ import annotations

from typing import Any

from toolbench.models.tool_call_text import render_tool_call, render_tool_result, render_tools_prompt
from toolbench.types import Message

DEFAULT_SYSTEM = "You are a helpful assistant."


def _text_of(message: Message, fmt: str) -> str:
    if message.role == "assistant" and message.tool_calls:
        thoughts = [message.content] + [None] * (len(message.tool_calls) - 1)
        calls = [render_tool_call(c, fmt, t) for c, t in zip(message.tool_calls, thoughts, strict=True)]
        prefix = "" if fmt == "react" or not message.content else message.content.strip() + "\n"
        return prefix + "\n".join(calls)
    if message.role == "tool":
        return render_tool_result(message.content or "", fmt)
    return message.content or ""


def to_text_messages(
    messages: list[Message], tools: list[dict[str, Any]] | None, fmt: str
) -> list[dict[str, str]]:
    """Plain ``{"role", "content"}`` dicts with tools rendered into the system message.

    >>> from toolbench.types import ToolCall
    >>> msgs = [Message("user", "2+2?"), Message("assistant", None, [ToolCall("c", "add", {"a": 2})]),
    ...         Message("tool", '{"response": 4}', tool_call_id="c")]
    >>> [m["role"] for m in to_text_messages(msgs, None, "hermes")]
    ['system', 'user', 'assistant', 'user']
    >>> to_text_messages(msgs, None, "hermes")[3]["content"]
    '<tool_response>\\n{"response": 4}\\n</tool_response>'
    """
    out: list[dict[str, str]] = []
    for message in messages:
        role = "user" if message.role == "tool" else message.role
        text = _text_of(message, fmt)
        if out and out[-1]["role"] == role and role != "system":
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": role, "content": text})
    if not out or out[0]["role"] != "system":
        out.insert(0, {"role": "system", "content": DEFAULT_SYSTEM})
    if tools:
        out[0]["content"] = out[0]["content"].rstrip() + "\n\n" + render_tools_prompt(tools, fmt)
    return out
