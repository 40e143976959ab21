"""Shared search machinery: nodes, one expansion (LLM call + actions), the result.

A :class:`Node` is one LLM reply (its thought, its calls, their observations); the root
holds the opening messages. :meth:`Search.expand` asks the model for the next reply of
a state and runs the calls: ``Finish`` here, everything else through the executor.
Model mistakes (unparsable replies, unknown functions, bad arguments, failing tools)
become observations the model sees on the next turn; an LLM failure makes a dead-end
node; the LLM-call budget ends the search (ToolBench counts the call that reaches the
budget and discards its reply).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from planner.config import PlannerConfig
from planner.finish import handle_finish
from planner.prompting import Task
from toolbench.calls import FINISH
from toolbench.errors import BackendError, ToolbenchError
from toolbench.protocols import ChatModel, Executor
from toolbench.types import (
    AssistantMessage,
    FinishReason,
    Message,
    Observation,
    ObservationStatus,
    Provenance,
    SearchTree,
    Step,
    ToolCall,
    Trajectory,
    TreeNode,
    Usage,
)

logger = logging.getLogger(__name__)

PARSE_ERROR_FEEDBACK = "Your last reply could not be read as a function call ({error}). Call one of the functions."


class BudgetExhausted(Exception):
    """The LLM-call budget is used up (ends the search)."""


class Cancelled(Exception):
    """The run was interrupted (Ctrl-C, kill): the query is left unfinished."""


class QueryAborted(Exception):
    """Too many consecutive LLM failures: the query ends with ``finish_reason=error``."""


@dataclass(eq=False)
class Node:
    """One reply of the search tree (the root has no message)."""

    id: int
    parent: Node | None
    message: Message | None = None
    observations: list[Observation] = field(default_factory=list)
    after: list[Message] = field(default_factory=list)  # tool results / feedback following the reply
    children: list[Node] = field(default_factory=list)
    visit: int = 0  # ToolBench expand_num: visit order, 0 = root or never visited
    pruned: bool = False
    terminal: bool = False
    gave_up: bool = False
    final_answer: str = ""
    note: str = ""

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def toolbench_depth(self) -> int:
        """ToolBench node depth of this reply's last node (thought 1, each call 2)."""
        if self.parent is None:
            return 0
        own = self.message is not None and bool(self.message.content) if self.message else False
        calls = len(self.message.tool_calls) if self.message else 0
        return self.parent.toolbench_depth + int(own) + 2 * calls + int(not own and not calls)

    def path(self) -> list[Node]:
        nodes = [self]
        while nodes[-1].parent is not None:
            nodes.append(nodes[-1].parent)  # type: ignore[arg-type]
        return nodes[::-1]


