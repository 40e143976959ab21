"""Search behaviour on model mistakes, give-ups, LLM failures and budgets (real python executor)."""

from __future__ import annotations

from typing import Any

from planner_fakes import RuleModel, tool_catalog

from planner.algorithms import solve
from planner.config import PlannerConfig
from toolbench.errors import BackendError
from toolbench.executors import build_executor
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, FinishReason, Message, ObservationStatus, Query, ToolCall, Usage

GIVE = {"return_type": "give_answer", "final_answer": "done"}
GIVE_UP = {"return_type": "give_up_and_restart"}


def _run(plan, **options):
    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    query = Query("1", "What is 2 plus 3?", api_ids=sorted(catalog.ids))
    model = RuleModel(plan)
    trajectory = solve(query, catalog, model, executor, PlannerConfig(**options))
    return trajectory, model


def test_mistakes_become_observations_and_the_search_goes_on():
    plan = [
        {"content": "garbled", "parse_error": "no JSON object found"},
        {"calls": [("no_such_tool", {})]},
        {"calls": [("add", {"a": "two"})]},
        {"calls": [("broken", {"x": "y"})]},
        {"calls": [("Finish", {"final_answer": "missing type"})]},
        {"calls": [("Finish", GIVE)]},
    ]
    trajectory, _ = _run(plan, max_actions=10)
    assert trajectory.finish_reason == FinishReason.GIVE_ANSWER and trajectory.final_answer == "done"
    statuses = [s.observation.status for s in trajectory.steps]
    assert statuses[0] == ObservationStatus.INVALID_INPUT  # parse error shown to the model
    assert statuses[1] == ObservationStatus.NO_SUCH_FUNCTION
    assert statuses[2] == ObservationStatus.INVALID_INPUT  # schema validation
    assert statuses[3] != ObservationStatus.OK and "service down" in trajectory.steps[3].observation.content
    assert statuses[4] == ObservationStatus.INVALID_INPUT  # Finish without return_type
    roles = [m.role for m in trajectory.messages]
    assert roles[:4] == ["system", "user", "assistant", "user"]  # parse-error feedback turn
    assert trajectory.usage.llm_calls == 6 and trajectory.usage.api_calls == 3


class TreeModel(ChatModel):
    """Replies chosen by (depth, sibling number): gives up on the first branch, answers on the second."""

    name = "tree"

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.diversity: list[bool] = []

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any):
        depth = sum(m.role == "assistant" for m in messages)
        self.seen.append(depth)
        self.diversity.append("This is not the first time" in (messages[-1].content or ""))
        first_branch = len([d for d in self.seen if d == 0]) == 1
        if depth == 0:
            return AssistantMessage(None, [ToolCall("a", "add", {"a": 1, "b": 2})], usage=Usage())
        if first_branch:
            return AssistantMessage(None, [ToolCall("g", "Finish", GIVE_UP)], usage=Usage())
        return AssistantMessage(None, [ToolCall("f", "Finish", GIVE)], usage=Usage())


def test_give_up_backtracks_two_levels():
    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    model = TreeModel()
    trajectory = solve(Query("1", "q", api_ids=sorted(catalog.ids)), catalog, model, executor, PlannerConfig())
    # root → add → give up (its parent is abandoned: no second child there) → root's 2nd child → add → answer
    assert model.seen == [0, 1, 0, 1]
    assert model.diversity == [False, False, True, False]
    assert trajectory.finish_reason == FinishReason.GIVE_ANSWER
    tree = trajectory.tree
    assert len(tree.children(0)) == 2 and [n.expand_order for n in tree.nodes] == [0, 1, 2, 3, 4]
    assert tree.nodes[2].pruned and tree.nodes[2].note == "give_up"
    # the chosen path does not contain the diversity prompt
    assert not any("This is not the first time" in (m.content or "") for m in trajectory.messages)


class FailingModel(ChatModel):
    name = "failing"

    def generate(self, messages, tools=None, **opts):
        raise BackendError("server down")


def test_llm_failures_are_dead_ends_then_abort():
    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    trajectory = solve(Query("1", "q", api_ids=sorted(catalog.ids)), catalog, FailingModel(), executor,
                       PlannerConfig(max_backend_errors=3))
    # width 2: the root's two children fail (dead ends), nothing succeeded → error
    assert trajectory.finish_reason == FinishReason.ERROR
    assert trajectory.usage.llm_calls == 2 and "server down" in trajectory.error
    trajectory = solve(Query("1", "q", api_ids=sorted(catalog.ids)), catalog, FailingModel(), executor,
                       PlannerConfig(width=5, max_backend_errors=3))
    assert trajectory.usage.llm_calls == 3 and "aborted after 3 failed LLM calls" in trajectory.error


def test_budget_is_recorded():
    trajectory, model = _run([{"calls": [("add", {"a": 1, "b": 2})]}], max_llm_calls=5, max_actions=3)
    assert trajectory.finish_reason == FinishReason.BUDGET
    assert trajectory.usage.llm_calls == 5 == model.calls
    assert trajectory.config["max_llm_calls"] == 5 and trajectory.usage.seconds >= 0


def test_depth_limit_without_answer_is_no_finish():
    trajectory, model = _run([{"calls": [("add", {"a": 1, "b": 2})]}], max_actions=2)
    # DFSDT w=2: a full binary tree of depth 2 below the root = 2 + 4 LLM calls
    assert trajectory.finish_reason == FinishReason.NO_FINISH and model.calls == 6


def test_cot_runs_independent_chains():
    plan = [{"calls": [("add", {"a": 1, "b": 2})]}, {"calls": [("Finish", GIVE_UP)]}]
    trajectory, model = _run(plan, method="cot", n_chains=3)
    assert model.calls == 6 and trajectory.finish_reason == FinishReason.GIVE_UP
    assert len(trajectory.tree.children(0)) == 3
    trajectory, model = _run(None, method="cot", n_chains=3)
    assert model.calls == 2 and trajectory.final_answer == "The sum is 5"
