"""What each kind of OpenAI-compatible server honours (tool_choice values, seeds, ...).

The ``openai`` backend sends only what the server kind honours: a ``tool_choice`` the
server ignores or rejects is downgraded (named function → ``required`` → ``auto``) with
one warning, and servers without native tool calling get the tools rendered into the
system prompt and their text parsed (:mod:`toolbench.models.tool_call_text`). The table
reflects the servers' documentation as of 2025 (vLLM ≥ 0.8.3 with
``--enable-auto-tool-choice --tool-call-parser``; llama.cpp ``llama-server --jinja``);
pass ``server=KIND`` to pick a record, or ``capabilities={...}`` to override fields.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from toolbench.errors import ConfigError

logger = logging.getLogger(__name__)

TOOL_CHOICES = ("auto", "none", "required", "named")


@dataclass(frozen=True)
class ServerCapabilities:
    """One server kind's record."""

    kind: str
    tool_choice: frozenset[str] = frozenset({"auto", "none"})
    native_tools: bool = True  # returns structured tool_calls
    parallel_tool_calls: bool = False
    seed: bool = False
    usage: bool = True
    text_format: str = "hermes"  # used when native_tools is False
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "tool_choice": sorted(self.tool_choice), "native_tools": self.native_tools,
            "parallel_tool_calls": self.parallel_tool_calls, "seed": self.seed, "usage": self.usage,
            "text_format": self.text_format, "notes": self.notes,
        }


_ALL = frozenset(TOOL_CHOICES)
SERVER_KINDS: dict[str, ServerCapabilities] = {
    "openai": ServerCapabilities("openai", _ALL, True, True, True, notes="api.openai.com"),
    "vllm": ServerCapabilities("vllm", _ALL, True, True, True, notes="auto needs --enable-auto-tool-choice"),
    "sglang": ServerCapabilities("sglang", _ALL, True, True, True, notes="needs --tool-call-parser"),
    "llamacpp": ServerCapabilities(
        "llamacpp", frozenset({"auto", "none", "required"}), True, True, True, notes="llama-server --jinja"
    ),
    "ollama": ServerCapabilities("ollama", frozenset({"auto"}), True, True, True, notes="tool_choice is ignored"),
    "generic": ServerCapabilities("generic", frozenset({"auto", "none"}), True, False, False),
    "text": ServerCapabilities(
        "text", frozenset({"auto", "none", "required", "named"}), False, False, False,
        notes="no native tool calling: tools rendered into the prompt, calls parsed from text",
    ),
    "local": ServerCapabilities("local", _ALL, True, True, True, notes="toolbench.models.local_server"),
    "transformers": ServerCapabilities(
        "transformers", frozenset({"auto", "none"}), False, False, True,
        notes="transformers serve: structured tool_calls only for models whose tokenizer has a response "
              "template (SmolLM2 has none, so tools go in the prompt and calls are parsed from text); a "
              "trailing assistant message is closed, not continued, so required/named choices become auto",
    ),
}


def guess_server_kind(base_url: str | None) -> str:
    """A server kind from the URL (only where the URL says it; else ``generic``).

    >>> guess_server_kind(None), guess_server_kind("http://localhost:11434/v1")
    ('openai', 'ollama')
    >>> guess_server_kind("http://127.0.0.1:8000/v1")
    'generic'
    """
    if not base_url:
        return "openai"
    parsed = urlparse(base_url)
    if parsed.hostname and parsed.hostname.endswith("openai.com"):
        return "openai"
    if parsed.port == 11434:
        return "ollama"
    return "generic"


def capabilities_for(
    kind: str | None, base_url: str | None, overrides: dict[str, Any] | None = None
) -> ServerCapabilities:
    """The record for ``kind`` (guessed from ``base_url`` when empty), with ``overrides``."""
    kind = kind or guess_server_kind(base_url)
    if kind not in SERVER_KINDS:
        raise ConfigError(f"unknown server kind {kind!r} (known: {', '.join(sorted(SERVER_KINDS))})")
    record = SERVER_KINDS[kind]
    if overrides:
        overrides = dict(overrides)
        if "tool_choice" in overrides:
            overrides["tool_choice"] = frozenset(overrides["tool_choice"])
        try:
            record = replace(record, **overrides)
        except TypeError as exc:
            raise ConfigError(f"invalid capabilities override: {exc}") from exc
    return record


def choice_kind(tool_choice: Any) -> str:
    """``auto``/``none``/``required``, or ``named`` for ``{"type": "function", ...}``.

    >>> choice_kind("required"), choice_kind({"type": "function", "function": {"name": "f"}})
    ('required', 'named')
    """
    if isinstance(tool_choice, dict):
        return "named"
    if tool_choice not in ("auto", "none", "required"):
        raise ConfigError(f"tool_choice must be auto, none, required or a named function, not {tool_choice!r}")
    return str(tool_choice)


def downgrade_tool_choice(tool_choice: Any, caps: ServerCapabilities) -> Any:
    """The closest ``tool_choice`` ``caps`` honours (``None``: leave it out).

    >>> named = {"type": "function", "function": {"name": "f"}}
    >>> downgrade_tool_choice(named, SERVER_KINDS["llamacpp"])
    'required'
    >>> downgrade_tool_choice("required", SERVER_KINDS["ollama"])
    'auto'
    >>> downgrade_tool_choice("none", SERVER_KINDS["ollama"]) is None
    True
    """
    if tool_choice is None:
        return None
    kind = choice_kind(tool_choice)
    chain = {"named": ["named", "required", "auto"], "required": ["required", "auto"], "auto": ["auto"],
             "none": ["none"]}[kind]
    for candidate in chain:
        if candidate in caps.tool_choice:
            return tool_choice if candidate == kind else candidate
    return None
