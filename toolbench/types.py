"""Core types that cross every module boundary, with JSON wire forms.

Every type has ``to_dict()`` and ``from_dict()``; records written to JSONL carry
``schema_version`` (see :mod:`toolbench.store`). Nested values are plain JSON.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any

SCHEMA_VERSION = 1


def empty_parameters() -> dict[str, Any]:
    """A JSON Schema for a function without arguments.

    >>> empty_parameters()
    {'type': 'object', 'properties': {}, 'required': []}
    """
    return {"type": "object", "properties": {}, "required": []}


def _plain(value: Any) -> Any:
    """Recursively turn dataclasses and enums into JSON-ready values."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Wire:
    """Mixin: ``to_dict`` from the dataclass fields; ``from_dict`` ignores unknown keys."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def _known(cls, data: dict[str, Any]) -> dict[str, Any]:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return {k: v for k, v in data.items() if k in names}


API_ID_SEP = "::"


def make_api_id(category: str, tool: str, api: str) -> str:
    """The stable id of an API: category, tool and API name joined by ``::``.

    >>> make_api_id("Data", "Simple YouTube Search", "Search")
    'Data::Simple YouTube Search::Search'
    """
    return API_ID_SEP.join((category, tool, api))


@dataclass
class ApiSpec(Wire):
    """One callable API.

    ``parameters`` is standard JSON Schema (``type: object``, ``properties``,
    ``required``); optional parameters are the properties not in ``required``.
    ``parameter_aliases`` maps a function-argument name to the API's original parameter
    name where normalisation changed it (``is_id`` → ``id``), so HTTP calls use the
    original. ``native_name`` is the function name a source format fixed (OpenAI tools,
    MCP, BFCL); ToolBench-style sources leave it empty and get ``{api}_for_{tool}``.
    """

    category: str
    tool: str
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=empty_parameters)
    tool_description: str = ""
    method: str | None = None
    url: str | None = None
    template_response: Any = None
    native_name: str | None = None
    parameter_aliases: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def id(self) -> str:
        return make_api_id(self.category, self.tool, self.name)

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    @property
    def optional(self) -> list[str]:
        req = set(self.required)
        return [p for p in self.parameters.get("properties", {}) if p not in req]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiSpec:
        return cls(**cls._known(data))


@dataclass
class ToolCall(Wire):
    """A function call requested by the model; ``arguments`` is already parsed JSON."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        return cls(**cls._known(data))


class ObservationStatus(enum.IntEnum):
    """ToolBench's observation status codes (``rapidapi.py``), kept numerically equal."""

    OK = 0
    NO_SUCH_FUNCTION = 1
    INVALID_INPUT = 2
    FINISH = 3
    GIVE_UP = 4
    TIMEOUT = 5
    NOT_FOUND = 6
    NOT_SUBSCRIBED = 7
    UNAUTHORIZED = 8
    TOO_MANY_REQUESTS = 9
    RATE_LIMIT = 10
    ERROR_FIELD = 11
    REQUEST_FAILED = 12


class Provenance(enum.StrEnum):
    """Where an observation's content came from."""

    REAL = "real"
    CACHE = "cache"
    SIMULATED = "simulated"
    NONE = "none"  # no tool ran: parse errors, unknown tools, invalid arguments


@dataclass
class Observation(Wire):
    """The result of one tool call as the model sees it (``content``) plus metadata."""

    call_id: str
    content: str
    error: str = ""
    status: ObservationStatus = ObservationStatus.OK
    provenance: Provenance = Provenance.NONE
    name: str = ""
    response: Any = None  # the untruncated response value, when there is one
    coercions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == ObservationStatus.OK and not self.error

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        data = cls._known(data)
        data["status"] = ObservationStatus(data.get("status", 0))
        data["provenance"] = Provenance(data.get("provenance", "none"))
        return cls(**data)


@dataclass
class Message(Wire):
    """A chat message in OpenAI shape."""

    role: str  # system | user | assistant | tool
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    def to_openai(self) -> dict[str, Any]:
        """The message as the OpenAI chat-completions API expects it."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            from toolbench.jsonutil import dumps_compact

            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": dumps_compact(c.arguments)},
                }
                for c in self.tool_calls
            ]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None and self.role == "tool":
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        data = cls._known(data)
        data["tool_calls"] = [ToolCall.from_dict(c) for c in data.get("tool_calls") or []]
        return cls(**data)


@dataclass
class Usage(Wire):
    """Token and call counts; ``+`` adds them up."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    api_calls: int = 0
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        return cls(**cls._known(data))


@dataclass
class AssistantMessage(Wire):
    """What ``ChatModel.generate`` returns."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    raw: str | None = None  # raw text for text-parsing backends
    parse_error: str | None = None  # set when tool-call text could not be parsed

    def to_message(self) -> Message:
        return Message(role="assistant", content=self.content, tool_calls=list(self.tool_calls))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssistantMessage:
        data = cls._known(data)
        data["tool_calls"] = [ToolCall.from_dict(c) for c in data.get("tool_calls") or []]
        data["usage"] = Usage.from_dict(data.get("usage") or {})
        return cls(**data)


@dataclass
class Query(Wire):
    """An instruction to solve.

    ``api_ids`` are the APIs offered (empty: open domain, retrieve them);
    ``relevant_api_ids`` the gold APIs; ``expected_answer`` is set where a known answer
    exists (built-in world); ``group`` is G1_instruction, G2_category, ...
    """

    query_id: str
    query: str
    api_ids: list[str] = field(default_factory=list)
    relevant_api_ids: list[str] = field(default_factory=list)
    expected_answer: Any = None
    group: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Query:
        data = cls._known(data)
        data["query_id"] = str(data["query_id"])
        return cls(**data)


def query_sort_key(query_id: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order, then the rest alphabetically.

    >>> sorted(["608", "1073", "b", "588"], key=query_sort_key)
    ['588', '608', '1073', 'b']
    """
    text = str(query_id)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


