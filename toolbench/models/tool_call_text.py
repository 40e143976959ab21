"""Tool calls written as text: parse them out of model output, render them into prompts.

Local models without a native tool-call API write calls as text. Four formats are
understood (``auto`` tries them in a fixed order):

- ``hermes`` — Hermes / Qwen: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
- ``llama3`` — Llama-3.x JSON: ``{"name": ..., "parameters": {...}}`` (optionally after
  ``<|python_tag|>``), one call per line or separated by ``;``
- ``react`` — ToolLLaMA: ``Thought: ...`` / ``Action: NAME`` / ``Action Input: {...}``
- ``json`` — a bare JSON object with ``name`` anywhere in the text (also in code fences)

Parsing never raises: text that tries to call a tool but cannot be read yields
``parse_error`` (a model mistake the planner shows to the model). Text with no call at
all is plain content. The tool prompts for chat templates without ``tools=`` support are
Jinja templates in ``toolbench/models/prompts/``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from toolbench.errors import ConfigError
from toolbench.jsonutil import dumps_compact
from toolbench.types import ToolCall

TEXT_FORMATS = ("hermes", "llama3", "react", "json")
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_REACT = re.compile(
    r"(?:Thought:\s*(?P<thought>.*?)\s*)?Action:\s*(?P<action>[^\n]*?)\s*\n+\s*Action Input:\s*(?P<input>.*)",
    re.DOTALL,
)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_CALL_START = re.compile(r'\{\s*"name"\s*:')
_ARG_KEYS = ("arguments", "parameters", "args", "input")


@dataclass
class ParsedReply:
    """Content, tool calls and (if any) the parse error of one model reply."""

    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    parse_error: str | None = None
    format: str = ""


def call_id(index: int, prefix: str = "call") -> str:
    """Deterministic id of the ``index``-th call in a reply.

    >>> call_id(0), call_id(2, "hf")
    ('call_0', 'hf_2')
    """
    return f"{prefix}_{index}"


def parse_arguments(value: Any) -> dict[str, Any]:
    """Arguments as a dict: JSON text is decoded, ``None``/empty becomes ``{}``.

    >>> parse_arguments('{"x": 1}'), parse_arguments(None), parse_arguments("")
    ({'x': 1}, {}, {})
    >>> parse_arguments("[1]")
    Traceback (most recent call last):
    ...
    ValueError: arguments must be a JSON object, not list
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError(f"arguments must be a JSON object, not {type(value).__name__}")
    return value


def call_from_object(obj: Any, index: int, prefix: str = "call") -> ToolCall:
    """A :class:`ToolCall` from a decoded ``{"name": ..., "arguments"|"parameters": ...}``.

    >>> call_from_object({"name": "add", "parameters": {"a": 1}}, 0)
    ToolCall(id='call_0', name='add', arguments={'a': 1})
    """
    if not isinstance(obj, dict):
        raise ValueError(f"a tool call must be a JSON object, not {type(obj).__name__}")
    if isinstance(obj.get("function"), dict):  # OpenAI wire shape
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("the tool call has no 'name'")
    raw = next((obj[k] for k in _ARG_KEYS if k in obj), None)
    return ToolCall(id=call_id(index, prefix), name=name.strip(), arguments=parse_arguments(raw))


def _error(content: str | None, fmt: str, message: str, calls: list[ToolCall] | None = None) -> ParsedReply:
    return ParsedReply(content, calls or [], parse_error=message, format=fmt)


def _clean(text: str) -> str | None:
    text = text.strip()
    return text or None


def parse_hermes(text: str, prefix: str = "call") -> ParsedReply:
    """Parse ``<tool_call>{json}</tool_call>`` blocks (an unclosed last block is accepted).

    >>> r = parse_hermes('ok <tool_call>{"name": "f", "arguments": {"x": 2}}</tool_call>')
    >>> r.content, r.tool_calls[0].name, r.tool_calls[0].arguments
    ('ok', 'f', {'x': 2})
    >>> parse_hermes('<tool_call>{"name": "f", "arguments": {x}}</tool_call>').parse_error[:33]
    'tool call 1: invalid JSON (Expect'
    """
    calls, errors = [], []
    for number, match in enumerate(_HERMES.finditer(text)):
        try:
            calls.append(call_from_object(json.loads(match.group(1)), len(calls), prefix))
        except (ValueError, json.JSONDecodeError) as exc:
            errors.append(f"tool call {number + 1}: {_describe(exc)}")
    content = _clean(text[: text.find("<tool_call>")]) if "<tool_call>" in text else _clean(text)
    if errors:
        return _error(content, "hermes", "; ".join(errors), calls)
    return ParsedReply(content, calls, format="hermes")


def _describe(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at column {exc.colno})"
    return str(exc)


