"""Tests for toolbench.catalog.pyfunc: schemas from type hints and docstrings, the @tool decorator."""

from __future__ import annotations

import enum
import types
from typing import Annotated, Literal, Optional

import jsonschema
import pytest

from toolbench.catalog import Catalog
from toolbench.catalog.pyfunc import (
    FUNCTIONS,
    api_spec_from_function,
    function_table,
    is_tool,
    parse_docstring,
    spec_of,
    tool,
    tools_in_module,
)
from toolbench.errors import InputError


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


def convert(
    value: float,
    unit: Literal["m", "ft"],
    places: int = 2,
    color: Color = Color.RED,
    tags: list[str] | None = None,
    note: Optional[str] = None,  # noqa: UP045 - the old spelling must work too
    flag: bool = False,
    weights: dict[str, float] | None = None,
    label: Annotated[str, "A label from Annotated."] = "x",
    *args: int,
    **kwargs: str,
) -> str:
    """Convert a value between units.

    A second paragraph of the description.

    Args:
        value (float): The value to
            convert, any real number.
        unit: Target unit.
        places: Decimal places.
        color: A color.

    Returns:
        The converted value as text.

    >>> convert(1.0, "m")
    '1.0'
    """
    return str(value)


def test_schema_types_required_and_defaults() -> None:
    spec = api_spec_from_function(convert, tool="units", category="Science")
    props = spec.parameters["properties"]
    assert spec.required == ["value", "unit"]
    assert props["value"] == {"type": "number", "description": "The value to convert, any real number."}
    assert props["unit"] == {"type": "string", "enum": ["m", "ft"], "description": "Target unit."}
    assert props["places"] == {"type": "integer", "description": "Decimal places.", "default": 2}
    assert props["color"]["enum"] == ["red", "green"] and props["color"]["default"] == "red"
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "default": None}
    assert props["note"] == {"type": "string", "default": None}
    assert props["flag"] == {"type": "boolean", "default": False}
    assert props["weights"]["additionalProperties"] == {"type": "number"}
    assert props["label"]["description"] == "A label from Annotated."
    assert "args" not in props and "kwargs" not in props
    assert spec.description == "Convert a value between units. A second paragraph of the description."
    assert spec.native_name == "convert" and spec.source == f"python:{convert.__module__}"
    jsonschema.Draft202012Validator.check_schema(spec.parameters)


def test_schema_validates_real_arguments() -> None:
    validator = jsonschema.Draft202012Validator(api_spec_from_function(convert).parameters)
    assert validator.is_valid({"value": 2.5, "unit": "ft", "tags": ["a"]})
    assert not validator.is_valid({"value": "2.5", "unit": "ft"})
    assert not validator.is_valid({"value": 1, "unit": "yard"})
    assert not validator.is_valid({"unit": "m"})


def test_numpy_docstring() -> None:
    doc = """Compute a mean.

    Parameters
    ----------
    values : list of float
        The numbers,
        at least one.
    trim : float, optional
        Fraction to cut.

    Returns
    -------
    float
    """
    summary, params = parse_docstring(doc)
    assert summary == "Compute a mean."
    assert params == {"values": "The numbers, at least one.", "trim": "Fraction to cut."}


def test_no_docstring_and_no_hints() -> None:
    def bare(a, b=3):  # type: ignore[no-untyped-def]
        return a

    spec = api_spec_from_function(bare)
    assert spec.description == ""
    assert spec.parameters == {"type": "object", "properties": {"a": {}, "b": {"default": 3}}, "required": ["a"]}


def test_lambda_needs_a_name() -> None:
    with pytest.raises(InputError):
        api_spec_from_function(lambda x: x)
    assert api_spec_from_function(lambda x: x, name="ident").name == "ident"


def test_decorator_registers_and_catalog_uses_native_name() -> None:
    @tool(category="Tests", tool="pyfunc_demo")
    def shout_text(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    assert is_tool(shout_text) and shout_text("a") == "A"
    spec = spec_of(shout_text)
    assert FUNCTIONS[spec.id] is shout_text
    catalog = Catalog([spec])
    assert catalog.by_function_name("shout_text") is not None


def test_bare_decorator_and_module_scan() -> None:
    module = types.ModuleType("scan_demo")

    def helper(x: int) -> int:
        return x

    helper.__module__ = "scan_demo"
    module.helper = helper
    module._private = helper
    assert tools_in_module(module) == [helper]
    decorated = tool(helper)
    assert decorated is helper and is_tool(helper)
    specs, table = function_table(tools_in_module(module))
    assert [s.name for s in specs] == ["helper"] and table[specs[0].id] is helper
