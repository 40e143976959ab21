"""BFCL's AST checking of function calls, with the error type of every failure.

A model output is a list of calls ``[{function_name: {param: value}}]`` (or raw text in
Python call syntax, see :mod:`evaluator.call_text`); a ground truth is the same shape
with a *list of accepted values* per parameter (``""`` among them marks the parameter
optional). The rules are those of the Berkeley Function-Calling Leaderboard's checker
(``bfcl-eval``), re-implemented: function name; required parameters present; no
parameter outside the schema or the ground truth; Python types from the schema (an
``int`` accepted for a ``float``; a value of the ground truth's own type accepted as a
"variable" and then compared as is); one level of item types for arrays and tuples;
accepted values with BFCL's string normalisation (case, spaces and ``,./-_*^`` ignored)
for strings, top-level list items and dict values; lists of dicts matched dict by dict;
parameters left out only when ``""`` is accepted. Simple and multiple items take exactly
one call; parallel items match calls in any order with BFCL's procedure (each expected
call, in order, takes the first unused call that passes; ``matching="bipartite"`` finds a
maximum matching instead, which can pass outputs that BFCL's greedy pass fails).
``irrelevance`` items pass when the output holds no call (text that does not parse counts
as none), ``relevance`` items when it holds at least one. One deliberate relaxation: a
called name whose dots became underscores (``math_factorial``) matches ``math.factorial``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evaluator.call_text import CallSyntaxError, OutputFormatError, decode_output

TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "number": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "object": dict, "any": str,
}
_FLOATS = ("float", "number")
_NESTED = ("array", "tuple")

SIMPLE, MULTIPLE, PARALLEL, PARALLEL_MULTIPLE, IRRELEVANCE, RELEVANCE = (
    "simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "relevance",
)
MATCHINGS = ("bfcl", "bipartite")


@dataclass
class CheckResult:
    """Whether an output passed, and if not the error type and messages."""

    valid: bool
    error_type: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def fail(cls, error_type: str, message: str) -> CheckResult:
        return cls(False, error_type, [message])


OK = CheckResult(True)
Calls = list[dict[str, Any]]


def category_of(item_id: str) -> str:
    """The checking category from a BFCL id.

    >>> category_of("simple_python_12"), category_of("parallel_multiple_3"), category_of("live_irrelevance_5")
    ('simple', 'parallel_multiple', 'irrelevance')
    >>> category_of("multiple_0"), category_of("parallel_9"), category_of("live_relevance_2")
    ('multiple', 'parallel', 'relevance')
    """
    name = re.sub(r"_\d+(-[\w-]+)?$", "", item_id).removeprefix("live_")
    for category in (IRRELEVANCE, RELEVANCE, PARALLEL_MULTIPLE, PARALLEL, MULTIPLE):
        if name.startswith(category):
            return category
    return SIMPLE


def standardize_string(text: str) -> str:
    """BFCL's string normalisation: drop spaces and ``,./-_*^``, lower-case, ' → ".

    >>> standardize_string("April 1, 2024"), standardize_string("New_York-City")
    ('april12024', 'newyorkcity')
    """
    return re.sub(r"[ ,./\-_*^]", "", text).lower().replace("'", '"')


def _std(value: Any) -> Any:
    return standardize_string(value) if isinstance(value, str) else value


def names_match(output_name: str, expected: str) -> bool:
    """Equal names, or equal once dots become underscores (OpenAI-style names).

    >>> names_match("math_factorial", "math.factorial"), names_match("math.gcd", "math.factorial")
    (True, False)
    """
    return output_name == expected or output_name == expected.replace(".", "_")


def find_function(functions: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The function description called ``name``."""
    return next((f for f in functions if f.get("name") == name), None)


def _answer_type(accepted: Any) -> type | None:
    """The type of the first accepted value that is not ``""`` (the optional marker)."""
    return next((type(a) for a in accepted if a != ""), None) if isinstance(accepted, list | str) else None


def _item_type(spec: dict[str, Any]) -> type | None:
    if spec.get("type") not in _NESTED:
        return None
    return TYPES.get(str((spec.get("items") or {}).get("type", "")))


