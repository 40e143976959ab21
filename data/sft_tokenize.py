"""SFT examples → token ids and labels with assistant-only loss masks.

The conversation is first written as plain chat text exactly the way the ``hf`` chat
backend writes it at inference (tool list in the system prompt, calls as text in the
assistant turn, results as user turns; see :func:`render_chat`), then passed through
the tokenizer's own chat template. Labels are ``-100`` everywhere except on the tokens
of assistant turns: for assistant message ``i`` the labelled characters are those
between ``template(messages[:i], add_generation_prompt=True)`` and
``template(messages[:i + 1])`` — the reply text and the template's end-of-turn marker,
never the role header. Character spans become token spans through the fast tokenizer's
offset mapping, so the mask is exact whatever the template.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from data.sft import example_tools, messages_from_wire
from toolbench.errors import ConfigError, InputError
from toolbench.types import Message

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
DEFAULT_FORMAT = "hermes"


def _render_assistant(msg: Message, fmt: str) -> str:
    from toolbench.models.tool_call_text import render_tool_call

    if not msg.tool_calls:
        return msg.content or ""
    if fmt == "react":
        parts = [render_tool_call(c, fmt, msg.content if i == 0 else None) for i, c in enumerate(msg.tool_calls)]
        return "\n".join(parts)
    calls = "\n".join(render_tool_call(c, fmt) for c in msg.tool_calls)
    return f"{msg.content}\n{calls}" if msg.content else calls


def render_chat(
    messages: Sequence[Message], tools: list[dict[str, Any]], fmt: str = DEFAULT_FORMAT
) -> list[dict[str, str]]:
    """Plain ``{role, content}`` chat for a template without ``tools=`` support.

    Uses the hf backend's own renderer when it provides one, so training text and
    inference prompts are the same text.

    >>> from toolbench.types import ToolCall
    >>> chat = render_chat([Message("user", "2+2?"), Message("assistant", "add", [ToolCall("c", "add", {"a": 2})]),
    ...                     Message("tool", "4", tool_call_id="c", name="add")], [], "hermes")
    >>> [m["role"] for m in chat], chat[1]["content"]
    (['user', 'assistant', 'user'], 'add\\n<tool_call>\\n{"name":"add","arguments":{"a":2}}\\n</tool_call>')
    """
    backend = _backend_renderer()
    if backend is not None:
        return backend(list(messages), tools, fmt)
    from toolbench.models.tool_call_text import render_tool_result, render_tools_prompt

    out: list[dict[str, str]] = []
    tools_prompt = render_tools_prompt(tools, fmt) if tools else ""
    if tools_prompt and (not messages or messages[0].role != "system"):
        out.append({"role": "system", "content": tools_prompt})
    for msg in messages:
        if msg.role == "system":
            content = "\n\n".join(p for p in (msg.content or "", tools_prompt) if p)
            out.append({"role": "system", "content": content})
        elif msg.role == "assistant":
            out.append({"role": "assistant", "content": _render_assistant(msg, fmt)})
        elif msg.role == "tool":
            out.append({"role": "user", "content": render_tool_result(msg.content or "", fmt)})
        else:
            out.append({"role": msg.role, "content": msg.content or ""})
    return out


def _backend_renderer() -> Any:
    """``render_chat(messages, tools, fmt)`` of the hf backend, when it defines one."""
    try:
        from toolbench.models import hf_backend
    except ImportError:
        return None
    return getattr(hf_backend, "render_chat", None)


def template_text(tokenizer: Any, chat: list[dict[str, str]], *, generation_prompt: bool = False) -> str:
    """The chat template applied to ``chat`` as text."""
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError("the tokenizer has no chat template; SFT needs one to find the assistant turns")
    return tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=generation_prompt)


def assistant_char_spans(tokenizer: Any, chat: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The full text and the ``[start, end)`` character span of every assistant turn."""
    full = template_text(tokenizer, chat)
    spans = []
    for i, msg in enumerate(chat):
        if msg["role"] != "assistant":
            continue
        before = template_text(tokenizer, chat[:i], generation_prompt=True)
        through = template_text(tokenizer, chat[: i + 1])
        if not (full.startswith(before) and full.startswith(through) and len(through) > len(before)):
            raise ConfigError("the chat template does not render conversations prefix by prefix; "
                              "cannot locate the assistant turns")
        spans.append((len(before), len(through)))
    return full, spans


def label_tokens(offsets: Sequence[tuple[int, int]], ids: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[int]:
    """Labels: the token id where the token starts inside a span, else ``-100``.

    >>> label_tokens([(0, 2), (2, 4), (4, 6)], [7, 8, 9], [(2, 6)])
    [-100, 8, 9]
    """
    labels = []
    for (start, end), token in zip(offsets, ids, strict=True):
        inside = end > start and any(s <= start < e for s, e in spans)
        labels.append(token if inside else IGNORE_INDEX)
    return labels


def tokenize_example(
    example: dict[str, Any], tokenizer: Any, *, fmt: str = DEFAULT_FORMAT, max_length: int | None = None
) -> dict[str, Any] | None:
    """``{"input_ids", "labels", "id"}`` of one example; ``None`` when truncation leaves no label."""
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError("SFT tokenisation needs a fast tokenizer (offset mapping)")
    chat = render_chat(messages_from_wire(example["messages"]), example_tools(example), fmt)
    full, spans = assistant_char_spans(tokenizer, chat)
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    labels = label_tokens(encoded["offset_mapping"], ids, spans)
    if max_length is not None and len(ids) > max_length:
        ids, labels = ids[:max_length], labels[:max_length]
    if all(label == IGNORE_INDEX for label in labels):
        return None
    return {"id": example.get("id", ""), "input_ids": ids, "labels": labels}


def tokenize_examples(
    examples: Iterable[dict[str, Any]], tokenizer: Any, *, fmt: str = DEFAULT_FORMAT, max_length: int | None = None
) -> list[dict[str, Any]]:
    """Tokenise many examples; those left without labels are dropped (and logged)."""
    out, dropped = [], 0
    for index, example in enumerate(examples):
        try:
            item = tokenize_example(example, tokenizer, fmt=fmt, max_length=max_length)
        except KeyError as exc:
            raise InputError(f"SFT example lacks {exc}", record=index + 1) from exc
        if item is None:
            dropped += 1
        else:
            out.append(item)
    if dropped:
        logger.warning("dropped %d example(s) with no assistant token left after truncation to %s", dropped, max_length)
    return out


def labelled_spans(input_ids: Sequence[int], labels: Sequence[int]) -> list[list[int]]:
    """Runs of consecutive labelled tokens (to decode and inspect what is trained on).

    >>> labelled_spans([1, 2, 3, 4, 5], [-100, 2, 3, -100, 5])
    [[2, 3], [5]]
    """
    runs: list[list[int]] = []
    previous = False
    for token, label in zip(input_ids, labels, strict=True):
        inside = label != IGNORE_INDEX
        if inside and not previous:
            runs.append([])
        if inside:
            runs[-1].append(token)
        previous = inside
    return runs
