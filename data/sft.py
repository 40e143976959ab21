"""Trajectories → supervised fine-tuning (SFT) examples in chat form.

One solution path gives ONE multi-turn example; the loss later covers every assistant
turn (not k near-duplicate prefixes as in ToolBench's ``train_messages``). An example is
a plain JSON record::

    {"id": "run:1073", "query_id": "1073", "source": "DFS_woFilter_w2",
     "tools": "[{\\"type\\": \\"function\\", ...}]",          # JSON text (see below)
     "messages": [
        {"role": "system", "content": "...", "tool_calls": [], "tool_call_id": null, "name": null},
        {"role": "user", "content": "..."},
        {"role": "assistant", "content": "thought", "tool_calls": [
            {"id": "call_2_0", "type": "function",
             "function": {"name": "f", "arguments": "{\\"x\\":1}"}}]},
        {"role": "tool", "content": "...", "tool_call_id": "call_2_0", "name": "f"},
        ...]}

Tool-call ``arguments`` and the ``tools`` list are JSON *strings*: every example has a
different argument schema, and ``datasets`` (Arrow) would otherwise merge all of them
into one struct type, filling absent keys with ``null``. Every message carries the same
keys for the same reason. Call ids are renumbered ``call_{turn}_{index}`` so examples
are deterministic and survive formats that drop ids (ToolLLaMA).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolbench.calls import FINISH
from toolbench.config import Config, require
from toolbench.errors import InputError
from toolbench.jsonutil import dumps_compact
from toolbench.types import Message, ToolCall, Trajectory

logger = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant", "tool")
SFT_FILE = "sft.jsonl"


@dataclass(frozen=True)
class SftConfig(Config):
    """Which trajectories become examples.

    ``solved_only``: keep only paths that end with a non-empty ``give_answer`` (default,
    as ToolLLaMA). ``min_calls``: drop paths with fewer real tool calls (``Finish`` does
    not count). ``drop_system``: leave the system message out (the trainer then relies
    on the tools column alone).
    """

    solved_only: bool = True
    min_calls: int = 0
    drop_system: bool = False
    finish_name: str = "Finish"

    def validate(self) -> None:
        require(self.min_calls >= 0, "min_calls must be >= 0")


def call_to_wire(call: ToolCall, call_id: str) -> dict[str, Any]:
    """A tool call in OpenAI shape with JSON-string arguments.

    >>> call_to_wire(ToolCall("x", "f", {"a": 1}), "call_2_0")
    {'id': 'call_2_0', 'type': 'function', 'function': {'name': 'f', 'arguments': '{"a":1}'}}
    """
    function = {"name": call.name, "arguments": dumps_compact(call.arguments)}
    return {"id": call_id, "type": "function", "function": function}


def call_from_wire(data: dict[str, Any]) -> ToolCall:
    """Inverse of :func:`call_to_wire` (arguments decoded; bad JSON kept under ``_raw``).

    >>> call_from_wire({"id": "c", "function": {"name": "f", "arguments": '{"a":1}'}})
    ToolCall(id='c', name='f', arguments={'a': 1})
    """
    function = data.get("function") or data
    raw = function.get("arguments")
    try:
        args = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    except json.JSONDecodeError:
        args = {"_raw": raw}
    if not isinstance(args, dict):
        args = {"_raw": raw}
    return ToolCall(id=str(data.get("id") or ""), name=str(function.get("name") or ""), arguments=args)


def wire_message(role: str, content: str | None, tool_calls: list[dict[str, Any]] | None = None,
                 tool_call_id: str | None = None, name: str | None = None) -> dict[str, Any]:
    """A message with every key present (uniform Arrow schema).

    >>> wire_message("user", "hi")
    {'role': 'user', 'content': 'hi', 'tool_calls': [], 'tool_call_id': None, 'name': None}
    """
    return {"role": role, "content": content, "tool_calls": list(tool_calls or []),
            "tool_call_id": tool_call_id, "name": name}


def messages_to_wire(messages: Iterable[Message], *, drop_system: bool = False) -> list[dict[str, Any]]:
    """Our messages → SFT wire messages, call ids renumbered ``call_{turn}_{i}``.

    >>> ms = [Message("user", "q"), Message("assistant", "t", [ToolCall("a", "f", {})]),
    ...       Message("tool", "4", tool_call_id="a", name="f")]
    >>> [m["tool_call_id"] or m["role"] for m in messages_to_wire(ms)]
    ['user', 'assistant', 'call_1_0']
    """
    out: list[dict[str, Any]] = []
    renamed: dict[str, str] = {}
    pending: list[str] = []
    for number, msg in enumerate(messages):
        if msg.role not in ROLES:
            raise InputError(f"unknown message role {msg.role!r}", field=f"messages[{number}]")
        if msg.role == "system" and drop_system:
            continue
        if msg.role == "assistant":
            calls = [call_to_wire(c, f"call_{len(out)}_{i}") for i, c in enumerate(msg.tool_calls)]
            renamed.update({c.id: w["id"] for c, w in zip(msg.tool_calls, calls, strict=True)})
            pending = [w["id"] for w in calls]
            out.append(wire_message("assistant", msg.content or None, calls))
        elif msg.role == "tool":
            new_id = renamed.get(msg.tool_call_id or "") or (pending[0] if pending else None)
            if new_id in pending:
                pending.remove(new_id)
            out.append(wire_message("tool", msg.content or "", tool_call_id=new_id, name=msg.name))
        else:
            out.append(wire_message(msg.role, msg.content))
    return out


def messages_from_wire(messages: Iterable[dict[str, Any]]) -> list[Message]:
    """SFT wire messages → :class:`Message` objects."""
    return [
        Message(role=m["role"], content=m.get("content"),
                tool_calls=[call_from_wire(c) for c in m.get("tool_calls") or []],
                tool_call_id=m.get("tool_call_id"), name=m.get("name"))
        for m in messages
    ]


def count_calls(trajectory: Trajectory, finish_name: str = FINISH) -> int:
    """Tool calls on the path, ``Finish`` excluded."""
    return sum(1 for m in trajectory.messages for c in m.tool_calls if c.name != finish_name)


def keep_trajectory(trajectory: Trajectory, config: SftConfig) -> str:
    """Why ``trajectory`` is dropped ('' when it is kept)."""
    if not any(m.role == "assistant" for m in trajectory.messages):
        return "no assistant turn"
    if config.solved_only and not trajectory.gave_answer:
        return f"not solved ({trajectory.finish_reason.value})"
    if count_calls(trajectory, config.finish_name) < config.min_calls:
        return f"fewer than {config.min_calls} tool calls"
    return ""


def trajectory_to_example(trajectory: Trajectory, *, source: str = "", drop_system: bool = False) -> dict[str, Any]:
    """One SFT example (see the module docstring) for one solution path."""
    return {
        "id": f"{source or trajectory.method}:{trajectory.query_id}",
        "query_id": str(trajectory.query_id),
        "source": source or trajectory.method,
        "model": trajectory.model,
        "tools": dumps_compact(trajectory.tools),
        "messages": messages_to_wire(trajectory.messages, drop_system=drop_system),
    }


def trajectories_to_examples(
    trajectories: Iterable[Trajectory], config: SftConfig | None = None, *, source: str = ""
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Examples for the kept trajectories, and counts of why the others were dropped."""
    config = config or SftConfig()
    examples: list[dict[str, Any]] = []
    dropped: dict[str, int] = {}
    for trajectory in trajectories:
        reason = keep_trajectory(trajectory, config)
        if reason:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        examples.append(trajectory_to_example(trajectory, source=source, drop_system=config.drop_system))
    return examples, dropped


