"""On-disk embedding cache keyed by (encoder id, document hash).

One directory per encoder under ``$TOOLBENCH_CACHE/embeddings/``: ``keys.json`` (document
hashes in row order) and ``vectors.npy`` (float32, no pickle). Updates rewrite both files
atomically (vectors first, keys last), so a reader sees either the old or the new cache;
rows whose key is missing from ``keys.json`` are simply ignored.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retriever.documents import document_hash
from retriever.encoders import Encoder
from toolbench.catalog.names import stable_hash
from toolbench.paths import cache_dir
from toolbench.store import atomic_write_json

logger = logging.getLogger(__name__)


def _atomic_save_npy(path: Path, array: Any) -> None:
    import numpy as np

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EmbeddingCache:
    """Vectors of documents already encoded by one encoder."""

    def __init__(self, encoder_id: str, root: Path | None = None) -> None:
        self.encoder_id = encoder_id
        base = root if root is not None else cache_dir("embeddings")
        self.directory = Path(base) / stable_hash(encoder_id, 16)
        self._rows: dict[str, int] | None = None
        self._vectors: Any = None

    def _load(self) -> None:
        import numpy as np

        self._rows, self._vectors = {}, None
        keys_path, vec_path = self.directory / "keys.json", self.directory / "vectors.npy"
        if not keys_path.is_file() or not vec_path.is_file():
            return
        try:
            meta = json.loads(keys_path.read_text(encoding="utf-8"))
            vectors = np.load(vec_path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable embedding cache %s (%s)", self.directory, exc)
            return
        keys = meta.get("keys", []) if meta.get("encoder_id") == self.encoder_id else []
        if len(keys) > len(vectors):
            logger.warning("ignoring inconsistent embedding cache %s", self.directory)
            return
        self._rows, self._vectors = {k: i for i, k in enumerate(keys)}, vectors

    def lookup(self, hashes: Sequence[str]) -> tuple[dict[int, Any], list[int]]:
        """Cached vectors by position in ``hashes``, and the positions that are missing."""
        if self._rows is None:
            self._load()
        assert self._rows is not None
        found = {i: self._vectors[self._rows[h]] for i, h in enumerate(hashes) if h in self._rows}
        return found, [i for i in range(len(hashes)) if i not in found]

    def add(self, hashes: Sequence[str], vectors: Any) -> None:
        """Store new vectors (rewrites the cache files atomically)."""
        import numpy as np

        if self._rows is None:
            self._load()
        assert self._rows is not None
        new = [(h, v) for h, v in zip(hashes, vectors, strict=True) if h not in self._rows]
        if not new:
            return
        keys = list(self._rows) + [h for h, _ in new]
        rows = np.stack([v for _, v in new]).astype(np.float32)
        merged = rows if self._vectors is None else np.concatenate([self._vectors, rows])
        self.directory.mkdir(parents=True, exist_ok=True)
        _atomic_save_npy(self.directory / "vectors.npy", merged)
        atomic_write_json(self.directory / "keys.json", {"encoder_id": self.encoder_id, "keys": keys}, indent=None)
        self._rows, self._vectors = {k: i for i, k in enumerate(keys)}, merged


def encode_documents(
    encoder: Encoder, documents: Sequence[str], *, cache: bool | EmbeddingCache = True,
    batch_size: int = 64, show_progress: bool = False,
) -> Any:
    """Encode ``documents`` (float32 (n, dim)), reusing and filling the embedding cache."""
    import numpy as np

    if cache is False:
        return encoder.encode(documents, batch_size=batch_size, show_progress=show_progress)
    store = cache if isinstance(cache, EmbeddingCache) else EmbeddingCache(encoder.id)
    hashes = [document_hash(d) for d in documents]
    found, missing = store.lookup(hashes)
    logger.info("embeddings: %d cached, %d to encode with %s", len(found), len(missing), encoder.id)
    out = np.zeros((len(documents), encoder.dim), dtype=np.float32)
    for i, vec in found.items():
        out[i] = vec
    if missing:
        fresh = encoder.encode([documents[i] for i in missing], batch_size=batch_size, show_progress=show_progress)
        out[missing] = fresh
        store.add([hashes[i] for i in missing], fresh)
    return out
