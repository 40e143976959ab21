"""Fusing two rankers' scores over a shared candidate set (pure functions).

Each fuser takes, per ranker, a dict ``{api_id: score}`` holding an exact score for every
candidate (the hybrid index scores the union of both rankers' candidates with both), and
returns ``(api_id, fused_score)`` pairs, best first, ties broken by id.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from toolbench.types import API_ID_SEP

Scores = Mapping[str, float]
FUSIONS = ("rrf", "minmax", "zscore")


def _ranked(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def ranks(scores: Scores) -> dict[str, int]:
    """1-based rank of each id by descending score (ties broken by id).

    >>> ranks({"a": 0.1, "b": 0.9, "c": 0.1})
    {'b': 1, 'a': 2, 'c': 3}
    """
    return {api_id: i + 1 for i, (api_id, _) in enumerate(_ranked(scores))}


def rrf(lists: Sequence[Scores], weights: Sequence[float], k: float = 60.0) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: sum of weight / (k + rank).

    >>> rrf([{"a": 3.0, "b": 1.0}, {"a": 0.1, "b": 0.9}], [1.0, 2.0], k=1)[0][0]
    'b'
    """
    fused: dict[str, float] = {}
    for scores, weight in zip(lists, weights, strict=True):
        for api_id, rank in ranks(scores).items():
            fused[api_id] = fused.get(api_id, 0.0) + weight / (k + rank)
    return _ranked(fused)


def minmax(scores: Scores) -> dict[str, float]:
    """Scale scores to [0, 1] (all equal → all 0).

    >>> minmax({"a": 2.0, "b": 4.0, "c": 3.0})
    {'a': 0.0, 'b': 1.0, 'c': 0.5}
    """
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {i: (s - low) / span if span > 0 else 0.0 for i, s in scores.items()}


def zscore(scores: Scores) -> dict[str, float]:
    """Standardise scores (mean 0, standard deviation 1; constant → all 0).

    >>> zscore({"a": 1.0, "b": 3.0})
    {'a': -1.0, 'b': 1.0}
    """
    if not scores:
        return {}
    mean = sum(scores.values()) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores.values()) / len(scores))
    return {i: (s - mean) / std if std > 0 else 0.0 for i, s in scores.items()}


def weighted_sum(
    lists: Sequence[Scores], weights: Sequence[float], normalise: Callable[[Scores], dict[str, float]]
) -> list[tuple[str, float]]:
    """Sum of weighted normalised scores (an id missing from a list gets that list's minimum).

    >>> weighted_sum([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 3.0}], [0.3, 0.7], minmax)[0]
    ('b', 0.7)
    """
    fused: dict[str, float] = {}
    normed = [normalise(scores) for scores in lists]
    ids = set().union(*normed) if normed else set()
    for scores, weight in zip(normed, weights, strict=True):
        floor = min(scores.values(), default=0.0)
        for api_id in ids:
            fused[api_id] = fused.get(api_id, 0.0) + weight * scores.get(api_id, floor)
    return _ranked(fused)


def fuse(
    method: str, lists: Sequence[Scores], weights: Sequence[float], rrf_k: float = 60.0
) -> list[tuple[str, float]]:
    """Dispatch on ``method`` (one of :data:`FUSIONS`).

    >>> fuse("zscore", [{"a": 1.0, "b": 0.0}, {"a": 1.0, "b": 0.5}], [0.5, 0.5])[0][0]
    'a'
    """
    if method == "rrf":
        return rrf(lists, weights, rrf_k)
    if method == "minmax":
        return weighted_sum(lists, weights, minmax)
    if method == "zscore":
        return weighted_sum(lists, weights, zscore)
    raise ValueError(f"unknown fusion method {method!r} (choose from {', '.join(FUSIONS)})")


def tool_of(api_id: str) -> str:
    """The ``category::tool`` part of an API id (the id itself when it has no tool part).

    >>> tool_of("Sports::TheClique::Transfermarkt search"), tool_of("plain")
    ('Sports::TheClique', 'plain')
    """
    return api_id.rsplit(API_ID_SEP, 1)[0]


def tool_boost(ranked: Sequence[tuple[str, float]], weight: float) -> list[tuple[str, float]]:
    """Add ``weight`` × the best score among each API's tool siblings (itself included).

    Instructions usually need several APIs of one tool, so an API whose tool holds a
    strong match moves up. Ranking is unchanged by shifting or scaling all scores, so the
    boost works on any fuser's scale. ``weight`` 0 returns the ranking as it is.

    >>> tool_boost([("C::A::x", 3.0), ("C::B::y", 2.0), ("C::A::z", 1.5)], 1.0)
    [('C::A::x', 6.0), ('C::A::z', 4.5), ('C::B::y', 4.0)]
    """
    if weight == 0:
        return list(ranked)
    best: dict[str, float] = {}
    for api_id, score in ranked:
        tool = tool_of(api_id)
        best[tool] = max(best.get(tool, score), score)
    return _ranked({api_id: score + weight * best[tool_of(api_id)] for api_id, score in ranked})
