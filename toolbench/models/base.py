"""The :class:`ChatModel` interface and the backend registry.

A model spec is ``BACKEND:NAME`` — ``hf:smollm2``, ``openai:gpt-4o-mini``,
``scripted:replies.jsonl``. Backends register themselves by name in :data:`backends`;
their modules are imported lazily by :func:`load_chat_model`.
"""

from __future__ import annotations

import abc
import importlib
from typing import Any

from toolbench.errors import ConfigError
from toolbench.registry import Registry
from toolbench.types import AssistantMessage, Message

backends: Registry[type[ChatModel]] = Registry("model backend")

# backend name → module that registers it (imported on first use; heavy deps stay lazy)
BACKEND_MODULES = {
    "openai": "toolbench.models.openai_backend",
    "hf": "toolbench.models.hf_backend",
    "scripted": "toolbench.models.scripted",
}


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


def parse_model_spec(spec: str) -> tuple[str, str]:
    """Split ``BACKEND:NAME``.

    >>> parse_model_spec("hf:smollm2")
    ('hf', 'smollm2')
    >>> parse_model_spec("openai:gpt-4o-mini")
    ('openai', 'gpt-4o-mini')
    """
    backend, sep, name = spec.partition(":")
    if not sep or not backend:
        raise ConfigError(
            f"model spec {spec!r} must look like BACKEND:NAME (backends: {', '.join(sorted(BACKEND_MODULES))})"
        )
    return backend, name


def load_chat_model(spec: str, **options: Any) -> ChatModel:
    """Instantiate the backend named in ``spec`` with ``options``.

    ``cache=PATH`` (or ``$TOOLBENCH_LLM_CACHE``) wraps the model in the SQLite LLM-call
    cache (:mod:`toolbench.models.cache`); ``cache=""`` disables it.

    >>> load_chat_model("scripted:", replies=[{"content": "ok"}]).generate([]).content
    'ok'
    """
    from toolbench.models.cache import CachedChatModel, cache_path_from

    backend, name = parse_model_spec(spec)
    cache = cache_path_from(options.pop("cache", None))
    module = BACKEND_MODULES.get(backend)
    if module is not None and backend not in backends:
        importlib.import_module(module)
    model = backends.get(backend)(name, **options)
    return CachedChatModel(model, cache) if cache else model
