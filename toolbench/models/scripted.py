"""The ``scripted`` backend: queued replies and recorded-trajectory replay.

``scripted:replies.jsonl`` reads one reply per line. A line is either an assistant
message (``AssistantMessage.to_dict()`` or the OpenAI message shape with
``tool_calls[].function.arguments`` as a JSON string) or a recorded trajectory (a record
with ``messages``). Trajectories are replayed by conversation: when ``generate`` gets
exactly the messages that preceded a recorded assistant turn, it returns that turn;
otherwise the next queued reply is returned. An empty queue raises
:class:`ScriptExhaustedError` (a :class:`~toolbench.errors.BackendError`) naming how many
replies were used, so a test or a re-run never hangs or silently repeats.

>>> model = ScriptedModel(replies=[{"content": "hi"}])
>>> model.generate([Message("user", "hello")]).content
'hi'
>>> model.generate([Message("user", "again")])
Traceback (most recent call last):
...
toolbench.models.scripted.ScriptExhaustedError: scripted model: all 1 queued replies were used (call 2)
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path
from typing import Any

from toolbench.errors import BackendError, InputError
from toolbench.jsonutil import canonical_json
from toolbench.models.base import ChatModel, backends
from toolbench.models.tool_call_text import call_from_object
from toolbench.store import check_version, iter_jsonl
from toolbench.types import AssistantMessage, Message, Usage

logger = logging.getLogger(__name__)


class ScriptExhaustedError(BackendError):
    """A scripted model was asked for more replies than it holds."""


def reply_from_dict(data: dict[str, Any]) -> AssistantMessage:
    """An :class:`AssistantMessage` from our wire form or the OpenAI message shape.

    >>> r = reply_from_dict({"role": "assistant", "content": None, "tool_calls": [
    ...     {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{\\"x\\": 1}"}}]})
    >>> r.tool_calls[0].name, r.tool_calls[0].arguments, r.tool_calls[0].id
    ('f', {'x': 1}, 'a')
    """
    calls = []
    for index, call in enumerate(data.get("tool_calls") or []):
        parsed = call_from_object(call, index)
        calls.append(type(parsed)(id=str(call.get("id") or parsed.id), name=parsed.name, arguments=parsed.arguments))
    reply = AssistantMessage.from_dict({**data, "tool_calls": []})
    reply.tool_calls = calls
    return reply


def conversation_key(messages: list[Message]) -> str:
    """Canonical key of a conversation (roles, contents, calls; call ids ignored).

    >>> conversation_key([Message("user", "hi")])
    '[["user","hi",[],null]]'
    """
    rows = [
        [m.role, m.content, [[c.name, c.arguments] for c in m.tool_calls], m.name if m.role == "tool" else None]
        for m in messages
    ]
    return canonical_json(rows)


def _trajectory_turns(record: dict[str, Any]) -> list[tuple[str, AssistantMessage]]:
    """(key of the messages before it, reply) for every assistant turn of a trajectory."""
    messages = [Message.from_dict(m) for m in record.get("messages") or []]
    turns = []
    for index, message in enumerate(messages):
        if message.role == "assistant":
            reply = AssistantMessage(content=message.content, tool_calls=list(message.tool_calls))
            turns.append((conversation_key(messages[:index]), reply))
    return turns


def load_script(path: str | Path) -> tuple[list[AssistantMessage], dict[str, AssistantMessage]]:
    """Read a JSONL script: the reply queue and the conversation → reply table."""
    queue: list[AssistantMessage] = []
    table: dict[str, AssistantMessage] = {}
    for number, record in enumerate(iter_jsonl(path, versioned=False), start=1):
        if "schema_version" in record:
            check_version(record, path=path, line=number)
        try:
            if "messages" in record:
                for key, reply in _trajectory_turns(record):
                    queue.append(reply)
                    table.setdefault(key, reply)
            else:
                queue.append(reply_from_dict(record))
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"not an assistant message or trajectory ({exc})", path=str(path), record=number) from exc
    return queue, table


@backends.register("scripted")
class ScriptedModel(ChatModel):
    """Replays queued replies (``replies=[...]``) or a JSONL script (``scripted:PATH``)."""

    def __init__(self, name: str = "", *, replies: list[Any] | None = None, **_: Any) -> None:
        self.name = name or "inline"
        queue: list[AssistantMessage] = []
        self._table: dict[str, AssistantMessage] = {}
        if name:
            queue, self._table = load_script(name)
        for reply in replies or []:
            queue.append(reply if isinstance(reply, AssistantMessage) else reply_from_dict(reply))
        self._total = len(queue)
        self._queue = deque(queue)
        self._lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []  # what the model was asked, for tests and debugging

    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        with self._lock:
            self.calls.append({"messages": list(messages), "tools": tools, "opts": dict(opts)})
            reply = self._table.get(conversation_key(messages))
            if reply is not None and reply in self._queue:
                self._queue.remove(reply)  # a matched recorded turn is not served again by position
            if reply is None:
                if not self._queue:
                    raise ScriptExhaustedError(
                        f"scripted model: all {self._total} queued replies were used (call {len(self.calls)})"
                    )
                reply = self._queue.popleft()
        return _copy(reply)

    @property
    def remaining(self) -> int:
        """Queued replies not used yet."""
        return len(self._queue)

    def describe(self) -> dict[str, Any]:
        return {"backend": "scripted", "name": self.name}


def _copy(reply: AssistantMessage) -> AssistantMessage:
    out = AssistantMessage.from_dict(reply.to_dict())
    if out.usage.llm_calls == 0:
        out.usage = Usage(llm_calls=1, prompt_tokens=out.usage.prompt_tokens,
                          completion_tokens=out.usage.completion_tokens, seconds=out.usage.seconds)
    return out
