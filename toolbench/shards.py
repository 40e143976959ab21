"""``--shard i/n``: a deterministic share of the work for one of ``n`` machines or jobs.

A work item (a query id; for instruction generation a prompt number) belongs to shard
``1 + H(id) mod n``, where ``H`` is the first 8 bytes of the SHA-256 of the id's UTF-8 text,
read big-endian — the same on every machine, Python version and run (Python's ``hash()`` of
a string is salted per process, so it cannot be used). Shards are disjoint and together
hold every item, whatever the order of the input.

>>> shard = parse_shard("2/3")
>>> shard
Shard(index=2, count=3)
>>> [q for q in ["1", "2", "3", "4", "5", "6"] if shard.has(q)]
['1', '2', '3', '4']
>>> str(shard), shard_number("5", 3)
('2/3', 3)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from toolbench.errors import InputError

T = TypeVar("T")
_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def shard_number(item_id: str, count: int) -> int:
    """The shard (1-based) of ``item_id`` among ``count`` shards.

    >>> [shard_number(str(i), 2) for i in range(6)]
    [1, 2, 1, 2, 1, 2]
    """
    digest = hashlib.sha256(str(item_id).encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based)."""

    index: int
    count: int

    def has(self, item_id: str) -> bool:
        """Whether ``item_id`` is this shard's."""
        return shard_number(item_id, self.count) == self.index

    def select(self, items: Iterable[T], key: Callable[[T], str]) -> list[T]:
        """The items whose ``key`` is this shard's, in their order; an :class:`InputError`
        when there are items but none is this shard's (more shards than the work needs)."""
        items = list(items)
        selected = [item for item in items if self.has(key(item))]
        if items and not selected:
            raise InputError(f"shard {self} holds none of the {len(items)} queries; use fewer shards")
        return selected

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(spec: str | None) -> Shard | None:
    """``"i/n"`` with ``1 <= i <= n`` → :class:`Shard`; ``None`` or ``""`` → ``None`` (no sharding).

    >>> parse_shard("1/1"), parse_shard("")
    (Shard(index=1, count=1), None)
    >>> parse_shard("3/2")
    Traceback (most recent call last):
    ...
    toolbench.errors.InputError: --shard 3/2: give i/n with 1 <= i <= n, e.g. 1/4
    """
    if spec is None or spec == "":
        return None
    match = _SPEC.fullmatch(spec)
    index, count = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not 1 <= index <= count:
        raise InputError(f"--shard {spec}: give i/n with 1 <= i <= n, e.g. 1/4")
    return Shard(index, count)
