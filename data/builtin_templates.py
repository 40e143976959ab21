"""Deterministic training instructions for the built-in world, with gold call chains and answers.

No teacher model is needed: each :class:`CallTemplate` is a request with slots (several
wordings), the built-in function that answers it, the arguments built from the same
slots and the response field that holds the answer. Every built-in function has at least
one template. :func:`generate_builtin_instructions` draws slot values with a seeded RNG
and combines templates into

- ``G1`` — one call to one tool,
- ``G2`` — calls to two or three different tools of one category,
- ``G3`` — calls to tools of two or three different categories,

either as independent requests joined into one message, or as a *chain* in which a later
call's argument is an earlier call's result ("... and what are the prime factors of that
average?"). The gold calls are run with the real tools to get the expected answers.

Evaluation instructions (the built-in set and the everyday set) are kept out: a generated
instruction is dropped when its text equals one of theirs, when one of its calls equals
one of their gold calls, or when it uses one of their numbers, dates or texts as the same
function argument (:func:`held_out_values`). The unique instructions are split into
``train`` and ``heldout`` (disjoint query texts). Queries are in our ToolBench-style form:
``api_ids`` are all APIs of the tools involved, ``relevant_api_ids`` the gold APIs,
``extra["gold_calls"]`` the ordered ``[{name, arguments}]``, ``extra["gold_answers"]`` one
answer per call and ``extra["answer_keys"]`` the response field of each.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from data.phrasebook import TEMPLATES, CallTemplate, fits
from toolbench.catalog import Catalog
from toolbench.errors import ConfigError
from toolbench.types import Query, ToolCall

SPLITS = ("train", "heldout")
GROUPS = ("G1", "G2", "G3")
CHAIN_SHARE = 0.6  # share of multi-call instructions whose later call uses an earlier result
TRIPLE_SHARE = 0.2  # share of multi-call instructions with three calls
INDEPENDENT_JOINS = ("{a} Also, {b}", "{a} And {b}", "{a_stem}, and {b}", "{a} {B}", "First, {al} Then, {b}",
                     "{a} Then {b}", "{A} Next, {b}", "{a_stem}; also, {b}")
CHAIN_JOINS = ("{a_stem}, and {c}", "{a_stem}, then {c}", "{A} Then {c}", "{A} After that, {c}",
               "{a_stem} and then {c}")


@dataclass
class Part:
    """One filled template: its request text, its gold call and its answer."""

    template: CallTemplate
    text: str
    call: ToolCall
    answer_key: str
    answer: Any = None
    slots: dict[str, Any] = field(default_factory=dict)


# -- filling -----------------------------------------------------------------------------------
def display(value: Any) -> Any:
    """How a slot value reads in a sentence.

    >>> display([3, 5, 10]), display(7), display(2.0)
    ('3, 5 and 10', 7, 2)
    """
    if isinstance(value, list):
        return ", ".join(str(display(v)) for v in value[:-1]) + f" and {display(value[-1])}"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def argument(spec: Any, slots: dict[str, Any]) -> Any:
    """One argument value from its spec (``"{slot}"`` keeps the raw typed value).

    >>> argument("{n}", {"n": 5}), argument("{a} * {b}", {"a": 2, "b": 3}), argument(["{a}", 4], {"a": 1})
    (5, '2 * 3', [1, 4])
    """
    if isinstance(spec, list):
        return [argument(s, slots) for s in spec]
    if isinstance(spec, str) and spec.startswith("{") and spec.endswith("}") and spec.count("{") == 1:
        name = spec[1:-1]
        if name in slots:
            return slots[name]
    return spec.format(**{k: display(v) for k, v in slots.items()}) if isinstance(spec, str) else spec


def draw_slots(template: CallTemplate, rng: random.Random) -> dict[str, Any]:
    """Slot values for ``template`` (pools drawn in sorted order, then derived slots)."""
    slots = {name: rng.choice(pool) for name, pool in sorted(template.slots.items())}
    if template.derive is not None:
        slots.update(template.derive(slots))
    return slots


def fill(template: CallTemplate, rng: random.Random, slots: dict[str, Any] | None = None,
         phrasings: tuple[str, ...] | None = None) -> Part:
    """A request and its gold call; ``slots`` given (a chained value) skip the draw."""
    slots = slots if slots is not None else draw_slots(template, rng)
    text = rng.choice(phrasings or template.phrasings).format(**{k: display(v) for k, v in slots.items()})
    args = {k: argument(v, slots) for k, v in template.arguments.items()}
    key = template.answer_key.format(**slots)
    return Part(template, text, ToolCall("gold", template.function, args), key, slots=slots)


def fill_chained(template: CallTemplate, value: Any, noun: str, rng: random.Random) -> Part | None:
    """``template`` with its chain slot set to an earlier result ``value``, worded with a
    reference to that result ("that average", "the result"); ``None`` if it cannot chain."""
    if template.chain_slot is None or not template.chain_phrasings or not fits(value, template.accepts):
        return None
    slots = draw_slots(template, rng)
    slots[template.chain_slot] = value
    if template.derive is not None:
        slots.update(template.derive(slots))
    slots["ref"] = rng.choice(reference_words(noun))
    return fill(template, rng, slots, template.chain_phrasings)


def reference_words(noun: str) -> tuple[str, ...]:
    """Ways to refer to an earlier result.

    >>> reference_words("average")
    ('that average', 'that average', 'the result', 'that value')
    """
    return (f"that {noun}", f"that {noun}", "the result", "that value")


# -- sentences ---------------------------------------------------------------------------------
def stem(text: str) -> str:
    """A request without its final punctuation.

    >>> stem("Is 7 prime?"), stem("Add 2 and 3.")
    ('Is 7 prime', 'Add 2 and 3')
    """
    return text.rstrip().rstrip("?.!")


def lower_first(text: str) -> str:
    """``text`` with a lower-case first letter unless it starts an acronym or a code.

    >>> lower_first("What is 2 + 2?"), lower_first("ISO code"), lower_first("'racecar' backwards")
    ('what is 2 + 2?', 'ISO code', "'racecar' backwards")
    """
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def upper_first(text: str) -> str:
    """``text`` with an upper-case first letter.

    >>> upper_first("then what?")
    'Then what?'
    """
    return text[:1].upper() + text[1:]


def join_independent(a: str, b: str, rng: random.Random) -> str:
    """Two independent requests as one message.

    >>> join_independent("Is 7 prime?", "What is 2 + 2?", random.Random(0))
    'Is 7 prime? Next, what is 2 + 2?'
    """
    pattern = rng.choice(INDEPENDENT_JOINS)
    return pattern.format(a=a, A=upper_first(a), al=lower_first(a), a_stem=stem(a), b=lower_first(b),
                          B=upper_first(b))


def join_chained(a: str, c: str, rng: random.Random) -> str:
    """A request followed by one that uses its result.

    >>> join_chained("What is 3 + 4?", "is it prime?", random.Random(1))
    'What is 3 + 4, then is it prime?'
    """
    pattern = rng.choice(CHAIN_JOINS)
    return pattern.format(a_stem=stem(a), A=upper_first(a), c=lower_first(c))


# -- combining ---------------------------------------------------------------------------------
def tool_of(template: CallTemplate, catalog: Catalog) -> tuple[str, str]:
    api = catalog.by_function_name(template.function)
    if api is None:
        raise ConfigError(f"template {template.key}: {template.function} is not a built-in function")
    return api.category, api.tool


def compatible(previous: list[CallTemplate], candidate: CallTemplate, group: str, catalog: Catalog) -> bool:
    """Whether ``candidate`` may join ``previous`` in ``group`` (distinct tools; one category
    for G2, a new category for G3)."""
    tools = [tool_of(t, catalog) for t in previous]
    category, tool = tool_of(candidate, catalog)
    if tool in {t for _, t in tools}:
        return False
    if group == "G2":
        return category == tools[0][0]
    return category not in {c for c, _ in tools}


def _next_part(parts: list[Part], group: str, chained: bool, rng: random.Random, catalog: Catalog,
               executor: Any) -> tuple[Part, bool] | None:
    """A template to follow ``parts`` (chained on the last result when possible)."""
    previous = [p.template for p in parts]
    last = parts[-1]
    options = [t for t in TEMPLATES if compatible(previous, t, group, catalog)]
    if chained:
        chainable = [t for t in options if t.chain_slot and fits(last.answer, t.accepts)]
        rng.shuffle(chainable)
        for template in chainable[:6]:
            part = fill_chained(template, last.answer, last.template.noun, rng)
            if part is not None and answer_part(part, executor):
                return part, True
    rng.shuffle(options)
    for template in options[:6]:
        part = fill(template, rng)
        if answer_part(part, executor):
            return part, False
    return None


def answer_part(part: Part, executor: Any) -> bool:
    """Run the gold call with the real tool; keep its answer (``False`` if it failed)."""
    from toolbench.builtin_tools.instruction_set import field_at

    observation = executor.call(part.call)
    if not observation.ok or not isinstance(observation.response, dict):
        return False
    try:
        part.answer = field_at(observation.response, part.answer_key)
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    if part.answer is None:
        return False
    return part.template.valid is None or bool(part.template.valid(part.answer))


def compose(group: str, rng: random.Random, catalog: Catalog, executor: Any) -> tuple[str, list[Part]] | None:
    """One instruction of ``group``: its text and its parts (``None`` when a draw failed)."""
    first = fill(rng.choice(TEMPLATES), rng)
    if not answer_part(first, executor):
        return None
    if group == "G1":
        return first.text, [first]
    parts, text = [first], first.text
    size = 3 if rng.random() < TRIPLE_SHARE else 2
    while len(parts) < size:
        found = _next_part(parts, group, rng.random() < CHAIN_SHARE, rng, catalog, executor)
        if found is None:
            return None if len(parts) < 2 else (text, parts)
        part, chained = found
        text = join_chained(text, part.text, rng) if chained else join_independent(text, part.text, rng)
        parts.append(part)
    return text, parts


# -- held-out values -----------------------------------------------------------------------------
def held_out_values(queries: Iterable[Query]) -> tuple[set[str], set[tuple[str, str]], set[tuple[str, str, str]]]:
    """What training instructions must not share with ``queries``: normalised texts, calls
    (function + arguments) and (function, argument, value) of numbers, dates and texts.

    >>> q = Query("1", "Is 7 prime?", extra={"gold_calls": [{"name": "is_prime", "arguments": {"n": 7}}]})
    >>> texts, calls, values = held_out_values([q])
    >>> sorted(texts), sorted(calls), sorted(values)
    (['is 7 prime'], [('is_prime', '{"n": 7}')], [('is_prime', 'n', '7')])
    """
    texts, calls, values = set(), set(), set()
    for query in queries:
        texts.add(normalise(query.query))
        for call in query.extra.get("gold_calls") or []:
            calls.add(call_key(call["name"], call.get("arguments") or {}))
            values.update(value_keys(call["name"], call.get("arguments") or {}))
    return texts, calls, values


def normalise(text: str) -> str:
    """Lower case, punctuation and extra spaces removed.

    >>> normalise("  Is 7  prime? ")
    'is 7 prime'
    """
    return " ".join("".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text.lower()).split())


def call_key(name: str, arguments: dict[str, Any]) -> tuple[str, str]:
    import json

    return name, json.dumps(arguments, sort_keys=True, ensure_ascii=False)


def value_keys(name: str, arguments: dict[str, Any]) -> set[tuple[str, str, str]]:
    """``(function, argument, value)`` for every number, date or free text in a call
    (lists count per element; names of units, zones, countries and the like are not keys).

    >>> sorted(value_keys("mean", {"numbers": [4, 8]})), sorted(value_keys("convert_units",
    ...     {"value": 5, "from_unit": "mile", "to_unit": "kilometer"}))
    ([('mean', 'numbers', '4'), ('mean', 'numbers', '8')], [('convert_units', 'value', '5')])
    """
    keys = set()
    for arg, value in arguments.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                continue
            if isinstance(item, (int, float)):
                keys.add((name, arg, str(display(item))))
            elif isinstance(item, str) and (any(ch.isdigit() for ch in item) or " " in item.strip()
                                            or arg in FREE_TEXT_ARGUMENTS):
                keys.add((name, arg, item.strip().lower()))
    return keys


FREE_TEXT_ARGUMENTS = frozenset({"text", "data", "roman", "formula", "expression", "substring"})


def leaks(text: str, parts: list[Part], held: tuple[set[str], set[tuple[str, str]], set[tuple[str, str, str]]]) -> bool:
    """Whether an instruction shares a text, a call or a value with the held-out sets."""
    texts, calls, values = held
    if normalise(text) in texts:
        return True
    for part in parts:
        if call_key(part.call.name, part.call.arguments) in calls:
            return True
        if value_keys(part.call.name, part.call.arguments) & values:
            return True
    return False


def evaluation_queries() -> list[Query]:
    """The built-in instruction set and the everyday set (never trained on)."""
    from toolbench.builtin_world import builtin_everyday, builtin_instructions

    return builtin_instructions() + builtin_everyday()


# -- the generator ---------------------------------------------------------------------------------
def to_query(query_id: str, group: str, text: str, parts: list[Part], catalog: Catalog) -> Query:
    gold_apis = [catalog.by_function_name(p.call.name).id for p in parts]  # type: ignore[union-attr]
    tools = {catalog.get(a).tool for a in gold_apis}
    offered = [a.id for a in catalog if a.tool in tools]
    answers = [p.answer for p in parts]
    expected = answers[0] if len(answers) == 1 else answers
    return Query(query_id=query_id, query=text, api_ids=offered, relevant_api_ids=list(dict.fromkeys(gold_apis)),
                 expected_answer=expected, group=group,
                 extra={"gold_calls": [{"name": p.call.name, "arguments": p.call.arguments} for p in parts],
                        "gold_answers": answers, "answer_keys": [p.answer_key for p in parts],
                        "template": "+".join(p.template.key for p in parts), "source": "builtin-templates"})


def generate_builtin_instructions(
    counts: dict[str, int] | None = None, *, seed: int = 0, heldout_fraction: float = 0.3,
    catalog: Catalog | None = None, executor: Any = None, exclude: Iterable[Query] | None = None,
) -> dict[str, list[Query]]:
    """``{"train": [...], "heldout": [...]}``: ``counts[group]`` unique instructions per group
    (default G1 60, G2 20, G3 20), split with ``heldout_fraction`` of each group held out.
    ``exclude`` (default: :func:`evaluation_queries`) are never reproduced (see the module
    docstring)."""
    from toolbench.builtin_world import builtin_catalog, builtin_executor

    counts = counts or {"G1": 60, "G2": 20, "G3": 20}
    unknown = sorted(set(counts) - set(GROUPS))
    if unknown or not 0 <= heldout_fraction < 1:
        raise ConfigError(f"groups must be among {GROUPS} and 0 <= heldout_fraction < 1 (got {unknown})")
    negative = {group: n for group, n in counts.items() if n < 0}
    if negative:
        raise ConfigError(f"instruction counts must be >= 0, not {negative}")
    catalog = catalog or builtin_catalog()
    executor = executor or builtin_executor(catalog)
    held = held_out_values(evaluation_queries() if exclude is None else exclude)
    rng = random.Random(seed)
    splits: dict[str, list[Query]] = {s: [] for s in SPLITS}
    for group in GROUPS:
        queries = _group_queries(group, counts.get(group, 0), rng, catalog, executor, held)
        n_held = round(len(queries) * heldout_fraction)
        for index, query in enumerate(queries):
            split = "heldout" if index < n_held else "train"
            query.query_id = f"{split}-{query.query_id}"
            query.extra["split"] = split
            splits[split].append(query)
    return splits


def _group_queries(group: str, count: int, rng: random.Random, catalog: Catalog, executor: Any,
                   held: tuple[set[str], set[tuple[str, str]], set[tuple[str, str, str]]]) -> list[Query]:
    seen: set[str] = set()
    out: list[Query] = []
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        composed = compose(group, rng, catalog, executor)
        if composed is None:
            continue
        text, parts = composed
        if normalise(text) in seen or leaks(text, parts, held):
            continue
        seen.add(normalise(text))
        out.append(to_query(f"{group}-{len(out)}", group, text, parts, catalog))
    return out
