"""Training data (pairs, mined hard negatives, pseudo-queries) and a tiny real training run."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from retriever.bm25 import BM25Index
from retriever.documents import api_document
from retriever.index_store import IndexConfig
from retriever.training_data import hard_negatives, make_triplets, query_pairs, read_pseudo_queries
from toolbench.catalog import Catalog
from toolbench.errors import InputError
from toolbench.types import ApiSpec, Query

CATALOG = Catalog([
    ApiSpec("Media", "YouTube", "search", "Search videos on YouTube"),
    ApiSpec("Media", "YouTube", "video", "Details of one YouTube video"),
    ApiSpec("Media", "YouTube", "channel", "Details of a YouTube channel"),
    ApiSpec("Media", "Vimeo", "search", "Search videos on Vimeo"),
    ApiSpec("Weather", "Forecast", "daily", "Daily weather forecast"),
    ApiSpec("Finance", "Currency", "convert", "Convert currencies"),
])
QUERIES = [
    Query("1", "find youtube videos about cats and the video details",
          relevant_api_ids=["Media::YouTube::search", "Media::YouTube::video"]),
    Query("2", "weather tomorrow in Oslo", relevant_api_ids=["Weather::Forecast::daily", "Gone::Tool::api"]),
]


def _bm25() -> BM25Index:
    return BM25Index.build(CATALOG.ids, [api_document(a) for a in CATALOG], IndexConfig(kind="bm25"))


def test_pairs_skip_and_count_absent_apis() -> None:
    pairs, missing = query_pairs(QUERIES, CATALOG)
    assert [p.api_id for p in pairs] == ["Media::YouTube::search", "Media::YouTube::video", "Weather::Forecast::daily"]
    assert missing == 1
    assert pairs[0].relevant == {"Media::YouTube::search", "Media::YouTube::video"}


def test_hard_negatives_prefer_same_tool_and_are_never_relevant() -> None:
    pairs, _ = query_pairs(QUERIES, CATALOG)
    for seed in range(5):
        negs = hard_negatives(pairs[0], CATALOG, _bm25(), random.Random(seed), count=1)
        assert negs == ["Media::YouTube::channel"]  # the only non-relevant API of the same tool
    negs = hard_negatives(pairs[0], CATALOG, _bm25(), random.Random(0), count=3)
    assert not set(negs) & pairs[0].relevant and len(negs) == 3


def test_triplets_are_deterministic_for_a_seed() -> None:
    pairs, _ = query_pairs(QUERIES, CATALOG)
    first = make_triplets(pairs, CATALOG, seed=3, negatives=2)
    assert first == make_triplets(pairs, CATALOG, seed=3, negatives=2)
    assert len(first) == 2 * len(pairs)
    assert all(t.positive != t.negative for t in first)


def test_pseudo_queries_seam(tmp_path: Path) -> None:
    path = tmp_path / "pseudo.jsonl"
    lines = [{"query": "what is the forecast", "api_id": "Weather::Forecast::daily"},
             {"query": "unknown", "api_id": "No::Such::api"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    pairs = read_pseudo_queries(path, CATALOG)
    assert [(p.query, p.api_id) for p in pairs] == [("what is the forecast", "Weather::Forecast::daily")]
    path.write_text(json.dumps({"api_id": "Weather::Forecast::daily"}) + "\n")
    with pytest.raises(InputError, match="field query"):
        read_pseudo_queries(path, CATALOG)


def test_pseudo_queries_from_generated_instructions(tmp_path: Path) -> None:
    """``toolbench data instructions`` writes Query records: every relevant API is a pair, and
    the query's other relevant APIs are never its negatives."""
    relevant = [a.id for a in CATALOG][:2]
    path = tmp_path / "queries.jsonl"
    path.write_text(json.dumps({"schema_version": 1, "query_id": "gen-G1-0", "query": "two things",
                                "relevant_api_ids": [*relevant, "No::Such::api"]}) + "\n")
    pairs = read_pseudo_queries(path, CATALOG)
    assert [p.api_id for p in pairs] == relevant and all(p.relevant == frozenset(relevant) for p in pairs)
    path.write_text(json.dumps({"query": "q", "relevant_api_ids": []}) + "\n")
    with pytest.raises(InputError, match="field api_id"):
        read_pseudo_queries(path, CATALOG)


@pytest.mark.slow
def test_tiny_training_run_saves_and_resumes(tmp_path: Path) -> None:
    from retriever import build_index
    from retriever.training import TrainConfig, train_retriever

    config = TrainConfig(max_steps=2, batch_size=2, save_steps=1, max_seq_length=32, seed=0)
    model_dir = train_retriever(QUERIES, CATALOG, tmp_path / "run", config)
    assert (model_dir / "modules.json").is_file() and (tmp_path / "run" / "train_summary.json").is_file()
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["checkpoint-1", "checkpoint-2"]
    # a longer run in the same directory resumes from checkpoint-2 instead of starting over
    train_retriever(QUERIES, CATALOG, tmp_path / "run", config.replace(max_steps=3))
    state = json.loads((tmp_path / "run" / "checkpoints" / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    index = build_index(CATALOG, tmp_path / "idx", kind="dense", encoder=str(tmp_path / "run"))
    assert index.retrieve("youtube videos", 1)[0][0].startswith("Media::YouTube::")
