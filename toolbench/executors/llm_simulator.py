"""An LLM API simulator (StableToolBench style) through any OpenAI-compatible endpoint.

The model sees the API's documentation, up to three cached example calls of the same API
and the new input, and must answer with one JSON object. The base URL comes from the
options or ``TOOLBENCH_SIM_BASE_URL`` / ``OPENAI_BASE_URL``; the key only from the
environment variable named by ``api_key_env`` (never from a file or flag). Calls go through
the ``openai`` chat backend, so the base URL may name several replicas (a list or a
comma-separated string; see :mod:`toolbench.models.endpoints`) and failures are retried and
failed over as for the planner.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from importlib import resources
from typing import Any

from toolbench.errors import ConfigError
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You imitate a web API. Given its documentation, example calls and a new input, answer with the "
    "JSON response the API would return for the new input, and nothing else. Follow the response "
    "template's structure when one is given. Keep it realistic and short (under 1500 characters). If "
    "the input is invalid for this API, answer with a JSON object that has an \"error\" field."
)
PROMPT_RESOURCE = "simulator_prompt.j2"
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def build_prompt(api: ApiSpec, arguments: dict[str, Any], examples: list[tuple[dict[str, Any], Any]]) -> str:
    """The user message for one simulated call (``simulator_prompt.j2``; snapshot-tested)."""
    doc = {
        "tool": api.tool, "tool_description": api.tool_description, "api": api.name,
        "description": api.description, "method": api.method, "parameters": api.parameters,
        "response_template": api.template_response,
    }
    return _template().render(doc=doc, examples=[list(e) for e in examples], arguments=arguments).strip()


@functools.lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False, default=str)
    text = resources.files("toolbench.executors").joinpath(PROMPT_RESOURCE).read_text(encoding="utf-8")
    return env.from_string(text)


def parse_json_reply(text: str) -> Any:
    """The JSON value in a model reply (fenced or bare); ``ValueError`` when there is none.

    >>> parse_json_reply('Sure! ```json\\n{"a": 1}\\n```')
    {'a': 1}
    >>> parse_json_reply('noise {"b": [1, 2]} trailing')
    {'b': [1, 2]}
    """
    text = text.strip()
    fenced = _FENCE.search(text)
    candidates = [fenced.group(1).strip()] if fenced else []
    candidates.append(text)
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    raise ValueError("the simulator model did not answer with JSON")


class LLMSimulator:
    """Calls an OpenAI-compatible chat endpoint (or several replicas) to invent a response."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | list[str] | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 2,
        temperature: float = 0.0,
    ) -> None:
        if not model:
            raise ConfigError("the LLM simulator needs a model name (llm_model)")
        from toolbench.models.openai_backend import OpenAIChatModel

        self.model = model
        self.base_url = base_url or os.environ.get("TOOLBENCH_SIM_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        self.chat = OpenAIChatModel(model, base_url=self.base_url, api_key=os.environ.get(api_key_env) or "not-needed",
                                    timeout=timeout, max_retries=max_retries, temperature=temperature)

    def respond(self, api: ApiSpec, arguments: dict[str, Any], examples: list[tuple[dict[str, Any], Any]]) -> Any:
        """A JSON response from the model; raises on server failures or non-JSON replies."""
        from toolbench.types import Message

        reply = self.chat.generate([Message("system", SYSTEM_PROMPT), Message("user", build_prompt(api, arguments,
                                                                                                   examples))])
        return parse_json_reply(reply.content or "")

    def stats(self) -> dict[str, Any]:
        """The chat backend's counters (HTTP requests, failures, per-server counts)."""
        return self.chat.stats()

    def close(self) -> None:
        self.chat.close()
