"""The :class:`Executor` interface and registry.

``Executor.call(ToolCall) -> Observation`` never raises for model mistakes (unknown
function, invalid arguments, a tool that fails or hangs): those become observations
with a ToolBench status code. It raises only for our own bugs.
"""

from __future__ import annotations

import abc
from typing import Any

from toolbench.registry import Registry
from toolbench.types import Observation, ToolCall

executors: Registry[type[Executor]] = Registry("executor")


class Executor(abc.ABC):
    """Runs tool calls addressed by function name (the catalog's name map)."""

    @abc.abstractmethod
    def call(self, call: ToolCall) -> Observation:
        """Execute one call and return what the model will see."""

    def stats(self) -> dict[str, Any]:
        """Per-run counters (calls, cache hits, real, simulated, errors)."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release resources (connections, subprocesses)."""
