"""Aggregation on hand-made verdicts: worked examples with numbers computed by hand."""

from __future__ import annotations

import math

import pytest

from evaluator import aggregate as agg
from evaluator.summaries import label_metrics, win_metrics
from toolbench.types import Verdict


def _v(qid: str, label: str, judging: int = 0) -> Verdict:
    return Verdict(qid, label, judging=judging)


# 3 queries x 3 judgings
#            j0        j1        j2
#   q1     Solved    Solved    Unsure
#   q2     Unsolved  Unsure    Unsolved
#   q3     Solved    Unsolved  Solved
TABLE = {
    "q1": ["Solved", "Solved", "Unsure"],
    "q2": ["Unsolved", "Unsure", "Unsolved"],
    "q3": ["Solved", "Unsolved", "Solved"],
}
VERDICTS = [_v(q, labels[j], j) for j in range(3) for q, labels in TABLE.items()]


def test_sopr_is_mean_and_population_std_over_judgings():
    # per judging: j0 (1+0+1)/3, j1 (1+0.5+0)/3, j2 (0.5+0+1)/3
    rates = agg.rate_per_judging(VERDICTS)
    assert rates == pytest.approx([2 / 3, 0.5, 0.5])
    mean, std = agg.mean_std_over_judgings(VERDICTS)
    assert mean == pytest.approx(5 / 9)
    expected_std = math.sqrt(((2 / 3 - 5 / 9) ** 2 + 2 * (0.5 - 5 / 9) ** 2) / 3)
    assert std == pytest.approx(expected_std)


def test_per_query_majority_and_scores():
    assert agg.per_query_majority(VERDICTS) == {"q1": "Solved", "q2": "Unsolved", "q3": "Solved"}
    assert agg.per_query_scores(VERDICTS) == pytest.approx({"q1": 2.5 / 3, "q2": 0.5 / 3, "q3": 2 / 3})
    # a 1-1 tie between two labels is Unsure, never a coin flip
    assert agg.per_query_majority([_v("a", "Solved", 0), _v("a", "Unsolved", 1)]) == {"a": "Unsure"}


def test_missing_judging_counts_zero_like_stabletoolbench():
    verdicts = [_v("a", "Solved", 0), _v("b", "Solved", 0), _v("a", "Solved", 1)]
    assert agg.rate_per_judging(verdicts) == [1.0, 0.5]


def test_label_metrics_worked_example():
    m = label_metrics(VERDICTS, resamples=200)
    assert m["n"] == 3 and m["judgings"] == 3
    assert m["majority_rate"] == pytest.approx(2 / 3)
    assert m["ci_low"] <= m["mean"] <= m["ci_high"]
    assert m["labels"] == {"Solved": 4, "Unsolved": 3, "Unsure": 2}


def test_error_scores_zero_and_is_counted():
    m = label_metrics([_v("a", "Error"), _v("b", "Solved")], resamples=10)
    assert m["mean"] == 0.5 and m["errors"] == 1


def test_win_rate_ties_count_half():
    # a: win twice; b: tie; c: loss, win, loss -> majority loss; d: win, tie -> 1-1 tie
    verdicts = [_v("a", "win", 0), _v("a", "win", 1), _v("b", "tie", 0), _v("c", "loss", 0), _v("c", "win", 1),
                _v("c", "loss", 2), _v("d", "win", 0), _v("d", "tie", 1)]
    m = win_metrics(verdicts, resamples=50)
    assert (m["win"], m["tie"], m["loss"]) == (1, 2, 1)
    assert m["win_rate"] == pytest.approx((1 + 0.5 * 2) / 4)
    assert agg.win_rate({"win": 3, "tie": 2, "loss": 5}) == pytest.approx(0.4)


def test_bootstrap_is_seeded_and_sensible():
    values = [1.0] * 30 + [0.0] * 70
    a = agg.bootstrap_ci(values, seed=7)
    assert a == agg.bootstrap_ci(values, seed=7)
    assert a != agg.bootstrap_ci(values, seed=8)
    assert 0.2 < a[0] < 0.3 < a[1] <= 0.41
    assert all(math.isnan(x) for x in agg.bootstrap_ci([]))


def test_group_summary_splits_by_group():
    scores = {"1": 1.0, "2": 0.0, "3": 1.0, "4": 1.0}
    table = agg.group_summary(scores, {"1": "G1", "2": "G1", "3": "G2"}, resamples=100)
    assert sorted(table) == ["G1", "G2", "all"]
    assert table["G1"]["mean"] == 0.5 and table["G2"]["n"] == 1 and table["all"]["n"] == 1


def test_unknown_label_is_an_error():
    with pytest.raises(ValueError, match="unknown verdict label"):
        agg.label_score("Maybe")