def example_tools(example: dict[str, Any]) -> list[dict[str, Any]]:
    """The decoded ``tools`` column of an example."""
    tools = example.get("tools") or "[]"
    return json.loads(tools) if isinstance(tools, str) else list(tools)


def validate_example(example: dict[str, Any], index: int = 0, path: str = "") -> dict[str, Any]:
    """Check the shape of one example; raise :class:`InputError` naming the problem."""
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("an SFT example needs a non-empty 'messages' list", path=path, record=index)
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("role") not in ROLES:
            raise InputError(f"bad message role {msg.get('role') if isinstance(msg, dict) else msg!r}",
                             path=path, record=index, field=f"messages[{i}]")
    if not any(m["role"] == "assistant" for m in messages):
        raise InputError("the example has no assistant turn", path=path, record=index)
    try:
        example_tools(example)
    except json.JSONDecodeError as exc:
        raise InputError(f"'tools' is not JSON ({exc.msg})", path=path, record=index, field="tools") from exc
    return example


def write_examples(out_dir: str | Path, examples: Iterable[dict[str, Any]], name: str = SFT_FILE) -> Path:
    """Write examples as versioned JSONL (atomic, one at a time) into ``out_dir``."""
    from toolbench.store import write_jsonl

    return write_jsonl(Path(out_dir) / name, examples)


def iter_examples(path: str | Path) -> Iterator[dict[str, Any]]:
    """Read examples from an ``sft.jsonl`` file or a directory holding one."""
    from toolbench.store import iter_jsonl

    path = Path(path)
    if path.is_dir():
        path = path / SFT_FILE
    for number, record in enumerate(iter_jsonl(path), start=1):
        record.pop("schema_version", None)
        yield validate_example(record, number, str(path))


def read_examples(path: str | Path) -> list[dict[str, Any]]:
    """All examples of :func:`iter_examples`."""
    return list(iter_examples(path))


def to_hf_dataset(examples: list[dict[str, Any]]) -> Any:
    """A ``datasets.Dataset`` of the examples (schemas stay uniform: arguments are text)."""
    from datasets import Dataset

    return Dataset.from_list(examples)
