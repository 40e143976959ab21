"""Runs and reports for the report, viewer and browser tests (real planner, fake model).

:class:`DetourModel` makes DFSDT backtrack on "hard" queries: it first calls the broken
tool, gives up after its error (the search goes back up to the query), and on the second
branch — asked for a different action by the diversity prompt — adds and answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from planner_fakes import tool_catalog

from planner.config import PlannerConfig
from planner.runner import run_queries
from toolbench.executors import build_executor
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, Message, Query, ToolCall, Usage

GIVE_UP = {"return_type": "give_up_and_restart"}


class DetourModel(ChatModel):
    """Adds the query's two numbers; on "hard" queries only after a failed first branch."""

    name = "detour"

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        usage = Usage(llm_calls=1, prompt_tokens=40 + 10 * len(messages), completion_tokens=7)
        names = {t["function"]["name"].split("_for_")[0]: t["function"]["name"] for t in tools or []}
        users = [m.content or "" for m in messages if m.role == "user"]
        numbers = [int(w) for w in users[0].replace("?", " ").split() if w.isdigit()]
        tool_results = [m for m in messages if m.role == "tool"]
        if not tool_results:
            if "hard" in users[0] and len(users) == 1:
                return AssistantMessage("Let me try the other service first.",
                                        [ToolCall("c1", names["broken"], {"x": "sum"})], usage=usage)
            return AssistantMessage("I will add the numbers.",
                                    [ToolCall("c1", names["add"], {"a": numbers[0], "b": numbers[1]})], usage=usage)
        last = tool_results[-1]
        if last.name == names["broken"]:
            return AssistantMessage("That service is down; I give up on this branch.",
                                    [ToolCall("c2", "Finish", GIVE_UP)], usage=usage)
        answer = json.loads(last.content).get("response")
        finish = {"return_type": "give_answer", "final_answer": f"The sum is {answer}"}
        return AssistantMessage(None, [ToolCall("c2", "Finish", finish)], usage=usage)


def queries() -> list[Query]:
    """Six queries in two groups with expected answers; every other one is "hard"."""
    catalog, _ = tool_catalog()
    ids = catalog.ids
    out = []
    for n in range(6):
        hard = " (hard)" if n % 2 else ""
        out.append(Query(str(n), f"What is {n} plus {n + 2}?{hard}", api_ids=ids, expected_answer=2 * n + 2,
                         group=f"G{1 + n // 3}_instruction"))
    return out


def make_run(out: Path, method: str, **options: Any) -> Path:
    """Plan :func:`queries` with ``method`` into ``out`` (a run directory)."""
    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    run_queries(queries(), catalog, DetourModel(), executor, PlannerConfig(method=method, **options), out)
    return out
