"""LLM backends behind one :class:`ChatModel` interface, chosen by name."""

from toolbench.models.base import ChatModel, backends, load_chat_model, parse_model_spec

__all__ = ["ChatModel", "backends", "load_chat_model", "parse_model_spec"]
