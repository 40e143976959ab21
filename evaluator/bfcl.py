"""BFCL files: read question and possible-answer files, run a chat model, score with the AST checker.

A data directory holds ``BFCL_v4_<category>.json`` (JSON Lines: ``id``, ``question``,
``function``) and ``possible_answer/BFCL_v4_<category>.json`` (``id``, ``ground_truth``).
BFCL schemas use Python-ish types (``dict``, ``float``, ``tuple``, ``any``); the model is
offered OpenAI tool schemas with JSON-Schema types and names whose dots became
underscores, and its calls are mapped back to the BFCL names before checking.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.ast_check import IRRELEVANCE, RELEVANCE, category_of, check_item
from toolbench.errors import InputError
from toolbench.protocols import ChatModel
from toolbench.store import iter_jsonl
from toolbench.types import Message, Usage

logger = logging.getLogger(__name__)

_JSON_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}


@dataclass
class BfclItem:
    """One BFCL question with its functions and (unless irrelevance or relevance) its ground truth."""

    id: str
    messages: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    ground_truth: list[dict[str, Any]] | None = None

    @property
    def category(self) -> str:
        return category_of(self.id)


Output = list[dict[str, Any]] | str  # calls [{name: args}], or raw text in Python call syntax


@dataclass
class Prediction:
    """A model's calls for one item (BFCL names), its text, and what it cost."""

    id: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    error: str = ""

    @property
    def result(self) -> Output:
        """What is scored: the tool calls, or when there are none the text (BFCL's result files
        hold the text for models that write their calls, e.g. ``[f(a=1)]``).

        >>> Prediction("x", text="[f(a=1)]").result, Prediction("x", [{"f": {}}], "ok").result, Prediction("x").result
        ('[f(a=1)]', [{'f': {}}], [])
        """
        return self.calls if self.calls or not self.text.strip() else self.text


def question_files(data_dir: str | Path, categories: Sequence[str] | None = None) -> list[Path]:
    """The question files in ``data_dir`` (optionally only ``categories``), sorted."""
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError("not a directory", path=str(root))
    files = sorted(p for p in root.glob("BFCL_*.json") if p.is_file())
    if categories:
        files = [p for p in files if _file_category(p) in set(categories)]
    if not files:
        raise InputError("no BFCL_*.json question files (for the chosen categories)", path=str(root))
    return files


def _file_category(path: Path) -> str:
    """``BFCL_v4_simple_python.json`` → ``simple_python``.

    >>> _file_category(Path("BFCL_v4_parallel_multiple.json"))
    'parallel_multiple'
    """
    return re.sub(r"^BFCL_v\d+_", "", path.stem)


def answer_file(question_file: Path) -> Path:
    """The possible-answer file beside a question file."""
    return question_file.parent / "possible_answer" / question_file.name


def read_answers(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """``{id: ground_truth}`` from a possible-answer file."""
    answers = {}
    for number, record in enumerate(iter_jsonl(path, versioned=False), start=1):
        if "id" not in record or "ground_truth" not in record:
            raise InputError("expected id and ground_truth", path=str(path), record=number)
        if problem := ground_truth_problem(record["ground_truth"]):
            raise InputError(f"ground_truth {problem}", path=str(path), record=number)
        answers[str(record["id"])] = record["ground_truth"]
    return answers


def ground_truth_problem(truth: Any) -> str | None:
    """What is wrong with a BFCL ``ground_truth`` (a list of ``{function: {param: [allowed values]}}``).

    >>> ground_truth_problem([{"f": {"x": [1, 2]}}]) is None
    True
    >>> ground_truth_problem([{"f": {"x": 5}}])
    "call 1: parameter 'x' of 'f' must list its allowed values"
    """
    if not isinstance(truth, list):
        return "must be a list of calls"
    for number, call in enumerate(truth, start=1):
        if not isinstance(call, dict) or len(call) != 1:
            return f"call {number}: expected one {{function: {{parameter: [values]}}}} object"
        (name, params), = call.items()
        if not isinstance(params, dict):
            return f"call {number}: the parameters of {name!r} must be an object"
        for param, allowed in params.items():
            if not isinstance(allowed, list):
                return f"call {number}: parameter {param!r} of {name!r} must list its allowed values"
    return None


def read_items(question_file: str | Path, answers: dict[str, list[dict[str, Any]]] | None = None) -> list[BfclItem]:
    """The items of one question file, joined with their ground truths."""
    question_file = Path(question_file)
    if answers is None:
        path = answer_file(question_file)
        answers = read_answers(path) if path.is_file() else {}
    items = []
    for number, record in enumerate(iter_jsonl(question_file, versioned=False), start=1):
        try:
            turns, functions, item_id = record["question"], record["function"], str(record["id"])
        except KeyError as exc:
            raise InputError(f"missing field {exc}", path=str(question_file), record=number) from exc
        if reason := unsupported(item_id):
            raise InputError(f"{item_id}: {reason}", path=str(question_file), record=number)
        item = BfclItem(item_id, list(turns[0]) if turns else [], list(functions), answers.get(item_id))
        if item.ground_truth is None and item.category not in (IRRELEVANCE, RELEVANCE):
            raise InputError(f"no ground truth for {item_id}", path=str(question_file), record=number)
        items.append(item)
    return items


def unsupported(item_id: str) -> str | None:
    """Why an item of a BFCL category this checker does not cover is refused (None: covered).

    >>> unsupported("simple_java_3")
    'Java/JavaScript categories are not supported (BFCL converts their values with its own type converters)'
    >>> unsupported("multi_turn_base_0")[:30], unsupported("live_simple_0-0-0") is None
    ('multi-turn and agentic categor', True)
    """
    name = re.sub(r"_\d+(-[\w-]+)?$", "", item_id)
    if re.search(r"_java(script)?$", name):
        return "Java/JavaScript categories are not supported (BFCL converts their values with its own type converters)"
    if name.startswith(("multi_turn", "memory", "web_search", "format_sensitivity")):
        return "multi-turn and agentic categories are not supported (only single-turn AST and relevance ones)"
    return None


def json_schema(schema: Any) -> Any:
    """BFCL parameter schema → JSON Schema types (``dict`` → object, ``float`` → number, ...).

    >>> json_schema({"type": "dict", "properties": {"x": {"type": "tuple", "items": {"type": "float"}}}})
    {'type': 'object', 'properties': {'x': {'type': 'array', 'items': {'type': 'number'}}}}
    """
    if isinstance(schema, dict):
        out = {k: json_schema(v) for k, v in schema.items() if k != "optional"}
        if isinstance(schema.get("type"), str):
            out["type"] = _JSON_TYPES.get(schema["type"], schema["type"])
        return out
    if isinstance(schema, list):
        return [json_schema(v) for v in schema]
    return schema


def tool_name(name: str) -> str:
    """The OpenAI-safe function name of a BFCL function.

    >>> tool_name("math.factorial")
    'math_factorial'
    """
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64]


