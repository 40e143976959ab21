"""toolbench-kit: teach language models to use tools and measure how well they do it.

The library API a user needs is importable from here::

    from toolbench import load_catalog, build_executor, load_chat_model, ToolCall
    catalog = load_catalog(["tools.json"])
    executor = build_executor("virtual", catalog)
    model = load_chat_model("openai:gpt-4o-mini")

Map of the packages (docs/architecture.md has the whole picture):

- core nouns: :mod:`toolbench.types` (ApiSpec, ToolCall, Trajectory, Verdict, ...),
  :mod:`toolbench.protocols` (the ChatModel, Executor and Index seams), :mod:`toolbench.errors`,
  :mod:`toolbench.config` (frozen configs), :mod:`toolbench.registry`, :mod:`toolbench.calls`
  (raw arguments, the ``Finish`` function), :mod:`toolbench.paths`, :mod:`toolbench.jsonutil`,
  :mod:`toolbench.ir_metrics`
- :mod:`toolbench.catalog` (Catalog, names, queries, exporters) and :mod:`toolbench.loaders` (catalog files)
- :mod:`toolbench.builtin_tools` and :mod:`toolbench.builtin_world` — the built-in real tools
- :mod:`toolbench.executors` — run tool calls (python, builtin, virtual, http, mcp, auto)
- :mod:`toolbench.models` — chat-model backends (openai, hf, scripted) and the LLM-call cache
- :mod:`toolbench.training` — LoRA fine-tuning of causal LMs
- :mod:`toolbench.formats` — other projects' result files (ToolBench answers, StableToolEval)
- :mod:`toolbench.store` — atomic files, run directories, reading runs in any format
- :mod:`toolbench.app` — the CLI, run config and pipeline (nothing above imports it)

Importing ``toolbench`` stays light: the loaders below are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from toolbench.catalog import Catalog
from toolbench.types import (
    SCHEMA_VERSION,
    ApiSpec,
    AssistantMessage,
    FinishReason,
    Message,
    Observation,
    ObservationStatus,
    Provenance,
    Query,
    Report,
    SearchTree,
    Step,
    ToolCall,
    Trajectory,
    TreeNode,
    Usage,
    Verdict,
)

__version__ = "0.1.0"

# public functions whose modules are imported on first use: name → module
_LAZY = {
    "load_catalog": "toolbench.loaders",
    "load_queries": "toolbench.catalog.queries",
    "build_executor": "toolbench.executors",
    "load_chat_model": "toolbench.models",
    "builtin_catalog": "toolbench.builtin_world",
    "builtin_instructions": "toolbench.builtin_world",
    "read_run": "toolbench.store.run_io",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolbench' has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION", "ApiSpec", "AssistantMessage", "Catalog", "FinishReason", "Message",
    "Observation", "ObservationStatus", "Provenance", "Query", "Report", "SearchTree", "Step",
    "ToolCall", "Trajectory", "TreeNode", "Usage", "Verdict", "__version__", *_LAZY,
]
