"""A content-addressed SQLite cache of tool responses, safe under parallel processes.

The key is the SHA-256 of the canonical JSON of ``[api id, arguments]`` (sorted keys,
no spaces), so ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` share an entry — unlike
ToolBench's ``str(dict)`` keys. The database runs in WAL mode with a busy timeout;
writes are single ``INSERT OR IGNORE`` statements (first writer wins), so several
processes can fill one cache at once without losing or tearing records.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from toolbench.errors import InputError
from toolbench.jsonutil import canonical_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    api_id TEXT NOT NULL,
    arguments TEXT NOT NULL,
    response TEXT NOT NULL,
    origin TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(api_id: str, arguments: dict[str, Any]) -> str:
    """The content address of one call.

    >>> cache_key("C::T::A", {"b": 2, "a": 1}) == cache_key("C::T::A", {"a": 1, "b": 2})
    True
    >>> cache_key("C::T::A", {"a": 1})[:12]
    '596d8c7c55c6'
    """
    return hashlib.sha256(canonical_json([api_id, arguments]).encode("utf-8")).hexdigest()


class ResponseCache:
    """Responses by call; ``origin`` records where the cached value came from (real, llm, import)."""

    def __init__(self, path: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self._local = threading.local()
        try:
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                check = db.execute("PRAGMA quick_check").fetchone()
                if not check or check[0] != "ok":
                    raise sqlite3.DatabaseError(str(check[0] if check else "no answer to quick_check"))
                db.execute("SELECT key, api_id, arguments, response, origin, created FROM responses LIMIT 1")
        except sqlite3.DatabaseError as exc:  # not a database, zeroed pages, another table layout
            self.close()
            raise InputError(f"the response cache is corrupt or not a cache ({exc}); delete it or give "
                             "another cache path", path=str(self.path)) from exc

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def get(self, api_id: str, arguments: dict[str, Any]) -> tuple[Any, str] | None:
        """``(response, origin)`` or ``None``."""
        row = self._connect().execute(
            "SELECT response, origin FROM responses WHERE key = ?", (cache_key(api_id, arguments),)
        ).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def put(self, api_id: str, arguments: dict[str, Any], response: Any, origin: str) -> bool:
        """Store a response unless one is there; ``True`` when this call wrote it."""
        record = (cache_key(api_id, arguments), api_id, canonical_json(arguments),
                  json.dumps(response, ensure_ascii=False, default=str), origin, time.time())
        for attempt in range(5):
            try:
                cursor = self._connect().execute(
                    "INSERT OR IGNORE INTO responses (key, api_id, arguments, response, origin, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)", record,
                )
                return cursor.rowcount == 1
            except sqlite3.OperationalError as exc:  # "database is locked" past the busy timeout
                if "locked" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.05 * 2**attempt)
        return False  # pragma: no cover

    def examples(self, api_id: str, limit: int = 3) -> list[tuple[dict[str, Any], Any]]:
        """Up to ``limit`` cached ``(arguments, response)`` pairs of one API, oldest first."""
        rows = self._connect().execute(
            "SELECT arguments, response FROM responses WHERE api_id = ? ORDER BY created, key LIMIT ?",
            (api_id, limit),
        ).fetchall()
        return [(json.loads(a), json.loads(r)) for a, r in rows]

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
