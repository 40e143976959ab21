"""A persistent LLM-call cache that wraps any :class:`ChatModel`.

The key is the SHA-256 of the canonical JSON of the model's :meth:`ChatModel.describe`
(backend, model id and decoding settings), the messages, the tools and the per-call
options, so a repeated run with the same settings costs nothing. Replies are stored in
SQLite in WAL mode with a busy timeout; writes are single ``INSERT OR IGNORE``
statements, so several processes (or threads) may share one cache file safely. Errors
are never cached; replies with a ``parse_error`` are (they are what the model said).

Enable it with ``load_chat_model(spec, cache="path.sqlite")`` or the environment variable
``TOOLBENCH_LLM_CACHE``; ``cache=""`` turns it off even when the variable is set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from toolbench.jsonutil import canonical_json
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, Message

logger = logging.getLogger(__name__)

CACHE_ENV = "TOOLBENCH_LLM_CACHE"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_calls (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    reply TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(description: dict[str, Any], messages: list[Message], tools: Any, opts: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of everything that determines a reply.

    >>> k = cache_key({"name": "m"}, [Message("user", "hi")], None, {"temperature": 0})
    >>> k == cache_key({"name": "m"}, [Message("user", "hi")], None, {"temperature": 0}), len(k)
    (True, 64)
    >>> k == cache_key({"name": "m"}, [Message("user", "hi")], None, {"temperature": 1})
    False
    """
    payload = {
        "model": description,
        "messages": [m.to_dict() for m in messages],
        "tools": tools or [],
        "opts": opts,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class CallCache:
    """The SQLite table of cached replies (one connection per thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connect()  # create the table eagerly so errors show up at load time

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            self._local.conn = conn
        return conn

    def get(self, key: str) -> AssistantMessage | None:
        row = self._connect().execute("SELECT reply FROM llm_calls WHERE key = ?", (key,)).fetchone()
        return AssistantMessage.from_dict(json.loads(row[0])) if row else None

    def put(self, key: str, model: str, reply: AssistantMessage) -> None:
        self._connect().execute(
            "INSERT OR IGNORE INTO llm_calls (key, model, reply, created) VALUES (?, ?, ?, ?)",
            (key, model, canonical_json(reply.to_dict()), time.time()),
        )

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0])


class CachedChatModel(ChatModel):
    """``inner`` with replies looked up in (and written to) a :class:`CallCache`.

    A hit returns the stored reply with its recorded usage, so a re-run produces the
    same trajectories; :meth:`stats` counts hits and misses.
    """

    def __init__(self, inner: ChatModel, path: str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache = CallCache(path)
        self.hits = 0
        self.misses = 0
        self._description = inner.describe()

    def _key(self, messages: list[Message], tools: Any, opts: dict[str, Any]) -> str:
        return cache_key(self._description, messages, tools, opts)

    def _lookup(self, key: str) -> AssistantMessage | None:
        reply = self.cache.get(key)
        if reply is None:
            self.misses += 1
        else:
            self.hits += 1
        return reply

    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        key = self._key(messages, tools, opts)
        reply = self._lookup(key)
        if reply is None:
            reply = self.inner.generate(messages, tools, **opts)
            self.cache.put(key, self.name, reply)
        return reply

    async def agenerate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        key = self._key(messages, tools, opts)
        reply = self._lookup(key)
        if reply is None:
            reply = await self.inner.agenerate(messages, tools, **opts)
            self.cache.put(key, self.name, reply)
        return reply

    def describe(self) -> dict[str, Any]:
        return {**self._description, "cache": str(self.cache.path)}

    def stats(self) -> dict[str, Any]:
        """The inner model's counters plus cache hits and misses of this process."""
        return {**self.inner.stats(), "cache_hits": self.hits, "cache_misses": self.misses}

    def close(self) -> None:
        self.inner.close()


def cache_path_from(option: Any) -> str | None:
    """The cache file from a ``cache=`` option, else from ``$TOOLBENCH_LLM_CACHE``.

    >>> cache_path_from("x.sqlite"), cache_path_from("")
    ('x.sqlite', None)
    """
    if option is None:
        option = os.environ.get(CACHE_ENV) or None
    if option in (None, "", False):
        return None
    return str(option)
