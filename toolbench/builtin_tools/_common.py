"""Helpers shared by the built-in tools: the decorator preset, argument parsing, number format."""

from __future__ import annotations

import datetime as _dt
import functools
import math
from collections.abc import Callable
from typing import Any

from toolbench.catalog.pyfunc import tool


def builtin(tool_name: str, category: str, tool_description: str) -> Callable[..., Any]:
    """The :func:`toolbench.catalog.pyfunc.tool` decorator preset for one built-in tool."""
    return functools.partial(tool, tool=tool_name, category=category, tool_description=tool_description)


def parse_date(text: str, field: str = "date") -> _dt.date:
    """An ISO date (``YYYY-MM-DD``); a clear error otherwise.

    >>> parse_date("2024-02-29")
    datetime.date(2024, 2, 29)
    >>> parse_date("29/02/2024")
    Traceback (most recent call last):
    ...
    ValueError: date must be an ISO date like 2024-01-31, not '29/02/2024'
    """
    try:
        return _dt.date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        raise ValueError(f"{field} must be an ISO date like 2024-01-31, not {text!r}") from None


def tidy_number(value: float | int, digits: int = 2) -> float | int:
    """Round to ``digits`` decimals; integral values become ``int`` (no trailing ``.0``).

    >>> tidy_number(2.0), tidy_number(1 / 3), tidy_number(-0.004), tidy_number(10**20 * 1.0)
    (2, 0.33, 0, 100000000000000000000)
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        raise ValueError("the result is not a finite number")
    rounded = round(value, digits)
    return int(rounded) if float(rounded).is_integer() else rounded


def format_number(value: float | int, digits: int = 2) -> str:
    """The text of :func:`tidy_number` (what the Toolformer calculator prints).

    >>> format_number(7.0), format_number(2.345), format_number(1e-9)
    ('7', '2.35', '0')
    """
    return str(tidy_number(value, digits))


def check_numbers(values: list[float], name: str = "numbers", minimum: int = 1) -> list[float]:
    """Refuse too-short lists with a message the model can act on."""
    if len(values) < minimum:
        raise ValueError(f"{name} needs at least {minimum} value(s), got {len(values)}")
    return values
