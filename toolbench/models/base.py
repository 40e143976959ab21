"""The :class:`ChatModel` base class backends inherit, and the backend registry.

Backends register themselves by name in :data:`backends`; their modules are imported
lazily by :func:`toolbench.models.loader.load_chat_model`. Code that only *uses* a model
types it with the :class:`toolbench.protocols.ChatModel` protocol.
"""

from __future__ import annotations

import abc
from typing import Any

from toolbench.registry import Registry
from toolbench.types import AssistantMessage, Message

backends: Registry[type[ChatModel]] = Registry("model backend")

class ChatModel(abc.ABC):
    """A chat model that may call tools.

    ``generate`` takes OpenAI-shaped messages and OpenAI tool schemas and returns an
    :class:`AssistantMessage` with parsed ``tool_calls`` and token ``usage``. Text a
    backend cannot parse into a tool call is returned with ``parse_error`` set (a model
    mistake the planner shows to the model); server failures raise ``BackendError``.
    """

    name: str = ""

    @abc.abstractmethod
    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        """One assistant turn."""

    async def agenerate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        """Async variant; the default runs :meth:`generate` in a worker thread."""
        import asyncio

        return await asyncio.to_thread(self.generate, messages, tools, **opts)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description of the model and its decoding settings (saved with runs)."""
        return {"backend": type(self).__name__, "name": self.name}

    def stats(self) -> dict[str, Any]:
        """Per-run counters (calls, retries, cache hits); empty by default."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release resources (HTTP clients, GPU memory)."""