def check_type(param: str, value: Any, accepted: list[Any], spec: dict[str, Any]) -> tuple[CheckResult, bool]:
    """Type check of one value; returns (result, is_variable).

    A value of the ground truth's own type passes as a "variable" when that type differs
    from the schema's; arrays and tuples also check their items (one level).

    >>> spec = {"type": "integer"}
    >>> check_type("n", 3, [3], spec)[0].valid, check_type("n", "3", [3], spec)[0].error_type
    (True, 'type_error:simple')
    >>> check_type("n", "x", ["x"], spec)
    (CheckResult(valid=True, error_type='', errors=[]), True)
    """
    expected = TYPES.get(str(spec.get("type", "any")), str)
    answer_type = _answer_type(accepted)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        nested = _item_type(spec)
        if nested is None or _items_ok(value, accepted, nested):
            return OK, is_variable
        msg = f"nested type check failed for {param!r}: expected items of type {nested.__name__}, got {value!r}"
        return CheckResult.fail("type_error:nested", msg), is_variable
    if answer_type is not None and type(value) is answer_type:
        return OK, True
    msg = f"incorrect type for {param!r}: expected {spec.get('type')}, got {type(value).__name__} ({value!r})"
    return CheckResult.fail("type_error:simple", msg), is_variable


def _items_ok(value: list[Any], accepted: list[Any], nested: type) -> bool:
    """Items all of the declared item type, or of one accepted list's item type (a "variable");
    an accepted value that is not a list (``""``, optional) lets any items through, as in BFCL.

    >>> _items_ok([1, 2], [[1.0, 2.0]], float), _items_ok([1, 2], ["", [1.0]], float)
    (False, True)
    """
    for option in accepted:
        if not isinstance(option, list):
            return True
        option_type = _answer_type(option)
        if all(type(v) is nested or (option_type is not None and type(v) is option_type) for v in value):
            return True
    return False


def check_value(param: str, value: Any, accepted: list[Any], spec: dict[str, Any]) -> CheckResult:
    """Value check against the accepted values, by the schema's type: dicts key by key, lists
    of dicts dict by dict, strings and list items normalised, anything else compared as is.

    >>> check_value("city", "new york", ["New York", "NYC"], {"type": "string"}).valid
    True
    >>> check_value("city", "Boston", ["New York"], {"type": "string"}).error_type
    'value_error:string'
    """
    expected = TYPES.get(str(spec.get("type", "any")), str)
    if expected is dict:
        return _check_dict(param, value, accepted)
    if expected is list and _item_type(spec) is dict:
        return _check_list_of_dicts(param, value, accepted)
    if expected is str:
        if _std(value) in [_std(a) for a in accepted if isinstance(a, str)]:
            return OK
        return CheckResult.fail("value_error:string", f"invalid value for {param!r}: {value!r}; expected {accepted}")
    if expected is list:
        if [_std(v) for v in value] in [[_std(x) for x in a] for a in accepted if isinstance(a, list | str)]:
            return OK
        return CheckResult.fail("value_error:list/tuple", f"invalid list for {param!r}: {value!r}; expected {accepted}")
    return check_member(param, value, accepted)


def check_member(param: str, value: Any, accepted: list[Any]) -> CheckResult:
    """Plain membership (Python's ``==``, so ``1.0`` matches ``1`` and ``True`` matches ``1``).

    >>> check_member("x", 0.0, [0]).valid, check_member("x", 2, [1]).error_type
    (True, 'value_error:others')
    """
    if value in accepted:
        return OK
    return CheckResult.fail("value_error:others", f"invalid value for {param!r}: {value!r}; expected one of {accepted}")


def _check_dict(param: str, value: Any, accepted: list[Any]) -> CheckResult:
    result = CheckResult.fail("value_error:dict_value", f"no accepted dict for {param!r}")
    for option in accepted:
        if not isinstance(option, dict):
            continue
        result = _dict_against(value, option)
        if result.valid:
            return OK
    return result


