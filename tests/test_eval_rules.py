"""ToolEval rules on real StableToolBench answers (no LLM call needed for them)."""

from __future__ import annotations

import json

import pytest

from evaluator.api import judge_pass
from evaluator.inputs import load_run
from evaluator.rules import rule_reason
from toolbench.types import FinishReason, Trajectory

EXAMPLE = "stabletoolbench/data_example"


@pytest.fixture
def example(shared_data):
    return shared_data / EXAMPLE


def test_cot_588_has_no_finish_and_is_unsolved_by_rule(example):
    run = load_run(example / "model_predictions_converted/virtual_chatgpt_cot/G1_instruction.json")
    reasons = {t.query_id: rule_reason(t) for t in run.trajectories}
    assert reasons == {"1073": None, "588": "no Finish call", "608": None}
    verdicts = {v.query_id: v for v in judge_pass(run.trajectories, None, judgings=3)}
    assert verdicts["588"].label == "Unsolved" and verdicts["588"].by_rule
    assert verdicts["1073"].label == "Unjudged"  # needs the LLM


def test_rules_agree_with_published_labels(example):
    """StableToolBench's own results label 588 Unsolved in all 3 judgings."""
    published = json.loads((example / "pass_rate_results/virtual_chatgpt_cot/G1_instruction_virtual_chatgpt_cot.json")
                           .read_text())
    run = load_run(example / "answer/virtual_chatgpt_cot/G1_instruction")
    by_rule = {v.query_id for v in judge_pass(run.trajectories, None) if v.by_rule}
    unanimous_unsolved = {q for q, r in published.items() if set(r["is_solved"].values()) == {"AnswerStatus.Unsolved"}}
    assert by_rule == {"588"} and by_rule <= unanimous_unsolved


def test_raw_answer_trees_and_converted_file_read_the_same(example):
    raw = {t.query_id: t for t in load_run(example / "answer/virtual_chatgpt_cot/G1_instruction").trajectories}
    conv = load_run(example / "model_predictions_converted/virtual_chatgpt_cot/G1_instruction.json")
    assert conv.format == "stabletooleval" and conv.groups() == {"1073": "G1_instruction", "588": "G1_instruction",
                                                                 "608": "G1_instruction"}
    for t in conv.trajectories:
        assert raw[t.query_id].final_answer == t.final_answer
        assert raw[t.query_id].finish_reason == t.finish_reason
        assert raw[t.query_id].query == t.query


def test_dfs_answers_all_need_the_llm(example):
    run = load_run(example / "answer/virtual_chatgpt_dfs/G1_instruction")
    assert run.format == "toolbench" and run.name == "virtual_chatgpt_dfs/G1_instruction"
    assert all(rule_reason(t) is None for t in run.trajectories)
    assert set(run.files) == {"588", "608", "1073"}


def test_published_predictions_rules(shared_data):
    run = load_run(shared_data / "stabletoolbench/predictions/gpt-3.5-turbo_CoT/G1_instruction.json")
    verdicts = judge_pass(run.trajectories, None)
    assert len(verdicts) == len(run.trajectories) == 100
    for t, v in zip(run.trajectories, verdicts, strict=True):
        assert v.by_rule == (not t.gave_answer or "give_up_and_restart" in t.final_answer)


@pytest.mark.parametrize(("reason", "answer", "expected"), [
    (FinishReason.GIVE_UP, "x", "gave up (give_up_and_restart)"),
    (FinishReason.BUDGET, "", "no Finish call (budget exhausted)"),
    (FinishReason.GIVE_ANSWER, "", "empty final answer"),
    (FinishReason.GIVE_ANSWER, '{"return_type": "give_up_and_restart"}',
     "gave up (give_up_and_restart in the final answer)"),
    (FinishReason.GIVE_ANSWER, "Paris.", None),
])
def test_rule_table(reason, answer, expected):
    assert rule_reason(Trajectory("1", "q", "m", finish_reason=reason, final_answer=answer)) == expected


def test_toolbench_answer_trees_across_groups(shared_data):
    """ToolBench numbers queries per group: id 10 is in G1 and G2, so ids become group/id."""
    run = load_run(shared_data / "toolbench/data_example/answer")
    assert run.format == "toolbench" and len(run.trajectories) == 15
    groups = run.groups()
    assert groups["G1/10"] == "G1" and groups["G2/10"] == "G2" and set(groups.values()) == {"G1", "G2", "G3"}
    assert run.files["G2/10"].parent.name == "G2_answer"
    verdicts = judge_pass(run.trajectories, None)
    assert len({v.query_id for v in verdicts}) == 15
