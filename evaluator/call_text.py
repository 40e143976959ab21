"""Function calls written as Python call syntax, BFCL's default text format, read without evaluating them.

A model that answers in text writes ``[get_weather(city="Paris", days=3), math.factorial(n=5)]``.
The text is parsed with :mod:`ast` and each argument node is resolved by a whitelist:
literals, lists, tuples, dicts, signed numbers, arithmetic on number/string/list
literals (bounded), and the forms BFCL's decoder turns into strings (a bare name is the
variable's name, a call without keywords or a subscript is its source text; a call with
keywords nested in an argument becomes ``{name: {arg: value}}``). Nothing is ever run
(no ``eval``/``exec``). Like BFCL's decoder: surrounding backticks, newlines and spaces
are stripped, missing outer brackets are added, positional arguments are dropped (only
keywords are kept) and ``...`` reads as the string ``"..."``. Text that is not a list of
calls raises :class:`CallSyntaxError` with the reason.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from typing import Any

Call = dict[str, dict[str, Any]]

_MAX_POWER_BITS = 100_000
_MAX_REPEAT = 100_000


class CallSyntaxError(ValueError):
    """The text is not a list of Python function calls (the reason is the message)."""


def parse_calls(text: str) -> list[Call]:
    """The calls in ``text``, as ``[{name: {argument: value}}]``.

    >>> parse_calls('[get_weather(city="Paris", days=3), f(x=[1, 2])]')
    [{'get_weather': {'city': 'Paris', 'days': 3}}, {'f': {'x': [1, 2]}}]
    >>> parse_calls("math.factorial(n=5)")
    [{'math.factorial': {'n': 5}}]
    >>> parse_calls("[]")
    []
    >>> parse_calls("I cannot help with that.")
    Traceback (most recent call last):
    ...
    evaluator.call_text.CallSyntaxError: not Python call syntax: invalid syntax. Perhaps you forgot a comma?
    """
    source = text.strip("`\n ")
    source = ("" if source.startswith("[") else "[") + source + ("" if source.endswith("]") else "]")
    try:
        body = ast.parse(source.strip().strip("'"), mode="eval").body
    except SyntaxError as exc:
        raise CallSyntaxError(f"not Python call syntax: {exc.msg}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise CallSyntaxError(f"not Python call syntax: {type(exc).__name__}") from exc
    if isinstance(body, ast.Call):
        return [_call(body)]
    if not isinstance(body, ast.List | ast.Tuple | ast.Set):
        raise CallSyntaxError(f"expected a list of calls, got {type(body).__name__}")
    for element in body.elts:
        if not isinstance(element, ast.Call):
            raise CallSyntaxError(f"expected a function call, got {ast.unparse(element)[:80]!r}")
    return [_call(element) for element in body.elts]  # type: ignore[arg-type]


def call_name(node: ast.expr) -> str:
    """The dotted name of a called expression.

    >>> call_name(ast.parse("a.b.c(x=1)", mode="eval").body.func)
    'a.b.c'
    """
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _call(node: ast.Call) -> Call:
    args = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise CallSyntaxError("'**' arguments are not supported")
        args[keyword.arg] = resolve(keyword.value)
    return {call_name(node.func): args}


def resolve(node: ast.expr) -> Any:
    """The value of one argument node (see the module docstring for what is accepted).

    >>> [resolve(ast.parse(s, mode="eval").body) for s in ("-2.5", "2**10", "celsius", "(1, 'a')", "{'k': [True]}")]
    [-2.5, 1024, 'celsius', (1, 'a'), {'k': [True]}]
    """
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.List):
        return [resolve(v) for v in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(resolve(v) for v in node.elts)
    if isinstance(node, ast.Dict):
        return _dict(node)
    if isinstance(node, ast.UnaryOp):
        return _unary(node)
    if isinstance(node, ast.BinOp):
        return _binary(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _call(node) if node.keywords else ast.unparse(node)
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise CallSyntaxError(f"unsupported expression {type(node).__name__}: {ast.unparse(node)[:80]!r}")


def _constant(value: Any) -> Any:
    if value is Ellipsis:
        return "..."
    if isinstance(value, bytes | complex):
        raise CallSyntaxError(f"unsupported literal {value!r}")
    return value


def _dict(node: ast.Dict) -> dict[Any, Any]:
    if any(key is None for key in node.keys):
        raise CallSyntaxError("'**' in a dict is not supported")
    try:
        return {resolve(k): resolve(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    except TypeError as exc:
        raise CallSyntaxError(f"bad dict key: {exc}") from exc


def _unary(node: ast.UnaryOp) -> Any:
    value = resolve(node.operand)
    if isinstance(node.op, ast.USub | ast.UAdd) and _is_number(value):
        return -value if isinstance(node.op, ast.USub) else value
    raise CallSyntaxError(f"unsupported expression: {ast.unparse(node)[:80]!r}")


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}


def _binary(node: ast.BinOp) -> Any:
    """Arithmetic on literals: numbers with + - * / // % **, strings and lists joined or repeated."""
    left, right = resolve(node.left), resolve(node.right)
    function = _BINARY.get(type(node.op))
    numbers = _is_number(left) and _is_number(right)
    joined = isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, str | list)
    repeated = isinstance(node.op, ast.Mult) and _is_repeat(left, right)
    if function is None or not (numbers or joined or repeated):
        raise CallSyntaxError(f"unsupported expression: {ast.unparse(node)[:80]!r}")
    if isinstance(node.op, ast.Pow) and numbers and abs(right) * max(1, _bits(left)) > _MAX_POWER_BITS:
        raise CallSyntaxError(f"exponent too large: {ast.unparse(node)[:80]!r}")
    try:
        return function(left, right)
    except (ArithmeticError, ValueError) as exc:
        raise CallSyntaxError(f"{type(exc).__name__} in {ast.unparse(node)[:80]!r}") from exc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bits(value: int | float) -> int:
    return abs(int(value)).bit_length() if abs(value) < 1e300 else 1024


