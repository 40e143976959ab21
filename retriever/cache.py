"""On-disk embedding cache keyed by (encoder id, document hash), append-only.

One directory per encoder under ``$TOOLBENCH_CACHE/embeddings/``:

* ``store.json``: format, encoder id and vector dimension (written once, atomically);
* ``vectors.f32``: raw float32 rows, appended;
* ``keys.txt``: one document hash (32 hex characters + newline) per row, appended *after*
  the rows are on disk (fsync), so a key always names a complete row.

The committed rows are the complete key lines that have a complete row behind them. An
append first cuts both files back to the committed length (dropping whatever a crash left
half-written), then adds rows, then keys, under an exclusive ``flock`` (several processes may
share a cache). A torn append therefore never touches earlier entries, and adding ``m``
documents writes ``m`` rows instead of rewriting the whole file. Vectors are read through a
read-only memory map, so a large cache is not loaded into memory.

Caches of the previous format (``keys.json`` + ``vectors.npy``, rewritten on each addition)
are still read; the first addition moves their rows into the append-only files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from retriever.documents import document_hash
from retriever.encoders import Encoder
from toolbench.catalog.names import stable_hash
from toolbench.paths import cache_dir
from toolbench.store import atomic_write_json

logger = logging.getLogger(__name__)

CACHE_FORMAT = "toolbench-embedding-cache"
CACHE_VERSION = 2
KEY_LINE = 33  # 32 hex characters and a newline
_HEX = frozenset("0123456789abcdef")


def committed_keys(data: bytes) -> list[str]:
    """The complete, well-formed key lines at the start of ``keys.txt`` (a torn tail is dropped).

    >>> committed_keys(b"a" * 32 + b"\\n" + b"b" * 32 + b"\\n" + b"cc")
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']
    """
    keys = []
    for start in range(0, len(data) - KEY_LINE + 1, KEY_LINE):
        line = data[start:start + KEY_LINE]
        key = line[:-1].decode("ascii", errors="replace")
        if line[-1:] != b"\n" or not set(key) <= _HEX:
            break
        keys.append(key)
    return keys


class EmbeddingCache:
    """Vectors of documents already encoded by one encoder."""

    def __init__(self, encoder_id: str, root: Path | None = None) -> None:
        self.encoder_id = encoder_id
        base = root if root is not None else cache_dir("embeddings")
        self.directory = Path(base) / stable_hash(encoder_id, 16)
        self._rows: dict[str, tuple[Any, int]] | None = None  # key -> (array, row)

    @property
    def _keys_path(self) -> Path:
        return self.directory / "keys.txt"

    @property
    def _vectors_path(self) -> Path:
        return self.directory / "vectors.f32"

    def _dim(self) -> int | None:
        path = self.directory / "store.json"
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("format") != CACHE_FORMAT or meta.get("encoder_id") != self.encoder_id:
            logger.warning("ignoring embedding cache %s: written for another encoder or format", self.directory)
            return None
        dim = meta.get("dim")
        return dim if isinstance(dim, int) and dim > 0 else None

    def _read_appended(self) -> tuple[list[str], Any]:
        """Committed keys and a read-only map of their rows (``None`` when empty)."""
        import numpy as np

        dim = self._dim()
        if dim is None or not self._keys_path.is_file() or not self._vectors_path.is_file():
            return [], None
        keys = committed_keys(self._keys_path.read_bytes())
        rows = min(len(keys), self._vectors_path.stat().st_size // (4 * dim))
        if not rows:
            return [], None
        return keys[:rows], np.memmap(self._vectors_path, dtype=np.float32, mode="r", shape=(rows, dim))

    def _read_legacy(self) -> tuple[list[str], Any]:
        import numpy as np

        keys_path, vec_path = self.directory / "keys.json", self.directory / "vectors.npy"
        if not keys_path.is_file() or not vec_path.is_file():
            return [], None
        try:
            meta = json.loads(keys_path.read_text(encoding="utf-8"))
            vectors = np.load(vec_path, allow_pickle=False, mmap_mode="r")
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable embedding cache %s (%s)", self.directory, exc)
            return [], None
        keys = meta.get("keys", []) if meta.get("encoder_id") == self.encoder_id else []
        if len(keys) > len(vectors):
            logger.warning("ignoring inconsistent embedding cache %s", self.directory)
            return [], None
        return keys, vectors

    def _load(self) -> None:
        rows: dict[str, tuple[Any, int]] = {}
        for keys, vectors in (self._read_legacy(), self._read_appended()):
            rows.update((k, (vectors, i)) for i, k in enumerate(keys))
        self._rows = rows

    def __len__(self) -> int:
        if self._rows is None:
            self._load()
        assert self._rows is not None
        return len(self._rows)

    def lookup(self, hashes: Sequence[str]) -> tuple[dict[int, Any], list[int]]:
        """Cached vectors by position in ``hashes``, and the positions that are missing."""
        if self._rows is None:
            self._load()
        assert self._rows is not None
        found = {}
        for i, h in enumerate(hashes):
            if h in self._rows:
                array, row = self._rows[h]
                found[i] = array[row]
        return found, [i for i in range(len(hashes)) if i not in found]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, hashes: Sequence[str], vectors: Any) -> None:
        """Append new vectors (rows first, then their keys; earlier entries are never rewritten)."""
        import numpy as np

        vectors = np.asarray(vectors, dtype=np.float32)
        with self._locked():
            self._load()  # another process may have appended since we last read
            assert self._rows is not None
            dim = self._dim()
            if dim is None:
                dim = int(vectors.shape[1])
                atomic_write_json(self.directory / "store.json", {
                    "format": CACHE_FORMAT, "version": CACHE_VERSION, "encoder_id": self.encoder_id, "dim": dim})
            appended, _ = self._read_appended()
            legacy_keys, legacy = self._read_legacy()
            done = set(appended)
            new_keys: list[str] = []
            new_rows: list[Any] = []
            for key, row in [*((k, legacy[i]) for i, k in enumerate(legacy_keys)), *zip(hashes, vectors, strict=True)]:
                if key not in done and len(key) == KEY_LINE - 1 and set(key) <= _HEX:
                    done.add(key)
                    new_keys.append(key)
                    new_rows.append(row)
            if new_keys:
                self._append(len(appended), dim, new_keys, np.stack(new_rows).astype(np.float32))
            if legacy_keys or legacy is not None:  # migrated: the old files are no longer needed
                (self.directory / "keys.json").unlink(missing_ok=True)
                (self.directory / "vectors.npy").unlink(missing_ok=True)
            self._load()

    def _append(self, committed: int, dim: int, keys: list[str], rows: Any) -> None:
        if rows.shape[1] != dim:
            raise ValueError(f"embedding cache {self.directory} holds {dim}-d vectors, got {rows.shape[1]}-d")
        for path, size, payload in ((self._vectors_path, committed * dim * 4, rows.tobytes()),
                                    (self._keys_path, committed * KEY_LINE, "".join(k + "\n" for k in keys).encode())):
            with open(path, "ab") as handle:
                handle.truncate(size)  # drop anything a crashed append left after the committed rows
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())


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
