"""The built-in real tools: offline, deterministic tools over the standard library and well-kept packages.

One module per tool; every public API is a plain function decorated with
:func:`toolbench.catalog.pyfunc.tool`, so its schema comes from its signature and docstring.
:func:`builtin_functions` imports them all (the heavy packages ``pint``, ``holidays``,
``periodictable`` are imported only when a tool first runs).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from toolbench.catalog.pyfunc import tools_in_module

MODULES = (
    "calculator", "number_theory", "statistics_tool", "dates", "public_holidays", "timezones",
    "units", "chemistry", "countries", "number_words", "text_tools", "encoding",
)


@functools.lru_cache(maxsize=1)
def _functions() -> tuple[Callable[..., Any], ...]:
    found: list[Callable[..., Any]] = []
    for name in MODULES:
        found.extend(tools_in_module(importlib.import_module(f"{__name__}.{name}")))
    return tuple(found)


def builtin_functions() -> list[Callable[..., Any]]:
    """Every built-in tool function, module by module in definition order."""
    return list(_functions())
