"""Run Toolformer calls through the project's executors (never a private calculator).

A :class:`ToolRunner` turns ``Calculator(48/2)`` into
``ToolCall(name="calculator", arguments={"expression": "48/2"})``, sends it to an
:class:`~toolbench.executors.base.Executor` and prints the response the way the paper
does (``24``). Failures (bad expression, unknown tool) give ``None``: the candidate is
dropped and counted, nothing raises.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from data.toolformer.config import ToolConfig
from data.toolformer.linearise import Call
from toolbench.protocols import Executor
from toolbench.types import ToolCall

logger = logging.getLogger(__name__)


def format_result(response: Any, tool: ToolConfig) -> str | None:
    """The result text of a response (``result_template`` or ``result_field`` or the value).

    >>> format_result({"expression": "48/2", "result": 24}, ToolConfig("Calculator", "calculator", "expression"))
    '24'
    >>> cal = ToolConfig("Calendar", "day_of_week", result_template="Today is {weekday}, {date}.")
    >>> format_result({"date": "2023-01-30", "weekday": "Monday"}, cal)
    'Today is Monday, 2023-01-30.'
    """
    if isinstance(response, Mapping):
        if tool.result_template:
            try:
                return tool.result_template.format(**response)
            except (KeyError, IndexError, ValueError):
                return None
        if tool.result_field in response:
            response = response[tool.result_field]
    if response is None or isinstance(response, (Mapping, list)):
        return None
    text = str(response).strip()
    return text if text and "\n" not in text else None


class ToolRunner:
    """Executes parsed calls for the configured tools; counts outcomes in :attr:`counts`."""

    def __init__(self, executor: Executor, tools: Sequence[ToolConfig]) -> None:
        self.executor = executor
        self.tools = {t.name: t for t in tools}
        self.counts: Counter[str] = Counter()

    def run(self, call: Call, context: Mapping[str, Any] | None = None) -> str | None:
        """The result text, or ``None`` when the tool is unknown or the call fails."""
        tool = self.tools.get(call.tool)
        if tool is None:
            self.counts["unknown_tool"] += 1
            return None
        observation = self.executor.call(ToolCall(id=f"tf-{self.counts.total()}", name=tool.function,
                                                  arguments=self._arguments(tool, call, context or {})))
        result = format_result(observation.response, tool) if observation.ok else None
        self.counts["ok" if result is not None else "failed"] += 1
        return result

    @staticmethod
    def _arguments(tool: ToolConfig, call: Call, context: Mapping[str, Any]) -> dict[str, Any]:
        arguments: dict[str, Any] = {tool.argument: call.input} if tool.argument else {}
        for argument, key in tool.context_arguments:
            arguments[argument] = context.get(key) or dt.date.today().isoformat()
        return arguments


def builtin_runner(tools: Sequence[ToolConfig]) -> ToolRunner:
    """A runner over the built-in executor (calculator, dates, ...)."""
    from toolbench.builtin_world import builtin_executor

    return ToolRunner(builtin_executor(), tools)
