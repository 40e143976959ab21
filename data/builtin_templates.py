"""Deterministic instructions for the built-in world, with gold call chains and answers.

No teacher model is needed: each :class:`CallTemplate` is a question pattern with slots,
the built-in function that answers it, the arguments built from the same slots and the
response key that holds the answer. :func:`generate_builtin_instructions` draws slot
values with a seeded RNG, combines templates into

- ``G1`` — one call to one tool,
- ``G2`` — two calls to two different tools of one category,
- ``G3`` — two calls to tools of two different categories,

runs the gold calls with the real tools to get the expected answers, and splits the
unique instructions into ``train`` and ``heldout`` (disjoint query texts). Queries are in
our ToolBench-style query form: ``api_ids`` are all APIs of the tools involved,
``relevant_api_ids`` the gold APIs, ``extra["gold_calls"]`` the ordered
``[{name, arguments}]`` and ``expected_answer`` the answer (a list for two calls).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import ConfigError
from toolbench.types import Query, ToolCall

SPLITS = ("train", "heldout")
GROUPS = ("G1", "G2", "G3")
WORDS = ("level", "banana", "robot", "stats", "kayak", "planet", "radar", "window", "noon", "garden")
SENTENCES = ("the quick brown fox jumps", "tools make small models useful", "rain falls on the quiet town",
             "seven cats sat on a warm mat today", "learning never stops")
ZONES = ("Europe/Paris", "Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney")
COUNTRIES = ("France", "Japan", "Germany", "Brazil", "Canada", "Italy", "Spain", "Kenya", "India", "Mexico")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
ELEMENTS = ("Fe", "Na", "Cu", "Au", "Ag", "Zn", "He", "C", "O", "K")
UNITS = (("kilometer", "mile"), ("mile", "kilometer"), ("kilogram", "pound"), ("liter", "gallon"),
         ("inch", "centimeter"), ("foot", "meter"))


@dataclass(frozen=True)
class CallTemplate:
    """One question pattern answered by one built-in function.

    ``arguments`` values are ``"{slot}"`` (the slot's raw value, typed) or format strings.
    """

    key: str
    function: str
    text: str
    arguments: dict[str, Any]
    answer_key: str
    slots: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def _nums(*lists: list[int]) -> tuple[list[int], ...]:
    return lists


TEMPLATES: tuple[CallTemplate, ...] = (
    CallTemplate("calc", "calculator", "What is {a} times {b} plus {c}?", {"expression": "{a} * {b} + {c}"},
                 "result", {"a": tuple(range(12, 60)), "b": tuple(range(3, 30)), "c": tuple(range(1, 99))}),
    CallTemplate("percent", "percentage_of", "What is {p}% of {v}?", {"percent": "{p}", "value": "{v}"}, "result",
                 {"p": (5, 10, 12, 15, 20, 25, 30, 40, 75), "v": tuple(range(40, 900, 20))}),
    CallTemplate("prime", "is_prime", "Is {n} a prime number?", {"n": "{n}"}, "is_prime", {"n": tuple(range(50, 400))}),
    CallTemplate("factorial", "factorial", "What is the factorial of {n}?", {"n": "{n}"}, "factorial",
                 {"n": tuple(range(3, 16))}),
    CallTemplate("fib", "fibonacci_number", "What is Fibonacci number {n}?", {"n": "{n}"}, "fibonacci",
                 {"n": tuple(range(5, 40))}),
    CallTemplate("gcd", "greatest_common_divisor", "What is the greatest common divisor of {a} and {b}?",
                 {"numbers": ["{a}", "{b}"]}, "gcd", {"a": tuple(range(12, 200, 6)), "b": tuple(range(18, 300, 9))}),
    CallTemplate("mean", "mean", "What is the average of {numbers}?", {"numbers": "{numbers}"}, "mean",
                 {"numbers": _nums([3, 5, 10], [2, 4, 6, 8], [10, 20, 60], [7, 7, 8, 10], [1, 2, 3, 4, 5], [12, 18, 30],
                                   [5, 15, 25, 35], [9, 11, 13])}),
    CallTemplate("median", "median", "What is the median of {numbers}?", {"numbers": "{numbers}"}, "median",
                 {"numbers": _nums([7, 1, 3, 9], [4, 8, 15, 16, 23], [2, 9, 4], [10, 30, 20, 50], [5, 3, 8, 1, 9])}),
    CallTemplate("leap", "is_leap_year", "Is {year} a leap year?", {"year": "{year}"}, "is_leap_year",
                 {"year": tuple(range(1890, 2100, 3))}),
    CallTemplate("days", "days_in_month", "How many days are there in {month} {year}?",
                 {"year": "{year}", "month": "{month_number}"}, "days",
                 {"month_number": tuple(range(1, 13)), "year": tuple(range(1990, 2040))}),
    CallTemplate("units", "convert_units", "Convert {v} {pair[0]}s to {pair[1]}s.",
                 {"value": "{v}", "from_unit": "{pair[0]}", "to_unit": "{pair[1]}"}, "result",
                 {"v": tuple(range(2, 120, 3)), "pair": UNITS}),
    CallTemplate("temp", "convert_temperature", "What is {v} degrees Fahrenheit in Celsius?",
                 {"value": "{v}", "from_unit": "fahrenheit", "to_unit": "celsius"}, "result",
                 {"v": tuple(range(-20, 120, 4))}),
    CallTemplate("mass", "atomic_mass", "What is the atomic mass of {element}?", {"element": "{element}"},
                 "atomic_mass", {"element": ELEMENTS}),
    CallTemplate("element", "element_by_atomic_number", "Which element has atomic number {n}?",
                 {"atomic_number": "{n}"}, "name", {"n": tuple(range(1, 40))}),
    CallTemplate("official", "country_info", "What is the official name of {country}?", {"country": "{country}"},
                 "official_name", {"country": COUNTRIES}),
    CallTemplate("words", "number_to_words", "How do you write {n} in words?", {"number": "{n}"}, "words",
                 {"n": tuple(range(11, 999, 7))}),
    CallTemplate("roman", "to_roman_numeral", "What is {n} as a Roman numeral?", {"number": "{n}"}, "roman",
                 {"n": tuple(range(4, 2100, 37))}),
    CallTemplate("count", "count_words", "How many words are in the sentence '{sentence}'?", {"text": "{sentence}"},
                 "words", {"sentence": SENTENCES}),
    CallTemplate("reverse", "reverse_text", "What is '{word}' written backwards?", {"text": "{word}"}, "text",
                 {"word": WORDS}),
    CallTemplate("b64", "base64_encode", "What is the Base64 encoding of '{word}'?", {"text": "{word}"}, "base64",
                 {"word": WORDS}),
    CallTemplate("tzdiff", "time_difference", "How many hours apart are {a} and {b}?",
                 {"zone_a": "{a}", "zone_b": "{b}"}, "hours", {"a": ZONES, "b": ZONES}),
)


def _display(value: Any) -> Any:
    """How a slot value reads in a sentence.

    >>> _display([3, 5, 10]), _display(7)
    ('3, 5 and 10', 7)
    """
    if isinstance(value, list):
        return ", ".join(str(v) for v in value[:-1]) + f" and {value[-1]}"
    return value


def _argument(spec: Any, slots: dict[str, Any]) -> Any:
    """One argument value from its spec (``"{slot}"`` keeps the raw typed value).

    >>> _argument("{n}", {"n": 5}), _argument("{a} * {b}", {"a": 2, "b": 3}), _argument(["{a}"], {"a": 1})
    (5, '2 * 3', [1])
    """
    if isinstance(spec, list):
        return [_argument(s, slots) for s in spec]
    if isinstance(spec, str) and spec.startswith("{") and spec.endswith("}") and spec.count("{") == 1:
        name = spec[1:-1]
        if name in slots:
            return slots[name]
    return spec.format(**slots) if isinstance(spec, str) else spec


def fill(template: CallTemplate, rng: random.Random) -> tuple[str, ToolCall]:
    """A question and its gold call with slot values drawn from ``rng``."""
    slots = {name: rng.choice(pool) for name, pool in sorted(template.slots.items())}
    if template.key == "days":
        slots["month"] = MONTHS[slots["month_number"] - 1]
    if template.key == "tzdiff" and slots["a"] == slots["b"]:
        slots["b"] = ZONES[(ZONES.index(slots["a"]) + 1) % len(ZONES)]
    text = template.text.format(**{k: _display(v) for k, v in slots.items()})
    args = {k: _argument(v, slots) for k, v in template.arguments.items()}
    return text, ToolCall("gold", template.function, args)


def _join(first: str, second: str) -> str:
    """Two questions as one instruction.

    >>> _join("Is 7 prime?", "What is 2 + 2?")
    'Is 7 prime? Also, what is 2 + 2?'
    """
    return f"{first} Also, {second[0].lower()}{second[1:]}"


def _pick(group: str, rng: random.Random, catalog: Catalog) -> list[CallTemplate]:
    first = rng.choice(TEMPLATES)
    if group == "G1":
        return [first]
    api = catalog.by_function_name(first.function)
    others = [t for t in TEMPLATES if (b := catalog.by_function_name(t.function)) is not None and api is not None
              and b.tool != api.tool and (b.category == api.category) == (group == "G2")]
    return [first, rng.choice(others)] if others else []


def _answer(call: ToolCall, key: str, executor: Any) -> Any:
    """Run the gold call with the real tool and take the answer out of the response."""
    observation = executor.call(call)
    if not observation.ok or not isinstance(observation.response, dict) or key not in observation.response:
        raise ConfigError(f"built-in template call {call.name}({call.arguments}) failed: {observation.content}")
    return observation.response[key]


def _query(query_id: str, group: str, parts: list[tuple[str, ToolCall, Any]], catalog: Catalog, key: str) -> Query:
    text = parts[0][0] if len(parts) == 1 else _join(parts[0][0], parts[1][0])
    gold_apis = [catalog.by_function_name(c.name).id for _, c, _ in parts]  # type: ignore[union-attr]
    tools = {api.split("::")[1] for api in gold_apis}
    offered = [a.id for a in catalog if a.tool in tools]
    answers = [a for _, _, a in parts]
    expected = answers[0] if len(answers) == 1 else _flatten(answers)
    return Query(query_id=query_id, query=text, api_ids=offered, relevant_api_ids=gold_apis,
                 expected_answer=expected, group=group,
                 extra={"gold_calls": [{"name": c.name, "arguments": c.arguments} for _, c, _ in parts],
                        "gold_answers": answers, "template": key, "source": "builtin-templates"})


def _flatten(values: list[Any]) -> list[Any]:
    """Answers of several calls as one flat list (the exact judge wants every element).

    >>> _flatten([[2, 3], 5])
    [2, 3, 5]
    """
    out: list[Any] = []
    for value in values:
        out.extend(value if isinstance(value, list) else [value])
    return out


def generate_builtin_instructions(
    counts: dict[str, int] | None = None, *, seed: int = 0, heldout_fraction: float = 0.3,
    catalog: Catalog | None = None, executor: Any = None,
) -> dict[str, list[Query]]:
    """``{"train": [...], "heldout": [...]}``: ``counts[group]`` unique instructions per group
    (default G1 60, G2 20, G3 20), split with ``heldout_fraction`` of each group held out."""
    from toolbench.builtin_world import builtin_catalog, builtin_executor

    counts = counts or {"G1": 60, "G2": 20, "G3": 20}
    unknown = sorted(set(counts) - set(GROUPS))
    if unknown or not 0 <= heldout_fraction < 1:
        raise ConfigError(f"groups must be among {GROUPS} and 0 <= heldout_fraction < 1 (got {unknown})")
    catalog = catalog or builtin_catalog()
    executor = executor or builtin_executor(catalog)
    rng = random.Random(seed)
    splits: dict[str, list[Query]] = {s: [] for s in SPLITS}
    for group in GROUPS:
        queries = _group_queries(group, counts.get(group, 0), rng, catalog, executor)
        n_held = round(len(queries) * heldout_fraction)
        for index, query in enumerate(queries):
            split = "heldout" if index < n_held else "train"
            query.query_id = f"{split}-{query.query_id}"
            query.extra["split"] = split
            splits[split].append(query)
    return splits


def _group_queries(group: str, count: int, rng: random.Random, catalog: Catalog, executor: Any) -> list[Query]:
    seen: set[str] = set()
    out: list[Query] = []
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        templates = _pick(group, rng, catalog)
        if not templates:
            continue
        parts = [fill(t, rng) for t in templates]
        text = parts[0][0] if len(parts) == 1 else _join(parts[0][0], parts[1][0])
        if text in seen:
            continue
        seen.add(text)
        answered = [(q, c, _answer(c, t.answer_key, executor)) for (q, c), t in zip(parts, templates, strict=True)]
        out.append(_query(f"{group}-{len(out)}", group, answered, catalog, "+".join(t.key for t in templates)))
    return out