class Search:
    """State of one query's search: the task, the tree, counters and budgets."""

    def __init__(self, task: Task, model: ChatModel, executor: Executor, config: PlannerConfig,
                 rng: random.Random | None = None, stop: threading.Event | None = None) -> None:
        self.task, self.model, self.executor, self.config = task, model, executor, config
        self.rng = rng or random.Random(config.seed)
        self.stop = stop
        self.nodes: list[Node] = [Node(0, None)]
        self.usage = Usage()
        self.visits = 0
        self.terminals: list[Node] = []
        self.give_ups: list[Node] = []
        self.errors: list[str] = []
        self._failures = 0
        self._started = time.monotonic()
        self.budget_hit = False

    @property
    def root(self) -> Node:
        return self.nodes[0]

    def visit(self, node: Node) -> None:
        node.visit = self.visits
        self.visits += 1

    def depth_exceeded(self, node: Node) -> bool:
        cfg = self.config
        return (cfg.max_actions > 0 and node.depth >= cfg.max_actions) or (
            cfg.toolbench_depth > 0 and node.toolbench_depth >= cfg.toolbench_depth)

    def conversation(self, node: Node) -> list[Message]:
        messages = list(self.task.messages)
        for item in node.path()[1:]:
            if item.message is not None:
                messages.append(item.message)
            messages.extend(item.after)
        return messages

    # ------------------------------------------------------------------ expansion

    def expand(self, state: Node, extra: Message | None = None) -> Node:
        """One LLM call from ``state`` (plus ``extra``, e.g. a diversity prompt) → a child."""
        if self.stop is not None and self.stop.is_set():
            raise Cancelled()
        messages = self.conversation(state) + ([extra] if extra is not None else [])
        opts = {} if self.config.temperature is None else {"temperature": self.config.temperature}
        try:
            reply = self.model.generate(messages, list(self.task.tools), **opts)
        except BackendError as exc:
            return self._failed_call(state, exc)
        self._failures = 0
        self._count(reply.usage)
        if self.usage.llm_calls >= self.config.max_llm_calls:
            self.budget_hit = True
            raise BudgetExhausted()
        child = self._new_node(state, _clean(reply))
        self._act(child, reply)
        return child

    def _count(self, usage: Usage) -> None:
        self.usage.llm_calls += 1
        self.usage.prompt_tokens += usage.prompt_tokens
        self.usage.completion_tokens += usage.completion_tokens

    def _failed_call(self, state: Node, exc: BackendError) -> Node:
        self._count(Usage())
        self._failures += 1
        self.errors.append(f"llm: {exc}")
        logger.warning("LLM call failed (%d in a row): %s", self._failures, exc)
        if self._failures >= self.config.max_backend_errors:
            raise QueryAborted(str(exc)) from exc
        if self.usage.llm_calls >= self.config.max_llm_calls:
            self.budget_hit = True
            raise BudgetExhausted()
        child = self._new_node(state, Message("assistant", None))
        child.pruned, child.note = True, "llm_error"
        return child

    def _new_node(self, state: Node, message: Message) -> Node:
        child = Node(len(self.nodes), state, message)
        self.nodes.append(child)
        state.children.append(child)
        return child

    def _act(self, node: Node, reply: AssistantMessage) -> None:
        if not reply.tool_calls and reply.parse_error:
            error = Observation("", PARSE_ERROR_FEEDBACK.format(error=reply.parse_error), error=reply.parse_error,
                                status=ObservationStatus.INVALID_INPUT, provenance=Provenance.NONE)
            node.observations.append(error)
            node.after.append(Message("user", error.content))
            node.note = "parse_error"
            return
        for call in node.message.tool_calls if node.message else []:
            observation = self._call(node, call)
            node.observations.append(observation)
            node.after.append(Message("tool", observation.content, tool_call_id=call.id, name=call.name))
            if node.terminal:
                break

    def _call(self, node: Node, call: ToolCall) -> Observation:
        if call.name == FINISH:
            outcome = handle_finish(call)
            if outcome.answered:
                node.terminal, node.final_answer, node.note = True, outcome.final_answer, "give_answer"
            elif outcome.gave_up:
                node.gave_up, node.pruned, node.note = True, True, "give_up"
            return outcome.observation
        self.usage.api_calls += 1
        try:
            return self.executor.call(call)
        except ToolbenchError as exc:  # e.g. a simulator's LLM failed: the model sees it
            logger.warning("tool call %s failed: %s", call.name, exc)
            return Observation(call.id, f'{{"error": "{type(exc).__name__}", "response": ""}}', error=str(exc),
                               status=ObservationStatus.REQUEST_FAILED, name=call.name)

    # ------------------------------------------------------------------ result

    def result(self, query_id: str, query: str, method: str, api_ids: list[str],
               aborted: str = "") -> Trajectory:
        """The trajectory: the answer path, else a give-up path, else the last visited path."""
        self.usage.seconds = round(time.monotonic() - self._started, 3)
        node, reason = self._chosen(aborted)
        messages = self.conversation(node)
        if node.terminal and messages and messages[-1].role == "tool":
            messages = messages[: len(messages) - len(node.after)]
        return Trajectory(
            query_id=query_id, query=query, method=method, api_ids=list(api_ids), tools=list(self.task.tools),
            messages=messages, steps=steps_of(node), finish_reason=reason, final_answer=node.final_answer,
            usage=Usage(**self.usage.to_dict()), config=self.config.to_dict(), tree=self.tree(),
            model=str(self.model.describe().get("name", "")),
            error="; ".join(self.errors + ([aborted] if aborted else [])),
        )

    def _chosen(self, aborted: str) -> tuple[Node, FinishReason]:
        if self.terminals:
            return self.terminals[0], FinishReason.GIVE_ANSWER
        if aborted or (self.errors and all(n.note == "llm_error" for n in self.nodes[1:])):
            return self._last_visited(), FinishReason.ERROR
        if self.give_ups:
            return self.give_ups[self.rng.randint(0, len(self.give_ups) - 1)], FinishReason.GIVE_UP
        reason = FinishReason.BUDGET if self.budget_hit else FinishReason.NO_FINISH
        return self._last_visited(), reason

    def _last_visited(self) -> Node:
        return max(self.nodes, key=lambda n: (n.visit, n.id))

    def tree(self) -> SearchTree:
        return SearchTree([
            TreeNode(id=n.id, parent=n.parent.id if n.parent else None, depth=n.depth, message=n.message,
                     observations=list(n.observations), expand_order=n.visit, pruned=n.pruned,
                     finished=n.terminal, note=n.note)
            for n in self.nodes
        ])


def _clean(reply: AssistantMessage) -> Message:
    """The reply as a message; blank thoughts become ``None`` (no ToolBench Thought node)."""
    content = reply.content if reply.content and reply.content.strip() else None
    calls = [c if c.id else ToolCall(f"call_{k}", c.name, c.arguments) for k, c in enumerate(reply.tool_calls)]
    return Message("assistant", content, tool_calls=calls)


def steps_of(node: Node) -> list[Step]:
    """The steps of the path to ``node``."""
    steps: list[Step] = []
    for item in node.path()[1:]:
        message = item.message
        if message is None or (not message.tool_calls):
            obs = item.observations[0] if item.observations else None
            steps.append(Step(thought=(message.content or "") if message else "", observation=obs))
            continue
        for k, call in enumerate(message.tool_calls):
            obs = item.observations[k] if k < len(item.observations) else None
            steps.append(Step(thought=(message.content or "") if k == 0 else "", action=call, observation=obs))
    return steps


SearchFn = Callable[[Search], None]
