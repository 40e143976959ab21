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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retriever.bm25 import BM25Index
from retriever.dense import DenseIndex
from retriever.documents import catalog_documents
from retriever.encoders import Encoder, load_encoder
from retriever.hybrid import HybridIndex
from retriever.index_store import IndexConfig, read_metadata, staged_directory
from toolbench.catalog import Catalog
from toolbench.errors import InputError
from toolbench.protocols import Index  # the protocol lives in core; re-exported here
from toolbench.registry import Registry
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexKind:
    """How to build and load one kind of index (``bm25``, ``dense``, ``hybrid``)."""

    build: Callable[[list[str], list[str], IndexConfig, Encoder | str | None, bool, bool], Index]
    load: Callable[[Path, dict[str, Any], Encoder | str | None], Index]


def _encoder(encoder: Encoder | str | None) -> Encoder:
    return encoder if encoder is not None and not isinstance(encoder, str) else load_encoder(encoder)


def _build_dense(api_ids: list[str], documents: list[str], config: IndexConfig, encoder: Encoder | str | None,
                 cache: bool, show_progress: bool) -> DenseIndex:
    return DenseIndex.build(api_ids, documents, _encoder(encoder), config, cache=cache, show_progress=show_progress)


def _build_hybrid(api_ids: list[str], documents: list[str], config: IndexConfig, encoder: Encoder | str | None,
                  cache: bool, show_progress: bool) -> HybridIndex:
    dense = _build_dense(api_ids, documents, config, encoder, cache, show_progress)
    return HybridIndex.from_parts(dense, BM25Index.build(api_ids, documents, config), config)


INDEX_KINDS: Registry[IndexKind] = Registry("index kind")
INDEX_KINDS.register("bm25")(IndexKind(
    build=lambda api_ids, documents, config, encoder, cache, show_progress: BM25Index.build(api_ids, documents, config),
    load=lambda directory, meta, encoder: BM25Index.load(directory, meta)))
INDEX_KINDS.register("dense")(IndexKind(build=_build_dense, load=DenseIndex.load))
INDEX_KINDS.register("hybrid")(IndexKind(build=_build_hybrid, load=HybridIndex.load))


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
    multi: str | None = None,
) -> Index:
    """Index ``catalog`` and save it atomically to ``out_dir`` (``None``: keep in memory only).

    ``multi`` (if given) overrides ``config.multi``: how multi-request instructions are retrieved.
    """
    config = (config or IndexConfig()).replace(kind=kind)
    if multi is not None:
        config = config.replace(multi=multi)
    api_ids, documents = catalog_documents(check_apis(catalog))
    index = INDEX_KINDS.get(kind).build(api_ids, documents, config, encoder, cache, show_progress)
    if out_dir is not None:
        with staged_directory(out_dir) as staging:
            index.save(staging)
        logger.info("wrote %s index of %d APIs to %s", kind, len(api_ids), out_dir)
    return index


def load_index(directory: str | Path, encoder: Encoder | str | None = None, *, multi: str | None = None,
               nprobe: int | None = None) -> Index:
    """Load an index directory; checks its files and that ``encoder`` (if given) matches.

    ``multi`` (if given) overrides the saved ``multi`` setting (``off``, ``fused``, ``rr``, ``coverage``);
    ``nprobe`` the saved number of IVF lists searched per query.
    """
    directory = Path(directory)
    meta = read_metadata(directory)
    index = INDEX_KINDS.get(meta["kind"]).load(directory, meta, encoder)
    dense = getattr(index, "dense", index)
    if nprobe is not None and isinstance(dense, DenseIndex):
        dense.set_nprobe(nprobe)
    return with_multi(index, multi) if multi is not None else index


def with_multi(index: Any, multi: str) -> Any:
    """The index searched with another need-aware mode (see :mod:`retriever.need_aware`)."""
    return index.with_config(index.config.replace(multi=multi))


def index_info(directory: str | Path) -> dict[str, Any]:
    """Summary of an index directory without loading models (kind, count, encoder, config)."""
    meta = read_metadata(directory)
    return {k: meta.get(k) for k in ("kind", "count", "encoder", "config", "versions")}
