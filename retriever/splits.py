"""Deterministic train / held-out splits of queries by query id."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

from toolbench.types import Query

Q = TypeVar("Q", bound=Query)


def split_key(query: Query) -> str:
    """The id a query is split by: its group (if any) and query id.

    >>> split_key(Query("394", "q", group="G1_tool"))
    'G1_tool/394'
    """
    return f"{query.group}/{query.query_id}" if query.group else query.query_id


def is_held_out(key: str, fraction: float, seed: int) -> bool:
    """Whether ``key`` falls in the held-out part (a seeded hash, stable across runs and machines).

    >>> [is_held_out(str(i), 0.3, 0) for i in range(6)]
    [False, False, False, False, True, False]
    """
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_queries(queries: Sequence[Q], held_out: float = 0.3, seed: int = 0) -> tuple[list[Q], list[Q]]:
    """``(train, held_out)`` by a seeded hash of each query's id; order is kept.

    >>> qs = [Query(str(i), "q") for i in range(100)]
    >>> train, test = split_queries(qs, 0.3, seed=0)
    >>> len(train) + len(test), 20 < len(test) < 40
    (100, True)
    """
    if not 0.0 <= held_out <= 1.0:
        raise ValueError(f"held_out must be in [0, 1], got {held_out}")
    train = [q for q in queries if not is_held_out(split_key(q), held_out, seed)]
    test = [q for q in queries if is_held_out(split_key(q), held_out, seed)]
    return train, test