def _is_repeat(left: Any, right: Any) -> bool:
    sequence, count = (left, right) if isinstance(left, str | list) else (right, left)
    return isinstance(sequence, str | list) and type(count) is int and len(sequence) * count <= _MAX_REPEAT


class OutputFormatError(CallSyntaxError):
    """The output decoded, but not to a list of ``{name: {argument: value}}`` calls."""


def decode_output(output: str | list[Any]) -> list[Call]:
    """A model output as BFCL's AST checker reads it: raw text is parsed as Python calls; a list
    of ``{name: arguments}`` may carry its arguments as a JSON string (BFCL's result files for
    function-calling models).

    >>> decode_output('[f(a=1)]'), decode_output([{"f": '{"a": 1}'}])
    ([{'f': {'a': 1}}], [{'f': {'a': 1}}])
    >>> decode_output([{"f": [1]}])
    Traceback (most recent call last):
    ...
    evaluator.call_text.OutputFormatError: call 1 is not {function_name: {argument: value}}
    """
    if isinstance(output, str):
        return parse_calls(output)
    if not isinstance(output, list):
        raise OutputFormatError(f"expected a list of calls, got {type(output).__name__}")
    calls = [_decoded_call(call) for call in output]
    for number, call in enumerate(calls, start=1):
        if not (isinstance(call, dict) and len(call) == 1 and isinstance(next(iter(call.values())), dict)):
            raise OutputFormatError(f"call {number} is not {{function_name: {{argument: value}}}}")
    return calls


def _decoded_call(call: Any) -> Any:
    if not (isinstance(call, dict) and len(call) == 1 and isinstance(next(iter(call.values())), str)):
        return call
    (name, arguments), = call.items()
    try:
        return {name: json.loads(arguments)}
    except json.JSONDecodeError as exc:
        raise CallSyntaxError(f"arguments of {name!r} are not JSON: {exc.msg}") from exc
