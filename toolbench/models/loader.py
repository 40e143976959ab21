"""Model specs → chat models: ``BACKEND:NAME`` (``hf:smollm2``, ``openai:gpt-4o-mini``,
``scripted:replies.jsonl``), optionally wrapped in the LLM-call cache."""

from __future__ import annotations

import importlib
from typing import Any

from toolbench.errors import ConfigError
from toolbench.models.base import ChatModel, backends
from toolbench.models.cache import CachedChatModel, cache_path_from

# backend name → module that registers it (imported on first use; heavy deps stay lazy)
BACKEND_MODULES = {
    "openai": "toolbench.models.openai_backend",
    "hf": "toolbench.models.hf_backend",
    "scripted": "toolbench.models.scripted",
}


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
    backend, name = parse_model_spec(spec)
    cache = cache_path_from(options.pop("cache", None))
    module = BACKEND_MODULES.get(backend)
    if module is not None and backend not in backends:
        importlib.import_module(module)
    model = backends.get(backend)(name, **options)
    return CachedChatModel(model, cache) if cache else model
