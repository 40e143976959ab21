"""SFT examples → token ids and labels with assistant-only loss masks.

The conversation is first written as chat messages exactly the way the ``hf`` chat
backend writes its prompts at inference (:func:`training_chat`: the template's own
``tools=`` support, or the tool list in the system prompt, calls as text in the
assistant turn and results as user turns), then passed through the tokenizer's chat
template. Labels are ``-100`` everywhere except on the tokens
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
from toolbench.models.tool_call_text import TEXT_FORMATS
from toolbench.types import Message

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
DEFAULT_FORMAT = "auto"


def training_chat(
    messages: Sequence[Message], tools: list[dict[str, Any]], tokenizer: Any, fmt: str = DEFAULT_FORMAT
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """``(chat, tools for the template)`` rendered exactly as the hf backend renders prompts.

    Mirrors ``HFChatModel.text_format``/``build_prompt``: ``auto`` uses the template's own
    ``tools=`` support when it has one (``native``), else the backend's default text format;
    a text format (``json``, ``hermes``, ``react``, ``llama3``) writes the tool list into the
    system message and calls/results as text (:func:`toolbench.models.text_chat.to_text_messages`).

    >>> from toolbench.types import ToolCall
    >>> chat, _ = training_chat([Message("user", "2+2?"), Message("assistant", "add", [ToolCall("c", "add", {"a": 2})]),
    ...                          Message("tool", "4", tool_call_id="c", name="add")], [], None, "hermes")
    >>> [m["role"] for m in chat], chat[2]["content"]
    (['system', 'user', 'assistant', 'user'], 'add\\n<tool_call>\\n{"name":"add","arguments":{"a":2}}\\n</tool_call>')
    """
    from toolbench.models.hf_backend import DEFAULT_TEXT_FORMAT, hf_messages, template_supports_tools
    from toolbench.models.text_chat import to_text_messages

    if fmt not in ("auto", "native", *TEXT_FORMATS):
        raise ConfigError(f"unknown tool format {fmt!r} (auto, native, {', '.join(TEXT_FORMATS)})")
    if fmt == "native" or (fmt == "auto" and tools and template_supports_tools(tokenizer)):
        return hf_messages(list(messages)), tools or None
    return to_text_messages(list(messages), tools, DEFAULT_TEXT_FORMAT if fmt == "auto" else fmt), None


def template_text(
    tokenizer: Any, chat: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
    *, generation_prompt: bool = False,
) -> str:
    """The chat template applied to ``chat`` as text."""
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError("the tokenizer has no chat template; SFT needs one to find the assistant turns")
    return tokenizer.apply_chat_template(chat, tools=tools, tokenize=False, add_generation_prompt=generation_prompt)


def assistant_char_spans(
    tokenizer: Any, chat: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
) -> tuple[str, list[tuple[int, int]]]:
    """The full text and the ``[start, end)`` character span of every assistant turn."""
    full = template_text(tokenizer, chat, tools)
    spans = []
    for i, msg in enumerate(chat):
        if msg["role"] != "assistant":
            continue
        before = template_text(tokenizer, chat[:i], tools, generation_prompt=True)
        through = template_text(tokenizer, chat[: i + 1], tools)
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
    chat, tools = training_chat(messages_from_wire(example["messages"]), example_tools(example), tokenizer, fmt)
    full, spans = assistant_char_spans(tokenizer, chat, tools)
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
