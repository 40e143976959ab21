"""Schema-constrained tool calls: a grammar engine masks every token the model writes.

The offered functions become one JSON schema — ``{"name": <one of the names>,
"arguments": <that function's parameter schema>}`` — compiled by llguidance into a token
mask (nested objects, arrays, enums, ``anyOf``, integers vs numbers, string escapes, all
of it). The model writes every token itself, forced ones included, so the text keeps the
token boundaries the model prefers (what a tuned model was trained on); the grammar only
forbids tokens that would leave the schema. (llguidance's fast-forward tokens are an
option, ``fast_forward``: they save forward passes but choose the tokenization of forced
bytes themselves, e.g. ``"`` where the model writes ``",``.) Optionally a one-line thought
(``Plan: ...``) may come first.

The policies of the old hand-written decoder are schema rewrites
(:func:`call_schema`): ``tool_choice`` naming a function keeps only that function;
``optional_args`` ``all`` makes every parameter required, ``none`` drops the optional
ones, ``choose`` leaves the choice to the model; properties come in sorted key order,
the canonical JSON of run files and SFT data (so what a tuned model learnt); a string
without a length bound gets ``max_string`` characters at most and an array without one
``max_items`` items at most, at every depth (a base model, unlike a tuned one, rarely
closes its strings, and may count on through a list until the token budget cuts the
call: SmolLM2-135M did on BFCL ``parallel_multiple_0``, ``benchmarks/constrained_calls.py``).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from toolbench.errors import ConfigError, MissingDependencyError

SEPARATORS = {"item_separator": ", ", "key_separator": ": ", "whitespace_flexible": False}
THOUGHT_LINE = r"/[^\n{][^\n]{0,200}\n/"  # a thought line: not JSON, at most ~200 characters


def arguments_schema(parameters: dict[str, Any], optional: str = "choose", max_string: int = 200,
                     max_items: int = 16) -> dict[str, Any]:
    """A function's parameter schema as the call grammar uses it (see the module docstring).

    >>> p = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "string"}}, "required": ["y"]}
    >>> list(arguments_schema(p)["properties"]), arguments_schema(p)["required"], arguments_schema(p, "all")["required"]
    (['x', 'y'], ['y'], ['x', 'y'])
    >>> list(arguments_schema(p, "none")["properties"])
    ['y']
    """
    if optional not in ("all", "choose", "none"):
        raise ConfigError("optional_args must be all, choose or none")
    props = (parameters or {}).get("properties") or {}
    required = set((parameters or {}).get("required") or [])
    # keys in sorted order: the canonical JSON of run files and SFT data (what a tuned model learnt)
    items = [(name, props[name] if isinstance(props[name], dict) else {}, name in required) for name in sorted(props)
             if name in required or optional != "none"]
    schema = {k: v for k, v in (parameters or {}).items() if k not in ("properties", "required", "optional")}
    for key in ("$defs", "definitions"):  # what $ref points to is bounded too
        if isinstance(schema.get(key), dict):
            schema[key] = _property({key: schema[key]}, max_string, max_items)[key]
    schema.update({"type": "object", "additionalProperties": False,
                   "properties": {name: _property(prop, max_string, max_items) for name, prop, _ in items},
                   "required": [name for name, _, required in items if required or optional == "all"]})
    return schema


_SUBSCHEMA = ("items", "additionalProperties")  # bounding these only narrows what is accepted
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")


def _property(schema: dict[str, Any], max_string: int = 200, max_items: int = 16) -> dict[str, Any]:
    """A property schema the grammar can compile (ToolBench-only keys dropped, strings and
    arrays bounded), nested schemas included.

    >>> _property({"type": "integer", "example_value": 3, "description": "n"})
    {'type': 'integer', 'description': 'n'}
    >>> _property({"type": "float"}), _property({"type": "string"}, 50)
    ({'type': 'number'}, {'type': 'string', 'maxLength': 50})
    >>> _property({"type": "array", "items": {"type": "array", "items": {"type": "string"}}}, 5, 3)
    {'type': 'array', 'items': {'type': 'array', 'items': {'type': 'string', 'maxLength': 5}, 'maxItems': 3}, \
'maxItems': 3}
    """
    out = {k: v for k, v in schema.items() if k not in ("example_value", "examples", "default", "optional")}
    for key in _SUBSCHEMA:
        if isinstance(out.get(key), dict):
            out[key] = _property(out[key], max_string, max_items)
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_property(s, max_string, max_items) if isinstance(s, dict) else s for s in out[key]]
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {k: _property(s, max_string, max_items) if isinstance(s, dict) else s
                        for k, s in out[key].items()}
    if out.get("type") == "float":
        out["type"] = "number"
    if out.get("type") == "string" and not {"maxLength", "enum", "const", "pattern", "format"} & set(out):
        out["maxLength"] = max_string
    if out.get("type") == "array" and "maxItems" not in out:
        out["maxItems"] = max(max_items, int(out.get("minItems") or 0))
    return out


def call_schema(functions: list[dict[str, Any]], forced: str | None = None, optional: str = "choose",
                max_string: int = 200, max_items: int = 16) -> dict:
    """The JSON schema of one call among ``functions`` (OpenAI function dicts).

    >>> fs = [{"name": "f", "parameters": {"properties": {"x": {"type": "integer"}}, "required": ["x"]}},
    ...       {"name": "g", "parameters": {}}]
    >>> [option["properties"]["name"]["const"] for option in call_schema(fs)["anyOf"]]
    ['f', 'g']
    >>> [option["properties"]["name"]["const"] for option in call_schema(fs, forced="g")["anyOf"]]
    ['g']
    """
    chosen = [f for f in functions if forced is None or f["name"] == forced]
    if not chosen:
        raise ConfigError(f"tool_choice names {forced!r}, which is not offered")
    options = [{"type": "object", "additionalProperties": False, "required": ["name", "arguments"],
                "properties": {"name": {"const": f["name"]},
                               "arguments": arguments_schema(f.get("parameters") or {}, optional, max_string,
                                                             max_items)}}
               for f in chosen]
    return {"anyOf": options, "x-guidance": dict(SEPARATORS)}


def call_grammar(functions: list[dict[str, Any]], forced: str | None = None, optional: str = "choose",
                 thought: bool = False, max_string: int = 200, max_items: int = 16) -> str:
    """An llguidance grammar for one call (optionally after a one-line thought)."""
    from llguidance import LLMatcher

    schema = call_schema(functions, forced, optional, max_string, max_items)
    if not thought:
        return LLMatcher.grammar_from_json_schema(schema)
    lark = f"start: thought? call\nthought: {THOUGHT_LINE}\ncall: %json {json.dumps(schema)}"
    return LLMatcher.grammar_from_lark(lark)


@functools.lru_cache(maxsize=8)
def _grammar_tokenizer(tokenizer: Any) -> Any:
    try:
        import llguidance.hf
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("schema-constrained calls need llguidance (pip install llguidance)") from exc
    return llguidance.hf.from_tokenizer(tokenizer)


def allowed_tokens(mask: bytes, vocab: int) -> Any:
    """Token ids allowed by an llguidance bitmask (one bit per token, little-endian).

    >>> allowed_tokens(bytes([0b101, 0]), 16).tolist()
    [0, 2]
    """
    import numpy as np

    bits = np.unpackbits(np.frombuffer(mask, dtype=np.uint8), bitorder="little")[:vocab]
    return np.nonzero(bits)[0]


class ConstrainedCall:
    """Decode one tool call on a batch-engine session under the call grammar."""

    def __init__(self, session: Any, tokenizer: Any, grammar: str, *, temperature: float = 0.0,
                 top_p: float = 1.0, seed: int = 0, max_tokens: int = 256, fast_forward: bool = False) -> None:
        from llguidance import LLMatcher

        from toolbench.models.decoding import seeded_generator

        self.session, self.tokenizer = session, tokenizer
        self.matcher = LLMatcher(_grammar_tokenizer(tokenizer), grammar)
        if self.matcher.is_error():
            raise ConfigError(f"cannot compile the tool-call grammar: {self.matcher.get_error()}")
        self.temperature, self.top_p, self.max_tokens = temperature, top_p, max_tokens
        self.fast_forward = fast_forward
        self.generator = seeded_generator(seed) if temperature > 0 else None
        self.tokens: list[int] = []

    def run(self) -> list[int]:
        """The call's tokens (stops when the grammar is complete or ``max_tokens`` are written)."""
        from toolbench.models.decoding import pick_token

        logits, matcher = self.session.logits, self.matcher
        vocab = logits.shape[-1]
        while not matcher.is_stopped() and len(self.tokens) < self.max_tokens:
            forced = matcher.compute_ff_tokens() if self.fast_forward else []
            if forced:
                matcher.consume_tokens(forced)
                self.tokens.extend(forced)
                if matcher.is_stopped():
                    break
                logits = self.session.feed(forced)
                continue
            allowed = allowed_tokens(matcher.compute_bitmask(), vocab)
            if not len(allowed):
                break
            token = pick_token(logits, self.temperature, self.top_p, self.generator, allowed.tolist())
            if not matcher.consume_token(token):
                break
            self.tokens.append(token)
            if matcher.is_stopped():
                break
            logits = self.session.feed([token])
        return self.tokens
