"""Plain Python functions as a catalog: a ``.py`` file, a module, or ``module:function``.

Schemas come from type hints and docstrings (:mod:`toolbench.catalog.pyfunc`). Functions
decorated with ``@tool`` are taken when a module has any, else every public function
defined in it. Loaded functions are registered so the ``python`` executor can call them.
The target is the user's own code: importing it runs it, as ``python file.py`` would.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from pathlib import Path
from typing import Any

from toolbench.errors import InputError
from toolbench.types import ApiSpec

PYTHON = "python"
_TARGET = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


def looks_like_python_target(target: str) -> bool:
    """``pkg.module:function`` or a ``.py`` path.

    >>> looks_like_python_target("mytools:add"), looks_like_python_target("tools.py")
    (True, True)
    >>> looks_like_python_target("catalog.json")
    False
    """
    head = target.split(":", 1)[0]
    return head.endswith(".py") or (":" in target and bool(_TARGET.match(target)))


def _import_file(path: Path) -> types.ModuleType:
    name = "toolbench_user_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError("cannot import this file as Python", path=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a module that calls sys.exit() at import is bad input too
        sys.modules.pop(name, None)
        raise InputError(f"importing failed ({type(exc).__name__}: {exc})", path=str(path)) from exc
    return module


def _import(target: str) -> types.ModuleType:
    if target.endswith(".py") or "/" in target:
        path = Path(target)
        if not path.is_file():
            raise InputError("no such Python file", path=target)
        return _import_file(path)
    try:
        return importlib.import_module(target)
    except (Exception, SystemExit) as exc:
        raise InputError(f"cannot import module ({type(exc).__name__}: {exc})", path=target) from exc


def load_python(target: str | Path) -> list[ApiSpec]:
    """The APIs of ``file.py``, ``pkg.module`` or ``pkg.module:function``."""
    from toolbench.catalog.pyfunc import register_function, spec_of, tools_in_module

    module_part, _, attr = str(target).partition(":")
    module = _import(module_part)
    functions: list[Any]
    if attr:
        fn = getattr(module, attr, None)
        if not callable(fn):
            raise InputError(f"{attr!r} is not a function of this module", path=str(target))
        functions = [fn]
    else:
        functions = tools_in_module(module)
    if not functions:
        raise InputError("no public functions found", path=str(target))
    specs = []
    for fn in functions:
        spec = spec_of(fn)
        register_function(fn, spec)
        specs.append(spec)
    return specs
