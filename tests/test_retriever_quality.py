"""Quality on the real StableToolBench catalog (2,490 APIs) and held-out G1 queries (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever import build_index
from retriever.evaluation import evaluate_index
from retriever.splits import split_queries

GROUPS = ("G1_instruction", "G1_category", "G1_tool")


@pytest.mark.slow
def test_hybrid_zero_shot_on_held_out_queries(shared_data: Path) -> None:
    from toolbench.catalog.queries import load_queries
    from toolbench.loaders import load_catalog

    catalog = load_catalog(shared_data / "stabletoolbench" / "catalog.json")
    queries = [q for g in GROUPS for q in load_queries(shared_data / "stabletoolbench" / "queries" / f"{g}.json")]
    _, held_out = split_queries(queries, 0.3, seed=0)
    hybrid = build_index(catalog, None, kind="hybrid")
    fused = evaluate_index(hybrid, held_out, (5,))
    bm25 = evaluate_index(hybrid.bm25, held_out, (5,))
    assert fused.metrics["queries"] == len(held_out) and fused.metrics["missing_relevant_apis"] == 0
    assert fused.metrics["ndcg@5"] >= 0.65
    for group, values in fused.groups.items():
        assert values["ndcg@5"] >= bm25.groups[group]["ndcg@5"], group
