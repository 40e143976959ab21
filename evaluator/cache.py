"""A small SQLite cache of judge replies, keyed by judge model + prompt (+ judging, attempt).

Judging the same answer twice with the same judge costs nothing: the reply is read back.
The key is a SHA-256 of the canonical JSON of everything that shapes the reply.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Any

from toolbench.jsonutil import canonical_json
from toolbench.paths import cache_dir


def cache_key(parts: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``parts``.

    >>> cache_key({"b": 1, "a": 2}) == cache_key({"a": 2, "b": 1})
    True
    >>> len(cache_key({}))
    64
    """
    return hashlib.sha256(canonical_json(parts).encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    """``$TOOLBENCH_CACHE/judge/judge_cache.sqlite``."""
    return cache_dir("judge") / "judge_cache.sqlite"


class JudgeCache:
    """Key → JSON text, persisted in SQLite; safe to share between threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False)
        with self._lock, self._conn:
            self._conn.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM replies WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0]

    def put(self, key: str, value: str) -> None:
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO replies (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> JudgeCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
