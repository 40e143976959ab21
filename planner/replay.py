"""Replay a recorded search tree: the model and the executor answer by tree position.

:class:`ReplayModel` serves, for the ``k``-th LLM call made from a state, the ``k``-th
recorded reply below that state; :class:`ReplayExecutor` serves the observation recorded
for that reply's call. The state of a call is read off the conversation: the last
assistant turn's tool-call ids name the recorded reply (``rec{node}_{index}``); a reply
without calls is found by its text. A search that asks for a reply the recording does
not have fails loudly (:class:`ReplayDivergence`), so a replay test cannot pass by
accident. Used by the DFSDT conformance tests on ToolBench's recorded ChatGPT trees.
"""

from __future__ import annotations

import re
from typing import Any

from toolbench.errors import ToolbenchError
from toolbench.executors.base import Executor
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, Message, Observation, SearchTree, ToolCall, TreeNode, Usage

_CALL_ID = re.compile(r"^rec(\d+)_(\d+)$")


class ReplayDivergence(ToolbenchError):
    """The search asked for something the recording does not contain."""


class ReplayModel(ChatModel):
    """A chat model that replays a recorded :class:`SearchTree`."""

    def __init__(self, tree: SearchTree, name: str = "replay") -> None:
        self.tree, self.name = tree, name
        self._children = {n.id: tree.children(n.id) for n in tree.nodes}
        self._served: dict[int, int] = {}
        self._by_path: dict[tuple[Any, ...], int] = {}

    @staticmethod
    def _path(messages: list[Message]) -> tuple[Any, ...]:
        return tuple((m.content, tuple(c.id for c in m.tool_calls)) for m in messages if m.role == "assistant")

    def _state(self, messages: list[Message]) -> int:
        path = self._path(messages)
        if not path:
            return 0
        if path in self._by_path:
            return self._by_path[path]
        raise ReplayDivergence("the conversation does not follow a served reply")

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        state = self._state(messages)
        index = self._served.get(state, 0)
        children = self._children.get(state, [])
        if index >= len(children):
            raise ReplayDivergence(f"reply {index + 1} requested from node {state}, recorded {len(children)}")
        self._served[state] = index + 1
        node = children[index]
        message = node.message or Message("assistant", None)
        calls = [ToolCall(f"rec{node.id}_{k}", c.name, dict(c.arguments)) for k, c in enumerate(message.tool_calls)]
        content = message.content if message.content and message.content.strip() else None
        self._by_path[self._path(messages) + ((content, tuple(c.id for c in calls)),)] = node.id
        return AssistantMessage(content=message.content, tool_calls=calls, usage=Usage(llm_calls=1))

    def recorded(self, node_id: int) -> TreeNode:
        return self.tree.nodes[[n.id for n in self.tree.nodes].index(node_id)]


class ReplayExecutor(Executor):
    """Serves the observations recorded for :class:`ReplayModel`'s calls."""

    def __init__(self, model: ReplayModel) -> None:
        self.model = model
        self.calls = 0

    def call(self, call: ToolCall) -> Observation:
        match = _CALL_ID.match(call.id)
        if not match:
            raise ReplayDivergence(f"call {call.id!r} was not served by the replay model")
        self.calls += 1
        node = self.model.recorded(int(match.group(1)))
        recorded = node.observations[int(match.group(2))]
        return Observation(call.id, recorded.content, status=recorded.status, name=call.name)
