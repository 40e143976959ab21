"""Build and load retrieval indexes (the entry points other packages use).

>>> from toolbench.types import ApiSpec
>>> apis = [ApiSpec("Weather", "Forecast", "daily", "Daily weather forecast for a city"),
...         ApiSpec("Media", "YouTube", "search", "Search videos on YouTube")]
>>> index = build_index(apis, None, kind="bm25")
>>> index.retrieve("find youtube videos about cats", k=1)[0][0]
'Media::YouTube::search'
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from retriever.bm25 import BM25Index
from retriever.dense import DenseIndex
from retriever.documents import catalog_documents
from retriever.encoders import Encoder, load_encoder
from retriever.hybrid import HybridIndex
from retriever.index_store import IndexConfig, read_metadata, staged_directory
from toolbench.catalog import Catalog
from toolbench.errors import InputError
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)


class Index(Protocol):
    """What every index offers."""

    kind: str
    api_ids: list[str]

    def retrieve(self, query: str, k: int = 10) -> list[tuple[str, float]]: ...

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]: ...

    def save(self, directory: Path) -> None: ...


def check_apis(apis: Catalog | Iterable[ApiSpec]) -> list[ApiSpec]:
    """The APIs to index; an empty catalog or a repeated id raises :class:`InputError`.

    >>> check_apis([ApiSpec("C", "T", "a"), ApiSpec("C", "T", "a")])
    Traceback (most recent call last):
    ...
    toolbench.errors.InputError: duplicate API id 'C::T::a' in the catalog
    """
    items = list(apis)
    if not items:
        raise InputError("the catalog is empty: nothing to index")
    seen: set[str] = set()
    for api in items:
        if api.id in seen:
            raise InputError(f"duplicate API id {api.id!r} in the catalog")
        seen.add(api.id)
    return items


def build_index(
    catalog: Catalog | Iterable[ApiSpec],
    out_dir: str | Path | None,
    kind: str = "hybrid",
    encoder: Encoder | str | None = None,
    *,
    config: IndexConfig | None = None,
    cache: bool = True,
    show_progress: bool = False,
) -> Index:
    """Index ``catalog`` and save it atomically to ``out_dir`` (``None``: keep in memory only)."""
    config = (config or IndexConfig()).replace(kind=kind)
    api_ids, documents = catalog_documents(check_apis(catalog))
    index: Index
    if kind == "bm25":
        index = BM25Index.build(api_ids, documents, config)
    else:
        enc = encoder if encoder is not None and not isinstance(encoder, str) else load_encoder(encoder)
        dense = DenseIndex.build(api_ids, documents, enc, config, cache=cache, show_progress=show_progress)
        if kind == "dense":
            index = dense
        else:
            index = HybridIndex.from_parts(dense, BM25Index.build(api_ids, documents, config), config)
    if out_dir is not None:
        with staged_directory(out_dir) as staging:
            index.save(staging)
        logger.info("wrote %s index of %d APIs to %s", kind, len(api_ids), out_dir)
    return index


def load_index(directory: str | Path, encoder: Encoder | str | None = None) -> Index:
    """Load an index directory; checks its files and that ``encoder`` (if given) matches."""
    directory = Path(directory)
    meta = read_metadata(directory)
    if meta["kind"] == "bm25":
        return BM25Index.load(directory, meta)
    if meta["kind"] == "dense":
        return DenseIndex.load(directory, meta, encoder)
    return HybridIndex.load(directory, meta, encoder)


def index_info(directory: str | Path) -> dict[str, Any]:
    """Summary of an index directory without loading models (kind, count, encoder, config)."""
    meta = read_metadata(directory)
    return {k: meta.get(k) for k in ("kind", "count", "encoder", "config", "versions")}