def _dict_against(value: Any, option: dict[str, list[Any]]) -> CheckResult:
    if not isinstance(value, dict):
        return CheckResult.fail("value_error:dict_value", f"expected a dict, got {value!r}")
    for key, item in value.items():
        if key not in option:
            return CheckResult.fail("value_error:dict_key", f"unexpected dict key {key!r}")
        if _std(item) not in [_std(a) for a in option[key]]:
            return CheckResult.fail("value_error:dict_value", f"invalid value for dict key {key!r}: {item!r}")
    for key, values in option.items():
        if key not in value and "" not in values:
            return CheckResult.fail("value_error:dict_key", f"missing dict key {key!r}")
    return OK


def _check_list_of_dicts(param: str, value: list[Any], accepted: list[Any]) -> CheckResult:
    """Dict by dict against an accepted list of the same length (``""`` accepts an empty list)."""
    result = CheckResult.fail("value_error:list_dict_count", f"wrong number of dicts in {param!r}")
    for option in accepted:
        if not isinstance(option, list | str) or len(option) != len(value):
            continue
        results = [_check_dict(param, v, [o]) for v, o in zip(value, option, strict=True)]
        bad = next((r for r in results if not r.valid), None)
        if bad is None:
            return OK
        result = bad
    return result


def check_call(function: dict[str, Any], output: dict[str, Any], truth: dict[str, Any]) -> CheckResult:
    """Check one call ``{name: args}`` against one ground truth ``{name: {param: [values]}}``."""
    expected_name, accepted = next(iter(truth.items()))
    name, args = next(iter(output.items())) if output else ("", {})
    if not names_match(name, expected_name):
        return CheckResult.fail("wrong_func_name", f"expected function {expected_name!r}, got {name!r}")
    if not isinstance(args, dict):
        return CheckResult.fail("ast_decoder:decoder_wrong_output_format", f"arguments of {name!r} are not an object")
    properties = (function.get("parameters") or {}).get("properties") or {}
    for param in (function.get("parameters") or {}).get("required") or []:
        if param not in args:
            return CheckResult.fail("missing_required", f"missing required parameter {param!r}")
    for param, value in args.items():
        result = _check_param(param, value, properties, accepted)
        if not result.valid:
            return result
    for param, values in accepted.items():
        if param not in args and "" not in values:
            return CheckResult.fail("missing_optional", f"parameter {param!r} is not optional here and was not given")
    return OK


def _check_param(param: str, value: Any, properties: dict[str, Any], accepted: dict[str, list[Any]]) -> CheckResult:
    if param not in properties or param not in accepted:
        return CheckResult.fail("unexpected_param", f"unexpected parameter {param!r}")
    spec = properties[param]
    if spec.get("type") == "tuple" and isinstance(value, tuple):
        value = list(value)
    if spec.get("type") in _FLOATS and type(value) is int:
        value = float(value)
    type_result, is_variable = check_type(param, value, accepted[param], spec)
    if not type_result.valid:
        return type_result
    if is_variable:
        return check_member(param, value, accepted[param])
    return check_value(param, value, accepted[param], spec)


def check_item(
    functions: list[dict[str, Any]], output: Calls | str, truth: Calls | None, category: str, matching: str = "bfcl"
) -> CheckResult:
    """Check a whole model output (calls, or raw text) for one BFCL item of ``category``."""
    if matching not in MATCHINGS:
        raise ValueError(f"matching must be one of {MATCHINGS}, got {matching!r}")
    calls, problem = None, OK
    try:
        calls = decode_output(output)
    except OutputFormatError as exc:
        calls, problem = None, CheckResult.fail("ast_decoder:decoder_wrong_output_format", str(exc))
    except CallSyntaxError as exc:
        calls, problem = None, CheckResult.fail("ast_decoder:decoder_failed", str(exc))
    if category in (IRRELEVANCE, RELEVANCE):
        return _check_relevance(calls, category)
    if calls is None:
        return problem
    truth = truth or []
    if len(calls) != len(truth):
        return CheckResult.fail("wrong_count", f"expected {len(truth)} call(s), got {len(calls)}")
    if category in (PARALLEL, PARALLEL_MULTIPLE):
        return check_parallel(functions, calls, truth, matching)
    return check_call(_function_for(functions, truth[0]), calls[0], truth[0])


