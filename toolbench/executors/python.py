"""The ``python`` executor: plain Python functions as tools (see :mod:`toolbench.catalog.pyfunc`).

Functions come from ``functions`` (callables or an API id → callable map), from modules
named in ``modules`` (imported; a ``.py`` path is loaded from the file), and otherwise
from the registry the :func:`~toolbench.catalog.pyfunc.tool` decorator fills. Each call runs with
a time limit (``isolation``: ``process`` — reused worker processes killed at the limit, the
default —, ``thread`` or ``none``) and its return value is made JSON-ready.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
import fractions
import functools
import importlib
import importlib.util
import inspect
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from toolbench.catalog import Catalog
from toolbench.catalog.pyfunc import FUNCTIONS, function_table, tools_in_module
from toolbench.errors import ConfigError, InputError
from toolbench.executors.base import CatalogExecutor, ToolFailure, executors
from toolbench.executors.observe import DEFAULT_MAX_CHARS
from toolbench.executors.timeouts import DEFAULT_ISOLATION, ISOLATIONS, run_with_timeout
from toolbench.executors.workers import WorkerPool
from toolbench.types import ApiSpec, ObservationStatus, Provenance

logger = logging.getLogger(__name__)

MAX_INT_DIGITS = 4000  # Python refuses to print ints over 4300 digits
MAX_INT_BITS = int(MAX_INT_DIGITS * 3.33)


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy of a tool's return value.

    >>> to_jsonable({"when": _dt.date(2024, 1, 2), "ratio": fractions.Fraction(1, 4), "s": {2}})
    {'when': '2024-01-02', 'ratio': 0.25, 's': [2]}
    >>> to_jsonable(float("nan")) is None
    True
    >>> to_jsonable(10**5000)
    Traceback (most recent call last):
    ...
    ValueError: the result has more than 4000 digits
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise ValueError(f"the result has more than {MAX_INT_DIGITS} digits")
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (decimal.Decimal, fractions.Fraction)):
        return float(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(v) for v in items]
    return str(value)


def load_module(name_or_path: str) -> ModuleType:
    """Import a module by dotted name, or load a ``.py`` file by path."""
    if name_or_path.endswith(".py"):
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError("no such Python file", path=str(path))
        spec = importlib.util.spec_from_file_location(f"toolbench_user_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise InputError("cannot load this Python file", path=str(path))
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            raise InputError(f"importing failed ({type(exc).__name__}: {exc})", path=str(path)) from exc
        return module
    try:
        return importlib.import_module(name_or_path)
    except ImportError as exc:
        raise ConfigError(f"cannot import tool module {name_or_path!r} ({exc})") from exc


def resolve_functions(
    functions: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]] | None = None,
    modules: Iterable[str] = (),
) -> dict[str, Callable[..., Any]]:
    """API id → callable from explicit functions, modules and the decorator registry."""
    table: dict[str, Callable[..., Any]] = dict(FUNCTIONS)
    for name in modules:
        table.update(function_table(tools_in_module(load_module(name)))[1])
    if isinstance(functions, Mapping):
        table.update(functions)
    elif functions is not None:
        table.update(function_table(functions)[1])
    return table


@executors.register("python")
class PythonExecutor(CatalogExecutor):
    """Calls Python functions for the catalog's APIs (provenance ``real``)."""

    allow_extra_arguments = False

    def __init__(
        self,
        catalog: Catalog,
        *,
        functions: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]] | None = None,
        modules: Iterable[str] = (),
        isolation: str = DEFAULT_ISOLATION,
        timeout: float = 10.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        super().__init__(catalog, timeout=timeout, max_observation_chars=max_observation_chars, coerce=coerce)
        if isolation not in ISOLATIONS:
            raise ConfigError(f"isolation must be one of {', '.join(ISOLATIONS)}, not {isolation!r}")
        self.isolation = isolation
        self.functions = resolve_functions(functions, modules)
        self._pool: WorkerPool | None = None
        missing = [api.id for api in catalog if api.id not in self.functions]
        if missing:
            logger.warning("%d API(s) have no Python function, e.g. %s", len(missing), missing[0])

    def execute(self, api: ApiSpec, arguments: dict[str, Any]) -> tuple[Any, Provenance]:
        if api.id not in self.functions:
            raise ToolFailure(f"no Python function implements {api.id}", ObservationStatus.NOT_FOUND)
        if self.isolation == "process":
            return self._workers().call(api.id, arguments, self.timeout), Provenance.REAL
        call = {"api_id": api.id, "arguments": arguments}
        return run_with_timeout(self.invoke, call, self.timeout, self.isolation), Provenance.REAL

    def invoke(self, api_id: str, arguments: dict[str, Any]) -> Any:
        """Call the function of ``api_id`` in this process; its JSON-ready result."""
        fn = self.functions[api_id]
        if inspect.iscoroutinefunction(fn):
            fn = functools.partial(_run_async, fn)
        return to_jsonable(fn(**arguments))

    def _workers(self) -> WorkerPool:
        with self._lock:
            if self._pool is None:
                self._pool = WorkerPool(self.invoke)
            return self._pool

    def cancel(self) -> None:
        """Stop the calls in flight now (their worker processes are killed)."""
        if self._pool is not None:
            self._pool.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _run_async(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run an ``async def`` tool to completion on a fresh event loop (in the worker)."""
    import asyncio

    return asyncio.run(fn(**kwargs))
