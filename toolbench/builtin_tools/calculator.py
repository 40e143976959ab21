"""Calculator: safe arithmetic over a parsed syntax tree (never ``eval``).

:func:`evaluate` walks the ``ast`` of an expression and allows only numbers, ``+ - * /
// % **`` (``^`` means power), unary signs, parentheses, a few constants (``pi``, ``e``)
and functions (``sqrt``, ``abs``, ``round``, ``log``, ...). Spaces are fine, thousands
separators (``1,000``) are removed and a trailing ``%`` means per cent. Powers and
results are bounded so no input can hang the process. :func:`calculate` prints the
result the way the Toolformer paper's calculator does: rounded to 2 decimals, integers
without ``.0``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from toolbench.builtin_tools._common import builtin, format_number, tidy_number

MAX_EXPRESSION = 500
MAX_EXPONENT = 10_000
MAX_DIGITS = 4_000  # below Python's int -> str limit (4300 digits), so every result prints
MAX_ROUND_DIGITS = 100

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _round(value: Any, ndigits: Any = None) -> Any:
    """``round`` with ``ndigits`` bounded (``round(10**4000, -10**8)`` would run for minutes).

    >>> _round(2.567, 2), _round(1234, -2), _round(2.5)
    (2.57, 1200, 2)
    """
    if ndigits is None:
        return round(value)
    if not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS:
        raise ValueError(f"round() takes a whole number of digits between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}")
    return round(value, ndigits)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "abs": abs, "round": _round, "log": math.log, "log10": math.log10, "log2": math.log2,
    "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan, "floor": math.floor, "ceil": math.ceil,
    "min": min, "max": max,
}

calculator_tool = builtin(
    "Calculator", "Mathematics",
    "Exact arithmetic on numbers: expressions, percentages and percentage changes.",
)


def normalize_expression(text: str) -> str:
    """Rewrite everyday notation into the grammar :func:`evaluate` parses.

    >>> normalize_expression("2^3 × 1,000 ÷ 4")
    '2**3 * 1000 / 4'
    >>> normalize_expression("15% * 80")
    '(15/100) * 80'
    >>> normalize_expression("0.2 x 50"), normalize_expression("3x4")
    ('0.2 * 50', '3*4')
    """
    text = str(text).strip().rstrip("=").strip()
    for old, new in (("^", "**"), ("×", "*"), ("÷", "/"), ("−", "-"), ("–", "-")):
        text = text.replace(old, new)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<=[\d)])(\s*)[xX](\s*)(?=[\d(])", r"\1*\2", text)  # "0.2 x 50" as GSM8K writes it
    return re.sub(r"(\d+(?:\.\d+)?)\s*%(?!\s*[\d(.])", r"(\1/100)", text)


def _pow(base: Any, exponent: Any) -> Any:
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"exponent {exponent} is too large")
    if abs(base) > 1 and abs(exponent) * math.log10(abs(base)) > MAX_DIGITS:
        raise ValueError("the result is too large")
    return operator.pow(base, exponent)


def _check_size(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_DIGITS * 3.33:
        raise ValueError("the result is too large")
    if isinstance(value, complex):
        raise ValueError("the result is not a real number")
    return value


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _check_size(_pow(left, right))
        return _check_size(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        if node.keywords:
            raise ValueError("keyword arguments are not supported")
        return _check_size(_FUNCTIONS[node.func.id](*[_eval(a) for a in node.args]))
    raise ValueError(f"unsupported element in expression: {ast.unparse(node)[:60]}")


def evaluate(expression: str) -> int | float:
    """The exact value of an arithmetic expression (see the module docstring).

    >>> evaluate("2 + 3 * 4"), evaluate("(2 + 3) * 4"), evaluate("2 ^ 10"), evaluate("-3 ** 2")
    (14, 20, 1024, -9)
    >>> evaluate("sqrt(16) + 10 % 3")
    5.0
    >>> evaluate("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: unsupported element in expression: __import__('os')
    """
    text = normalize_expression(expression)
    if not text:
        raise ValueError("the expression is empty")
    if len(text) > MAX_EXPRESSION:
        raise ValueError(f"the expression is longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError):
        raise ValueError(f"cannot parse the expression {expression!r}") from None
    try:
        return _eval(tree)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except (OverflowError, RecursionError, MemoryError):
        raise ValueError("the result is too large") from None
    except TypeError as exc:  # e.g. max() without arguments
        raise ValueError(f"invalid use of a function: {exc}") from None


def calculate(expression: str) -> str:
    """The Toolformer calculator: the result rounded to 2 decimals, integers without ``.0``.

    >>> calculate("400 / 1400"), calculate("18 + 12 * 3"), calculate(" 7 / 2 "), calculate("10 / 4 * 2")
    ('0.29', '54', '3.5', '5')
    """
    return format_number(evaluate(expression))


@calculator_tool
def calculator(expression: str) -> dict[str, Any]:
    """Evaluate an arithmetic expression and return the result rounded to 2 decimals.

    Supports + - * / // % and ** (or ^), parentheses, pi, e and sqrt, abs, round, log,
    log10, exp, sin, cos, tan, floor, ceil, min, max.

    Args:
        expression: The arithmetic expression, e.g. "(12 + 30) * 1.5".
    """
    return {"expression": expression, "result": tidy_number(evaluate(expression))}


@calculator_tool
def percentage_of(percent: float, value: float) -> dict[str, Any]:
    """Compute a percentage of a value, e.g. 15 percent of 80 is 12.

    Args:
        percent: The percentage, e.g. 15 for 15%.
        value: The value to take the percentage of.
    """
    return {"percent": percent, "value": value, "result": tidy_number(percent * value / 100)}


@calculator_tool
def percent_change(old_value: float, new_value: float) -> dict[str, Any]:
    """Compute the percentage change from an old value to a new value.

    Args:
        old_value: The starting value (not zero).
        new_value: The final value.
    """
    if old_value == 0:
        raise ValueError("old_value must not be zero")
    change = (new_value - old_value) / abs(old_value) * 100
    return {"old_value": old_value, "new_value": new_value, "percent_change": tidy_number(change)}
