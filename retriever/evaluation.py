"""Evaluate an index on labelled queries: NDCG@k, recall@k, completeness@k, MRR per group.

Relevant APIs absent from the index are dropped and counted (``missing_relevant_apis``);
queries left with no relevant API are skipped and counted (``skipped_queries``), never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from toolbench.ir_metrics import aggregate_by_group, query_metrics
from toolbench.types import Query, Report

logger = logging.getLogger(__name__)
DEFAULT_KS = (1, 3, 5, 10)


def parse_ks(text: str) -> list[int]:
    """Cut-offs from ``"1,3,5"``.

    >>> parse_ks("1, 5,10")
    [1, 5, 10]
    """
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"--k must be comma-separated integers, got {text!r}") from None
    if not ks or ks[0] < 1:
        raise ValueError(f"--k values must be >= 1, got {text!r}")
    return ks


def usable_queries(queries: Sequence[Query], api_ids: set[str]) -> tuple[list[Query], int, int]:
    """Queries restricted to relevant APIs in the index; also (missing APIs, skipped queries).

    >>> qs = [Query("1", "a", relevant_api_ids=["x", "y"]), Query("2", "b", relevant_api_ids=["z"])]
    >>> kept, missing, skipped = usable_queries(qs, {"x"})
    >>> [q.relevant_api_ids for q in kept], missing, skipped
    ([['x']], 2, 1)
    """
    kept, missing, skipped = [], 0, 0
    for query in queries:
        known = [a for a in query.relevant_api_ids if a in api_ids]
        missing += len(query.relevant_api_ids) - len(known)
        if not known:
            skipped += 1
            continue
        kept.append(Query(query.query_id, query.query, relevant_api_ids=known, group=query.group))
    return kept, missing, skipped


def evaluate_index(index: Any, queries: Sequence[Query], ks: Sequence[int] = DEFAULT_KS, *, name: str = "") -> Report:
    """Retrieve for every query and aggregate the metrics (overall and per group)."""
    kept, missing, skipped = usable_queries(queries, set(index.api_ids))
    if missing:
        logger.warning("%d relevant APIs are not in the index (%d queries skipped)", missing, skipped)
    depth = max(max(ks), 10)
    results = index.retrieve_many([q.query for q in kept], depth) if kept else []
    rows = []
    for query, ranked in zip(kept, results, strict=True):
        ids = [a for a, _ in ranked]
        rows.append({"query_id": query.query_id, "group": query.group, "relevant": query.relevant_api_ids,
                     "retrieved": ids[: max(ks)], **query_metrics(ids, query.relevant_api_ids, ks)})
    keys = [f"{m}@{k}" for m in ("ndcg", "recall", "completeness") for k in ks] + ["mrr"]
    groups = aggregate_by_group(rows, keys) if rows else {}
    overall = groups.get("all", {})
    metrics = {**{k: v for k, v in overall.items() if k != "count"}, "queries": len(rows),
               "skipped_queries": skipped, "missing_relevant_apis": missing}
    config = {"index_kind": getattr(index, "kind", ""), "ks": list(ks), "apis": len(index.api_ids)}
    return Report(name=name or f"retrieval-{config['index_kind']}", metrics=metrics,
                  groups={g: v for g, v in groups.items() if g != "all"}, rows=rows, config=config)