def _check_relevance(calls: Calls | None, category: str) -> CheckResult:
    called = bool(calls)
    if category == IRRELEVANCE and called:
        return CheckResult.fail("irrelevance:function_called", f"expected no call, got {len(calls or [])}")
    if category == RELEVANCE and not called:
        return CheckResult.fail("relevance:no_call", "expected at least one function call, got none")
    return OK


def _function_for(functions: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    name = next(iter(truth))
    return find_function(functions, name) or {"name": name, "parameters": {}}


def check_parallel(functions: list[dict[str, Any]], output: Calls, truth: Calls, matching: str = "bfcl") -> CheckResult:
    """Order-free matching of calls to ground truths: BFCL's procedure (each expected call in
    turn takes the first unused call that passes) or a maximum bipartite matching."""
    table = [[check_call(_function_for(functions, t), o, t) for o in output] for t in truth]
    if matching == "bipartite":
        return _bipartite(table, output, truth)
    used: set[int] = set()
    for ti, row in enumerate(table):
        oi = next((oi for oi, result in enumerate(row) if result.valid and oi not in used), None)
        if oi is None:
            return _unmatched(ti, row, output, truth[ti], used)
        used.add(oi)
    return OK


def _bipartite(table: list[list[CheckResult]], output: Calls, truth: Calls) -> CheckResult:
    match: dict[int, int] = {}  # output index -> truth index

    def assign(ti: int, seen: set[int]) -> bool:
        for oi, result in enumerate(table[ti]):
            if result.valid and oi not in seen:
                seen.add(oi)
                if oi not in match or assign(match[oi], seen):
                    match[oi] = ti
                    return True
        return False

    for ti in range(len(truth)):
        if not assign(ti, set()):
            return _unmatched(ti, table[ti], output, truth[ti], set(match))
    return OK


_STAGE = ("wrong_func_name", "missing_required", "unexpected_param", "type_error", "value_error", "missing_optional")


def _stage(error_type: str) -> int:
    """How far a call got through the checks before failing (later = closer to right).

    >>> _stage("wrong_func_name") < _stage("type_error:simple") < _stage("value_error:string")
    True
    """
    return next((i for i, s in enumerate(_STAGE) if error_type.startswith(s)), 0)


def _unmatched(ti: int, row: list[CheckResult], output: Calls, truth: dict[str, Any], used: set[int]) -> CheckResult:
    """The most telling failure for an unmatched ground truth: the same-named call (preferring
    calls not matched elsewhere) that got furthest through the checks."""
    name = next(iter(truth))
    same = [(oi in used, -_stage(r.error_type), oi) for oi, (o, r) in enumerate(zip(output, row, strict=True))
            if o and names_match(next(iter(o)), name) and not r.valid]
    best = row[min(same)[2]] if same else CheckResult.fail("wrong_func_name", f"no call to {name!r}")
    if not same and any(r.valid for r in row):
        best = CheckResult.fail("parallel:taken", f"every call that fits {name!r} was matched to an earlier one")
    return CheckResult(False, best.error_type, [f"ground truth #{ti} ({name}) has no matching call", *best.errors])


def ground_truth_output(truth: Calls, functions: list[dict[str, Any]] | None = None) -> Calls:
    """A model output made from a ground truth: optional parameters (``""`` accepted, not
    required by ``functions``) left out, else the first accepted value (nested dicts of
    accepted values collapsed the same way).

    >>> ground_truth_output([{"f": {"a": [1, 2], "b": ["", 3], "c": [{"k": ["x"], "o": ["", 1]}]}}])
    [{'f': {'a': 1, 'c': {'k': 'x'}}}]
    """
    out = []
    for call in truth:
        for name, accepted in call.items():
            required = set(((find_function(functions or [], name) or {}).get("parameters") or {}).get("required") or [])
            out.append({name: _collapse(accepted, required)})
    return out


def _collapse(accepted: dict[str, list[Any]], required: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    out = {}
    for param, values in accepted.items():
        concrete = [v for v in values if v != ""]
        if not concrete or ("" in values and param not in required):
            continue
        value = concrete[0]
        if isinstance(value, dict):
            value = _collapse(value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            value = [_collapse(v) for v in value]
        out[param] = value
    return out
