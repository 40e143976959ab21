"""Training examples for the retriever: (query, relevant API) pairs and mined hard negatives.

Pairs come from labelled queries (``Query.relevant_api_ids``; ToolBench ``relevant APIs``,
Seal-Tools ``calling``) and, through the same seam, from pseudo-queries: any source of
``(query text, api_id)`` such as a JSONL file an LLM wrote from API docs
(:func:`read_pseudo_queries`). Hard negatives are APIs of the same tool, then the
same category, that BM25 ranks high for the query but that are not relevant.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retriever.bm25 import BM25Index, top_k
from retriever.documents import api_document
from toolbench.catalog import Catalog
from toolbench.errors import InputError
from toolbench.store import iter_jsonl
from toolbench.types import Query

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    """One training pair: a query and an API relevant to it (plus the query's other relevant APIs)."""

    query: str
    api_id: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Triplet:
    """Texts the loss sees: anchor (query), positive and hard-negative API documents."""

    anchor: str
    positive: str
    negative: str


def query_pairs(queries: Iterable[Query], catalog: Catalog) -> tuple[list[Pair], int]:
    """Pairs of every labelled query; relevant APIs absent from the catalog are skipped and counted.

    >>> from toolbench.types import ApiSpec
    >>> cat = Catalog([ApiSpec("C", "T", "a")])
    >>> pairs, missing = query_pairs([Query("1", "q", relevant_api_ids=["C::T::a", "C::T::gone"])], cat)
    >>> [p.api_id for p in pairs], missing
    (['C::T::a'], 1)
    """
    pairs: list[Pair] = []
    missing = 0
    for query in queries:
        known = [a for a in query.relevant_api_ids if a in catalog]
        missing += len(query.relevant_api_ids) - len(known)
        pairs.extend(Pair(query.query, api_id, frozenset(known)) for api_id in known)
    if missing:
        logger.warning("%d relevant APIs are not in the catalog and were skipped", missing)
    return pairs, missing


def read_pseudo_queries(path: str | Path, catalog: Catalog) -> list[Pair]:
    """Pseudo-query pairs from JSONL records ``{"query": ..., "api_id": ...}`` or, as
    ``toolbench data instructions`` writes them, ``{"query": ..., "relevant_api_ids": [...]}``
    (no schema_version needed).

    This is the seam for LLM-generated queries: whatever writes such a file (see
    ``docs/retrieval.md``) feeds training exactly like labelled queries, and is never
    split into train/held-out parts.
    """
    pairs = []
    for number, record in enumerate(iter_jsonl(path, versioned=False), start=1):
        query = record.get("query")
        api_ids = record.get("relevant_api_ids", [record.get("api_id")])
        if not isinstance(query, str) or not query.strip():
            raise InputError("missing or empty text", path=str(path), record=number, field="query")
        if not isinstance(api_ids, list) or not api_ids or not all(isinstance(a, str) for a in api_ids):
            raise InputError("missing API id", path=str(path), record=number, field="api_id")
        known = [a for a in api_ids if a in catalog]
        for api_id in api_ids:
            if api_id not in known:
                logger.warning("%s: record %d: API %r is not in the catalog (skipped)", path, number, api_id)
        pairs.extend(Pair(query, api_id, frozenset(known)) for api_id in known)
    return pairs


def _neighbour_rank(catalog: Catalog, api_id: str, candidate: str) -> int:
    """0 for the same tool, 1 for the same category, 2 otherwise."""
    a, b = catalog.get(api_id), catalog.get(candidate)
    if (a.category, a.tool) == (b.category, b.tool):
        return 0
    return 1 if a.category == b.category else 2


def hard_negatives(
    pair: Pair, catalog: Catalog, bm25: BM25Index, rng: random.Random, *, count: int = 1, pool: int = 30
) -> list[str]:
    """``count`` hard-negative API ids for ``pair``: sampled from the 3 best BM25 hits of the
    nearest tier that has any (same tool, then same category, then anything BM25 ranks high)."""
    ranked = [a for a, _ in top_k(bm25.api_ids, bm25.scores(pair.query), pool) if a not in pair.relevant]
    order = {a: i for i, a in enumerate(ranked)}
    tool = catalog.get(pair.api_id)
    siblings = [a.id for a in catalog if a.tool == tool.tool and a.category == tool.category]
    candidates = set(ranked) | {a for a in siblings if a not in pair.relevant}
    tiers: list[list[str]] = [[], [], []]
    for api_id in sorted(candidates, key=lambda a: (order.get(a, pool), a)):
        tiers[_neighbour_rank(catalog, pair.api_id, api_id)].append(api_id)
    picked: list[str] = []
    for tier in tiers:  # same tool first, then same category, then any BM25 hit
        want = count - len(picked)
        if want > 0 and tier:
            picked += rng.sample(tier[: max(want, 3)], min(want, len(tier)))
    if len(picked) < count:  # too few neighbours: fill with random non-relevant APIs
        rest = [a for a in catalog.ids if a not in pair.relevant and a not in picked]
        picked += rng.sample(rest, min(count - len(picked), len(rest)))
    return picked


def make_triplets(
    pairs: Sequence[Pair], catalog: Catalog, seed: int = 0, *, negatives: int = 1, pool: int = 30
) -> list[Triplet]:
    """One triplet per (pair, hard negative), deterministic for a seed."""
    rng = random.Random(seed)
    ids = catalog.ids
    bm25 = BM25Index.build(ids, [api_document(catalog.get(a)) for a in ids], _bm25_config())
    docs: dict[str, str] = {}

    def doc(api_id: str) -> str:
        if api_id not in docs:
            docs[api_id] = api_document(catalog.get(api_id))
        return docs[api_id]

    triplets = []
    for pair in pairs:
        for negative in hard_negatives(pair, catalog, bm25, rng, count=negatives, pool=pool):
            triplets.append(Triplet(pair.query, doc(pair.api_id), doc(negative)))
    return triplets


def _bm25_config():  # type: ignore[no-untyped-def]
    from retriever.index_store import IndexConfig

    return IndexConfig(kind="bm25")
