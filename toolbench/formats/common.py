"""Helpers shared by the ToolBench-family formats: message shapes and steps.

Argument text and the ``Finish`` function are in :mod:`toolbench.calls`.
"""

from __future__ import annotations

from typing import Any

from toolbench.calls import FINISH, GIVE_UP, parse_arguments, parse_finish_arguments
from toolbench.types import Message, Observation, ObservationStatus, Step, ToolCall


def legacy_to_messages(conversation: list[dict[str, Any]]) -> list[Message]:
    """OpenAI messages with ``function_call``/``function`` or ``tool_calls``/``tool`` roles
    to :class:`Message` objects (invalid diversity prompts are dropped; call ids are
    ``call_{n}`` in order when the source has none)."""
    out: list[Message] = []
    pending: list[str] = []
    count = 0
    for raw in conversation:
        if raw.get("valid") is False:
            continue
        role = raw.get("role")
        if role == "assistant":
            calls = []
            for name, args, cid in _raw_calls(raw):
                count += 1
                calls.append(ToolCall(cid or f"call_{count}", name, parse_arguments(args)))
            pending = [c.id for c in calls]
            out.append(Message("assistant", raw.get("content"), tool_calls=calls))
        elif role in ("function", "tool"):
            cid = raw.get("tool_call_id") or (pending.pop(0) if pending else f"call_{count}")
            out.append(Message("tool", raw.get("content"), tool_call_id=cid, name=raw.get("name")))
        else:
            out.append(Message(str(role), raw.get("content")))
    return out


def _raw_calls(message: dict[str, Any]) -> list[tuple[str, Any, str | None]]:
    if message.get("function_call"):
        call = message["function_call"]
        return [(call.get("name", ""), call.get("arguments", ""), None)]
    calls = message.get("tool_calls") or []
    return [(c["function"]["name"], c["function"].get("arguments", ""), c.get("id")) for c in calls]


def steps_from_messages(messages: list[Message]) -> list[Step]:
    """Summarise a conversation as steps (thought, call, observation); ``Finish`` included."""
    results = {m.tool_call_id: m for m in messages if m.role == "tool"}
    steps: list[Step] = []
    for message in messages:
        if message.role != "assistant":
            continue
        if not message.tool_calls:
            steps.append(Step(thought=message.content or ""))
        for k, call in enumerate(message.tool_calls):
            steps.append(Step(thought=(message.content or "") if k == 0 else "", action=call,
                              observation=_observation(call, results.get(call.id))))
    return steps


def _observation(call: ToolCall, message: Message | None) -> Observation | None:
    if call.name == FINISH:
        rtype = parse_finish_arguments(call.arguments).get("return_type")
        status = ObservationStatus.GIVE_UP if rtype == GIVE_UP else ObservationStatus.FINISH
        return Observation(call.id, message.content or "" if message else "", status=status, name=FINISH)
    if message is None:
        return None
    return Observation(call.id, message.content or "", name=call.name)


def openai_tools(functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ToolBench ``function`` lists as chat-completions tool schemas."""
    return [{"type": "function", "function": f} for f in functions]

