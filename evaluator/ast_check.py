"""BFCL-style AST checking of function calls, with the error type of every failure.

A model output is a list of calls ``[{function_name: {param: value}}]``; a ground truth
is the same shape with a *list of accepted values* per parameter (``""`` among them
marks the parameter optional). Checks follow the Berkeley Function-Calling Leaderboard:
function name; required parameters present; no unexpected parameters; Python types
(``int`` accepted for ``float``; a value of the ground truth's own type accepted as a
"variable"); accepted values, with BFCL's string normalisation (case, spaces and
``,./-_*^`` ignored); nested lists and dicts; optional parameters that are not marked
optional must be given. Parallel items match calls to ground truths in any order (a
maximum bipartite matching, not BFCL's greedy pass); irrelevance items pass only when
no function is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "number": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "object": dict, "any": str,
}

SIMPLE, MULTIPLE, PARALLEL, PARALLEL_MULTIPLE, IRRELEVANCE = (
    "simple", "multiple", "parallel", "parallel_multiple", "irrelevance",
)


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


def category_of(item_id: str) -> str:
    """The checking category from a BFCL id.

    >>> category_of("simple_python_12"), category_of("parallel_multiple_3"), category_of("live_irrelevance_5")
    ('simple', 'parallel_multiple', 'irrelevance')
    >>> category_of("multiple_0"), category_of("parallel_9")
    ('multiple', 'parallel')
    """
    name = re.sub(r"_\d+$", "", item_id).removeprefix("live_")
    if "irrelevance" in name:
        return IRRELEVANCE
    if name.startswith("parallel_multiple"):
        return PARALLEL_MULTIPLE
    if name.startswith("parallel"):
        return PARALLEL
    if name.startswith("multiple"):
        return MULTIPLE
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


def _answer_type(accepted: list[Any]) -> type | None:
    return next((type(a) for a in accepted if a != ""), None)


def check_type(param: str, value: Any, accepted: list[Any], spec: dict[str, Any]) -> tuple[CheckResult, bool]:
    """Type check of one value; returns (result, is_variable).

    >>> spec = {"type": "integer"}
    >>> check_type("n", 3, [3], spec)[0].valid, check_type("n", "3", [3], spec)[0].error_type
    (True, 'type_error:simple')
    """
    expected = TYPES.get(str(spec.get("type", "any")), str)
    answer_type = _answer_type(accepted)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        nested = TYPES.get(str((spec.get("items") or {}).get("type", ""))) if expected is list else None
        if nested is None or _nested_ok(value, accepted, nested):
            return OK, is_variable
        msg = f"nested type check failed for {param!r}: expected list of {nested.__name__}, got {value!r}"
        return CheckResult.fail("type_error:nested", msg), is_variable
    if answer_type is not None and type(value) is answer_type:
        return OK, True
    msg = f"incorrect type for {param!r}: expected {spec.get('type')}, got {type(value).__name__} ({value!r})"
    return CheckResult.fail("type_error:simple", msg), is_variable


def _nested_ok(value: list[Any], accepted: list[Any], nested: type) -> bool:
    """Items of the declared item type, or of the ground truth's item type (a "variable")."""
    lists = [a for a in accepted if isinstance(a, list)]
    if not lists:
        return True
    for option in lists:
        option_type = _answer_type(option)
        if all(type(v) in (nested, option_type) or (nested is float and type(v) is int) for v in value):
            return True
    return False


