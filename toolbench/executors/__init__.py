"""Executors run tool calls: validated, timed, truncated, with provenance.

Executors register by name in :data:`executors`; :func:`build_executor` imports the
module of a kind on first use (heavy or optional dependencies stay lazy)::

    executor = build_executor("builtin", catalog)
    observation = executor.call(ToolCall("c1", "calculator", {"expression": "2 + 3 * 4"}))
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import ConfigError
from toolbench.executors.base import CatalogExecutor, Executor, ToolFailure, executors

# executor kind → module that registers it
EXECUTOR_MODULES = {
    "python": "toolbench.executors.python",
    "builtin": "toolbench.executors.builtin",
    "virtual": "toolbench.executors.virtual",
    "http": "toolbench.executors.http",
    "mcp": "toolbench.executors.mcp_client",
    "auto": "toolbench.executors.router",
}


def executor_kinds() -> list[str]:
    """The executor kinds :func:`build_executor` knows.

    >>> executor_kinds()
    ['auto', 'builtin', 'http', 'mcp', 'python', 'virtual']
    """
    return sorted(set(EXECUTOR_MODULES) | set(executors.names()))


def executor_class(kind: str) -> type[Executor]:
    """The class registered as ``kind`` (importing its module first)."""
    module = EXECUTOR_MODULES.get(kind)
    if module is not None and kind not in executors:
        importlib.import_module(module)
    if kind not in executors:
        raise ConfigError(f"unknown executor {kind!r} (known: {', '.join(executor_kinds())})")
    return executors.get(kind)


def build_executor(kind: str, catalog: Catalog, **options: Any) -> Executor:
    """An executor of ``kind`` over ``catalog``; unknown options raise :class:`ConfigError`.

    >>> from toolbench.builtin_world import builtin_catalog
    >>> build_executor("builtin", builtin_catalog(), colour="red")
    Traceback (most recent call last):
    ...
    toolbench.errors.ConfigError: executor 'builtin': got an unexpected keyword argument 'colour'
    """
    cls = executor_class(kind)
    try:
        inspect.signature(cls).bind(catalog, **options)
    except TypeError as exc:
        raise ConfigError(f"executor {kind!r}: {exc}") from None
    return cls(catalog, **options)


__all__ = ["CatalogExecutor", "Executor", "ToolFailure", "build_executor", "executor_class", "executors"]
