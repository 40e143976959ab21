"""Ask a chat model one structured question and get a validated field back.

The judge is asked to call a function (``tools=[...]``, optionally forced with
``tool_choice``); models that answer in text instead are parsed robustly (a JSON object,
``field: value`` text, or a single allowed label). Garbage replies are retried; when no
attempt gives a usable value the result carries ``error`` — never an exception. Every
reply is cached by judge model + prompt + judging + attempt.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from evaluator.cache import JudgeCache, cache_key
from evaluator.prompting import render
from toolbench.errors import ToolbenchError
from toolbench.protocols import ChatModel
from toolbench.types import AssistantMessage, Message, Usage, VerdictLabel

logger = logging.getLogger(__name__)
_COUNT_LOCK = threading.Lock()
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class JudgeFunction:
    """One structured question: its prompt template, the field it asks for, its values."""

    name: str
    template: str
    field: str
    allowed: tuple[Any, ...]
    description: str = ""

    def tool_schema(self) -> dict[str, Any]:
        """The OpenAI tool schema the judge is asked to call."""
        kind = "integer" if all(isinstance(a, int) for a in self.allowed) else "string"
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description or f"Report the {self.field}.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "reason": {"type": "string", "description": "explain your answer briefly"},
                        self.field: {"type": kind, "enum": list(self.allowed)},
                    },
                    "required": ["reason", self.field],
                },
            },
        }


STATUS = (VerdictLabel.SOLVED, VerdictLabel.UNSOLVED, VerdictLabel.UNSURE)
CHECK_ANSWER = JudgeFunction("check_answer_status", "check_answer_status", "answer_status", STATUS)
PARSE_ANSWER = JudgeFunction("parse_answer_status", "parse_answer_status", "answer_status", STATUS)
TASK_SOLVABLE = JudgeFunction(
    "check_task_solvable", "check_task_solvable", "task_status", ("Solvable", "Unsolvable", "Unsure")
)
BETTER_ANSWER = JudgeFunction("select_better_answer", "select_better_answer", "index", (0, 1))
FAC = JudgeFunction("check_final_answer", "fac", "answer_status", (VerdictLabel.SOLVED, VerdictLabel.UNSOLVED))


@dataclass
class Answer:
    """The outcome of one structured question."""

    value: Any = None
    reason: str = ""
    raw: Any = None
    error: str = ""
    cached: bool = False


def normalise_value(value: Any, allowed: tuple[Any, ...]) -> Any:
    """Map ``value`` onto one of ``allowed`` (case-insensitive; ``"1"`` → ``1``), else ``None``.

    >>> normalise_value(" solved ", ("Solved", "Unsolved")), normalise_value("1", (0, 1))
    ('Solved', 1)
    >>> normalise_value("maybe", ("Solved", "Unsolved")) is None
    True
    """
    if isinstance(value, bool):
        return None
    text = str(value).strip().strip("\"'.").lower()
    for option in allowed:
        if text == str(option).lower():
            return option
    return None


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object embedded in ``text`` (outermost first).

    >>> _json_objects('ok {"a": 1} and {"b": {"c": 2}}')
    [{'a': 1}, {'b': {'c': 2}}]
    """
    decoder = json.JSONDecoder()
    found, pos = [], 0
    while (start := text.find("{", pos)) != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        if isinstance(obj, dict):
            found.append(obj)
        pos = end
    return found


def parse_text(text: str, fn: JudgeFunction) -> tuple[Any, str]:
    """Find ``fn.field`` in a text reply: JSON object, ``field: value``, or a bare label.

    >>> parse_text('Sure. {"reason": "all there", "answer_status": "Solved"}', CHECK_ANSWER)
    ('Solved', 'all there')
    >>> parse_text("answer_status: unsure because ...", CHECK_ANSWER)[0]
    'Unsure'
    >>> parse_text("Unsolved.", CHECK_ANSWER)[0]
    'Unsolved'
    >>> parse_text("The task is not solved at all", CHECK_ANSWER)[0] is None  # no guessing in prose
    True
    """
    for obj in _json_objects(text):
        value = normalise_value(obj.get(fn.field), fn.allowed) if fn.field in obj else None
        if value is not None:
            return value, str(obj.get("reason", ""))
    match = re.search(rf"{re.escape(fn.field)}\W{{0,3}}\s*[:=]\s*\W{{0,2}}([\w-]+)", text, re.IGNORECASE)
    if match and (value := normalise_value(match.group(1), fn.allowed)) is not None:
        return value, text.strip()
    words = [w.lower() for w in re.findall(r"[A-Za-z]+|\d+", text)]
    hits = [a for a in fn.allowed if str(a).lower() in words]
    if len(words) <= 3 and len(hits) == 1:  # a bare label ("Solved", "Status: Solved"), never prose
        return hits[0], text.strip()
    return None, ""


