"""The retrieval judge: NDCG@k, recall@k, completeness@k (and MRR) from retriever result files.

Metrics come from :mod:`toolbench.ir_metrics` (shared with the retriever). A result file
is JSON Lines (or a JSON list) of records with a query id (``query_id``/``qid``/``id``)
and a best-first list (``retrieved``/``results``/``ranked``/``api_ids``/``hits``) whose
items are ids, ``[id, score]`` pairs or ``{"api_id"|"id", "score"}`` objects. Gold ids
come from the record (``relevant_api_ids``/``relevant``) or from a queries file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluator.aggregate import bootstrap_ci, group_of, mean
from toolbench.errors import InputError
from toolbench.ir_metrics import query_metrics
from toolbench.store import read_json, read_jsonl
from toolbench.types import Query

_ID_KEYS = ("query_id", "qid", "id")
_LIST_KEYS = ("retrieved", "results", "ranked", "api_ids", "hits")
_GOLD_KEYS = ("relevant_api_ids", "relevant")


def item_id(item: Any) -> str:
    """The API id of one ranked item.

    >>> item_id("a::b::c"), item_id(["x", 0.9]), item_id({"api_id": "y", "score": 1})
    ('a::b::c', 'x', 'y')
    """
    if isinstance(item, str):
        return item
    if isinstance(item, (list, tuple)) and item:
        return str(item[0])
    if isinstance(item, dict):
        return str(item.get("api_id", item.get("id", "")))
    raise ValueError(f"cannot read a ranked item from {item!r}")


def _first(record: dict[str, Any], keys: Sequence[str]) -> Any:
    return next((record[k] for k in keys if k in record), None)


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """``[{query_id, ranked, relevant|None, group}]`` from a retriever result file."""
    path = Path(path)
    records = _records(path)
    out = []
    for number, record in enumerate(records, start=1):
        qid, ranked = _first(record, _ID_KEYS), _first(record, _LIST_KEYS)
        if qid is None or not isinstance(ranked, list):
            raise InputError(f"needs one of {_ID_KEYS} and a list in one of {_LIST_KEYS}", path=str(path),
                             record=number)
        try:
            ids = [item_id(i) for i in ranked]
        except ValueError as exc:
            raise InputError(str(exc), path=str(path), record=number) from exc
        gold = _first(record, _GOLD_KEYS)
        out.append({"query_id": str(qid), "ranked": ids, "relevant": gold, "group": str(record.get("group") or "")})
    return out


def _records(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return read_jsonl(path, versioned=False)
    data = read_json(path)
    if isinstance(data, dict):
        data = [{"query_id": k, **v} if isinstance(v, dict) else {"query_id": k, "retrieved": v}
                for k, v in data.items()]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError("expected a list of records", path=str(path))
    return data


def judge_retrieval(
    results: Sequence[dict[str, Any]], queries: Sequence[Query] = (), ks: Sequence[int] = (1, 3, 5)
) -> list[dict[str, Any]]:
    """One row of metrics per query that has gold ids (from the record or ``queries``)."""
    gold = {q.query_id: q.relevant_api_ids for q in queries if q.relevant_api_ids}
    groups = {q.query_id: q.group for q in queries if q.group}
    rows = []
    for r in results:
        relevant = r["relevant"] if r["relevant"] is not None else gold.get(r["query_id"])
        if not relevant:
            continue
        metrics = query_metrics(r["ranked"], [item_id(x) for x in relevant], list(ks))
        rows.append({"query_id": r["query_id"], "group": r["group"] or groups.get(r["query_id"]) or "all",
                     **metrics})
    return rows


def summarise(rows: Sequence[dict[str, Any]], ks: Sequence[int], *, seed: int = 0,
              resamples: int = 1000) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Mean of every metric, and per group n / mean / bootstrap CI of NDCG@max(k) plus means.

    >>> rows = [{"query_id": "1", "group": "G1", "ndcg@1": 1.0, "mrr": 1.0},
    ...         {"query_id": "2", "group": "G1", "ndcg@1": 0.0, "mrr": 0.5}]
    >>> m, g = summarise(rows, [1], resamples=50)
    >>> m["ndcg@1"], m["n"], g["G1"]["mean"]
    (0.5, 2, 0.5)
    """
    keys = [k for k in (rows[0] if rows else {}) if k not in ("query_id", "group")]
    metrics: dict[str, Any] = {k: mean([r[k] for r in rows]) for k in keys}
    metrics["n"] = len(rows)
    primary = f"ndcg@{max(ks)}"
    groups: dict[str, dict[str, Any]] = {}
    for name in sorted({group_of(r["query_id"], {r["query_id"]: r["group"]}) for r in rows}):
        picked = [r for r in rows if (r["group"] or "all") == name]
        values = [r.get(primary, 0.0) for r in picked]
        lo, hi = bootstrap_ci(values, seed=seed, resamples=resamples)
        groups[name] = {"n": len(picked), "mean": mean(values), "ci_low": lo, "ci_high": hi, "metric": primary,
                        **{k: mean([r[k] for r in picked]) for k in keys}}
    return metrics, groups

