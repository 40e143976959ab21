"""A multi-tool development set built from single-tool (G1) queries only.

ToolLLM's G2 instructions need several tools of one category, G3 tools across
categories; their test queries are not visible here. This builds look-alikes: two G1
queries of different tools are joined into one instruction ("first query. second
query.", joined by a space, no added connector) whose relevant APIs are the union of
both. Pairs of the same category form ``G2_like``, of different categories ``G3_like``.
Pairs whose union holds more than ``max_relevant`` APIs are skipped (ToolBench G2/G3
instructions need 2–5 APIs, and completeness@5 must be reachable). The choice is seeded
(``random.Random(seed)``); build it from one split only, so tuning and reporting never
share an instruction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from toolbench.types import API_ID_SEP, Query

GROUPS = ("G2_like", "G3_like")


def _category(query: Query) -> str:
    return query.relevant_api_ids[0].split(API_ID_SEP, 1)[0]


def _tools(query: Query) -> set[str]:
    return {a.rsplit(API_ID_SEP, 1)[0] for a in query.relevant_api_ids}


def combine(first: Query, second: Query, group: str) -> Query:
    """One instruction asking for both queries, relevant to the union of their APIs.

    >>> a = Query("1", "Get weather in Paris.", relevant_api_ids=["W::Meteo::now"], group="G1_tool")
    >>> b = Query("7", "Convert 5 USD to EUR.", relevant_api_ids=["F::Fx::convert"], group="G1_category")
    >>> q = combine(a, b, "G3_like")
    >>> q.query_id, q.query, q.relevant_api_ids
    ('G1_tool/1+G1_category/7', 'Get weather in Paris. Convert 5 USD to EUR.', ['W::Meteo::now', 'F::Fx::convert'])
    """
    relevant = list(dict.fromkeys([*first.relevant_api_ids, *second.relevant_api_ids]))
    return Query(f"{first.group}/{first.query_id}+{second.group}/{second.query_id}",
                 f"{first.query.strip()} {second.query.strip()}", relevant_api_ids=relevant, group=group)


def multi_tool_queries(queries: Sequence[Query], per_group: int = 100, seed: int = 0,
                       max_relevant: int = 5) -> list[Query]:
    """``per_group`` G2-like and ``per_group`` G3-like instructions (fewer if pairs run out).

    >>> qs = [Query(str(i), f"q{i}.", relevant_api_ids=[f"C{i % 2}::T{i}::a"], group="G1") for i in range(6)]
    >>> out = multi_tool_queries(qs, per_group=2, seed=0)
    >>> [q.group for q in out], all(len(q.relevant_api_ids) == 2 for q in out)
    (['G2_like', 'G2_like', 'G3_like', 'G3_like'], True)
    """
    rng = random.Random(seed)
    usable = [q for q in queries if q.relevant_api_ids]
    pairs: dict[str, list[tuple[Query, Query]]] = {g: [] for g in GROUPS}
    for i, first in enumerate(usable):
        for second in usable[i + 1:]:
            if _tools(first) & _tools(second):
                continue
            if len(set(first.relevant_api_ids) | set(second.relevant_api_ids)) > max_relevant:
                continue
            group = "G2_like" if _category(first) == _category(second) else "G3_like"
            pairs[group].append((first, second))
    out: list[Query] = []
    for group in GROUPS:
        chosen = rng.sample(pairs[group], min(per_group, len(pairs[group])))
        for first, second in chosen:
            order = (first, second) if rng.random() < 0.5 else (second, first)
            out.append(combine(*order, group))
    return out
