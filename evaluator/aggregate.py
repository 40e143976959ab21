"""Pure aggregation of verdicts: SoPR, per-query majority, win rate, bootstrap CIs.

Everything here is a pure function of its inputs (the bootstrap takes a seed), so the
same verdicts always give the same numbers. Scores follow StableToolBench: Solved 1,
Unsure 0.5, Unsolved 0 (an ``Error`` verdict — a judge that never gave a usable reply —
scores 0 and is counted separately); win 1, tie 0.5, loss 0.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from toolbench.types import Verdict, VerdictLabel

LABEL_SCORES: dict[str, float] = {
    VerdictLabel.SOLVED: 1.0, VerdictLabel.UNSURE: 0.5, VerdictLabel.UNSOLVED: 0.0, VerdictLabel.ERROR: 0.0,
    VerdictLabel.WIN: 1.0, VerdictLabel.TIE: 0.5, VerdictLabel.LOSS: 0.0,
    VerdictLabel.CORRECT: 1.0, VerdictLabel.INCORRECT: 0.0,
}


def label_score(label: str) -> float:
    """The score of one verdict label.

    >>> label_score("Solved"), label_score("Unsure"), label_score("tie"), label_score("Error")
    (1.0, 0.5, 0.5, 0.0)
    """
    try:
        return LABEL_SCORES[label]
    except KeyError:
        raise ValueError(f"unknown verdict label {label!r}") from None


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; ``nan`` for no values.

    >>> mean([1, 0, 0.5, 0.5])
    0.5
    """
    return math.fsum(values) / len(values) if values else math.nan


def pstd(values: Sequence[float]) -> float:
    """Population standard deviation (``numpy.std``'s default, as StableToolBench reports).

    >>> pstd([0.5, 1.0])
    0.25
    >>> pstd([0.7])
    0.0
    """
    if not values:
        return math.nan
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))


def by_judging(verdicts: Iterable[Verdict]) -> dict[int, dict[str, Verdict]]:
    """Index verdicts as ``{judging: {query_id: verdict}}``."""
    table: dict[int, dict[str, Verdict]] = defaultdict(dict)
    for v in verdicts:
        table[v.judging][v.query_id] = v
    return dict(table)


def query_ids(verdicts: Iterable[Verdict]) -> list[str]:
    """The distinct query ids in first-seen order."""
    return list(dict.fromkeys(v.query_id for v in verdicts))


def rate_per_judging(verdicts: Sequence[Verdict], ids: Sequence[str] | None = None) -> list[float]:
    """Mean score per judging over ``ids`` (a query missing from a judging scores 0).

    >>> vs = [Verdict("a", "Solved", judging=0), Verdict("b", "Unsure", judging=0),
    ...       Verdict("a", "Unsolved", judging=1), Verdict("b", "Unsure", judging=1)]
    >>> rate_per_judging(vs)
    [0.75, 0.25]
    """
    ids = list(ids) if ids is not None else query_ids(verdicts)
    table = by_judging(verdicts)
    return [
        mean([label_score(table[j][q].label) if q in table[j] else 0.0 for q in ids]) for j in sorted(table)
    ]


def mean_std_over_judgings(verdicts: Sequence[Verdict], ids: Sequence[str] | None = None) -> tuple[float, float]:
    """StableToolBench's SoPR / SoWR: mean ± population std of the per-judging rates.

    >>> vs = [Verdict("a", "Solved", judging=0), Verdict("b", "Unsure", judging=0),
    ...       Verdict("a", "Unsolved", judging=1), Verdict("b", "Unsure", judging=1)]
    >>> mean_std_over_judgings(vs)
    (0.5, 0.25)
    """
    rates = rate_per_judging(verdicts, ids)
    return mean(rates), pstd(rates)


def majority_label(labels: Sequence[str], tie: str = VerdictLabel.UNSURE) -> str:
    """The most frequent label; ``tie`` when the top count is shared (never a coin flip).

    >>> majority_label(["Solved", "Solved", "Unsolved"])
    'Solved'
    >>> majority_label(["Solved", "Unsolved"])
    'Unsure'
    >>> majority_label(["win", "loss"], tie="tie")
    'tie'
    """
    counts = Counter(labels).most_common()
    if not counts:
        return tie
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return tie
    return counts[0][0]


