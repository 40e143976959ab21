"""Need-aware retrieval: retrieve for each request of an instruction and merge with coverage.

One query vector for "find hotels in Rome and convert 100 USD to EUR" averages two needs,
and the tool boost favours the single best tool, so the second tool often misses the top
k. Here the instruction is split into its requests (:mod:`retriever.requests`); the index
ranks the whole instruction and every request (each ranking with its own tool boost), and
the rankings are merged so that every request is represented in the top k:

- ``fused`` (the default, chosen on the train split): each API scores its z-scored fused
  score for the whole instruction plus its best z-score over the requests, so an API
  that is the clear answer to one request rises even when the whole instruction's
  vector is dominated by another need;
- ``rr`` (round robin): the whole instruction picks first, then each request in turn
  takes its best API not yet picked, round after round;
- ``coverage`` (xQuAD-style): greedily pick the API with the best
  ``(1 - λ) P(a | whole) + λ Σ_i P(a | request_i) Π_{b picked} (1 - P(b | request_i)) / m``,
  where ``P(· | list)`` is a softmax over that list's z-scored fused scores, so a request
  already served by a picked API stops pulling.

Instructions with fewer than two requests are retrieved as before. Merged scores are the
summed z-scores (``fused``), the greedy gains (``coverage``) or ``1 / (1 + position)``
(``rr``); all decrease down the list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from retriever.fusion import zscore
from retriever.requests import split_requests

Ranked = list[tuple[str, float]]
MULTI_MODES = ("off", "fused", "rr", "coverage")


def round_robin(lists: Sequence[Ranked], k: int) -> Ranked:
    """Take each list's best unpicked item in turn until ``k`` are picked.

    >>> round_robin([[("a", 3.0), ("b", 2.0)], [("a", 9.0), ("c", 1.0)], [("d", 0.5)]], 4)
    [('a', 1.0), ('c', 0.5), ('d', 0.333333), ('b', 0.25)]
    """
    picked: list[str] = []
    pointers = [0] * len(lists)
    while len(picked) < k and any(p < len(lst) for p, lst in zip(pointers, lists, strict=True)):
        for i, lst in enumerate(lists):
            while pointers[i] < len(lst) and lst[pointers[i]][0] in picked:
                pointers[i] += 1
            if pointers[i] < len(lst) and len(picked) < k:
                picked.append(lst[pointers[i]][0])
                pointers[i] += 1
    return [(api_id, round(1.0 / (1 + i), 6)) for i, api_id in enumerate(picked)]


def _standardised(ranked: Ranked) -> dict[str, float]:
    """z-scores of a ranking; a lone hit (BM25 matched one document) is z-scored against one
    absent document (1 vs -1, the floor ``fused_merge`` gives absent APIs).

    >>> _standardised([("a", 5.0)]), _standardised([("a", 1.0), ("b", 3.0)])
    ({'a': 1.0}, {'a': -1.0, 'b': 1.0})
    """
    return {ranked[0][0]: 1.0} if len(ranked) == 1 else zscore(dict(ranked))


def fused_merge(whole: Ranked, parts: Sequence[Ranked], k: int, weight: float = 1.0) -> Ranked:
    """Score = z(whole) + ``weight`` × max over requests of z(request); an API absent from a
    ranking gets that ranking's lowest z-score.

    >>> whole = [("A::t::x", 3.0), ("A::t::y", 2.0), ("B::u::z", 1.9), ("C::v::w", 0.0)]
    >>> parts = [[("A::t::x", 3.0), ("A::t::y", 1.0)], [("B::u::z", 5.0), ("C::v::w", 0.0)]]
    >>> [a for a, _ in fused_merge(whole, parts, 3)]  # B's API overtakes A's second API
    ['A::t::x', 'B::u::z', 'A::t::y']
    """
    lists = [_standardised(ranked) for ranked in (whole, *parts)]
    floors = [min(z.values(), default=0.0) if len(z) > 1 else -1.0 for z in lists]
    ids = set().union(*lists)
    scores = {a: lists[0].get(a, floors[0])
              + weight * max(z.get(a, floor) for z, floor in zip(lists[1:], floors[1:], strict=True)) for a in ids}
    return sorted(((a, round(s, 6)) for a, s in scores.items()), key=lambda item: (-item[1], item[0]))[:k]


def softmax_scores(ranked: Ranked, temperature: float) -> dict[str, float]:
    """P(api | list): softmax of the list's z-scored scores at ``temperature``.

    >>> {a: round(p, 3) for a, p in softmax_scores([("a", 2.0), ("b", 0.0)], 1.0).items()}
    {'a': 0.881, 'b': 0.119}
    """
    z = zscore(dict(ranked))
    if not z:
        return {}
    top = max(z.values())
    weights = {a: math.exp((s - top) / temperature) for a, s in z.items()}
    total = sum(weights.values())
    return {a: w / total for a, w in weights.items()}


def coverage_merge(whole: Ranked, parts: Sequence[Ranked], k: int, *, diversity: float = 0.5,
                   temperature: float = 0.5) -> Ranked:
    """xQuAD-style greedy merge of the whole instruction's ranking and its requests' rankings.

    >>> whole = [("A::t::x", 3.0), ("A::t::y", 2.9), ("B::u::z", 1.0)]
    >>> parts = [[("A::t::x", 3.0), ("A::t::y", 2.9)], [("B::u::z", 4.0), ("A::t::y", 0.1)]]
    >>> [a for a, _ in coverage_merge(whole, parts, 2)]
    ['A::t::x', 'B::u::z']
    """
    p_whole = softmax_scores(whole, temperature)
    p_parts = [softmax_scores(part, temperature) for part in parts]
    uncovered = [1.0] * len(parts)
    pool = set(p_whole).union(*p_parts)
    picked: Ranked = []
    share = diversity / max(1, len(parts))
    while pool and len(picked) < k:
        gains = {a: (1 - diversity) * p_whole.get(a, 0.0)
                 + share * sum(p.get(a, 0.0) * u for p, u in zip(p_parts, uncovered, strict=True)) for a in pool}
        best = min(pool, key=lambda a: (-gains[a], a))
        picked.append((best, round(gains[best], 6)))
        pool.discard(best)
        uncovered = [u * (1 - p.get(best, 0.0)) for p, u in zip(p_parts, uncovered, strict=True)]
    return picked


def merge(mode: str, whole: Ranked, parts: Sequence[Ranked], k: int) -> Ranked:
    """Merge by ``mode`` (``rr`` or ``coverage``); no requests → the whole ranking.

    >>> merge("rr", [("a", 1.0), ("b", 0.5)], [], 1)
    [('a', 1.0)]
    """
    if not parts:
        return list(whole[:k])
    if mode == "fused":
        return fused_merge(whole, parts, k)
    if mode == "rr":
        return round_robin([whole, *parts], k)
    if mode == "coverage":
        return coverage_merge(whole, parts, k)
    raise ValueError(f"unknown multi-request merge {mode!r} (choose from {', '.join(MULTI_MODES)})")


def need_aware_many(plain: Callable[[list[str], int], list[Ranked]], queries: list[str], k: int, mode: str,
                    depth: int = 50, requests_plain: Callable[[list[str], int], list[Ranked]] | None = None,
                    ) -> list[Ranked]:
    """Retrieve for every query: split, rank the whole with ``plain`` and each request with
    ``requests_plain`` (default: ``plain``), merge.

    ``plain(texts, n)`` is the index's own ranking, called once for the instructions and
    once for all their requests (two batches, so short requests are not padded to the
    instruction's length); a hybrid index passes its BM25 part as ``requests_plain`` so the
    encoder runs once per instruction. ``depth`` APIs per ranking feed the merge. Fewer than
    two requests → the plain top ``k``.
    """
    if mode == "off":
        return plain(queries, k)
    requests = [split_requests(q) for q in queries]
    requests = [r if len(r) >= 2 else [] for r in requests]
    wholes = plain(queries, max(k, depth))
    # requests are encoded in their own batch: padded to the longest request, not to the whole instruction
    flat = [r for rs in requests for r in rs]
    ranked = (requests_plain or plain)(flat, max(k, depth)) if flat else []
    out, cursor = [], 0
    for whole, rs in zip(wholes, requests, strict=True):
        out.append(merge(mode, whole, ranked[cursor:cursor + len(rs)], k))
        cursor += len(rs)
    return out
