"""Information-retrieval metrics in pure Python (no numpy), shared by retriever and evaluator.

Relevance is binary, as in ToolLLM's API-retriever evaluation: an API either is one of
the query's relevant APIs or it is not. ``ranked`` is a best-first list of ids and
``relevant`` a collection of ids; duplicates in ``ranked`` count once (first place).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

METRICS = ("ndcg", "recall", "completeness", "mrr")


def _dedup(ranked: Sequence[str]) -> list[str]:
    """Keep the first occurrence of each id.

    >>> _dedup(["a", "b", "a", "c"])
    ['a', 'b', 'c']
    """
    seen: set[str] = set()
    return [x for x in ranked if not (x in seen or seen.add(x))]


def dcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Discounted cumulative gain with binary gains: sum of 1/log2(rank + 1).

    >>> round(dcg_at_k(["x", "a"], {"a"}, 5), 4)
    0.6309
    """
    rel = set(relevant)
    return sum(1.0 / math.log2(i + 2) for i, x in enumerate(_dedup(ranked)[:k]) if x in rel)


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """NDCG@k with binary relevance; the ideal ranking puts min(k, |relevant|) hits first.

    Returns 0.0 when there is nothing relevant.

    >>> ndcg_at_k(["a", "b", "c"], {"a", "b"}, 5)
    1.0
    >>> round(ndcg_at_k(["x", "a", "b"], {"a", "b"}, 2), 4)
    0.3869
    >>> ndcg_at_k(["x"], set(), 5)
    0.0
    """
    rel = set(relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(rel))))
    return dcg_at_k(ranked, rel, k) / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant ids found in the top k.

    >>> recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 2)
    0.25
    """
    rel = set(relevant)
    return len(rel.intersection(_dedup(ranked)[:k])) / len(rel) if rel else 0.0


def completeness_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1.0 when every relevant id is in the top k, else 0.0.

    >>> completeness_at_k(["a", "b"], {"a", "b"}, 2), completeness_at_k(["a", "x"], {"a", "b"}, 2)
    (1.0, 0.0)
    """
    rel = set(relevant)
    return 1.0 if rel and rel.issubset(_dedup(ranked)[:k]) else 0.0


def mrr(ranked: Sequence[str], relevant: Iterable[str], k: int | None = None) -> float:
    """Reciprocal rank of the first relevant id (within the top k when given), else 0.

    >>> mrr(["x", "y", "a"], {"a"}), mrr(["x", "y", "a"], {"a"}, k=2)
    (0.3333333333333333, 0.0)
    """
    rel = set(relevant)
    for i, x in enumerate(_dedup(ranked)[:k]):
        if x in rel:
            return 1.0 / (i + 1)
    return 0.0


def query_metrics(ranked: Sequence[str], relevant: Iterable[str], ks: Sequence[int]) -> dict[str, float]:
    """All metrics of one query: ``ndcg@k``, ``recall@k``, ``completeness@k`` per k, and ``mrr``.

    >>> m = query_metrics(["a", "x", "b"], {"a", "b"}, [1, 3])
    >>> m["ndcg@1"], m["recall@3"], m["completeness@1"], m["mrr"]
    (1.0, 1.0, 0.0, 1.0)
    """
    rel = set(relevant)
    out: dict[str, float] = {}
    for k in ks:
        out[f"ndcg@{k}"] = ndcg_at_k(ranked, rel, k)
        out[f"recall@{k}"] = recall_at_k(ranked, rel, k)
        out[f"completeness@{k}"] = completeness_at_k(ranked, rel, k)
    out["mrr"] = mrr(ranked, rel)
    return out


def mean_metrics(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Mean of each metric over rows (keys of the first row); empty input gives ``{}``.

    >>> mean_metrics([{"ndcg@5": 1.0}, {"ndcg@5": 0.5}])
    {'ndcg@5': 0.75}
    """
    rows = list(rows)
    if not rows:
        return {}
    return {key: sum(float(r[key]) for r in rows) / len(rows) for key in rows[0]}


def aggregate_by_group(
    rows: Iterable[Mapping[str, Any]], metric_keys: Sequence[str], group_key: str = "group"
) -> dict[str, dict[str, float]]:
    """Mean metrics per group plus ``"all"``; each group also gets its query ``count``.

    >>> rows = [{"group": "G1", "m": 1.0}, {"group": "G2", "m": 0.0}, {"group": "G2", "m": 0.5}]
    >>> aggregate_by_group(rows, ["m"])["G2"]
    {'m': 0.25, 'count': 2}
    >>> aggregate_by_group(rows, ["m"])["all"]["count"]
    3
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.get(group_key) or "all"), []).append(row)
        if row.get(group_key):
            groups.setdefault("all", []).append(row)
    out: dict[str, dict[str, float]] = {}
    for name in sorted(groups):
        picked = [{k: r[k] for k in metric_keys} for r in groups[name]]
        out[name] = {**mean_metrics(picked), "count": len(picked)}
    return out
