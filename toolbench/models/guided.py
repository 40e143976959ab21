"""Schema-guided tool-call decoding for small local models.

A 135M-parameter model rarely writes a valid call on its own (measured 0/32 on
built-in-style prompts, every text format; see docs/models.md). Guided decoding
writes the JSON skeleton itself and lets the model decide only what is the model's to
decide, token by token with the KV cache:

- the function name: a choice among the offered names (a token trie; logits outside it
  are masked), or forced when ``tool_choice`` names one;
- each argument value, required parameters first: ``enum`` and ``boolean`` values are
  choices, numbers are digits-only text, strings are free text up to the closing quote,
  other types free text until it parses as JSON; optional parameters are all written by
  default (``optional="choose"``: a choice between ``, "name": `` and closing the object).

The result is the ``json`` text format, ``{"name": ..., "arguments": {...}}``, so it is
parsed and recorded like any other reply. Greedy when ``temperature`` is 0, else sampled
with a seeded ``torch.Generator``. Decoding runs on a
:class:`toolbench.models.batching.Session`, so concurrent calls share forward passes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

NUMBER_CHARS = frozenset("0123456789.-+eE")
_NUMBER_TOKENS: dict[int, list[int]] = {}


def ordered_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """``(name, property schema, required)``: required ones first, then optional ones.

    >>> s = {"properties": {"b": {}, "a": {"type": "integer"}}, "required": ["a"]}
    >>> [(n, r) for n, _, r in ordered_properties(s)]
    [('a', True), ('b', False)]
    """
    props = schema.get("properties") or {}
    required = [n for n in schema.get("required") or [] if n in props]
    optional = [n for n in props if n not in required]
    return [(n, props[n] if isinstance(props[n], dict) else {}, n in required) for n in required + optional]


def json_string_literal(text: str) -> str:
    """A JSON string literal for free text the model wrote inside quotes.

    >>> json_string_literal("Paris"), json_string_literal("a\\b")
    ('"Paris"', '"a\\\\b"')
    """
    literal = f'"{text}"'
    try:
        json.loads(literal)
        return literal
    except json.JSONDecodeError:
        return json.dumps(text, ensure_ascii=False)


class GuidedDecoder:
    """Token-level decoding over a batch-engine session with forced text, choices and bounded free text.

    ``session`` (:class:`toolbench.models.batching.Session`) has already encoded the
    prompt; every forced or picked token is fed to it, so the call is decoded in the
    same batched forward passes as every other open request.
    """

    def __init__(self, session: Any, tokenizer: Any, *, temperature: float = 0.0, top_p: float = 1.0,
                 seed: int = 0, max_string: int = 96) -> None:
        from toolbench.models.decoding import seeded_generator

        self.session, self.tokenizer = session, tokenizer
        self.temperature, self.top_p, self.max_string = temperature, top_p, max_string
        self.generator = seeded_generator(seed)
        self.logits: Any = session.logits
        self.new_tokens = 0

    @property
    def ids(self) -> list[int]:
        return self.session.ids

    # -- low level -------------------------------------------------------------------------
    def _feed(self, token_ids: list[int]) -> None:
        if not token_ids:
            return
        self.logits = self.session.feed(token_ids)
        self.new_tokens += len(token_ids)

    def _pick(self, allowed: list[int] | None = None) -> int:
        from toolbench.models.decoding import pick_token

        return pick_token(self.logits, self.temperature, self.top_p, self.generator, allowed)

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    # -- operations ------------------------------------------------------------------------
    def force(self, text: str) -> str:
        """Append ``text`` without asking the model."""
        self._feed(self._encode(text))
        return text

    def choose(self, options: list[str]) -> int:
        """The index of the option the model picks (a walk down the options' token trie)."""
        encoded = [self._encode(o) for o in options]
        alive = [i for i, e in enumerate(encoded) if e]
        step = 0
        while True:
            done = [i for i in alive if len(encoded[i]) == step]
            if done or len(alive) == 1:
                rest = encoded[(done or alive)[0]][step:]
                self._feed(rest)
                return (done or alive)[0]
            token = self._pick(sorted({encoded[i][step] for i in alive}))
            alive = [i for i in alive if encoded[i][step] == token]
            self._feed([token])
            step += 1

    def _number_tokens(self) -> list[int]:
        key = id(self.tokenizer)
        if key not in _NUMBER_TOKENS:
            vocab = range(len(self.tokenizer))
            texts = self.tokenizer.batch_decode([[i] for i in vocab])
            _NUMBER_TOKENS[key] = [i for i, t in zip(vocab, texts, strict=True) if t and set(t) <= NUMBER_CHARS]
        return _NUMBER_TOKENS[key]

    def number(self, max_tokens: int = 12) -> str:
        """Digits-only text; stops at the first token that is not part of a number."""
        allowed = self._number_tokens()
        text = ""
        for _ in range(max_tokens):
            token = self._pick()
            piece = self.tokenizer.decode([token])
            if not piece or not set(piece) <= NUMBER_CHARS:
                if text:
                    break
                token = self._pick(allowed)  # a number must start here
                piece = self.tokenizer.decode([token])
            self._feed([token])
            text += piece
        return text

    def string(self, max_tokens: int = 48) -> str:
        """Free text after an opening quote, up to the closing quote (which is fed)."""
        text = ""
        eos = self.tokenizer.eos_token_id
        for _ in range(max_tokens):
            token = self._pick()
            piece = self.tokenizer.decode([token])
            if token == eos or "\n" in piece:
                piece = ""
                break
            if '"' in piece.replace('\\"', ""):
                piece = piece[: piece.replace('\\"', "  ").index('"')]
                break
            if "}" in piece and (text + piece).count("}") > (text + piece).count("{"):
                piece = piece[: piece.index("}")]  # closing the JSON object: the string ended
                break
            self._feed([token])
            text += piece
        else:
            piece = ""  # out of tokens: close the string here
        self.force(piece + '"')
        return text + piece

    def free_json(self, max_tokens: int = 48) -> str:
        """Free text until it parses as one JSON value (arrays, objects, null)."""
        text, decoder = "", json.JSONDecoder()
        for _ in range(max_tokens):
            token = self._pick()
            self._feed([token])
            text += self.tokenizer.decode([token])
            try:
                value, end = decoder.raw_decode(text.lstrip())
                return json.dumps(value, ensure_ascii=False)
            except json.JSONDecodeError:
                continue
        return text  # unfinished: the parser reports it as a parse error

    # -- a whole call ----------------------------------------------------------------------
    def value(self, schema: dict[str, Any]) -> str:
        """One argument value as JSON text, guided by its schema."""
        kind = schema.get("type")
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            options = [json.dumps(v, ensure_ascii=False) for v in schema["enum"]]
            return options[self.choose(options)]
        if kind == "boolean":
            return ["true", "false"][self.choose(["true", "false"])]
        if kind in ("integer", "number", "float"):
            return self.number()
        if kind == "string" or kind is None:
            self.force('"')
            return json_string_literal(self.string(self.max_string))
        return self.free_json()

    def call(self, functions: list[dict[str, Any]], forced_name: str | None = None, optional: str = "all") -> str:
        """Write ``{"name": ..., "arguments": {...}}`` after the already-fed ``{"name": "``.

        ``optional``: ``all`` writes every optional parameter too (a tiny model almost
        never chooses to, e.g. ``Finish.final_answer``), ``choose`` lets the model decide
        per parameter, ``none`` writes only the required ones.
        """
        names = [f["name"] for f in functions]
        if forced_name is not None:
            name = forced_name
            self.force(f'{name}"')
        else:
            name = names[self.choose([f'{n}"' for n in names])]
        text = f'{name}", "arguments": {{'
        self.force(', "arguments": {')
        schema = next((f.get("parameters") or {} for f in functions if f["name"] == name), {})
        first = True
        for prop, prop_schema, required in ordered_properties(schema):
            head = f'"{prop}": ' if first else f', "{prop}": '
            if not required and (optional == "none" or (optional == "choose" and self.choose([head, "}"]) == 1)):
                self.force("}" if optional == "choose" else "}}")
                return text + "}}"
            if required or optional == "all":
                self.force(head)
            text += head + self.value(prop_schema)
            first = False
        self.force("}}")
        return text + "}}"
