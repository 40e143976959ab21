"""Exact-answer judge and retrieval-file reading."""

from __future__ import annotations

import json

import pytest

from evaluator.exact import ExactConfig, judge_exact, matches
from evaluator.retrieval import judge_retrieval, read_results
from toolbench.errors import InputError
from toolbench.types import FinishReason, Query, Trajectory


@pytest.mark.parametrize(("answer", "expected", "ok"), [
    ("The result is 1,234,567.", 1234567, True),
    ("It is 0.333", 1 / 3, True),
    ("It is 0.34", 1 / 3, False),
    ("-5 degrees", -5, True),
    ("5 degrees", -5, False),
    ("2.5e3 meters", 2500, True),
    ("The capital is São Paulo!", "sao paulo", False),
    ("The capital is São Paulo!", "São Paulo", True),
    ("Answer: NEW   YORK", "new york", True),
    ("newyorker", "new york", False),
    ("between 3 and 4", "3", True),
    ("Total: 12 USD", "12.0", True),
    ("yes", False, False),
    ("It is not a leap year", False, True),
    ("red, green and blue", ["blue", "red"], True),
    ("red and blue", ["blue", "green"], False),
    ("", "x", False),
])
def test_matches(answer, expected, ok):
    assert matches(answer, expected) is ok


def test_tolerance_options():
    assert matches("100.4", 100, ExactConfig(rel_tol=0.01))
    assert not matches("100.4", 100, ExactConfig(rounding=False))


def test_judge_exact_only_queries_with_expected_answers():
    trajectories = [
        Trajectory("1", "q", "m", finish_reason=FinishReason.GIVE_ANSWER, final_answer="42"),
        Trajectory("2", "q", "m", finish_reason=FinishReason.GIVE_UP, final_answer="42"),
        Trajectory("3", "q", "m", finish_reason=FinishReason.GIVE_ANSWER, final_answer="x"),
    ]
    queries = [Query("1", "q", expected_answer=42), Query("2", "q", expected_answer=42), Query("3", "q")]
    verdicts = judge_exact(trajectories, queries)
    assert [(v.query_id, v.label, v.by_rule) for v in verdicts] == [("1", "correct", False),
                                                                    ("2", "incorrect", True)]


def test_retrieval_files(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"q1": ["a", "b"], "q2": {"results": [{"api_id": "c", "score": 1}]}}))
    rows = judge_retrieval(read_results(path), [Query("q1", "x", relevant_api_ids=["b"], group="G1"),
                                                Query("q2", "y", relevant_api_ids=["c"])], ks=[1, 2])
    assert [(r["query_id"], r["group"], r["ndcg@1"], r["recall@2"]) for r in rows] == [
        ("q1", "G1", 0.0, 1.0), ("q2", "all", 1.0, 1.0)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query_id": "1"}\n')
    with pytest.raises(InputError, match="record 1"):
        read_results(bad)
