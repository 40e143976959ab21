"""Tool catalogs: the :class:`Catalog`, function names, queries, exporters, Python functions as tools.

- :mod:`toolbench.catalog.catalog` — :class:`Catalog` (ApiSpecs by id, the function-name map)
- :mod:`toolbench.catalog.names` — function names (``{api}_for_{tool}``, ≤ 64 characters), stable hashes
- :mod:`toolbench.catalog.queries` — query files (ToolBench JSON, our JSONL, Seal-Tools, BFCL)
- :mod:`toolbench.catalog.exporters` — write catalogs as OpenAI tools or ToolBench API lists
- :mod:`toolbench.catalog.stats` — counts per source format
- :mod:`toolbench.catalog.pyfunc` — Python functions as ApiSpecs (signature + docstring → schema)

Catalog *files* are read by :mod:`toolbench.loaders`.
"""

from toolbench.catalog.catalog import Catalog

__all__ = ["Catalog"]
