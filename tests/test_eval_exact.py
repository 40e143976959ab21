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


@pytest.mark.parametrize(("answer", "expected", "ok"), [
    ("The prime factors of 84 are 2, 2, 3 and 7.", [2, 2, 3, 7], True),
    ("The prime factors of 84 are 2, 3 and 7.", [2, 2, 3, 7], False),
    ("The average is 25 and its prime factors are 5 and 5.", [25, [5, 5]], True),
    ("100 days after 2024-01-01 is April 10, 2024.", "2024-04-10", True),
    ("It will be 6 PM in Tokyo.", "18:00", True),
    ("It will be 6 AM in Tokyo.", "18:00", False),
    ("Asia/Kolkata is at UTC+5:30.", "+05:30", True),
    ("No, 2100 is not a leap year.", False, True),
    ("2100 is not a leap year.", False, True),
    ("Yes — 'racecar' reads the same backwards, nothing is changed.", True, True),
])
def test_builtin_style_answers(answer, expected, ok):
    assert matches(answer, expected) is ok


def test_builtin_instruction_answers_match_their_own_text():
    """Every expected answer of the built-in instruction set is found in its own rendering."""
    from toolbench.builtin_world import builtin_instructions

    def render(value):
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (list, tuple)):
            return " and ".join(render(v) for v in value)
        return str(value)

    queries = builtin_instructions()
    assert queries and all(matches(f"The answer: {render(q.expected_answer)}.", q.expected_answer)
                           for q in queries if q.expected_answer is not None)