def tools_for(functions: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """OpenAI tool schemas and the map from tool name back to BFCL name."""
    tools, names = [], {}
    for fn in functions:
        name = tool_name(fn["name"])
        names[name] = fn["name"]
        params = json_schema(fn.get("parameters") or {"type": "dict", "properties": {}})
        tools.append({"type": "function", "function": {
            "name": name, "description": fn.get("description", ""), "parameters": params}})
    return tools, names


def predict(model: ChatModel, item: BfclItem, **options: Any) -> Prediction:
    """Ask ``model`` one BFCL question; its tool calls become BFCL-named calls."""
    from toolbench.errors import ToolbenchError

    tools, names = tools_for(item.functions)
    messages = [Message(role=m.get("role", "user"), content=m.get("content")) for m in item.messages]
    try:
        reply = model.generate(messages, tools=tools, **options)
    except ToolbenchError as exc:
        logger.warning("BFCL %s: model failed: %s", item.id, exc)
        return Prediction(item.id, error=str(exc))
    calls = [{names.get(c.name, c.name): dict(c.arguments or {})} for c in reply.tool_calls]
    return Prediction(item.id, calls, reply.content or "", reply.usage, reply.parse_error or "")


def score(item: BfclItem, output: Output, matching: str = "bfcl") -> dict[str, Any]:
    """One result row: id, category, valid, error type and messages."""
    result = check_item(item.functions, output, item.ground_truth, item.category, matching)
    return {"id": item.id, "category": item.category, "valid": result.valid, "error_type": result.error_type,
            "errors": result.errors}


def read_predictions(path: str | Path) -> dict[str, Output]:
    """Predictions JSONL: ``{"id", "result": [{name: args}]}`` or ``{"id", "calls": ...}`` or
    ``{"id", "tool_calls": [{"name", "arguments"}]}``; as in BFCL's result files, ``result`` may
    be the model's raw text (``"[f(a=1)]"``) and ``args`` a JSON string."""
    out = {}
    for number, record in enumerate(iter_jsonl(path, versioned=False), start=1):
        if "id" not in record:
            raise InputError("missing field id", path=str(path), record=number)
        out[str(record["id"])] = _calls_of(record, path, number)
    return out


def _calls_of(record: dict[str, Any], path: str | Path, number: int) -> Output:
    if "tool_calls" in record:
        return [{c["name"]: c.get("arguments") or {}} for c in record["tool_calls"] or []]
    calls = record.get("result", record.get("calls", []))
    if isinstance(calls, str):
        return calls
    if isinstance(calls, dict):
        calls = [{k: v} for k, v in calls.items()]
    if not isinstance(calls, list) or not all(isinstance(c, dict) and len(c) == 1 for c in calls):
        raise InputError("calls must be text or a list of {function_name: arguments}", path=str(path), record=number)
    return calls
