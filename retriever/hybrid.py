"""Hybrid index: dense + BM25, fused over the union of both rankers' candidates.

Each ranker proposes its top ``candidates``; every candidate is then scored exactly by
both (dense: inner product with the stored vector; BM25: its score), and the two score
lists are fused (:mod:`retriever.fusion`, method chosen on the train split); finally each
candidate gains ``tool_boost`` × the best fused score of its tool (siblings that match
lift each other: instructions usually need several APIs of one tool). With ``multi`` set,
each request of an instruction is ranked too (tool boost per request) and the rankings are
merged (:mod:`retriever.need_aware`); ``request_ranker = "bm25"`` ranks the requests by the
BM25 part alone, which saves the second encoder pass at some cost in quality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retriever.bm25 import BM25Index, top_k
from retriever.dense import DenseIndex
from retriever.encoders import Encoder
from retriever.fusion import fuse, tool_boost
from retriever.index_store import IndexConfig, config_from_metadata, read_metadata, write_metadata
from retriever.need_aware import need_aware_many
from toolbench.errors import IndexMismatchError


class HybridIndex:
    """A dense and a BM25 index over the same APIs, fused at query time."""

    kind = "hybrid"

    def __init__(self, dense: DenseIndex, bm25: BM25Index, meta: dict[str, Any]) -> None:
        if dense.api_ids != bm25.api_ids:
            raise IndexMismatchError("hybrid index: dense and BM25 parts hold different APIs")
        self.dense, self.bm25, self.meta = dense, bm25, meta
        self.api_ids = dense.api_ids
        self.encoder = dense.encoder
        self.config = config_from_metadata(meta)
        self._rows = {api_id: i for i, api_id in enumerate(self.api_ids)}

    @classmethod
    def from_parts(cls, dense: DenseIndex, bm25: BM25Index, config: IndexConfig) -> HybridIndex:
        meta = {**dense.meta, "kind": "hybrid", "config": config.to_dict()}
        return cls(dense, bm25, meta)

    def with_config(self, config: IndexConfig) -> HybridIndex:
        """The same parts with another fusion setting (used to choose the fusion)."""
        return HybridIndex(self.dense, self.bm25, {**self.meta, "config": config.to_dict()})

    def save(self, directory: Path) -> None:
        for name, part in (("dense", self.dense), ("bm25", self.bm25)):
            (directory / name).mkdir()
            part.save(directory / name)
        write_metadata(directory, self.meta)

    @classmethod
    def load(cls, directory: Path, meta: dict[str, Any], encoder: Encoder | str | None = None) -> HybridIndex:
        dense_meta, bm25_meta = read_metadata(directory / "dense"), read_metadata(directory / "bm25")
        if dense_meta["api_ids"] != meta["api_ids"] or bm25_meta["api_ids"] != meta["api_ids"]:
            raise IndexMismatchError(f"corrupt index {directory}: parts hold different APIs than index.json")
        dense = DenseIndex.load(directory / "dense", dense_meta, encoder)
        return cls(dense, BM25Index.load(directory / "bm25", bm25_meta), meta)

    def _fused(self, query: str, vector: Any, k: int) -> list[tuple[str, float]]:
        n = self.config.candidates
        bm25_all = self.bm25.scores(query)
        candidates = {api_id for api_id, _ in self.dense.search_vectors(vector[None, :], n)[0]}
        candidates.update(api_id for api_id, _ in top_k(self.api_ids, bm25_all, n))
        rows = sorted(self._rows[c] for c in candidates)
        dense_scores = self.dense.score_rows(vector, rows)
        lists = [
            {self.api_ids[r]: float(s) for r, s in zip(rows, dense_scores, strict=True)},
            {self.api_ids[r]: float(bm25_all[r]) for r in rows},
        ]
        weights = [self.config.dense_weight, 1.0 - self.config.dense_weight]
        fused = fuse(self.config.fusion, lists, weights, self.config.rrf_k)
        return tool_boost(fused, self.config.tool_boost)[:k]

    def plain_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        """Fused ranking of each text as one query (no request splitting)."""
        vectors = self.dense.encode_queries(queries)
        return [self._fused(q, v, k) for q, v in zip(queries, vectors, strict=True)]

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        requests = self.bm25.plain_many if self.config.request_ranker == "bm25" else self.plain_many
        return need_aware_many(self.plain_many, queries, k, self.config.multi, self.config.multi_depth, requests)

    def retrieve(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` best APIs for ``query`` by fused score, best first."""
        return self.retrieve_many([query], k)[0]
