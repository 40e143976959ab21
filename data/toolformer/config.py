"""Configuration of Toolformer annotation, with the paper's per-tool defaults.

Schick et al. (2023): τ_s = 0.05, τ_f = 1.0, k = 5, m = 5 for every tool except the
calculator (and machine translation), which use τ_s = 0, k = 20, m = 10, τ_f = 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data.toolformer.linearise import Markers
from toolbench.config import Config, require
from toolbench.errors import ConfigError


@dataclass(frozen=True)
class ToolConfig(Config):
    """One tool as Toolformer sees it.

    ``name`` is what the model writes (``Calculator``); ``function`` and ``argument`` say
    how to run it through a project executor (the input text becomes
    ``{argument: input}``; no argument for tools such as the calendar).
    """

    name: str
    function: str
    argument: str | None = None
    prompt: str = ""
    tau_s: float = 0.05
    tau_f: float = 1.0
    top_k: int = 5
    samples: int = 5
    result_field: str = "result"
    result_template: str = ""
    context_arguments: tuple[tuple[str, str], ...] = ()

    def validate(self) -> None:
        require(self.name.isidentifier(), f"tool name {self.name!r} must be an identifier")
        require(bool(self.function), f"tool {self.name}: function must be set")
        require(0.0 <= self.tau_s <= 1.0, f"tool {self.name}: tau_s must be in [0, 1]")
        require(self.top_k >= 1 and self.samples >= 1, f"tool {self.name}: top_k and samples must be >= 1")


PAPER_TOOLS: dict[str, ToolConfig] = {
    "calculator": ToolConfig(
        "Calculator", "calculator", "expression", "calculator.j2", tau_s=0.0, tau_f=0.5, top_k=20, samples=10
    ),
    # The paper's calendar returns the document's date; the built-in day_of_week gives the weekday of
    # the record's "date" field (or the run date when the record has none).
    "calendar": ToolConfig(
        "Calendar", "day_of_week", None, "calendar.j2", result_template="Today is {weekday}, {date}.",
        context_arguments=(("date", "date"),),
    ),
}


def paper_tool(key: str, **overrides: object) -> ToolConfig:
    """The paper's configuration of a built-in tool, optionally changed.

    >>> paper_tool("calculator").top_k, paper_tool("calendar", tau_f=0.5).tau_f
    (20, 0.5)
    """
    try:
        base = PAPER_TOOLS[key.lower()]
    except KeyError:
        raise ConfigError(f"unknown Toolformer tool {key!r} (known: {', '.join(sorted(PAPER_TOOLS))})") from None
    return base.replace(**overrides) if overrides else base


@dataclass(frozen=True)
class AnnotateConfig(Config):
    """Everything that shapes an annotation run (saved next to its output)."""

    tools: tuple[ToolConfig, ...] = field(default_factory=lambda: (PAPER_TOOLS["calculator"],))
    markers: Markers = field(default_factory=Markers)
    window: int = 5
    weight_step: float = 0.2
    max_call_tokens: int = 32
    temperature: float = 1.0
    max_text_tokens: int = 512
    batch_tokens: int = 8192
    seed: int = 0
    prompt_cache: bool = True

    def validate(self) -> None:
        require(len(self.tools) >= 1, "at least one tool is needed")
        require(len({t.name for t in self.tools}) == len(self.tools), "tool names must be unique")
        require(self.window >= 1 and self.weight_step > 0, "window must be >= 1 and weight_step > 0")
        require(self.max_call_tokens >= 2, "max_call_tokens must be >= 2")
        require(self.temperature > 0, "temperature must be > 0")
        require(self.max_text_tokens >= 2 and self.batch_tokens >= 64, "max_text_tokens/batch_tokens too small")

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["tools"] = [t.to_dict() for t in self.tools]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> AnnotateConfig:
        data = dict(data)
        data["tools"] = tuple(ToolConfig.from_dict(_tool_fields(t)) for t in data.get("tools", ()))
        if isinstance(data.get("markers"), dict):
            data["markers"] = Markers.from_dict(data["markers"])
        return super().from_dict.__func__(cls, data)  # type: ignore[attr-defined]

    def tool(self, name: str) -> ToolConfig | None:
        return next((t for t in self.tools if t.name == name), None)


@dataclass(frozen=True)
class DecodeConfig(Config):
    """Decoding with tools: a call starts when the opener is among the ``top_k`` next tokens."""

    top_k: int = 10
    max_new_tokens: int = 64
    max_calls: int = 1
    max_call_tokens: int = 32

    def validate(self) -> None:
        require(self.top_k >= 1 and self.max_new_tokens >= 1, "top_k and max_new_tokens must be >= 1")
        require(self.max_calls >= 0, "max_calls must be >= 0")


def _tool_fields(data: dict) -> dict:
    data = dict(data)
    data["context_arguments"] = tuple(tuple(pair) for pair in data.get("context_arguments", ()))
    return data
