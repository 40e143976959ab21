"""The ``auto`` executor: each API goes to the executor that can really run it.

APIs with a Python function (the built-in tools, ``@tool`` functions, ``functions`` /
``modules`` options) run for real in a :class:`PythonExecutor`; every other API goes to a
:class:`VirtualExecutor` (cache → simulator). Function names stay those of the whole
catalog, so a model sees one consistent tool set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from toolbench.catalog import Catalog
from toolbench.executors.base import CatalogExecutor, Executor, executors
from toolbench.executors.observe import DEFAULT_MAX_CHARS
from toolbench.executors.python import PythonExecutor, resolve_functions
from toolbench.executors.timeouts import DEFAULT_ISOLATION
from toolbench.types import Observation, ToolCall


@executors.register("auto")
class AutoExecutor(Executor):
    """Real Python tools where they exist, the virtual executor for the rest.

    ``virtual`` holds options for the virtual executor (cache, seed, simulator, ...).
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        functions: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]] | None = None,
        modules: Iterable[str] = (),
        virtual: dict[str, Any] | None = None,
        isolation: str = DEFAULT_ISOLATION,
        timeout: float = 30.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        from toolbench.builtin_world import builtin_function_table
        from toolbench.executors.virtual import VirtualExecutor

        table = {**builtin_function_table(), **resolve_functions(functions, modules)}
        common = {"timeout": timeout, "max_observation_chars": max_observation_chars, "coerce": coerce}
        self.catalog = catalog
        local = [api.id for api in catalog if api.id in table]
        remote = [api.id for api in catalog if api.id not in table]
        self.local = PythonExecutor(catalog.subset(local), functions=table, isolation=isolation, **common)
        self.remote: CatalogExecutor | None = None
        if remote:
            self.remote = VirtualExecutor(catalog.subset(remote), **{**common, **(virtual or {})})
        self._remote_ids = set(remote)

    def call(self, call: ToolCall) -> Observation:
        api = self.catalog.by_function_name(call.name)
        if api is not None and api.id in self._remote_ids and self.remote is not None:
            return self.remote.call(call)
        return self.local.call(call)

    def stats(self) -> dict[str, Any]:
        merged: dict[str, Any] = dict(self.local.stats())
        for key, value in (self.remote.stats() if self.remote else {}).items():
            merged[key] = merged.get(key, 0) + value
        return merged

    def cancel(self) -> None:
        self.local.cancel()
        if self.remote is not None:
            self.remote.cancel()

    def close(self) -> None:
        self.local.close()
        if self.remote is not None:
            self.remote.close()