def parse_reply(reply: AssistantMessage, fn: JudgeFunction) -> tuple[Any, str]:
    """The value and reason from a tool call (preferred) or from the text."""
    calls = sorted(reply.tool_calls, key=lambda c: c.name != fn.name)
    for call in calls:
        args = call.arguments if isinstance(call.arguments, dict) else {}
        value = normalise_value(args.get(fn.field), fn.allowed) if fn.field in args else None
        if value is not None:
            return value, str(args.get("reason", ""))
    return parse_text(reply.content or reply.raw or "", fn)


@dataclass
class StructuredAsker:
    """Asks a judge model structured questions, with retries and a reply cache."""

    model: ChatModel
    cache: JudgeCache | None = None
    retries: int = 2
    force_tool_call: bool = True
    generate_options: dict[str, Any] = field(default_factory=dict)
    workers: int = 1  # parallel judge calls (for servers); results keep input order
    usage: Usage = field(default_factory=Usage)
    calls: int = 0

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(x) for x in items]``, on ``workers`` threads when more than one (order kept)."""
        if self.workers <= 1 or len(items) <= 1:
            return [fn(x) for x in items]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(fn, items))

    @property
    def judge_id(self) -> dict[str, Any]:
        return self.model.describe()

    def ask(self, fn: JudgeFunction, variables: dict[str, Any], *, judging: int = 0) -> Answer:
        """Ask ``fn`` with the prompt rendered from ``variables``; retry garbage replies."""
        prompt = render(fn.template, function_name=fn.name, **variables)
        messages = [Message(role="user", content=prompt)]
        errors = []
        for attempt in range(self.retries + 1):
            reply, cached, error = self._reply(fn, messages, judging, attempt)
            if reply is None:
                errors.append(error)
                continue
            value, reason = parse_reply(reply, fn)
            if value is not None:
                return Answer(value, reason, _raw(reply), cached=cached)
            errors.append(f"unusable reply: {(reply.content or reply.raw or '')[:200]!r}")
            logger.debug("judge %s attempt %d gave no %s", fn.name, attempt, fn.field)
        return Answer(error="; ".join(errors) or "no reply", raw=None)

    def _reply(
        self, fn: JudgeFunction, messages: list[Message], judging: int, attempt: int
    ) -> tuple[AssistantMessage | None, bool, str]:
        tools = [fn.tool_schema()]
        key = cache_key(
            {"judge": self.judge_id, "options": self.generate_options, "messages": [m.to_dict() for m in messages],
             "tools": tools, "judging": judging, "attempt": attempt}
        )
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return AssistantMessage.from_dict(json.loads(hit)), True, ""
        opts = dict(self.generate_options)
        if self.force_tool_call:
            opts["tool_choice"] = {"type": "function", "function": {"name": fn.name}}
        try:
            reply = self.model.generate(messages, tools=tools, **opts)
        except ToolbenchError as exc:
            logger.warning("judge call failed: %s", exc)
            return None, False, f"judge call failed: {exc}"
        with _COUNT_LOCK:
            self.calls += 1
            self.usage = self.usage + reply.usage
        if self.cache is not None:
            self.cache.put(key, json.dumps(reply.to_dict(), ensure_ascii=False))
        return reply, False, ""


def _raw(reply: AssistantMessage) -> dict[str, Any]:
    """What the judge said, for the verdict record."""
    return {"content": reply.content, "tool_calls": [c.to_dict() for c in reply.tool_calls]}
