"""The seams between packages, as protocols: what a caller may rely on, nothing more.

- :class:`ChatModel` — a chat model that may call tools (backends inherit
  :class:`toolbench.models.base.ChatModel`, which satisfies it)
- :class:`Executor` — runs tool calls (executors inherit :class:`toolbench.executors.base.Executor`)
- :class:`Index` — a retrieval index over API ids (built by :mod:`retriever`)

Planner, evaluator, data and the app type their parameters with these, so a fake
that has the methods is as good as the real thing in a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from toolbench.types import AssistantMessage, Message, Observation, ToolCall


class ChatModel(Protocol):
    """``generate(messages, tools) -> AssistantMessage`` with parsed tool calls and usage."""

    name: str

    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage: ...

    async def agenerate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage: ...

    def describe(self) -> dict[str, Any]: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class Executor(Protocol):
    """``call(ToolCall) -> Observation``; model mistakes become observations, never exceptions."""

    def call(self, call: ToolCall) -> Observation: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class Index(Protocol):
    """What every retrieval index offers: ranked ``(api_id, score)`` pairs for a query."""

    kind: str
    api_ids: list[str]

    def retrieve(self, query: str, k: int = 10) -> list[tuple[str, float]]: ...

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]: ...

    def save(self, directory: Path) -> None: ...