class FinishReason(enum.StrEnum):
    """Why a search ended."""

    GIVE_ANSWER = "give_answer"
    GIVE_UP = "give_up"
    BUDGET = "budget_exhausted"
    NO_FINISH = "no_finish"
    ERROR = "error"


@dataclass
class Step(Wire):
    """One action on a solution path: the model's thought, its call, what it observed."""

    thought: str = ""
    action: ToolCall | None = None
    observation: Observation | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        action = data.get("action")
        obs = data.get("observation")
        return cls(
            thought=data.get("thought", ""),
            action=ToolCall.from_dict(action) if action else None,
            observation=Observation.from_dict(obs) if obs else None,
        )


@dataclass
class TreeNode(Wire):
    """A node of a search tree: one assistant message (and its observations).

    ``expand_order`` is the position of this node in the order the search created
    nodes; ``pruned`` marks abandoned branches (give-up, dead ends).
    """

    id: int
    parent: int | None
    depth: int
    message: Message | None = None
    observations: list[Observation] = field(default_factory=list)
    expand_order: int = 0
    pruned: bool = False
    finished: bool = False
    note: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TreeNode:
        data = cls._known(data)
        if data.get("message"):
            data["message"] = Message.from_dict(data["message"])
        data["observations"] = [Observation.from_dict(o) for o in data.get("observations") or []]
        return cls(**data)


@dataclass
class SearchTree(Wire):
    """All nodes the search created; node 0 is the root (system + user messages)."""

    nodes: list[TreeNode] = field(default_factory=list)

    def children(self, node_id: int) -> list[TreeNode]:
        return [n for n in self.nodes if n.parent == node_id]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchTree:
        return cls(nodes=[TreeNode.from_dict(n) for n in data.get("nodes") or []])


_TRAJECTORY_SHAPES: dict[str, type] = {"query": str, "method": str, "final_answer": str, "model": str, "error": str,
                                        "config": dict, "api_ids": list, "tools": list, "messages": list,
                                        "steps": list}


@dataclass
class Trajectory(Wire):
    """The result of solving one query: the chosen path, the tree, the cost.

    ``messages`` is the exact conversation of the chosen path (system, user, assistant
    turns with tool calls, tool results) and ``tools`` the OpenAI tool schemas offered;
    together they are what SFT data is made of. ``steps`` summarise the same path.
    """

    query_id: str
    query: str
    method: str
    api_ids: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    finish_reason: FinishReason = FinishReason.NO_FINISH
    final_answer: str = ""
    usage: Usage = field(default_factory=Usage)
    config: dict[str, Any] = field(default_factory=dict)
    tree: SearchTree | None = None
    model: str = ""
    error: str = ""

    @property
    def gave_answer(self) -> bool:
        return self.finish_reason == FinishReason.GIVE_ANSWER and bool(self.final_answer.strip())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trajectory:
        data = cls._known(data)
        for key, kind in _TRAJECTORY_SHAPES.items():  # a file of another shape fails here, not in a judge
            if key in data and not isinstance(data[key], kind) and not (kind is not str and data[key] is None):
                raise TypeError(f"{key} must be a {kind.__name__}, not {type(data[key]).__name__}")
        data["query_id"] = str(data["query_id"])
        data["messages"] = [Message.from_dict(m) for m in data.get("messages") or []]
        data["steps"] = [Step.from_dict(s) for s in data.get("steps") or []]
        data["finish_reason"] = FinishReason(data.get("finish_reason", "no_finish"))
        data["usage"] = Usage.from_dict(data.get("usage") or {})
        if data.get("tree"):
            data["tree"] = SearchTree.from_dict(data["tree"])
        return cls(**data)


class VerdictLabel(enum.StrEnum):
    """Every label a judge gives; the values are the wire strings (ToolEval's for pass).

    Members compare, hash, serialise and print as their strings:

    >>> VerdictLabel.SOLVED == "Solved", [VerdictLabel.TIE], f"{VerdictLabel.UNSURE}"
    (True, ['tie'], 'Unsure')
    """

    SOLVED = "Solved"
    UNSOLVED = "Unsolved"
    UNSURE = "Unsure"
    UNJUDGED = "Unjudged"  # no judge model was given and no rule decided
    ERROR = "Error"  # the judge never gave a usable reply
    WIN = "win"
    TIE = "tie"
    LOSS = "loss"
    CORRECT = "correct"
    INCORRECT = "incorrect"

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass
class Verdict(Wire):
    """One judgement of one query by one judge.

    ``label`` (a :class:`VerdictLabel`) depends on the judge: ``Solved``/``Unsolved``/``Unsure``
    (pass), ``win``/``tie``/``loss`` (win), ``correct``/``incorrect`` (exact, ast).
    ``judging`` numbers repeated judgings of the same item (0-based).
    """

    query_id: str
    label: str
    reason: str = ""
    judge: str = ""
    raw: Any = None
    judging: int = 0
    by_rule: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        data = cls._known(data)
        data["query_id"] = str(data["query_id"])
        return cls(**data)


@dataclass
class Report(Wire):
    """Aggregated results of one evaluation: named metrics plus per-query rows."""

    name: str
    metrics: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(**cls._known(data))
