"""ToolLLM-style instruction generation: sample APIs, prompt an LLM, validate, write queries.

1. **Sample** APIs from a catalog (:func:`sample_apis`), as ToolLLM does:
   ``single`` — one tool (G1), ``category`` — 2–5 tools of one category (G2),
   ``cross`` — 2–5 tools from different categories (G3); at most ``apis_per_tool`` APIs
   of each tool.
2. **Prompt** any :class:`~toolbench.models.base.ChatModel` with the sampled API docs
   and a few seed examples (``data/prompts/instructions.j2``) for ``per_prompt``
   instructions as a JSON list of ``{"query", "related_apis": [[tool, api], ...]}``.
3. **Validate** each instruction (:func:`validate_instruction`): its related APIs must be
   among the sampled APIs (no hallucinated APIs), listed once, at least ``min_relevant``
   of them (2 for multi-tool groups); the query text must be new (normalised).
4. **Write** :class:`~toolbench.types.Query` records (``api_ids`` = sampled APIs,
   ``relevant_api_ids`` = validated APIs) as our JSONL and as ToolBench query JSON
   (``query``, ``query_id``, ``api_list``, ``relevant APIs``), which the retriever trainer
   reads as (query, relevant APIs) pairs.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.config import Config, require
from toolbench.errors import ConfigError
from toolbench.shards import Shard
from toolbench.types import Message, Query

logger = logging.getLogger(__name__)

MODES = {"single": "G1", "category": "G2", "cross": "G3"}


@dataclass(frozen=True)
class InstructionConfig(Config):
    """How instructions are generated (see the module docstring)."""

    mode: str = "single"
    prompts: int = 10
    per_prompt: int = 5
    min_tools: int = 2
    max_tools: int = 5
    apis_per_tool: int = 3
    seeds: int = 3
    seed: int = 0
    max_query_chars: int = 1000
    every_tool: bool = False  # single mode: visit the tools in order (prompt i → tool i mod n)

    def validate(self) -> None:
        require(self.mode in MODES, f"mode must be one of {', '.join(MODES)}")
        require(not self.every_tool or self.mode == "single", "every_tool needs mode 'single'")
        require(self.prompts >= 1 and self.per_prompt >= 1, "prompts and per_prompt must be >= 1")
        require(2 <= self.min_tools <= self.max_tools, "need 2 <= min_tools <= max_tools")
        require(self.apis_per_tool >= 1 and self.seeds >= 0, "apis_per_tool >= 1 and seeds >= 0")

    @property
    def min_relevant(self) -> int:
        return 1 if self.mode == "single" else 2


def _tools_by_category(catalog: Catalog) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for category, tool in catalog.tools():
        out.setdefault(category, []).append((category, tool))
    return out


def sample_apis(catalog: Catalog, config: InstructionConfig, rng: random.Random, number: int = 0) -> list[str]:
    """API ids for prompt ``number``, sampled as ``config.mode`` says (seeded by ``rng``).

    With ``config.every_tool`` prompt ``number`` takes the tool at that place in sorted
    order (cycling), so ``prompts`` = number of tools covers every tool once — what
    retriever pseudo-queries need.
    """
    tools = catalog.tools()
    if not tools:
        raise ConfigError("the catalog has no APIs to sample from")
    keys = sorted(tools)
    if config.every_tool:
        chosen = [keys[number % len(keys)]]
    elif config.mode == "single":
        chosen = [rng.choice(keys)]
    elif config.mode == "category":
        groups = [g for g in _tools_by_category(catalog).values() if len(g) >= 2]
        if not groups:
            raise ConfigError("mode 'category' needs a category with at least 2 tools")
        group = sorted(rng.choice(sorted(groups)))
        chosen = rng.sample(group, min(len(group), rng.randint(config.min_tools, config.max_tools)))
    else:
        by_category = _tools_by_category(catalog)
        if len(by_category) < 2:
            raise ConfigError("mode 'cross' needs tools in at least 2 categories")
        count = min(len(by_category), rng.randint(config.min_tools, config.max_tools))
        chosen = [rng.choice(sorted(by_category[c])) for c in rng.sample(sorted(by_category), count)]
    api_ids: list[str] = []
    for key in chosen:
        apis = sorted(a.id for a in tools[key])
        api_ids += rng.sample(apis, min(len(apis), config.apis_per_tool))
    return api_ids


def api_doc_line(catalog: Catalog, api_id: str) -> str:
    """One API as a compact JSON line for the prompt (tool, api, description, parameters)."""
    api = catalog.get(api_id)
    props = api.parameters.get("properties", {})
    params = {name: str(schema.get("type", "string")) for name, schema in props.items()}
    doc = {"tool_name": api.tool, "api_name": api.name, "tool_description": api.tool_description[:200],
           "api_description": api.description[:300], "required_parameters": api.required, "parameters": params}
    return json.dumps(doc, ensure_ascii=False)


@lru_cache(maxsize=4)
def _template(name: str) -> Any:
    from importlib.resources import files

    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(files("data").joinpath("prompts", name).read_text(encoding="utf-8"))


def default_seeds() -> list[dict[str, Any]]:
    """The packaged seed examples (``data/prompts/instruction_seeds.json``)."""
    from importlib.resources import files

    return json.loads(files("data").joinpath("prompts", "instruction_seeds.json").read_text(encoding="utf-8"))


def build_prompt(catalog: Catalog, api_ids: list[str], config: InstructionConfig, seeds: list[dict[str, Any]]) -> str:
    """The generation prompt for the sampled ``api_ids``."""
    tool_count = len({catalog.get(a).tool for a in api_ids})
    return _template("instructions.j2").render(
        apis=[api_doc_line(catalog, a) for a in api_ids], tool_count=tool_count, n=config.per_prompt,
        min_relevant=config.min_relevant, seeds=[json.dumps(s, ensure_ascii=False) for s in seeds],
    ).strip()


def parse_instructions(text: str) -> list[Any]:
    """The JSON list in a model reply (code fences and surrounding prose allowed).

    >>> parse_instructions('Sure:\\n```json\\n[{"query": "q", "related_apis": [["t", "a"]]}]\\n```')
    [{'query': 'q', 'related_apis': [['t', 'a']]}]
    >>> parse_instructions("no list here")
    []
    """
    start = text.find("[")
    while start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("[", start + 1)
            continue
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            return value
        start = text.find("[", start + 1)
    return []


def normalise_query(text: str) -> str:
    """Query text for duplicate detection.

    >>> normalise_query("  What's the  WEATHER? ")
    'what s the weather'
    """
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _key(text: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).casefold())


def resolve_api(catalog: Catalog, sampled: list[str], ref: Any) -> str | None:
    """The sampled API id a ``[tool, api]`` pair (or a function name) refers to, else ``None``.

    Names match exactly or after case-folding and dropping punctuation; an API outside
    the sampled set is never accepted (that is a hallucinated API).
    """
    if isinstance(ref, str):
        api = catalog.by_function_name(ref)
        return api.id if api is not None and api.id in sampled else None
    if not isinstance(ref, list | tuple) or len(ref) != 2:
        return None
    tool, name = _key(ref[0]), _key(ref[1])
    for api_id in sampled:
        api = catalog.get(api_id)
        if _key(api.tool) == tool and (_key(api.name) == name or _key(catalog.function_name(api_id)) == name):
            return api_id
    return None


def validate_instruction(
    item: Any, catalog: Catalog, sampled: list[str], config: InstructionConfig, seen: set[str]
) -> tuple[str, list[str]]:
    """``(problem, relevant api ids)``; ``problem`` is '' for a valid instruction."""
    if not isinstance(item, dict):
        return "not a JSON object", []
    query = item.get("query")
    if not isinstance(query, str) or not query.strip():
        return "empty query", []
    if len(query) > config.max_query_chars:
        return "query too long", []
    refs = item.get("related_apis", item.get("relevant APIs"))
    if not isinstance(refs, list) or not refs:
        return "no related APIs", []
    relevant: list[str] = []
    for ref in refs:
        api_id = resolve_api(catalog, sampled, ref)
        if api_id is None:
            return f"hallucinated API {ref!r}", []
        if api_id in relevant:
            return f"duplicate API {ref!r}", []
        relevant.append(api_id)
    if len(relevant) < config.min_relevant:
        return f"fewer than {config.min_relevant} related APIs", []
    if normalise_query(query) in seen:
        return "duplicate query", []
    return "", relevant


@dataclass
class GenerationResult:
    """Accepted queries and the count of each rejection reason."""

    queries: list[Query]
    rejected: dict[str, int]
    prompts: int = 0

    def summary(self) -> dict[str, Any]:
        return {"accepted": len(self.queries), "rejected": dict(sorted(self.rejected.items())), "prompts": self.prompts}


def _reason_key(problem: str) -> str:
    return problem.split(" [")[0].split(" '")[0].split(" (")[0]


def generate_instructions(
    model: Any, catalog: Catalog, config: InstructionConfig, *, seeds: list[dict[str, Any]] | None = None,
    id_prefix: str = "gen", progress: Callable[[int, int], None] | None = None, shard: Shard | None = None,
) -> GenerationResult:
    """Run ``config.prompts`` generation prompts through ``model`` and validate the replies.

    ``progress(done, total)`` is called after each prompt. With ``shard`` only the prompts
    whose number is that shard's are sent (:mod:`toolbench.shards`); every prompt's APIs are
    still drawn, so a prompt is the same whatever the sharding, and ids name the prompt
    (``gen-G1-p17-0``) so shards never clash. Duplicates are then rejected within a shard only.
    """
    rng = random.Random(config.seed)
    pool = default_seeds() if seeds is None else seeds
    result = GenerationResult([], {})
    seen: set[str] = set()
    group = MODES[config.mode]
    total = sum(1 for n in range(config.prompts) if shard is None or shard.has(str(n)))
    for number in range(config.prompts):
        sampled = sample_apis(catalog, config, rng, number)
        chosen_seeds = rng.sample(pool, min(len(pool), config.seeds))
        if shard is not None and not shard.has(str(number)):
            continue
        prompt = build_prompt(catalog, sampled, config, chosen_seeds)
        reply = model.generate([Message("user", prompt)])
        result.prompts += 1
        items = parse_instructions(reply.content or "")
        if not items:
            result.rejected["unparsable reply"] = result.rejected.get("unparsable reply", 0) + 1
        accepted = 0
        for item in items:
            problem, relevant = validate_instruction(item, catalog, sampled, config, seen)
            if problem:
                key = _reason_key(problem)
                result.rejected[key] = result.rejected.get(key, 0) + 1
                logger.debug("prompt %d: rejected (%s): %s", number, problem, item)
                continue
            seen.add(normalise_query(item["query"]))
            query_id = (f"{id_prefix}-{group}-p{number}-{accepted}" if shard is not None
                        else f"{id_prefix}-{group}-{len(result.queries)}")
            accepted += 1
            result.queries.append(Query(query_id, item["query"].strip(), api_ids=list(sampled),
                                        relevant_api_ids=relevant, group=group,
                                        extra={"source": "generated", "prompt": number}))
        if progress is not None:
            progress(result.prompts, total)
    return result


def toolbench_query(query: Query, catalog: Catalog) -> dict[str, Any]:
    """A query in ToolBench's query-file format."""
    from toolbench.catalog.exporters import toolbench_doc

    relevant = [[catalog.get(a).tool, catalog.get(a).name] for a in query.relevant_api_ids]
    return {"query": query.query, "query_id": query.query_id,
            "api_list": [toolbench_doc(catalog.get(a)) for a in query.api_ids], "relevant APIs": relevant}


def write_queries(out_dir: str | Path, queries: list[Query], catalog: Catalog, name: str = "queries") -> list[Path]:
    """Write ``{name}.jsonl`` (our form) and ``{name}_toolbench.json`` (ToolBench form)."""
    from toolbench.store import atomic_write_json, write_jsonl

    out = Path(out_dir)
    return [write_jsonl(out / f"{name}.jsonl", (q.to_dict() for q in queries)),
            atomic_write_json(out / f"{name}_toolbench.json", [toolbench_query(q, catalog) for q in queries])]