def per_query_scores(verdicts: Sequence[Verdict]) -> dict[str, float]:
    """Mean score of each query over its judgings.

    >>> per_query_scores([Verdict("a", "Solved", judging=0), Verdict("a", "Unsure", judging=1)])
    {'a': 0.75}
    """
    scores: dict[str, list[float]] = defaultdict(list)
    for v in verdicts:
        scores[v.query_id].append(label_score(v.label))
    return {q: mean(s) for q, s in scores.items()}


def per_query_majority(verdicts: Sequence[Verdict], tie: str = VerdictLabel.UNSURE) -> dict[str, str]:
    """Majority label of each query over its judgings (ties → ``tie``).

    >>> per_query_majority([Verdict("a", "Solved", judging=0), Verdict("a", "Solved", judging=1),
    ...                     Verdict("a", "Unsolved", judging=2), Verdict("b", "Unsolved")])
    {'a': 'Solved', 'b': 'Unsolved'}
    """
    labels: dict[str, list[str]] = defaultdict(list)
    for v in verdicts:
        labels[v.query_id].append(v.label)
    return {q: majority_label(ls, tie=tie) for q, ls in labels.items()}


def bootstrap_ci(
    values: Sequence[float], *, seed: int = 0, resamples: int = 1000, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values`` (resampling with ``random.Random(seed)``).

    >>> bootstrap_ci([1, 1, 1, 1])
    (1.0, 1.0)
    >>> lo, hi = bootstrap_ci([0, 1] * 50, seed=1)
    >>> 0.39 < lo < 0.5 < hi < 0.61
    True
    >>> bootstrap_ci([0, 1] * 50, seed=1) == bootstrap_ci([0, 1] * 50, seed=1)
    True
    """
    if not values:
        return math.nan, math.nan
    rng = random.Random(seed)
    n = len(values)
    means = sorted(math.fsum(rng.choices(values, k=n)) / n for _ in range(resamples))
    alpha = (1.0 - level) / 2.0
    return _quantile(means, alpha), _quantile(means, 1.0 - alpha)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values (numpy's default method).

    >>> _quantile([0.0, 1.0, 2.0, 3.0], 0.5)
    1.5
    """
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def wtl_counts(labels: Iterable[str]) -> dict[str, int]:
    """Win/tie/loss counts.

    >>> wtl_counts(["win", "tie", "win", "loss"])
    {'win': 2, 'tie': 1, 'loss': 1}
    """
    counts = Counter(labels)
    return {label: counts[label] for label in (VerdictLabel.WIN, VerdictLabel.TIE, VerdictLabel.LOSS)}


def win_rate(counts: dict[str, int]) -> float:
    """(wins + ties / 2) / total.

    >>> win_rate({"win": 2, "tie": 1, "loss": 1})
    0.625
    """
    total = counts[VerdictLabel.WIN] + counts[VerdictLabel.TIE] + counts[VerdictLabel.LOSS]
    return (counts[VerdictLabel.WIN] + 0.5 * counts[VerdictLabel.TIE]) / total if total else math.nan


def group_of(query_id: str, groups: dict[str, str]) -> str:
    """The group of a query (``""`` → ``"all"``).

    >>> group_of("1", {"1": "G1_instruction"}), group_of("2", {})
    ('G1_instruction', 'all')
    """
    return groups.get(query_id) or "all"


def grouped_scores(scores: dict[str, float], groups: dict[str, str]) -> dict[str, list[float]]:
    """Per-query scores split by group, groups and queries in sorted order.

    >>> grouped_scores({"b": 1.0, "a": 0.0, "c": 0.5}, {"a": "G1", "b": "G1", "c": "G2"})
    {'G1': [0.0, 1.0], 'G2': [0.5]}
    """
    out: dict[str, list[float]] = defaultdict(list)
    for q in sorted(scores):
        out[group_of(q, groups)].append(scores[q])
    return {g: out[g] for g in sorted(out)}


def group_summary(
    scores: dict[str, float], groups: dict[str, str], *, seed: int = 0, resamples: int = 1000
) -> dict[str, dict[str, float]]:
    """Per group: n, mean score and its bootstrap 95% CI (one seeded stream per group).

    >>> group_summary({"a": 1.0, "b": 0.0}, {"a": "G1", "b": "G1"}, resamples=200)["G1"]["mean"]
    0.5
    """
    out = {}
    for name, values in grouped_scores(scores, groups).items():
        lo, hi = bootstrap_ci(values, seed=seed, resamples=resamples)
        out[name] = {"n": len(values), "mean": mean(values), "ci_low": lo, "ci_high": hi}
    return out
