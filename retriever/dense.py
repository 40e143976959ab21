"""Dense index: normalised encoder vectors in FAISS, inner-product search.

``flat`` is exact (equals NumPy brute force); ``hnsw`` and ``ivf`` are approximate and
meant for large catalogs; ``sq8``, ``ivfsq8`` and ``ivfpq`` also compress the vectors
(docs/retrieval.md, "Scale"). Vectors stay reachable (``reconstruct``) so a hybrid index can
score any candidate: exactly for ``flat``, ``hnsw``, ``ivf`` and ``ivfpq`` with ``refine =
flat``; from 8-bit codes (cosine within about 1e-3) for ``sq8``, ``ivfsq8`` and ``ivfpq`` with
the default ``refine = sq8``; from PQ codes (coarse, about 0.1) for ``ivfpq`` with ``refine =
none``.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from retriever.cache import encode_documents
from retriever.documents import document_hash
from retriever.encoders import Encoder, load_encoder
from retriever.index_store import IndexConfig, base_metadata, config_from_metadata, write_metadata
from retriever.need_aware import need_aware_many
from toolbench.errors import ConfigError, IndexMismatchError, InputError

logger = logging.getLogger(__name__)
FAISS_FILE = "dense.faiss"


COMPRESSED = ("ivfpq", "sq8", "ivfsq8")
PQ_TRAIN_MIN = 256  # an 8-bit product quantizer learns 256 centroids per sub-vector


def ivf_lists(n: int, config: IndexConfig) -> int:
    """Number of IVF lists: ``ivf_nlist`` or about 4 * sqrt(n), at most n / 39.

    >>> ivf_lists(1_000_000, IndexConfig())
    4000
    >>> ivf_lists(100, IndexConfig())
    2
    """
    nlist = config.ivf_nlist or max(1, int(4 * math.sqrt(n)))
    return max(1, min(nlist, n // 39 or 1))  # FAISS wants ~39 training points per list


def factory_string(n: int, dim: int, config: IndexConfig) -> str:
    """The FAISS ``index_factory`` description of a compressed index type.

    >>> factory_string(100_000, 384, IndexConfig(faiss_type="ivfpq"))
    'IVF1264,PQ48,Refine(SQ8)'
    >>> factory_string(100_000, 384, IndexConfig(faiss_type="sq8"))
    'SQ8'
    """
    if config.faiss_type == "sq8":
        return "SQ8"
    nlist = ivf_lists(n, config)
    if config.faiss_type == "ivfsq8":
        return f"IVF{nlist},SQ8"
    m = config.pq_m or max(1, dim // 8)
    if dim % m:
        raise ConfigError(f"pq_m must divide the vector dimension {dim}, got {m}")
    refine = {"none": "", "sq8": ",Refine(SQ8)", "flat": ",RFlat"}[config.refine]
    return f"IVF{nlist},PQ{m}{refine}"


def _train_sample(vectors: Any, size: int) -> Any:
    """A seeded random sample of ``size`` rows (all rows when there are fewer)."""
    import numpy as np

    if len(vectors) <= size:
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size, replace=False))
    return np.ascontiguousarray(vectors[rows])


def make_faiss_index(vectors: Any, config: IndexConfig) -> Any:
    """A FAISS inner-product index of the given type holding ``vectors`` (float32 (n, d))."""
    import faiss

    n, dim = vectors.shape
    if config.faiss_type in COMPRESSED:
        index = faiss.index_factory(dim, factory_string(n, dim, config), faiss.METRIC_INNER_PRODUCT)
        if config.faiss_type == "ivfpq" and n < PQ_TRAIN_MIN:
            raise InputError(f"faiss type ivfpq needs at least {PQ_TRAIN_MIN} vectors to train, got {n}; "
                             "use --faiss flat, hnsw or sq8 for a catalog this small")
        nlist = ivf_lists(n, config) if config.faiss_type != "sq8" else 1
        index.train(_train_sample(vectors, max(config.train_size, 40 * nlist, PQ_TRAIN_MIN)))
    elif config.faiss_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, config.hnsw_m * 2)
    elif config.faiss_type == "ivf":
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, ivf_lists(n, config), faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
    else:
        index = faiss.IndexFlatIP(dim)
    for start in range(0, n, 100_000):  # in chunks: encoding PQ/SQ codes needs a copy per chunk
        index.add(vectors[start:start + 100_000])
    tune(index, config)
    return index


def tune(index: Any, config: IndexConfig) -> None:
    """Set search parameters (HNSW ``efSearch``, IVF ``nprobe``) and make rows reconstructable."""
    import faiss

    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = config.hnsw_ef_search
        return
    if isinstance(index, faiss.IndexRefine):
        index.k_factor = float(config.refine_factor)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = config.ivf_nprobe
        if not isinstance(index, faiss.IndexRefine) and ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()  # IndexRefine reconstructs from its refine vectors instead


class DenseIndex:
    """Encoder + FAISS index over API documents."""

    kind = "dense"

    def __init__(self, api_ids: list[str], faiss_index: Any, encoder: Encoder, meta: dict[str, Any]) -> None:
        self.api_ids = api_ids
        self.faiss_index = faiss_index
        self.encoder = encoder
        self.meta = meta
        self.config = config_from_metadata(meta)

    @classmethod
    def from_vectors(
        cls, api_ids: list[str], doc_hashes: list[str], vectors: Any, encoder: Encoder, config: IndexConfig
    ) -> DenseIndex:
        """Build from precomputed normalised vectors (used for synthetic scale runs)."""
        meta = base_metadata("dense", api_ids, doc_hashes, config)
        meta.update(encoder={"id": encoder.id, "spec": encoder.spec, "dim": encoder.dim}, faiss_type=config.faiss_type)
        return cls(api_ids, make_faiss_index(vectors, config), encoder, meta)

    @classmethod
    def build(
        cls, api_ids: list[str], documents: list[str], encoder: Encoder, config: IndexConfig,
        *, cache: bool = True, show_progress: bool = False,
    ) -> DenseIndex:
        vectors = encode_documents(
            encoder, documents, cache=cache, batch_size=config.batch_size, show_progress=show_progress
        )
        return cls.from_vectors(api_ids, [document_hash(d) for d in documents], vectors, encoder, config)

    def save(self, directory: Path) -> None:
        import faiss

        faiss.write_index(self.faiss_index, str(directory / FAISS_FILE))
        write_metadata(directory, self.meta)

    @classmethod
    def load(cls, directory: Path, meta: dict[str, Any], encoder: Encoder | str | None = None) -> DenseIndex:
        """Load and check: encoder id must match the one the index was built with."""
        import faiss

        encoder = _matching_encoder(meta, encoder)
        path = directory / FAISS_FILE
        if not path.is_file():
            raise IndexMismatchError(f"corrupt index {directory}: {FAISS_FILE} is missing")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexMismatchError(f"corrupt index {directory}: cannot read {FAISS_FILE}") from exc
        if index.ntotal != len(meta["api_ids"]) or index.d != encoder.dim:
            raise IndexMismatchError(
                f"corrupt index {directory}: FAISS holds {index.ntotal} vectors of dim {index.d}, "
                f"metadata says {len(meta['api_ids'])} of dim {encoder.dim}"
            )
        tune(index, config_from_metadata(meta))
        return cls(list(meta["api_ids"]), index, encoder, meta)

    def encode_queries(self, queries: list[str]) -> Any:
        return self.encoder.encode(queries, batch_size=self.config.batch_size)

    def search_vectors(self, vectors: Any, k: int) -> list[list[tuple[str, float]]]:
        """Top-k (api_id, score) per query vector."""
        k = min(k, len(self.api_ids))
        if k <= 0:
            return [[] for _ in range(len(vectors))]
        scores, rows = self.faiss_index.search(vectors, k)
        return [
            [(self.api_ids[r], float(s)) for r, s in zip(row_ids, row_scores, strict=True) if r >= 0]
            for row_ids, row_scores in zip(rows, scores, strict=True)
        ]

    def score_rows(self, vector: Any, rows: list[int]) -> Any:
        """Exact inner products of one query vector with the given document rows."""
        import numpy as np

        if not rows:
            return np.zeros(0, dtype=np.float32)
        docs = self.faiss_index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return docs @ vector

    def plain_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        """Top ``k`` by cosine for each text as one query (no request splitting)."""
        return self.search_vectors(self.encode_queries(queries), k)

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        return need_aware_many(self.plain_many, queries, k, self.config.multi, self.config.multi_depth)

    def with_config(self, config: IndexConfig) -> DenseIndex:
        """The same index searched with another configuration (``multi``)."""
        return DenseIndex(self.api_ids, self.faiss_index, self.encoder, {**self.meta, "config": config.to_dict()})

    def set_nprobe(self, nprobe: int) -> None:
        """Search ``nprobe`` IVF lists from now on (no effect on flat, HNSW and SQ8 indexes)."""
        if nprobe < 1:
            raise ConfigError(f"nprobe must be >= 1, got {nprobe}")
        self.config = self.config.replace(ivf_nprobe=nprobe)
        self.meta = {**self.meta, "config": self.config.to_dict()}
        tune(self.faiss_index, self.config)

    def retrieve(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` best APIs for ``query``: (api_id, cosine similarity), best first."""
        return self.retrieve_many([query], k)[0]


def _matching_encoder(meta: dict[str, Any], encoder: Encoder | str | None) -> Encoder:
    info = meta.get("encoder") or {}
    if not info.get("id") or not info.get("spec"):
        raise IndexMismatchError("corrupt index: metadata does not name its encoder")
    if encoder is None or isinstance(encoder, str):
        encoder = load_encoder(encoder or info["spec"])
    if encoder.id != info["id"]:
        raise IndexMismatchError(
            f"the index was built with encoder {info['id']} ({info['spec']}), not {encoder.id} "
            f"({encoder.spec}); rebuild it with `toolbench index --encoder ...` or use the matching encoder"
        )
    return encoder
