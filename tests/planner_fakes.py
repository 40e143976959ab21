"""Fakes at the model seam for planner tests: a deterministic rule-following chat model."""

from __future__ import annotations

import json
import time
from typing import Any

from toolbench.catalog import Catalog
from toolbench.catalog.pyfunc import function_table
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, Message, ToolCall, Usage


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def broken(x: str) -> str:
    """Always fails.

    Args:
        x: Anything.
    """
    raise RuntimeError("service down")


def tool_catalog() -> tuple[Catalog, dict[str, Any]]:
    specs, table = function_table([add, broken])
    return Catalog(specs), table


class RuleModel(ChatModel):
    """Calls ``add`` with the two numbers in the query, then answers with the result.

    ``plan`` overrides the sequence: a list of replies (dicts with ``content``,
    ``calls`` [(name, args)]), served by the number of assistant turns so far — the same
    conversation always gets the same reply, whatever the thread scheduling.
    """

    name = "rule"

    def __init__(self, plan: list[dict[str, Any]] | None = None, delay: float = 0.0) -> None:
        self.plan, self.delay, self.calls = plan, delay, 0

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        turn = sum(m.role == "assistant" for m in messages)
        usage = Usage(llm_calls=1, prompt_tokens=10, completion_tokens=5)
        if self.plan is not None:
            step = self.plan[min(turn, len(self.plan) - 1)]
            calls = [ToolCall(f"c{turn}_{k}", n, a) for k, (n, a) in enumerate(step.get("calls", []))]
            return AssistantMessage(step.get("content"), calls, usage=usage, parse_error=step.get("parse_error"))
        user = next(m.content for m in messages if m.role == "user")
        numbers = [int(w) for w in user.replace("?", " ").split() if w.isdigit()]
        results = [m.content for m in messages if m.role == "tool"]
        if not results:
            name = next(t["function"]["name"] for t in tools or [] if t["function"]["name"].startswith("add"))
            return AssistantMessage("I will add.", [ToolCall("c1", name, {"a": numbers[0], "b": numbers[1]})],
                                    usage=usage)
        answer = json.loads(results[-1]).get("response")
        finish = {"return_type": "give_answer", "final_answer": f"The sum is {answer}"}
        return AssistantMessage(None, [ToolCall("c2", "Finish", finish)], usage=usage)
