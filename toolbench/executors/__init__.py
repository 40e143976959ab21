"""Executors run tool calls: validated, timed, truncated, with provenance."""

from toolbench.executors.base import Executor, executors

__all__ = ["Executor", "executors"]
