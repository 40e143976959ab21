"""Index directories: configuration, JSON metadata, atomic writes, validation on load.

An index is a directory holding ``index.json`` (format, kind, API ids, document hashes,
encoder id and spec, config, library versions) plus the files of its kind: ``dense.faiss``
(FAISS), ``bm25/`` (bm25s save format: JSON + ``.npy`` without pickle), or, for a hybrid
index, ``dense/`` and ``bm25/`` sub-indexes. Directories are built beside the target and
renamed into place, so a crash never leaves a half-written index.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retriever.fusion import FUSIONS
from retriever.need_aware import MULTI_MODES
from toolbench.config import Config, library_versions, require
from toolbench.errors import IndexMismatchError, InputError
from toolbench.store import atomic_write_json

INDEX_FORMAT = "toolbench-kit-index"
INDEX_FORMAT_VERSION = 1
META_FILE = "index.json"
KINDS = ("dense", "bm25", "hybrid")
FAISS_TYPES = ("flat", "hnsw", "ivf", "ivfpq", "sq8", "ivfsq8")
REFINES = ("none", "sq8", "flat")
REQUEST_RANKERS = ("bm25", "hybrid")


@dataclasses.dataclass(frozen=True)
class IndexConfig(Config):
    """How an index is built and searched.

    ``faiss_type``: ``flat`` (exact inner product), ``hnsw`` or ``ivf`` (approximate, for
    large catalogs), or compressed: ``sq8`` (8-bit scalar quantizer, exhaustive, 4x smaller),
    ``ivfsq8`` (IVF + SQ8) and ``ivfpq`` (IVF + product quantizer of ``pq_m`` bytes per vector,
    its candidates re-ranked by ``refine``: ``sq8`` (default), ``flat`` (exact) or ``none``;
    ``refine_factor`` x k candidates). IVF types train on ``train_size`` sampled vectors (at
    least 40 per list) and search ``ivf_nprobe`` of ``ivf_nlist`` lists. Hybrid: ``fusion`` (chosen
    on the train split, see docs/retrieval.md),
    ``dense_weight`` (weight of the dense ranker; BM25 gets ``1 - dense_weight``) and
    ``candidates`` taken from each ranker before fusing, ``tool_boost`` (each candidate gains
    this × the best fused score among its tool's APIs; 0 turns it off). ``multi``: how
    instructions with several requests are retrieved (``off``; ``rr`` or ``coverage``: per
    request and merged, :mod:`retriever.need_aware`), ``multi_depth`` APIs per request ranking,
    ``request_ranker`` (hybrid only): ``hybrid`` encodes the requests too (a second encoder
    pass); ``bm25`` ranks them lexically, so the encoder runs once per instruction (faster,
    but it loses completeness on single-tool queries and ignores a trained encoder).

    >>> IndexConfig(kind="bm25").kind
    'bm25'
    """

    kind: str = "hybrid"
    faiss_type: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    ivf_nlist: int = 0  # 0: about 4 * sqrt(n)
    ivf_nprobe: int = 16
    pq_m: int = 0  # 0: dim // 8 (48 bytes per 384-d vector)
    refine: str = "sq8"
    refine_factor: int = 8
    train_size: int = 100_000
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    fusion: str = "zscore"
    dense_weight: float = 0.5
    rrf_k: float = 60.0
    candidates: int = 100
    tool_boost: float = 2.0  # chosen on the train split (docs/retrieval.md)
    batch_size: int = 64
    multi: str = "fused"  # chosen on the train split (docs/retrieval.md)
    multi_depth: int = 50
    request_ranker: str = "hybrid"  # chosen on the train split's validation part (docs/retrieval.md)

    def validate(self) -> None:
        require(self.kind in KINDS, f"index kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        require(self.faiss_type in FAISS_TYPES,
                f"faiss_type must be one of {', '.join(FAISS_TYPES)}, got {self.faiss_type!r}")
        require(self.refine in REFINES, f"refine must be one of {', '.join(REFINES)}, got {self.refine!r}")
        require(self.pq_m >= 0 and self.refine_factor >= 1 and self.train_size >= 1, "bad PQ/refine parameters")
        require(self.fusion in FUSIONS, f"fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        require(0.0 <= self.dense_weight <= 1.0, "dense_weight must be in [0, 1]")
        require(self.tool_boost >= 0.0, "tool_boost must be >= 0")
        require(self.multi in MULTI_MODES, f"multi must be one of {', '.join(MULTI_MODES)}, got {self.multi!r}")
        require(self.multi_depth >= 1, "multi_depth must be >= 1")
        require(self.request_ranker in REQUEST_RANKERS,
                f"request_ranker must be one of {', '.join(REQUEST_RANKERS)}, got {self.request_ranker!r}")
        require(self.candidates >= 1 and self.batch_size >= 1, "candidates and batch_size must be >= 1")
        require(self.hnsw_m >= 2 and self.ivf_nprobe >= 1 and self.ivf_nlist >= 0, "bad HNSW/IVF parameters")
        require(self.bm25_k1 >= 0 and 0 <= self.bm25_b <= 1, "bad BM25 parameters")


def base_metadata(kind: str, api_ids: list[str], doc_hashes: list[str], config: IndexConfig) -> dict[str, Any]:
    """The metadata every index kind writes."""
    return {
        "format": INDEX_FORMAT,
        "format_version": INDEX_FORMAT_VERSION,
        "kind": kind,
        "count": len(api_ids),
        "api_ids": api_ids,
        "doc_hashes": doc_hashes,
        "config": config.to_dict(),
        "versions": library_versions(),
    }


def write_metadata(directory: Path, meta: dict[str, Any]) -> None:
    atomic_write_json(directory / META_FILE, meta, indent=1)


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """Read and check ``index.json``; anything wrong raises :class:`IndexMismatchError`."""
    directory = Path(directory)
    path = directory / META_FILE
    if not directory.is_dir():
        raise IndexMismatchError(f"index directory not found: {directory}")
    if not path.is_file():
        raise IndexMismatchError(f"{directory} is not an index (no {META_FILE}); build one with `toolbench index`")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(f"corrupt index metadata {path}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT:
        raise IndexMismatchError(f"{path} is not a toolbench-kit index file")
    if meta.get("format_version") != INDEX_FORMAT_VERSION:
        raise IndexMismatchError(f"{path}: unsupported index format_version {meta.get('format_version')!r}")
    if meta.get("kind") not in KINDS:
        raise IndexMismatchError(f"{path}: unknown index kind {meta.get('kind')!r}")
    ids = meta.get("api_ids")
    if not isinstance(ids, list) or len(ids) != meta.get("count") or len(set(ids)) != len(ids):
        raise IndexMismatchError(f"{path}: api_ids are missing, duplicated or do not match count")
    return meta


def config_from_metadata(meta: dict[str, Any]) -> IndexConfig:
    try:
        return IndexConfig.from_dict(meta.get("config") or {})
    except Exception as exc:  # noqa: BLE001 - a bad config is a corrupt index
        raise IndexMismatchError(f"index config is invalid: {exc}") from exc


@contextlib.contextmanager
def staged_directory(target: str | Path, marker: str = META_FILE) -> Iterator[Path]:
    """Yield a fresh temporary directory that replaces ``target`` only if the block succeeds.

    An existing non-empty ``target`` is only replaced when it holds ``marker`` (it is an
    earlier output of the same kind), so a mistyped ``--out`` never deletes a user folder.

    >>> import tempfile, pathlib
    >>> t = pathlib.Path(tempfile.mkdtemp()) / "idx"
    >>> with staged_directory(t) as tmp:
    ...     _ = (tmp / "f").write_text("x")
    >>> (t / "f").read_text()
    'x'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / marker).exists():
        raise InputError(f"{target} is a non-empty directory without {marker}; refusing to replace it")
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield staging
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
            target.rename(old / "previous")
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
