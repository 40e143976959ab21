"""Prompt variants (package data under ``planner/prompts``) and the tools a query offers.

Two variants:

- ``toolbench``: ToolBench/ToolLLaMA wording, character for character (system prompt of
  ``FORMAT_INSTRUCTIONS_SYSTEM_FUNCTION`` with the RapidAPI task description, the
  ``\\n{query}\\nBegin!\\n`` user turn, ``DIVERSITY_PROMPT``), ToolBench function
  descriptions ("This is the subfunction for tool ...") and ToolBench's Finish wording.
  Models fine-tuned on ToolBench expect exactly this.
- ``stabletoolbench``: the same, with the newer ``Finish`` wording of ToolBench's and
  StableToolBench's current ``rapidapi.py`` (the released training data has the older one).
- ``default``: shorter, clearer wording for general chat models; catalog descriptions.
- ``compact``: the shortest opening for small local models (one paragraph of rules, the
  query alone as the user turn, no tool-level list); the embedded tuned model is trained on it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from planner.finish import finish_tool
from toolbench.catalog import Catalog
from toolbench.catalog.names import standardize
from toolbench.errors import ConfigError
from toolbench.types import Message

VARIANTS = ("toolbench", "stabletoolbench", "default", "compact")
_TEMPLATES = {"toolbench": "toolbench", "stabletoolbench": "toolbench", "default": "default", "compact": "compact"}
TOOL_DESCRIPTION_LIMIT = 512  # ToolBench cuts tool descriptions in the system prompt
FUNCTION_DESCRIPTION_LIMIT = 256  # ... and API descriptions in function schemas


@functools.cache
def _template(name: str) -> Any:
    from importlib.resources import files

    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    text = files("planner").joinpath("prompts", f"{name}.j2").read_text(encoding="utf-8")
    return env.from_string(text)


def render(variant: str, part: str, **values: Any) -> str:
    """Render ``{variant}_{part}.j2`` (parts: system, user, diversity).

    >>> render("toolbench", "user", query="Find cats")
    '\\nFind cats\\nBegin!\\n'
    """
    if variant not in VARIANTS:
        raise ConfigError(f"unknown prompt variant {variant!r} (known: {', '.join(VARIANTS)})")
    return _template(f"{_TEMPLATES[variant]}_{part}").render(**values)


@dataclass(frozen=True)
class Task:
    """What the model sees for one query: the opening messages and the tool schemas."""

    messages: tuple[Message, ...]
    tools: tuple[dict[str, Any], ...]
    variant: str

    def diversity_message(self, previous: list[dict[str, Any]], observation: str = "") -> Message:
        """The diversity prompt listing earlier children of a state (ToolBench format)."""
        text = f"{json.dumps(previous, indent=2)}\n"
        if observation:
            text += f"again, your former observation: {observation}\n"
        return Message("user", render(self.variant, "diversity", previous_candidate=text))


def tool_lines(catalog: Catalog, api_ids: list[str]) -> list[dict[str, str]]:
    """One ``{name, description}`` per distinct tool, in first-appearance order.

    >>> from toolbench.types import ApiSpec
    >>> cat = Catalog([ApiSpec("C", "Simple YT", "Search", tool_description="Videos\\n ")])
    >>> tool_lines(cat, cat.ids)
    [{'name': 'simple_yt', 'description': 'Videos'}]
    """
    seen: dict[str, str] = {}
    for api_id in api_ids:
        api = catalog.get(api_id)
        name = standardize(api.tool) or api.tool
        if name not in seen:
            text = api.tool_description[:TOOL_DESCRIPTION_LIMIT].replace("\n", "").strip()
            seen[name] = text or "None"
    return [{"name": k, "description": v} for k, v in seen.items()]


def toolbench_function(catalog: Catalog, api_id: str) -> dict[str, Any]:
    """A function schema worded as ToolBench's ``api_json_to_openai_json`` words it."""
    api = catalog.get(api_id)
    name = catalog.function_name(api_id)
    tool = standardize(api.tool) or api.tool
    description = f'This is the subfunction for tool "{tool}", you can use this tool.'
    if api.description.strip():
        text = api.description.strip().replace(api.name, name)[:FUNCTION_DESCRIPTION_LIMIT]
        description += f'The description of this function is: "{text}"'
    properties = {k: toolbench_property(v) for k, v in api.parameters.get("properties", {}).items()}
    optional = api.optional
    if not api.required:  # ToolBench lists optional parameters only when some are required
        properties, optional = {}, []
    parameters = {"type": "object", "properties": properties, "required": api.required, "optional": optional}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


def toolbench_property(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter schema in ToolBench's words: type (NUMBER → integer), description, example_value.

    >>> toolbench_property({"type": "number", "examples": [3]})
    {'type': 'integer', 'description': '', 'example_value': 3}
    >>> toolbench_property({"type": "string", "description": "Name"})
    {'type': 'string', 'description': 'Name'}
    """
    kind = schema.get("type", "string")
    kind = {"number": "integer", "integer": "integer", "boolean": "boolean"}.get(kind, "string")
    out: dict[str, Any] = {"type": kind, "description": str(schema.get("description", ""))[:FUNCTION_DESCRIPTION_LIMIT]}
    examples = schema.get("examples") or ([schema["default"]] if "default" in schema else [])
    if examples and str(examples[0]) != "":
        out["example_value"] = examples[0]
    return out


def build_task(catalog: Catalog, api_ids: list[str], query: str, variant: str = "toolbench") -> Task:
    """The opening messages and tool schemas (``Finish`` last) for ``query``."""
    render(variant, "user", query="")  # validates the variant
    if variant not in ("default", "compact"):
        tools = [toolbench_function(catalog, i) for i in api_ids]
    else:
        tools = [catalog.openai_tool(i) for i in api_ids]
    tools.append(finish_tool(variant))
    system = render(variant, "system", tools=tool_lines(catalog, api_ids))
    user = render(variant, "user", query=query)
    return Task((Message("system", system), Message("user", user)), tuple(tools), variant)
