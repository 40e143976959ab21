"""Helpers shared by the ToolBench-family formats: arguments, Finish, message shapes."""

from __future__ import annotations

import json
from typing import Any

from toolbench.jsonutil import dumps_compact
from toolbench.types import Message, Observation, ObservationStatus, Step, ToolCall

FINISH = "Finish"
GIVE_ANSWER = "give_answer"
GIVE_UP = "give_up_and_restart"
RAW_ARGUMENTS = "_raw"


def parse_arguments(text: Any) -> dict[str, Any]:
    """Function-call arguments as a dict; unparsable text is kept under ``_raw``.

    >>> parse_arguments('{"q": "x"}')
    {'q': 'x'}
    >>> parse_arguments('{"q": ')
    {'_raw': '{"q": '}
    >>> parse_arguments({"a": 1})
    {'a': 1}
    """
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}", strict=False)
    except (json.JSONDecodeError, TypeError):
        return {RAW_ARGUMENTS: text}
    return value if isinstance(value, dict) else {RAW_ARGUMENTS: text}


def arguments_text(arguments: dict[str, Any]) -> str:
    """The arguments as the model wrote them (``_raw``) or as compact JSON.

    >>> arguments_text({"_raw": "{bad"}), arguments_text({"a": 1})
    ('{bad', '{"a":1}')
    """
    if set(arguments) == {RAW_ARGUMENTS}:
        return str(arguments[RAW_ARGUMENTS])
    return dumps_compact(arguments)


def parse_finish_arguments(text: str | dict[str, Any]) -> dict[str, Any]:
    """Parse ``Finish`` arguments the way ToolBench's ``rapidapi.py`` does.

    Invalid JSON falls back to substring search for ``"return_type": "`` and
    ``"final_answer": "`` (the final answer is then the rest of the text).

    >>> parse_finish_arguments('{"return_type": "give_answer", "final_answer": "42"}')
    {'return_type': 'give_answer', 'final_answer': '42'}
    >>> parse_finish_arguments('{"return_type": "give_answer", "final_answer": "4')
    {'return_type': 'give_answer', 'final_answer': '4'}
    """
    if isinstance(text, dict):
        return dict(text) if RAW_ARGUMENTS not in text else parse_finish_arguments(str(text[RAW_ARGUMENTS]))
    try:
        data = json.loads(text, strict=False)
        if isinstance(data, dict):
            return data
    except json.JSONDecodeError:
        pass
    data = {}
    marker = '"return_type": "'
    if marker in text:
        if f'{marker}{GIVE_ANSWER}"' in text:
            data["return_type"] = GIVE_ANSWER
        elif f'{marker}{GIVE_UP}"' in text:
            data["return_type"] = GIVE_UP
        else:
            data["return_type"] = text[text.find(marker) + len(marker) : text.find('",')]
    answer = '"final_answer": "'
    if answer in text:
        data["final_answer"] = text[text.find(answer) + len(answer) :]
    return data


def final_answer_text(raw: str) -> tuple[str, str]:
    """(return_type, final answer) from a ToolBench ``final_answer`` field.

    ToolBench stores the whole ``Finish`` argument text; plain text is taken as the answer.

    >>> final_answer_text('{"return_type": "give_answer", "final_answer": "Paris"}')
    ('give_answer', 'Paris')
    >>> final_answer_text('')
    ('', '')
    """
    if not raw or not raw.strip():
        return "", ""
    data = parse_finish_arguments(raw)
    if "return_type" not in data and "final_answer" not in data:
        return GIVE_ANSWER, raw
    return str(data.get("return_type", "")), str(data.get("final_answer", "") or "")


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


def functions_of(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The inverse of :func:`openai_tools`."""
    return [t.get("function", t) for t in tools]
