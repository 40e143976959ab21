"""BM25 keyword index (``bm25s``, Lucene variant) over the same API documents."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from retriever.documents import document_hash
from retriever.index_store import IndexConfig, base_metadata, config_from_metadata, write_metadata
from retriever.need_aware import need_aware_many
from retriever.tokenize import tokenize
from toolbench.errors import IndexMismatchError

logger = logging.getLogger(__name__)
BM25_DIR = "bm25"


class BM25Index:
    """bm25s over :func:`retriever.tokenize.tokenize` tokens."""

    kind = "bm25"

    def __init__(self, api_ids: list[str], model: Any, meta: dict[str, Any]) -> None:
        self.api_ids = api_ids
        self.model = model
        self.meta = meta
        self.config = config_from_metadata(meta)

    @classmethod
    def build(cls, api_ids: list[str], documents: list[str], config: IndexConfig) -> BM25Index:
        import bm25s

        model = bm25s.BM25(k1=config.bm25_k1, b=config.bm25_b, method="lucene")
        tokens = [tokenize(d) or ["_empty_"] for d in documents]
        model.index(tokens, show_progress=False)
        meta = base_metadata("bm25", api_ids, [document_hash(d) for d in documents], config)
        meta["tokenizer"] = "retriever.tokenize-v1"
        return cls(api_ids, model, meta)

    def save(self, directory: Path) -> None:
        self.model.save(str(directory / BM25_DIR), show_progress=False, allow_pickle=False)
        write_metadata(directory, self.meta)

    @classmethod
    def load(cls, directory: Path, meta: dict[str, Any]) -> BM25Index:
        import bm25s

        path = directory / BM25_DIR
        if not path.is_dir():
            raise IndexMismatchError(f"corrupt index {directory}: {BM25_DIR}/ is missing")
        try:
            model = bm25s.BM25.load(str(path), load_corpus=False, allow_pickle=False)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexMismatchError(f"corrupt index {directory}: cannot read {BM25_DIR}/ ({exc})") from exc
        docs = int(getattr(model, "scores", {}).get("num_docs", -1))
        if docs != len(meta["api_ids"]):
            expected = len(meta["api_ids"])
            raise IndexMismatchError(f"corrupt index {directory}: BM25 holds {docs} documents, metadata {expected}")
        return cls(list(meta["api_ids"]), model, meta)

    def scores(self, query: str) -> Any:
        """BM25 score of every document for ``query`` (float32 array, catalog order)."""
        import numpy as np

        tokens = [t for t in tokenize(query) if t in self.model.vocab_dict]
        if not tokens:
            return np.zeros(len(self.api_ids), dtype=np.float32)
        return self.model.get_scores(tokens)

    def retrieve(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` best APIs by BM25 (only documents sharing a term with the query)."""
        return self.retrieve_many([query], k)[0]

    def plain_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        """Top ``k`` by BM25 for each text as one query (no request splitting)."""
        return [top_k(self.api_ids, self.scores(q), k) for q in queries]

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        return need_aware_many(self.plain_many, queries, k, self.config.multi, self.config.multi_depth)

    def with_config(self, config: IndexConfig) -> BM25Index:
        """The same index searched with another configuration (``multi``)."""
        return BM25Index(self.api_ids, self.model, {**self.meta, "config": config.to_dict()})


def top_k(api_ids: list[str], scores: Any, k: int, *, positive_only: bool = True) -> list[tuple[str, float]]:
    """Best ``k`` (id, score) pairs, ties broken by catalog order.

    >>> import numpy as np
    >>> top_k(["a", "b", "c"], np.array([0.5, 2.0, 0.0]), 5)
    [('b', 2.0), ('a', 0.5)]
    """
    import numpy as np

    k = min(k, len(api_ids))
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.lexsort((part, -scores[part]))]
    return [(api_ids[i], float(scores[i])) for i in order if not positive_only or scores[i] > 0]
