"""The ``builtin`` executor: the :mod:`toolbench.builtin_tools` functions, run in process.

The catalog may be the built-in catalog or any subset of it (retrieval offers a few APIs
per query); calls to APIs outside the built-in set get a ``NOT_FOUND`` observation.
"""

from __future__ import annotations

from toolbench.catalog import Catalog
from toolbench.executors.base import executors
from toolbench.executors.observe import DEFAULT_MAX_CHARS
from toolbench.executors.python import PythonExecutor
from toolbench.executors.timeouts import DEFAULT_ISOLATION


@executors.register("builtin")
class BuiltinExecutor(PythonExecutor):
    """Runs the built-in real tools (provenance ``real``)."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        isolation: str = DEFAULT_ISOLATION,
        timeout: float = 10.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        from toolbench.builtin_world import builtin_catalog, builtin_function_table

        super().__init__(
            catalog if catalog is not None else builtin_catalog(),
            functions=builtin_function_table(),
            isolation=isolation,
            timeout=timeout,
            max_observation_chars=max_observation_chars,
            coerce=coerce,
        )