def json_objects(text: str) -> list[tuple[int, int, Any]]:
    """Every top-level JSON object in ``text`` as ``(start, end, value)``.

    >>> [(s, e, v) for s, e, v in json_objects('a {"x": 1} b {"y": [2]}')]
    [(2, 10, {'x': 1}), (13, 23, {'y': [2]})]
    """
    decoder, found, pos = json.JSONDecoder(), [], 0
    while (start := text.find("{", pos)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        found.append((start, end, value))
        pos = end
    return found


def parse_llama3(text: str, prefix: str = "call") -> ParsedReply:
    """Parse Llama-3 JSON calls: the reply *starts* with ``{"name": ...}`` objects.

    >>> r = parse_llama3('<|python_tag|>{"name": "f", "parameters": {"q": "x"}}; {"name": "g"}')
    >>> [(c.name, c.arguments) for c in r.tool_calls]
    [('f', {'q': 'x'}), ('g', {})]
    >>> parse_llama3("Hello there").tool_calls
    []
    """
    body = text.strip().removeprefix("<|python_tag|>").strip()
    if not body.startswith("{"):
        return ParsedReply(_clean(text), format="llama3")
    objects = json_objects(body)
    if not objects or objects[0][0] != 0:
        return _error(None, "llama3", "the reply starts like a JSON tool call but is not valid JSON")
    calls, errors = [], []
    for _, _, obj in objects:
        try:
            calls.append(call_from_object(obj, len(calls), prefix))
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        return _error(None, "llama3", "; ".join(errors), calls)
    return ParsedReply(None, calls, format="llama3")


def parse_react(text: str, prefix: str = "call") -> ParsedReply:
    """Parse ToolLLaMA ``Thought/Action/Action Input``; the thought becomes the content.

    >>> r = parse_react('Thought: look it up\\nAction: search\\nAction Input: {"q": "x"}')
    >>> r.content, r.tool_calls[0].name, r.tool_calls[0].arguments
    ('look it up', 'search', {'q': 'x'})
    >>> parse_react("Thought: hmm\\nAction: search\\nAction Input: q=x").parse_error
    'Action Input of search is not a JSON object'
    """
    match = _REACT.search(text)
    if match is None:
        if re.search(r"^\s*Action:", text, re.MULTILINE):
            return _error(_clean(text), "react", "an Action without an 'Action Input:' line")
        return ParsedReply(_clean(text.replace("Thought:", "", 1)), format="react")
    thought = _clean(match.group("thought") or text[: match.start()])
    name = match.group("action").strip()
    objects = json_objects(match.group("input"))
    raw = match.group("input").strip()
    if not name:
        return _error(thought, "react", "an empty Action name")
    if not objects and raw not in ("", "{}"):
        return _error(thought, "react", f"Action Input of {name} is not a JSON object")
    args = objects[0][2] if objects else {}
    return ParsedReply(thought, [ToolCall(call_id(0, prefix), name, args)], format="react")


def parse_bare_json(text: str, prefix: str = "call") -> ParsedReply:
    """Find JSON objects with a ``name`` anywhere (code fences included); the rest is content.

    >>> r = parse_bare_json('Sure!\\n```json\\n{"name": "f", "arguments": "{\\\\"a\\\\": 1}"}\\n```')
    >>> r.content, r.tool_calls[0].arguments
    ('Sure!', {'a': 1})
    >>> parse_bare_json('{"name": "f", "arguments": {"a": ').parse_error
    'an unfinished or invalid JSON tool call'
    """
    source = "\n".join(_FENCE.findall(text)) or text
    calls, errors = [], []
    for _, _, obj in json_objects(source):
        if isinstance(obj, dict) and ("name" in obj or "function" in obj):
            try:
                calls.append(call_from_object(obj, len(calls), prefix))
            except (ValueError, json.JSONDecodeError) as exc:
                errors.append(_describe(exc))
    if not calls and not errors:
        if _CALL_START.search(source):
            return _error(_clean(text), "json", "an unfinished or invalid JSON tool call")
        return ParsedReply(_clean(text), format="json")
    first = text.find("```") if "```" in text else text.find("{")
    content = _clean(text[:first])
    if errors:
        return _error(content, "json", "; ".join(errors), calls)
    return ParsedReply(content, calls, format="json")


PARSERS = {"hermes": parse_hermes, "llama3": parse_llama3, "react": parse_react, "json": parse_bare_json}


def detect_format(text: str) -> str:
    """Which format a reply is written in (``json`` when nothing more specific matches).

    >>> detect_format("<tool_call>{}"), detect_format("Action: f\\nAction Input: {}"), detect_format("hi")
    ('hermes', 'react', 'json')
    """
    if "<tool_call>" in text:
        return "hermes"
    if re.search(r"^\s*Action:", text, re.MULTILINE):
        return "react"
    if text.strip().removeprefix("<|python_tag|>").lstrip().startswith("{"):
        return "llama3"
    return "json"


def parse_tool_calls(text: str, fmt: str = "auto", prefix: str = "call") -> ParsedReply:
    """Parse a reply in format ``fmt`` (``auto``: :func:`detect_format`).

    >>> parse_tool_calls('{"name": "f", "arguments": {}}').tool_calls[0].name
    'f'
    >>> parse_tool_calls("The answer is 4.").content
    'The answer is 4.'
    """
    if fmt == "auto":
        fmt = detect_format(text)
    if fmt not in PARSERS:
        raise ConfigError(f"unknown tool-call format {fmt!r} (known: auto, {', '.join(TEXT_FORMATS)})")
    return PARSERS[fmt](text, prefix)


# --- rendering (prompts for chat templates without tools= support) -----------------------


def tool_functions(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``function`` parts of OpenAI tool schemas, with a flat parameter list added.

    >>> t = {"type": "function", "function": {"name": "f", "description": "d",
    ...      "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}
    >>> tool_functions([t])[0]["params"]
    [{'name': 'x', 'type': 'integer', 'required': True, 'description': ''}]
    """
    out = []
    for tool in tools:
        function = dict(tool.get("function", tool))
        function.setdefault("description", "")
        schema = function.get("parameters") or {}
        required = set(schema.get("required") or [])
        function["params"] = [
            {
                "name": name,
                "type": str(prop.get("type", "string")) if isinstance(prop, dict) else "string",
                "required": name in required,
                "description": str(prop.get("description", "")) if isinstance(prop, dict) else "",
            }
            for name, prop in (schema.get("properties") or {}).items()
        ]
        function["json"] = dumps_compact({k: v for k, v in function.items() if k != "params"})
        function["parameters_json"] = dumps_compact(schema)
        out.append(function)
    return out


@lru_cache(maxsize=16)
def _template(name: str) -> Any:
    from importlib.resources import files

    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)
    try:
        text = files("toolbench.models").joinpath("prompts", f"{name}.j2").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"unknown tool-call format {name!r} (known: {', '.join(TEXT_FORMATS)})") from None
    return env.from_string(text)


def render_tools_prompt(tools: list[dict[str, Any]], fmt: str) -> str:
    """The system-prompt section that lists ``tools`` and says how to call them in ``fmt``."""
    return _template(fmt).render(tools=tool_functions(tools)).strip()


def render_tool_call(call: ToolCall, fmt: str, thought: str | None = None) -> str:
    """An earlier tool call written back into the history the way ``fmt`` writes it.

    >>> render_tool_call(ToolCall("c", "f", {"x": 1}), "hermes")
    '<tool_call>\\n{"name":"f","arguments":{"x":1}}\\n</tool_call>'
    >>> render_tool_call(ToolCall("c", "f", {"x": 1}), "react", "go")
    'Thought: go\\nAction: f\\nAction Input: {"x":1}'

    ``json`` writes a call exactly as the schema-guided decoder does (``", "`` and
    ``": "`` separators), so the history and the training text match what the model writes:

    >>> render_tool_call(ToolCall("c", "f", {"x": [1, 2]}), "json")
    '{"name": "f", "arguments": {"x": [1, 2]}}'
    """
    if fmt == "react":
        return f"Thought: {thought or ''}\nAction: {call.name}\nAction Input: {dumps_compact(call.arguments)}"
    if fmt == "json":
        return json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)
    key = "parameters" if fmt == "llama3" else "arguments"
    body = dumps_compact({"name": call.name, key: call.arguments})
    return f"<tool_call>\n{body}\n</tool_call>" if fmt == "hermes" else body


def render_tool_result(content: str, fmt: str) -> str:
    """A tool result as the user-turn text a text-only template gets.

    >>> render_tool_result('{"response": 4}', "hermes")
    '<tool_response>\\n{"response": 4}\\n</tool_response>'
    >>> render_tool_result("4", "react")
    'Observation: 4'
    """
    if fmt == "hermes":
        return f"<tool_response>\n{content}\n</tool_response>"
    if fmt == "react":
        return f"Observation: {content}"
    return f"Tool result: {content}"


def call_prefill(fmt: str, name: str | None = None) -> str:
    """Text that starts the assistant turn when a call is required (``tool_choice``).

    >>> call_prefill("hermes")
    '<tool_call>\\n{"name": "'
    >>> call_prefill("llama3", "f")
    '{"name": "f", "parameters": '
    """
    key = "parameters" if fmt == "llama3" else "arguments"
    if fmt == "react":
        return "Thought:" if name is None else f"Thought: I will call {name}.\nAction: {name}\nAction Input: "
    head = '<tool_call>\n{"name": "' if fmt == "hermes" else '{"name": "'
    return head if name is None else f'{head}{name}", "{key}": '
