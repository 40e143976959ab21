"""IR metrics against hand-computed values (binary relevance, ToolLLM's NDCG)."""

from __future__ import annotations

import math

import pytest

from toolbench.ir_metrics import (
    aggregate_by_group,
    completeness_at_k,
    mrr,
    ndcg_at_k,
    query_metrics,
    recall_at_k,
)


def test_ndcg_hand_computed() -> None:
    # hits at ranks 2 and 4 of two relevant: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "y", "b"], {"a", "b"}, 5) == pytest.approx(expected)
    assert ndcg_at_k(["x", "a", "y", "b"], {"a", "b"}, 1) == 0.0


def test_ndcg_ideal_is_capped_at_k() -> None:
    # three relevant but k = 2: two hits in the top 2 is perfect
    assert ndcg_at_k(["a", "b", "x"], {"a", "b", "c"}, 2) == pytest.approx(1.0)


def test_duplicates_count_once() -> None:
    assert ndcg_at_k(["a", "a", "a"], {"a", "b"}, 3) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert recall_at_k(["a", "a"], {"a", "b"}, 2) == 0.5


def test_recall_completeness_mrr() -> None:
    ranked = ["x", "a", "b", "y"]
    assert recall_at_k(ranked, {"a", "b", "c"}, 3) == pytest.approx(2 / 3)
    assert completeness_at_k(ranked, {"a", "b"}, 3) == 1.0
    assert completeness_at_k(ranked, {"a", "b"}, 2) == 0.0
    assert mrr(ranked, {"b"}) == pytest.approx(1 / 3)
    assert mrr(ranked, {"z"}) == 0.0


def test_empty_relevant_scores_zero() -> None:
    assert query_metrics(["a"], set(), [1]) == {"ndcg@1": 0.0, "recall@1": 0.0, "completeness@1": 0.0, "mrr": 0.0}


def test_aggregate_by_group() -> None:
    rows = [{"group": "G1", "ndcg@5": 1.0}, {"group": "G1", "ndcg@5": 0.0}, {"group": "G2", "ndcg@5": 0.5}]
    agg = aggregate_by_group(rows, ["ndcg@5"])
    assert agg["G1"] == {"ndcg@5": 0.5, "count": 2}
    assert agg["all"]["ndcg@5"] == pytest.approx(0.5)
    assert agg["all"]["count"] == 3