def check_value(param: str, value: Any, accepted: list[Any], expected: type) -> CheckResult:
    """Value check against the accepted values (strings, lists, dicts normalised).

    >>> check_value("city", "new york", ["New York", "NYC"], str).valid
    True
    >>> check_value("city", "Boston", ["New York"], str).error_type
    'value_error:string'
    """
    if expected is dict and isinstance(value, dict):
        return _check_dict(param, value, accepted)
    if expected is list and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return _check_list_of_dicts(param, value, accepted)
    if expected is str:
        if _std(value) in [_std(a) for a in accepted if isinstance(a, str)]:
            return OK
        return CheckResult.fail("value_error:string", f"invalid value for {param!r}: {value!r}; expected {accepted}")
    if expected is list:
        norm = [_std(v) for v in value]
        if norm in [[_std(x) for x in a] for a in accepted if isinstance(a, list)]:
            return OK
        return CheckResult.fail("value_error:list/tuple", f"invalid list for {param!r}: {value!r}; expected {accepted}")
    return check_member(param, value, accepted)


def check_member(param: str, value: Any, accepted: list[Any]) -> CheckResult:
    """Plain membership, keeping booleans apart from numbers (``True == 1`` in Python).

    >>> check_member("x", 0.0, [0]).valid, check_member("x", True, [1]).valid
    (True, False)
    """
    if any(a == value and (type(a) is bool) == (type(value) is bool) for a in accepted if a != ""):
        return OK
    return CheckResult.fail("value_error:others", f"invalid value for {param!r}: {value!r}; expected one of {accepted}")


def _check_dict(param: str, value: dict[str, Any], accepted: list[Any]) -> CheckResult:
    result = CheckResult.fail("value_error:dict_value", f"no accepted dict for {param!r}")
    for option in accepted:
        if not isinstance(option, dict):
            continue
        result = _dict_against(value, option)
        if result.valid:
            return OK
    return result


def _dict_against(value: dict[str, Any], option: dict[str, list[Any]]) -> CheckResult:
    for key, item in value.items():
        if key not in option:
            return CheckResult.fail("value_error:dict_key", f"unexpected dict key {key!r}")
        if _std(item) not in [_std(a) for a in option[key]]:
            return CheckResult.fail("value_error:dict_value", f"invalid value for dict key {key!r}: {item!r}")
    for key, values in option.items():
        if key not in value and "" not in values:
            return CheckResult.fail("value_error:dict_key", f"missing dict key {key!r}")
    return OK


def _check_list_of_dicts(param: str, value: list[dict[str, Any]], accepted: list[Any]) -> CheckResult:
    result = CheckResult.fail("value_error:list_dict_count", f"wrong number of dicts in {param!r}")
    for option in accepted:
        if not isinstance(option, list) or len(option) != len(value):
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
        return CheckResult.fail("type_error:simple", f"arguments of {name!r} are not an object")
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
    if spec.get("type") in ("float", "number") and type(value) is int:
        value = float(value)
    type_result, is_variable = check_type(param, value, accepted[param], spec)
    if not type_result.valid:
        return type_result
    if is_variable:
        return check_member(param, value, accepted[param])
    return check_value(param, value, accepted[param], TYPES.get(str(spec.get("type", "any")), str))


def check_item(
    functions: list[dict[str, Any]], output: list[dict[str, Any]], truth: list[dict[str, Any]] | None, category: str
) -> CheckResult:
    """Check a whole model output for one BFCL item of ``category``."""
    if category == IRRELEVANCE:
        if output:
            return CheckResult.fail("irrelevance:function_called", f"expected no call, got {len(output)}")
        return OK
    truth = truth or []
    if len(output) != len(truth):
        return CheckResult.fail("wrong_count", f"expected {len(truth)} call(s), got {len(output)}")
    if category in (PARALLEL, PARALLEL_MULTIPLE):
        return check_parallel(functions, output, truth)
    return check_call(_function_for(functions, truth[0]), output[0], truth[0])


def _function_for(functions: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    name = next(iter(truth))
    return find_function(functions, name) or {"name": name, "parameters": {}}


Calls = list[dict[str, Any]]


def check_parallel(functions: list[dict[str, Any]], output: Calls, truth: Calls) -> CheckResult:
    """Order-free matching of calls to ground truths (maximum bipartite matching)."""
    table = [[check_call(_function_for(functions, t), o, t) for o in output] for t in truth]
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
