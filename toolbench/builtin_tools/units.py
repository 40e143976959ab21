"""Unit conversion with ``pint`` (lengths, masses, volumes, speeds, energy, temperatures, ...)."""

from __future__ import annotations

import functools
import re
from typing import Any

from toolbench.builtin_tools._common import builtin, tidy_number

unit_tool = builtin(
    "Unit Converter", "Science",
    "Convert quantities between units of measurement (metric, imperial, temperatures) with pint.",
)

_ALIASES = {"celsius": "degC", "fahrenheit": "degF", "kelvin": "K", "c": "degC", "f": "degF",
            "°c": "degC", "°f": "degF", "k": "K"}


MAX_UNIT_TEXT = 100
MAX_UNIT_POWER = 12
_POWER = re.compile(r"\*\*|\^")
_SMALL_NUMBER = re.compile(r"\s*[-+]?\s*(\d{1,3}(?:\.\d{1,3})?)(?![\d.eE(])(?!\s*(?:\*\*|\^))")


def check_unit_text(text: str) -> str:
    """``text`` when it is a short unit expression with small powers; ``ValueError`` otherwise.

    pint evaluates the powers in a unit expression, so ``m**(9**9**9)`` would never return.

    >>> check_unit_text("m**2/s^2")
    'm**2/s^2'
    >>> check_unit_text("m**9**9")
    Traceback (most recent call last):
    ...
    ValueError: unit powers must be plain numbers up to 12, not 'm**9**9'
    >>> check_unit_text("m**(9**9**9)")
    Traceback (most recent call last):
    ...
    ValueError: unit powers must be plain numbers up to 12, not 'm**(9**9**9)'
    """
    text = str(text)
    if len(text) > MAX_UNIT_TEXT:
        raise ValueError(f"a unit must be at most {MAX_UNIT_TEXT} characters")
    for power in _POWER.finditer(text):
        match = _SMALL_NUMBER.match(text, power.end())
        if match is None or float(match.group(1)) > MAX_UNIT_POWER:
            raise ValueError(f"unit powers must be plain numbers up to {MAX_UNIT_POWER}, not {text!r}")
    return text


@functools.lru_cache(maxsize=1)
def _registry() -> Any:
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def _unit(text: str) -> Any:
    import pint

    text = check_unit_text(text)
    name = _ALIASES.get(text.strip().lower(), text.strip())
    try:
        return _registry().Unit(name)
    except (pint.UndefinedUnitError, AttributeError, ValueError, TypeError, SyntaxError):
        raise ValueError(f"unknown unit {text!r}") from None


def _convert(value: float, from_unit: str, to_unit: str) -> Any:
    import pint

    source, target = _unit(from_unit), _unit(to_unit)
    try:
        return _registry().Quantity(value, source).to(target)
    except pint.DimensionalityError:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}: different kinds of quantity") from None


@unit_tool
def convert_units(value: float, from_unit: str, to_unit: str) -> dict[str, Any]:
    """Convert a quantity from one unit to another, e.g. 10 miles to kilometers.

    Args:
        value: The amount to convert.
        from_unit: The unit of the value, e.g. "mile", "kg", "liter", "km/h".
        to_unit: The unit to convert to, e.g. "km", "pound", "gallon", "m/s".
    """
    result = _convert(value, from_unit, to_unit)
    return {"value": value, "from_unit": str(_unit(from_unit)), "to_unit": str(result.units),
            "result": tidy_number(float(result.magnitude), 4)}


@unit_tool
def convert_temperature(value: float, from_unit: str, to_unit: str) -> dict[str, Any]:
    """Convert a temperature between Celsius, Fahrenheit and Kelvin.

    Args:
        value: The temperature.
        from_unit: "celsius", "fahrenheit" or "kelvin".
        to_unit: "celsius", "fahrenheit" or "kelvin".
    """
    result = _convert(value, from_unit, to_unit)
    if str(_unit(to_unit).dimensionality) != "[temperature]":
        raise ValueError("to_unit must be a temperature unit")
    return {"value": value, "from_unit": str(_unit(from_unit)), "to_unit": str(result.units),
            "result": tidy_number(float(result.magnitude), 2)}


@unit_tool
def unit_dimension(unit: str) -> dict[str, Any]:
    """Describe what a unit measures (its dimensionality) and its value in base SI units.

    Args:
        unit: A unit name or expression, e.g. "horsepower" or "km/h".
    """
    parsed = _unit(unit)
    base = _registry().Quantity(1, parsed).to_base_units()
    return {"unit": str(parsed), "dimensionality": str(parsed.dimensionality),
            "in_base_units": f"{tidy_number(float(base.magnitude), 6)} {base.units}"}
