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

    def _tokens(self, query: str) -> list[str]:
        return [t for t in tokenize(query) if t in self.model.vocab_dict]

    def plain_many(self, queries: list[str], k: int, *, threads: int | None = None) -> list[list[tuple[str, float]]]:
        """Top ``k`` by BM25 for each text as one query (no request splitting).

        By default each query is scored on its own. With ``threads`` set, several queries go to
        ``bm25s``' batched retrieval on that many threads, which keeps only a top-``k`` per query
        instead of returning every score; the result is the same (see :func:`exact_top`). On
        the 2-core development machine batching was the slower path (100k documents: 7.9 ms
        per query batched with 1 thread, 8.1 with 2, against 1.0 one by one;
        ``python benchmarks/retrieval_scale.py --sizes 100000``), hence the default.
        """
        tokens = [self._tokens(q) for q in queries]
        todo = [i for i, t in enumerate(tokens) if t]
        out: list[list[tuple[str, float]]] = [[] for _ in queries]
        k = min(k, len(self.api_ids))
        if k <= 0 or not todo:
            return out
        if len(todo) == 1 or threads is None:
            for i in todo:
                out[i] = top_k(self.api_ids, self.model.get_scores(tokens[i]), k)
            return out
        depth = min(k + 1, len(self.api_ids))  # one more than asked: tells whether the k-th place is tied
        rows, scores = self.model.retrieve([tokens[i] for i in todo], k=depth, sorted=True, show_progress=False,
                                           n_threads=threads)
        for i, row_ids, row_scores in zip(todo, rows, scores, strict=True):
            ranked = exact_top(self.api_ids, row_ids, row_scores, k)
            out[i] = ranked if ranked is not None else top_k(self.api_ids, self.model.get_scores(tokens[i]), k)
        return out

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        return need_aware_many(self.plain_many, queries, k, self.config.multi, self.config.multi_depth)

    def with_config(self, config: IndexConfig) -> BM25Index:
        """The same index searched with another configuration (``multi``)."""
        return BM25Index(self.api_ids, self.model, {**self.meta, "config": config.to_dict()})


def exact_top(api_ids: list[str], rows: Any, scores: Any, k: int) -> list[tuple[str, float]] | None:
    """The :func:`top_k` answer from the best ``k + 1`` (rows, scores) of a query, in any order, or
    ``None`` when a tie at the ``k``-th place makes it depend on rows not seen.

    >>> import numpy as np
    >>> exact_top(["a", "b", "c", "d"], np.array([2, 1, 3]), np.array([1.0, 1.0, 0.5]), 2)
    [('b', 1.0), ('c', 1.0)]
    >>> exact_top(["a", "b", "c", "d"], np.array([2, 1, 3]), np.array([1.0, 1.0, 1.0]), 2) is None
    True
    """
    import numpy as np

    rows, scores = np.asarray(rows), np.asarray(scores)
    order = np.lexsort((rows, -scores))
    rows, scores = rows[order], scores[order]
    if k < len(rows) < len(api_ids) and scores[k - 1] == scores[k] and scores[k - 1] > 0:
        return None
    return [(api_ids[r], float(s)) for r, s in zip(rows[:k], scores[:k], strict=True) if s > 0]


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
