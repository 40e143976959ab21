"""LLM backends behind one :class:`ChatModel` interface, chosen by name.

- :mod:`.base` — the base class backends inherit and the :data:`backends` registry
- :mod:`.loader` — :func:`load_chat_model` (``BACKEND:NAME`` → a model, optionally cached)
- :mod:`.cache` — the SQLite LLM-call cache
- backends: :mod:`.openai_backend`, :mod:`.hf_backend` (with :mod:`.hf_models`), :mod:`.scripted`
"""

from toolbench.models.base import ChatModel, backends
from toolbench.models.loader import load_chat_model, parse_model_spec

__all__ = ["ChatModel", "backends", "load_chat_model", "parse_model_spec"]
